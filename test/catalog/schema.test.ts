import { describe, expect, it } from 'vitest';
import { directorsOf, findTable, loadCatalogSchema, parseCatalogSchema } from '../../src/catalog/schema.js';
import { tapSchemaRows } from '../../src/catalog/tap-schema.js';

const dp02 = loadCatalogSchema(new URL('../../config/catalog/dp02.yaml', import.meta.url).pathname);

describe('the shipped DP0.2 schema', () => {
  it('has the DP0.2 tables with their partitioning roles', () => {
    const roles = Object.fromEntries(dp02.tables.map((t) => [t.name, t.partitioning.role]));
    expect(roles).toEqual({
      Object: 'director',
      Source: 'director',
      ForcedSource: 'dependent',
      DiaObject: 'director',
      DiaSource: 'dependent',
      ForcedSourceOnDiaObject: 'dependent',
      CcdVisit: 'regular',
      Visit: 'regular',
      TruthSummary: 'director',
      MatchesTruth: 'match',
    });
  });

  it('keeps DP0.2 key columns, positions in degrees and fluxes in nJy', () => {
    const object = findTable(dp02, 'object');
    expect(object?.partitioning).toEqual({
      role: 'director',
      ra: 'coord_ra',
      dec: 'coord_dec',
      key: 'objectId',
    });
    const fluxColumns = object?.columns.filter((c) => c.name.endsWith('_psfFlux')) ?? [];
    expect(fluxColumns.map((c) => c.name)).toEqual(['u', 'g', 'r', 'i', 'z', 'y'].map((b) => `${b}_psfFlux`));
    expect(new Set(fluxColumns.map((c) => c.unit))).toEqual(new Set(['nJy']));
    const fs = findTable(dp02, 'ForcedSource');
    expect(fs && directorsOf(dp02, fs).map((d) => [d.director.name, d.keyColumn])).toEqual([
      ['Object', 'objectId'],
    ]);
    const mt = findTable(dp02, 'MatchesTruth');
    expect(mt && directorsOf(dp02, mt).map((d) => [d.director.name, d.keyColumn])).toEqual([
      ['Object', 'match_objectId'],
      ['TruthSummary', 'id_truth_type'],
    ]);
    expect(findTable(dp02, 'DiaObject')?.partitioning).toMatchObject({ ra: 'ra', dec: 'decl' });
    expect(Object.isFrozen(dp02.tables[0].columns[0])).toBe(true);
  });
});

describe('schema validation', () => {
  const base = (table: string) => `name: s\nversion: 1\ntables:\n${table}`;
  it('names the bad path for a wrong datatype', () => {
    expect(() =>
      parseCatalogSchema(
        base('  - name: T\n    partitioning: {role: regular}\n    columns: [{name: a, datatype: float64}]\n'),
      ),
    ).toThrow(/tables\.0\.columns\.0\.datatype/);
  });
  it('rejects a dependent whose director is not a director', () => {
    const yaml = base(
      '  - name: R\n    partitioning: {role: regular}\n    columns: [{name: id, datatype: long}]\n' +
        '  - name: D\n    partitioning: {role: dependent, director: R, key: rid}\n    columns: [{name: rid, datatype: long}]\n',
    );
    expect(() => parseCatalogSchema(yaml)).toThrow(/D names R, which is not a director/);
  });
  it('rejects a director position column that does not exist', () => {
    const yaml = base(
      '  - name: O\n    primaryKey: [id]\n    partitioning: {role: director, ra: ra, dec: dec}\n' +
        '    columns: [{name: id, datatype: long}, {name: ra, datatype: double}]\n',
    );
    expect(() => parseCatalogSchema(yaml)).toThrow(
      expect.objectContaining({
        code: 'CATALOG_SCHEMA_INVALID',
        message: expect.stringMatching(/unknown column dec/),
      }),
    );
  });
});

describe('TAP_SCHEMA from the schema', () => {
  it('lists every table and column with VOTable types and the foreign keys', () => {
    const rows = tapSchemaRows(dp02);
    expect(rows.tables.map((t) => t.table_name)).toContain('dp02_dc2_catalogs.ForcedSource');
    const ra = rows.columns.find(
      (c) => c.table_name === 'dp02_dc2_catalogs.Object' && c.column_name === 'coord_ra',
    );
    expect(ra).toMatchObject({
      datatype: 'double',
      unit: 'deg',
      ucd: 'pos.eq.ra;meta.main',
      indexed: 1,
      principal: 1,
    });
    const band = rows.columns.find(
      (c) => c.table_name === 'dp02_dc2_catalogs.ForcedSource' && c.column_name === 'band',
    );
    expect(band).toMatchObject({ datatype: 'char', arraysize: '1*' });
    expect(rows.columns.length).toBe(dp02.tables.reduce((n, t) => n + t.columns.length, 0));
    expect(rows.keys.find((k) => k.key_id === 'Obj_FS')).toMatchObject({
      from_table: 'dp02_dc2_catalogs.ForcedSource',
      target_table: 'dp02_dc2_catalogs.Object',
    });
    expect(rows.key_columns).toContainEqual({
      key_id: 'Obj_FS',
      from_column: 'objectId',
      target_column: 'objectId',
    });
  });
});
