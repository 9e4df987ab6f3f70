/**
 * Tables as Parquet files, written and read through an in-process DuckDB. Reads take a `columns` list and
 * structured `filters` (bound as parameters, never spliced into SQL); the derived components `columns`,
 * `rowcount` and `schema` come from the Parquet footer without scanning data pages.
 */

import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import { isMeridianError, meridianError } from '../../errors.js';
import type { Formatter, ReadOptions } from '../storage/formatter.js';
import type { StorageClass } from '../storage/storage-class.js';
import {
  isTable,
  makeTable,
  sqlTypeOf,
  type Table,
  type TableColumnSchema,
  type TableColumnValues,
} from './table.js';

/** One filter term `[column, op, value]`; terms of a list are ANDed. `in` / `not in` take an array. */
export type TableFilter = readonly [string, FilterOperator, DuckDBValue | readonly DuckDBValue[]];
export type FilterOperator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in';
const OPERATORS: readonly string[] = ['=', '!=', '<', '<=', '>', '>=', 'in', 'not in'];

let shared: Promise<DuckDBInstance> | undefined;

/** One small in-memory DuckDB per process; each operation takes its own connection. */
async function withConnection<T>(use: (c: DuckDBConnection) => Promise<T>): Promise<T> {
  // One thread: formatter calls are small, and the pipelines that call them own the cores.
  shared ??= DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await (await shared).connect();
  try {
    return await use(connection);
  } finally {
    connection.closeSync();
  }
}

function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function parquetError(path: string, err: unknown): Error {
  if (isMeridianError(err)) return err;
  return meridianError('PARQUET_INVALID', `${path}: ${(err as Error).message}`, { path }, err);
}

