/**
 * Columnar tables in memory, as the Parquet module writes and reads them, and loading columns into DuckDB with an
 * appender. Two ways to describe columns: a `Table` (the butler's table and catalog datasets), whose column types
 * follow from the arrays; and `ParquetColumn`s with an explicit type (the simulator's outputs, where a
 * `Float64Array` may hold 64-bit ids or 0/1 flags).
 */

import type { DuckDBConnection } from '@duckdb/node-api';
import { meridianError } from '../../errors.js';
import { duckdbIdentifier } from './duckdb-sql.js';

/**
 * Values of one column. Numeric columns are typed arrays (NaN is a missing float); columns that need nulls, strings
 * or booleans are plain arrays. 64-bit integers are `BigInt64Array` or `bigint[]`.
 */
export type TableColumnValues =
  | Float64Array
  | Float32Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigInt64Array
  | readonly (string | null)[]
  | readonly (boolean | null)[]
  | readonly (number | null)[]
  | readonly (bigint | null)[];

/** A column table in memory: what `writeParquetTable` writes and `readParquetTable` returns. */
export interface Table {
  readonly kind: 'table';
  readonly length: number;
  /** Column name to values; insertion order is column order. */
  readonly columns: Readonly<Record<string, TableColumnValues>>;
}

/** One column of a table schema: its name and SQL (DuckDB/Parquet logical) type. */
export interface TableColumnSchema {
  readonly name: string;
  readonly type: string;
}

/** Build a table, checking that every column has the same length. */
export function makeTable(columns: Record<string, TableColumnValues>): Table {
  const names = Object.keys(columns);
  const length = names.length === 0 ? 0 : columns[names[0]!]!.length;
  for (const name of names) {
    if (columns[name]!.length !== length) {
      throw meridianError(
        'INVALID_ARGUMENT',
        `table column ${name} has ${columns[name]!.length} rows, the first column has ${length}`,
        { column: name },
      );
    }
  }
  return Object.freeze({ kind: 'table', length, columns: Object.freeze({ ...columns }) });
}

export function isTable(value: unknown): value is Table {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Table).kind === 'table' &&
    typeof (value as Table).columns === 'object' &&
    Number.isInteger((value as Table).length)
  );
}

/** The DuckDB types a column is written as (Parquet physical and logical types follow from them). */
export type ParquetColumnType =
  | 'DOUBLE'
  | 'FLOAT'
  | 'BIGINT'
  | 'INTEGER'
  | 'SMALLINT'
  | 'TINYINT'
  | 'UINTEGER'
  | 'USMALLINT'
  | 'UTINYINT'
  | 'BOOLEAN'
  | 'VARCHAR';

/**
 * A column with an explicit type. Values are converted on the way in: integers from numbers or bigints, BOOLEAN
 * from booleans or numbers (non-zero is true), VARCHAR with `String`; `null` and `undefined` become NULL.
 */
export interface ParquetColumn {
  readonly name: string;
  readonly type: ParquetColumnType;
  readonly values: ArrayLike<unknown>;
}

/** SQL type of a table column, from its array type (plain arrays: from their first non-null value). */
export function columnTypeOf(name: string, values: TableColumnValues): ParquetColumnType {
  if (values instanceof Float64Array) return 'DOUBLE';
  if (values instanceof Float32Array) return 'FLOAT';
  if (values instanceof Int32Array) return 'INTEGER';
  if (values instanceof Int16Array) return 'SMALLINT';
  if (values instanceof Int8Array) return 'TINYINT';
  if (values instanceof Uint8Array) return 'UTINYINT';
  if (values instanceof Uint16Array) return 'USMALLINT';
  if (values instanceof Uint32Array) return 'UINTEGER';
  if (values instanceof BigInt64Array) return 'BIGINT';
  const first = (values as readonly unknown[]).find((v) => v !== null && v !== undefined);
  switch (typeof first) {
    case 'string':
    case 'undefined':
      return 'VARCHAR';
    case 'boolean':
      return 'BOOLEAN';
    case 'bigint':
      return 'BIGINT';
    case 'number':
      return 'DOUBLE';
    default:
      throw meridianError('INVALID_ARGUMENT', `table column ${name} holds values of type ${typeof first}`, {
        column: name,
      });
  }
}

/** The columns of a table, each with the type its array implies. */
export function tableColumns(table: Table): ParquetColumn[] {
  return Object.entries(table.columns).map(([name, values]) => ({
    name,
    type: columnTypeOf(name, values),
    values,
  }));
}

/** Rows in every column, or INTERNAL if the columns disagree (a bug in whoever built them). */
export function rowCountOf(columns: readonly ParquetColumn[]): number {
  const rows = columns[0]?.values.length ?? 0;
  for (const column of columns) {
    if (column.values.length !== rows) {
      throw meridianError(
        'INTERNAL',
        `column ${column.name} has ${column.values.length} rows, expected ${rows}`,
        {
          column: column.name,
        },
      );
    }
  }
  return rows;
}

/** `CREATE TABLE <name> (<columns>)` for a list of columns. */
export function createTableSql(name: string, columns: readonly ParquetColumn[]): string {
  const definition = columns.map((c) => `${duckdbIdentifier(c.name)} ${c.type}`).join(', ');
  return `CREATE TABLE ${duckdbIdentifier(name)} (${definition})`;
}

type Appender = Awaited<ReturnType<DuckDBConnection['createAppender']>>;

/**
 * Append `rows` rows of `columns` to the existing table `name` (its columns in the same order and types); a value
 * missing from a short column is NULL.
 */
export async function appendColumns(
  connection: DuckDBConnection,
  name: string,
  columns: readonly ParquetColumn[],
  rows: number = rowCountOf(columns),
): Promise<void> {
  const appender = await connection.createAppender(name);
  try {
    for (let row = 0; row < rows; row++) {
      for (const column of columns) appendValue(appender, column.type, column.values[row]);
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

function appendValue(appender: Appender, type: ParquetColumnType, value: unknown): void {
  if (value === null || value === undefined) {
    appender.appendNull();
    return;
  }
  switch (type) {
    case 'DOUBLE':
      appender.appendDouble(value as number);
      return;
    case 'FLOAT':
      appender.appendFloat(value as number);
      return;
    case 'BIGINT':
      appender.appendBigInt(BigInt(value as number | bigint));
      return;
    case 'INTEGER':
      appender.appendInteger(value as number);
      return;
    case 'SMALLINT':
      appender.appendSmallInt(value as number);
      return;
    case 'TINYINT':
      appender.appendTinyInt(value as number);
      return;
    case 'UINTEGER':
      appender.appendUInteger(value as number);
      return;
    case 'USMALLINT':
      appender.appendUSmallInt(value as number);
      return;
    case 'UTINYINT':
      appender.appendUTinyInt(value as number);
      return;
    case 'BOOLEAN':
      appender.appendBoolean(typeof value === 'boolean' ? value : value !== 0);
      return;
    case 'VARCHAR':
      appender.appendVarchar(String(value));
      return;
  }
}
