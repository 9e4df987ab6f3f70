import { describe, expect, it } from 'vitest';
import {
  type FormColumn,
  type FormSearch,
  identifier,
  operatorsFor,
  parseVertices,
  searchProblem,
  searchQuery,
  stringLiteral,
  valueKind,
  valueLiteral,
} from '../../src/portal/query/search-form.js';

const columns: FormColumn[] = [
  { name: 'objectId', datatype: 'long' },
  { name: 'coord_ra', datatype: 'double' },
  { name: 'coord_dec', datatype: 'double' },
  { name: 'g_cModelFlux', datatype: 'double' },
  { name: 'detect_isPrimary', datatype: 'boolean' },
  { name: 'band', datatype: 'char' },
  { name: 'tract', datatype: 'int' },
];

const base: FormSearch = {
  table: 'dp02_dc2_catalogs.Object',
  tableColumns: columns,
  position: { ra: 'coord_ra', dec: 'coord_dec' },
  region: { kind: 'none' },
  constraints: [],
  columns: ['objectId', 'coord_ra', 'coord_dec'],
};

/** The WHERE condition the form writes for one constraint. */
function where(column: string, operator: FormSearch['constraints'][number]['operator'], ...values: string[]) {
  const search = { ...base, constraints: [{ column, operator, values }] };
  expect(searchProblem(search)).toBeNull();
  return searchQuery(search).split('\n').slice(2).join('\n');
}

describe('search form ADQL: regions', () => {
  it('writes a cone as CONTAINS(POINT, CIRCLE) with plain decimals', () => {
    const search: FormSearch = {
      ...base,
      region: { kind: 'cone', ra: 62, dec: -37, radiusDegrees: 1 / 3600 },
    };
    expect(searchQuery(search)).toBe(
      [
        'SELECT objectId, coord_ra, coord_dec',
        'FROM dp02_dc2_catalogs.Object',
        "WHERE CONTAINS(POINT('ICRS', coord_ra, coord_dec),",
        "      CIRCLE('ICRS', 62, -37, 0.00027778)) = 1",
      ].join('\n'),
    );
  });

  it('writes a polygon from its vertices in the order given', () => {
    const parsed = parseVertices('62 -37.1\n62.2 -37.1, 62.2 -36.9; 62.0 -36.9');
    expect(parsed).toEqual({
      vertices: [
        [62, -37.1],
        [62.2, -37.1],
        [62.2, -36.9],
        [62, -36.9],
      ],
    });
    if (!('vertices' in parsed)) throw new Error('unreachable');
    const search: FormSearch = { ...base, region: { kind: 'polygon', vertices: parsed.vertices } };
    expect(searchProblem(search)).toBeNull();
    expect(searchQuery(search)).toContain(
      "CONTAINS(POINT('ICRS', coord_ra, coord_dec),\n      POLYGON('ICRS', 62, -37.1, 62.2, -37.1, 62.2, -36.9, 62, -36.9)) = 1",
    );
  });

  it('refuses polygons with fewer than 3 vertices, out-of-range or repeated vertices, and malformed pairs', () => {
    const polygon = (vertices: [number, number][]): FormSearch => ({
      ...base,
      region: { kind: 'polygon', vertices },
    });
    expect(
      searchProblem(
        polygon([
          [1, 1],
          [2, 2],
        ]),
      ),
    ).toMatch(/at least 3 vertices \(it has 2\)/);
    expect(
      searchProblem(
        polygon([
          [1, 1],
          [360, 2],
          [3, 1],
        ]),
      ),
    ).toMatch(/vertex 2: RA/);
    expect(
      searchProblem(
        polygon([
          [1, 1],
          [2, 91],
          [3, 1],
        ]),
      ),
    ).toMatch(/vertex 2: Dec/);
    expect(
      searchProblem(
        polygon([
          [1, 1],
          [2, 2],
          [2, 2],
        ]),
      ),
    ).toMatch(/vertices 2 and 3 are the same/);
    expect(parseVertices('62 -37\n62.1')).toEqual({ problem: expect.stringMatching(/vertex 2/) });
    expect(parseVertices('62 -37 5')).toEqual({ problem: expect.stringMatching(/vertex 1/) });
    expect(parseVertices('62 abc')).toEqual({ problem: expect.stringMatching(/not "ra dec"/) });
  });

  it('checks the cone and refuses a region on a table without position columns', () => {
    expect(searchProblem({ ...base, region: { kind: 'cone', ra: 400, dec: 0, radiusDegrees: 1 } })).toMatch(
      /RA/,
    );
    expect(searchProblem({ ...base, region: { kind: 'cone', ra: 1, dec: 0, radiusDegrees: 0 } })).toMatch(
      /radius/,
    );
    expect(
      searchProblem({ ...base, position: null, region: { kind: 'cone', ra: 1, dec: 0, radiusDegrees: 1 } }),
    ).toMatch(/no position columns/);
  });
});