/** Write a table to a Parquet file (zstd-compressed). */
export async function writeParquetTable(path: string, table: Table): Promise<void> {
  const names = Object.keys(table.columns);
  if (names.length === 0) throw meridianError('INVALID_ARGUMENT', 'cannot write a table without columns');
  const types = names.map((n) => sqlTypeOf(n, table.columns[n]!));
  await withConnection(async (c) => {
    const scratch = `t_${Math.random().toString(36).slice(2)}`;
    const definition = names.map((n, i) => `${quoteIdentifier(n)} ${types[i]}`).join(', ');
    await c.run(`CREATE TABLE ${scratch} (${definition})`);
    try {
      const appender = await c.createAppender(scratch);
      try {
        const columns = names.map((n) => table.columns[n]!);
        for (let row = 0; row < table.length; row++) {
          for (let i = 0; i < columns.length; i++) appendValue(appender, types[i]!, columns[i]![row]);
          appender.endRow();
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
      await c.run(`COPY ${scratch} TO ${sqlString(path)} (FORMAT parquet, COMPRESSION zstd)`);
    } catch (err) {
      throw parquetError(path, err);
    } finally {
      await c.run(`DROP TABLE IF EXISTS ${scratch}`);
    }
  });
}

type Appender = Awaited<ReturnType<DuckDBConnection['createAppender']>>;

function appendValue(appender: Appender, type: string, value: unknown): void {
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
    case 'INTEGER':
      appender.appendInteger(value as number);
      return;
    case 'SMALLINT':
      appender.appendSmallInt(value as number);
      return;
    case 'TINYINT':
      appender.appendTinyInt(value as number);
      return;
    case 'UTINYINT':
      appender.appendUTinyInt(value as number);
      return;
    case 'USMALLINT':
      appender.appendUSmallInt(value as number);
      return;
    case 'UINTEGER':
      appender.appendUInteger(value as number);
      return;
    case 'BIGINT':
      appender.appendBigInt(BigInt(value as bigint));
      return;
    case 'BOOLEAN':
      appender.appendBoolean(value as boolean);
      return;
    default:
      appender.appendVarchar(String(value));
      return;
  }
}

/** Column names and types from the Parquet footer (no data pages are read). */
export async function readParquetSchema(path: string): Promise<TableColumnSchema[]> {
  return withConnection(async (c) => {
    try {
      const reader = await c.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlString(path)})`);
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
  return withConnection(async (c) => {
    try {
      const reader = await c.runAndReadAll(
        `SELECT COALESCE(SUM(num_rows), 0) AS n FROM parquet_file_metadata(${sqlString(path)})`,
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
  const select = columns.length === 0 ? 'NULL AS _none' : columns.map(quoteIdentifier).join(', ');
  return withConnection(async (c) => {
    let reader: Awaited<ReturnType<DuckDBConnection['runAndReadAll']>>;
    try {
      reader = await c.runAndReadAll(
        `SELECT ${select} FROM read_parquet(${sqlString(path)})${where}`,
        values,
      );
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

function compileFilters(
  filters: readonly TableFilter[],
  column: (name: unknown) => string,
): { sql: string; values: DuckDBValue[] } {
  if (!Array.isArray(filters))
    throw meridianError('INVALID_ARGUMENT', 'filters must be a list of [column, op, value]');
  const terms: string[] = [];
  const values: DuckDBValue[] = [];
  for (const f of filters) {
    if (!Array.isArray(f) || f.length !== 3) {
      throw meridianError('INVALID_ARGUMENT', `filter ${JSON.stringify(f)} must be [column, op, value]`);
    }
    const [name, op, value] = f as unknown as [unknown, unknown, unknown];
    const col = quoteIdentifier(column(name));
    const operator = String(op).toLowerCase();
    if (!OPERATORS.includes(operator)) {
      throw meridianError(
        'INVALID_ARGUMENT',
        `filter operator '${String(op)}' is not one of ${OPERATORS.join(', ')}`,
      );
    }
    if (operator === 'in' || operator === 'not in') {
      if (!Array.isArray(value) || value.length === 0) {
        throw meridianError(
          'INVALID_ARGUMENT',
          `filter '${operator}' on ${String(name)} needs a non-empty list`,
        );
      }
      terms.push(`${col} ${operator.toUpperCase()} (${value.map(() => '?').join(', ')})`);
      values.push(...(value as DuckDBValue[]));
    } else {
      if (Array.isArray(value) || (typeof value === 'object' && value !== null)) {
        throw meridianError(
          'INVALID_ARGUMENT',
          `filter '${operator}' on ${String(name)} needs a single value`,
        );
      }
      terms.push(`${col} ${operator} ?`);
      values.push(value as DuckDBValue);
    }
  }
  return { sql: terms.length === 0 ? '' : ` WHERE ${terms.join(' AND ')}`, values };
}

const TYPED: Record<
  string,
  {
    new (
      n: number,
    ):
      | Float64Array
      | Float32Array
      | Int32Array
      | Int16Array
      | Int8Array
      | Uint8Array
      | Uint16Array
      | Uint32Array;
  }
> = {
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

const TABLE_COMPONENTS = ['columns', 'rowcount', 'schema'];

/** `meridian.ParquetFormatter`: Table objects as `.parquet` files. */
export class ParquetFormatter implements Formatter {
  readonly name = 'meridian.ParquetFormatter';
  readonly extension = '.parquet';
  readonly readableComponents = TABLE_COMPONENTS;

  async write(obj: unknown, path: string, storageClass: StorageClass): Promise<void> {
    if (!isTable(obj)) {
      throw meridianError(
        'INVALID_ARGUMENT',
        `a ${storageClass.name} dataset must be a table ({ kind: 'table', length, columns }), got ${typeof obj}`,
      );
    }
    await writeParquetTable(path, obj);
  }

  async read(path: string, options: ReadOptions): Promise<unknown> {
    const params = options.parameters ?? {};
    for (const key of Object.keys(params)) {
      if (!['columns', 'filters'].includes(key)) {
        throw meridianError(
          'INVALID_ARGUMENT',
          `unknown read parameter '${key}' for a Parquet table (columns, filters)`,
        );
      }
    }
    switch (options.component ?? null) {
      case null:
        return readParquetTable(path, {
          columns: params.columns as string[] | undefined,
          filters: params.filters as TableFilter[] | undefined,
        });
      case 'columns':
        return (await readParquetSchema(path)).map((c) => c.name);
      case 'schema':
        return readParquetSchema(path);
      case 'rowcount':
        return readParquetRowCount(path);
      default:
        throw meridianError('COMPONENT_UNKNOWN', `a Parquet table has no component '${options.component}'`, {
          component: options.component,
          validComponents: TABLE_COMPONENTS,
        });
    }
  }
}
