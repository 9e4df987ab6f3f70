/**
 * Reading Parquet: the schema and row count from the file footer (no data pages are read), and columns and rows
 * into an in-memory `Table`, keeping only the requested columns and the rows passing every filter.
 */

import type { DuckDBConnection } from '@duckdb/node-api';
import { meridianError } from '../../errors.js';
import { parquetError, parquetScan, withSharedConnection } from './duckdb.js';
import { duckdbIdentifier, duckdbStringLiteral } from './duckdb-sql.js';
import { compileFilters, type TableFilter } from './filters.js';
import { makeTable, type Table, type TableColumnSchema, type TableColumnValues } from './table.js';

/** Column names and types from the Parquet footer (no data pages are read). */
export async function readParquetSchema(path: string): Promise<TableColumnSchema[]> {
  return withSharedConnection(async (c) => {
    try {
      const reader = await c.runAndReadAll(`DESCRIBE SELECT * FROM ${parquetScan(path)}`);
      return reader
        .getRowObjectsJS()
        .map((r) => Object.freeze({ name: String(r.column_name), type: String(r.column_type) }));
    } catch (err) {
      throw parquetError(path, err);
    }
  });
}

/** Row count from the Parquet footer. */
export async function readParquetRowCount(path: string): Promise<number> {
  return withSharedConnection(async (c) => {
    try {
      const reader = await c.runAndReadAll(
        `SELECT COALESCE(SUM(num_rows), 0) AS n FROM parquet_file_metadata(${duckdbStringLiteral(path)})`,
      );
      return Number(reader.getRowObjectsJS()[0]!.n);
    } catch (err) {
      throw parquetError(path, err);
    }
  });
}

export interface TableReadOptions {
  readonly columns?: readonly string[];
  readonly filters?: readonly TableFilter[];
}

/** Read a Parquet file into a table, keeping only `columns` (in that order) and rows passing every filter. */
export async function readParquetTable(path: string, options: TableReadOptions = {}): Promise<Table> {
  const schema = await readParquetSchema(path);
  const known = new Set(schema.map((c) => c.name));
  const requireColumn = (name: unknown, what: string) => {
    if (typeof name !== 'string' || !known.has(name)) {
      throw meridianError('INVALID_ARGUMENT', `${what} '${String(name)}' is not a column of ${path}`, {
        column: name,
        columns: [...known],
      });
    }
    return name;
  };
  const columns =
    options.columns === undefined
      ? schema.map((c) => c.name)
      : options.columns.map((c) => requireColumn(c, 'column'));
  const { sql: where, values } = compileFilters(options.filters ?? [], (n) =>
    requireColumn(n, 'filter column'),
  );
  const select = columns.length === 0 ? 'NULL AS _none' : columns.map(duckdbIdentifier).join(', ');
  return withSharedConnection(async (c) => {
    let reader: Awaited<ReturnType<DuckDBConnection['runAndReadAll']>>;
    try {
      reader = await c.runAndReadAll(`SELECT ${select} FROM ${parquetScan(path)}${where}`, values);
    } catch (err) {
      throw parquetError(path, err);
    }
    const types = reader.columnTypes().map(String);
    const data = reader.getColumnsJS();
    const out: Record<string, TableColumnValues> = {};
    columns.forEach((name, i) => {
      out[name] = typedColumn(types[i]!, (data[i] ?? []) as unknown[]);
    });
    return columns.length === 0 ? makeTable({}) : makeTable(out);
  });
}

type NumberArrayConstructor = new (
  n: number,
) =>
  | Float64Array
  | Float32Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array
  | Uint16Array
  | Uint32Array;

const TYPED: Readonly<Record<string, NumberArrayConstructor>> = {
  DOUBLE: Float64Array,
  FLOAT: Float32Array,
  INTEGER: Int32Array,
  SMALLINT: Int16Array,
  TINYINT: Int8Array,
  UTINYINT: Uint8Array,
  USMALLINT: Uint16Array,
  UINTEGER: Uint32Array,
};

/** Values of one result column as the most specific array that holds them without loss. */
function typedColumn(type: string, values: unknown[]): TableColumnValues {
  const hasNull = values.some((v) => v === null);
  if (type === 'DOUBLE' || type === 'FLOAT') {
    const out = new TYPED[type]!(values.length);
    for (let i = 0; i < values.length; i++) out[i] = values[i] === null ? Number.NaN : (values[i] as number);
    return out;
  }
  if (TYPED[type] !== undefined && !hasNull) {
    const out = new TYPED[type]!(values.length);
    out.set(values as number[]);
    return out;
  }
  if (type === 'BIGINT' && !hasNull) return BigInt64Array.from(values as bigint[]);
  if (TYPED[type] !== undefined || type === 'BIGINT' || type === 'BOOLEAN') {
    return values as (number | bigint | boolean | null)[] as TableColumnValues;
  }
  return values.map((v) => (v === null ? null : String(v)));
}
