import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { OUTPUT_COLUMNS, TABLE_NAMES } from '../../../src/sim/catalogs/index.js';

/** The DuckDB type the catalog schema's datatype is written as. */
const DUCKDB_TYPE: Record<string, string> = {
  long: 'BIGINT',
  int: 'INTEGER',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  char: 'VARCHAR',
  string: 'VARCHAR',
};

interface YamlColumn {
  name: string;
  datatype: string;
}
interface YamlTable {
  name: string;
  columns: YamlColumn[];
}

const schema = parse(readFileSync('config/catalog/dp02.yaml', 'utf8')) as { tables: YamlTable[] };

describe('simulated catalog columns follow config/catalog/dp02.yaml', () => {
  it('has every table of the schema', () => {
    expect([...TABLE_NAMES].sort()).toEqual(schema.tables.map((t) => t.name).sort());
  });

  for (const table of schema.tables) {
    it(`${table.name}: same columns, order and types`, () => {
      const ours = OUTPUT_COLUMNS[table.name as (typeof TABLE_NAMES)[number]].map((c) => [c.name, c.type]);
      const theirs = table.columns.map((c) => [c.name, DUCKDB_TYPE[c.datatype] ?? `unmapped ${c.datatype}`]);
      expect(ours).toEqual(theirs);
    });
  }
});