describe('search form ADQL: column constraints', () => {
  it('writes each comparison operator with a number', () => {
    for (const op of ['=', '!=', '<', '<=', '>', '>='] as const) {
      expect(where('g_cModelFlux', op, ' 1.5e3 ')).toBe(`WHERE g_cModelFlux ${op} 1.5e3`);
    }
    expect(where('coord_ra', 'BETWEEN', '61.9', '+62.1')).toBe('WHERE coord_ra BETWEEN 61.9 AND 62.1');
  });

  it('writes NULL tests with no value, and ignores stray values for them', () => {
    expect(where('g_cModelFlux', 'IS NULL')).toBe('WHERE g_cModelFlux IS NULL');
    expect(where('band', 'IS NOT NULL', 'ignored')).toBe('WHERE band IS NOT NULL');
  });

  it('copies 64-bit ids digit for digit and refuses non-integers for integer columns', () => {
    expect(where('objectId', '=', '1567428592185376787')).toBe('WHERE objectId = 1567428592185376787');
    expect(
      searchProblem({ ...base, constraints: [{ column: 'tract', operator: '=', values: ['3.5'] }] }),
    ).toMatch(/tract: "3.5" is not an integer/);
    expect(
      searchProblem({ ...base, constraints: [{ column: 'coord_ra', operator: '<', values: ['1; DROP'] }] }),
    ).toMatch(/not a number/);
    expect(
      searchProblem({ ...base, constraints: [{ column: 'coord_ra', operator: '<', values: [''] }] }),
    ).toMatch(/value is missing/);
    expect(
      searchProblem({ ...base, constraints: [{ column: 'coord_ra', operator: 'BETWEEN', values: ['1'] }] }),
    ).toMatch(/needs 2 values/);
  });

  it('quotes strings with inner quotes doubled, for = and LIKE', () => {
    expect(where('band', '=', "O'Brien")).toBe("WHERE band = 'O''Brien'");
    expect(where('band', 'LIKE', "%'; DROP TABLE x; --")).toBe("WHERE band LIKE '%''; DROP TABLE x; --'");
    expect(where('band', '=', '')).toBe("WHERE band = ''");
    expect(stringLiteral("''")).toBe("''''''");
  });

  it('writes booleans as 1 and 0, and offers only the operators that fit each type', () => {
    expect(where('detect_isPrimary', '=', 'true')).toBe('WHERE detect_isPrimary = 1');
    expect(where('detect_isPrimary', '!=', 'false')).toBe('WHERE detect_isPrimary != 0');
    expect(valueLiteral('boolean', 'maybe')).toEqual({ problem: expect.stringMatching(/true or false/) });
    expect(operatorsFor(valueKind('boolean'))).toEqual(['=', '!=', 'IS NULL', 'IS NOT NULL']);
    expect(operatorsFor(valueKind('char'))).toContain('LIKE');
    expect(operatorsFor(valueKind('double'))).not.toContain('LIKE');
    expect(
      searchProblem({ ...base, constraints: [{ column: 'coord_ra', operator: 'LIKE', values: ['1'] }] }),
    ).toMatch(/LIKE does not apply to coord_ra/);
    expect(
      searchProblem({ ...base, constraints: [{ column: 'detect_isPrimary', operator: '<', values: ['1'] }] }),
    ).toMatch(/does not apply/);
  });

  it('joins a region and several constraints with AND', () => {
    const search: FormSearch = {
      ...base,
      region: { kind: 'cone', ra: 62, dec: -37, radiusDegrees: 0.1 },
      constraints: [
        { column: 'detect_isPrimary', operator: '=', values: ['true'] },
        { column: 'g_cModelFlux', operator: '>', values: ['100'] },
      ],
    };
    expect(searchQuery(search).split('\n').slice(4)).toEqual([
      '  AND detect_isPrimary = 1',
      '  AND g_cModelFlux > 100',
    ]);
  });

  it('refuses a constraint on a column the table does not have', () => {
    expect(
      searchProblem({ ...base, constraints: [{ column: 'nope', operator: 'IS NULL', values: [] }] }),
    ).toMatch(/"nope" is not a column of this table/);
  });
});

describe('search form ADQL: columns to return', () => {
  it('lists the ticked columns, writes * when every column is ticked, and needs at least one', () => {
    expect(searchQuery({ ...base, columns: ['coord_ra'] }).split('\n')[0]).toBe('SELECT coord_ra');
    expect(searchQuery({ ...base, columns: columns.map((c) => c.name) }).split('\n')[0]).toBe('SELECT *');
    expect(searchProblem({ ...base, columns: [] })).toMatch(/at least one column/);
    expect(searchProblem({ ...base, columns: ['objectId', 'x'] })).toMatch(/"x" is not a column/);
  });

  it('writes a name that is not a regular identifier as a delimited one', () => {
    expect(identifier('coord_ra')).toBe('coord_ra');
    expect(identifier('my col"x')).toBe('"my col""x"');
    const odd: FormSearch = {
      ...base,
      tableColumns: [...columns, { name: 'flux (g)', datatype: 'double' }],
      columns: ['flux (g)'],
      constraints: [{ column: 'flux (g)', operator: 'IS NOT NULL', values: [] }],
    };
    expect(searchQuery(odd)).toBe(
      'SELECT "flux (g)"\nFROM dp02_dc2_catalogs.Object\nWHERE "flux (g)" IS NOT NULL',
    );
  });
});
