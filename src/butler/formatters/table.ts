import { meridianError } from '../../errors.js';

/**
 * A column table in memory: what the Parquet formatter writes and reads for the table and catalog storage classes.
 * Numeric columns are typed arrays (NaN is a missing float); columns that need nulls, strings or booleans are plain
 * arrays. 64-bit integers are `BigInt64Array` or `bigint[]`.
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

/** SQL type of a column, from its array type (plain arrays: from their first non-null value). */
export function sqlTypeOf(name: string, values: TableColumnValues): string {
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
