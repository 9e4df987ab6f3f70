/** The service's tables and columns, read from TAP_SCHEMA with two small sync queries (as TOPCAT's browser does). */

import type { ResultTable } from './json-result.js';
import type { TapClient } from './tap-client.js';

export interface SchemaColumn {
  readonly name: string;
  readonly datatype: string | null;
  readonly unit: string | null;
  readonly ucd: string | null;
  readonly description: string | null;
}

export interface SchemaTable {
  /** Qualified, as ADQL uses it: `dp02_dc2_catalogs.Object`. */
  readonly name: string;
  readonly description: string | null;
  readonly columns: readonly SchemaColumn[];
}

function rows(table: ResultTable): Record<string, unknown>[] {
  return Array.from({ length: table.rowCount }, (_, r) =>
    Object.fromEntries(table.columns.map((c, i) => [c.name.toLowerCase(), table.values[i][r]])),
  );
}

const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

export async function loadSchema(client: TapClient): Promise<SchemaTable[]> {
  const [tables, columns] = await Promise.all([
    client.sync('SELECT table_name, description FROM tap_schema.tables ORDER BY table_index, table_name'),
    client.sync(
      'SELECT table_name, column_name, datatype, unit, ucd, description FROM tap_schema.columns ' +
        'ORDER BY table_name, column_index',
    ),
  ]);
  const byTable = new Map<string, SchemaColumn[]>();
  for (const row of rows(columns)) {
    const list = byTable.get(String(row.table_name)) ?? [];
    list.push({
      name: String(row.column_name),
      datatype: str(row.datatype),
      unit: str(row.unit),
      ucd: str(row.ucd),
      description: str(row.description),
    });
    byTable.set(String(row.table_name), list);
  }
  return rows(tables).map((row) => ({
    name: String(row.table_name),
    description: str(row.description),
    columns: byTable.get(String(row.table_name)) ?? [],
  }));
}
