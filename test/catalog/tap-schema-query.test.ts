/** TAP_SCHEMA queried with ADQL through the catalog (the in-memory side database of tap-schema-query.ts). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catalog } from '../../src/catalog/index.js';
import { dp02SchemaYaml, temporaryDir } from './helpers.js';

describe('tap_schema queries', () => {
  const tmp = temporaryDir('tap-schema');
  let catalog: Catalog;
  beforeAll(async () => {
    catalog = await Catalog.create(`${tmp.dir}/catalog`, { schemaYaml: dp02SchemaYaml });
  });
  afterAll(async () => {
    await catalog.close();
    tmp.remove();
  });

  it('lists the catalog tables and TAP_SCHEMA itself, in either case of the schema name', async () => {
    const result = await catalog.query(
      "SELECT table_name, table_type FROM TAP_SCHEMA.tables WHERE schema_name = 'tap_schema' ORDER BY table_index",
    );
    expect(result.rows.map((r) => r[0])).toEqual([
      'tap_schema.schemas',
      'tap_schema.tables',
      'tap_schema.columns',
      'tap_schema.keys',
      'tap_schema.key_columns',
    ]);
    const all = await catalog.query('SELECT COUNT(*) AS n FROM tap_schema.tables');
    expect(Number(all.rows[0][0])).toBe(catalog.schema.tables.length + 5);
  });

  it('joins TAP_SCHEMA tables and reads the quoted "size" column', async () => {
    const result = await catalog.query(`SELECT c.column_name, c.datatype, c.unit, c."size"
      FROM tap_schema.columns AS c JOIN tap_schema.tables AS t ON t.table_name = c.table_name
      WHERE t.table_name = 'dp02_dc2_catalogs.Object' AND c.column_name = 'coord_ra'`);
    expect(result.rows).toEqual([['coord_ra', 'double', 'deg', null]]);
    expect(result.columns.map((c) => c.name)).toEqual(['column_name', 'datatype', 'unit', 'size']);
  });

  it('applies MAXREC and streams like any query', async () => {
    const limited = await catalog.query('SELECT column_name FROM tap_schema.columns', { maxRows: 3 });
    expect(limited.rows).toHaveLength(3);
    expect(limited.overflow).toBe(true);
    const stream = await catalog.stream('SELECT schema_name FROM tap_schema.schemas ORDER BY schema_index');
    const rows = [];
    for await (const batch of stream.rows) rows.push(...batch);
    expect(rows).toEqual([['dp02_dc2_catalogs'], ['tap_schema']]);
  });

  it('refuses a join with catalog tables and reports unknown columns as ADQL_SEMANTIC', async () => {
    await expect(
      catalog.query(
        'SELECT o.objectId FROM dp02_dc2_catalogs.Object AS o JOIN tap_schema.tables AS t ON 1 = 1',
      ),
    ).rejects.toMatchObject({ code: 'ADQL_UNSUPPORTED' });
    await expect(catalog.query('SELECT nonesuch FROM tap_schema.tables')).rejects.toMatchObject({
      code: 'ADQL_SEMANTIC',
    });
    await expect(catalog.query('SELECT * FROM tap_schema.nonesuch')).rejects.toMatchObject({
      code: 'ADQL_SEMANTIC',
    });
  });

  it('publishes TAP_SCHEMA rows that describe the TAP_SCHEMA tables themselves', () => {
    const rows = catalog.tapSchema();
    const own = rows.columns.filter((c) => c.table_name === 'tap_schema.columns').map((c) => c.column_name);
    expect(own).toContain('"size"');
    expect(own).toHaveLength(14);
    expect(rows.key_columns.length).toBe(
      rows.key_columns.filter((k) => rows.keys.some((x) => x.key_id === k.key_id)).length,
    );
  });
});
