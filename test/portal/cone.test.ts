import { describe, expect, it } from 'vitest';
import {
  coneProblem,
  coneQuery,
  type PositionedTable,
  positionColumnsOf,
} from '../../src/portal/query/cone.js';

const column = (name: string, ucd: string | null = null) => ({
  name,
  ucd,
  unit: null,
  datatype: null,
  description: null,
});

describe('cone search form', () => {
  const search = {
    table: 'dp02_dc2_catalogs.Object',
    raColumn: 'coord_ra',
    decColumn: 'coord_dec',
    ra: 62,
    dec: -37,
    radiusDegrees: 3 / 60,
    columns: ['objectId', 'coord_ra', 'coord_dec'],
  };

  it('generates the DP0.2 cone ADQL with plain decimal literals', () => {
    expect(coneQuery(search)).toBe(
      [
        'SELECT objectId, coord_ra, coord_dec',
        'FROM dp02_dc2_catalogs.Object',
        "WHERE CONTAINS(POINT('ICRS', coord_ra, coord_dec),",
        "               CIRCLE('ICRS', 62, -37, 0.05)) = 1",
      ].join('\n'),
    );
    expect(coneQuery({ ...search, columns: [], radiusDegrees: 1 / 3600 })).toMatch(
      /^SELECT \*[\s\S]*0\.00027778\)\) = 1$/,
    );
  });

  it('says what is wrong with out-of-range positions, radii and column names', () => {
    expect(coneProblem(search)).toBeNull();
    expect(coneProblem({ ...search, ra: 360 })).toMatch(/RA/);
    expect(coneProblem({ ...search, dec: Number.NaN })).toMatch(/Dec/);
    expect(coneProblem({ ...search, radiusDegrees: 0 })).toMatch(/radius/);
    expect(coneProblem({ ...search, columns: ['coord_ra; DROP'] })).toMatch(/not a column name/);
  });

  it('finds position columns by their main UCD first, then by DP0.2 names', () => {
    const object: PositionedTable = {
      name: 'dp02_dc2_catalogs.Object',
      columns: [
        column('x_ra', 'pos.eq.ra'),
        column('coord_ra', 'pos.eq.ra;meta.main'),
        column('coord_dec', 'pos.eq.dec;meta.main'),
      ],
    };
    expect(positionColumnsOf(object)).toEqual({ ra: 'coord_ra', dec: 'coord_dec' });
    const dia: PositionedTable = {
      name: 'DiaObject',
      columns: [column('ra'), column('decl')],
    };
    expect(positionColumnsOf(dia)).toEqual({ ra: 'ra', dec: 'decl' });
    expect(positionColumnsOf({ name: 'CcdVisit', columns: [column('ccdVisitId')] })).toBeNull();
  });
});
