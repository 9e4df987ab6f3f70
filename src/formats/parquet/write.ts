/**
 * Writing Parquet: a whole in-memory table in one call (`writeParquetTable`), or large and many outputs through a
 * `ParquetStage`, which takes column batches into DuckDB tables and writes sorted, filtered selections of them.
 */

import { randomBytes } from 'node:crypto';
import type { DuckDBValue } from '@duckdb/node-api';
import { meridianError } from '../../errors.js';
import {
  copyToParquet,
  DuckDBSession,
  type DuckDBSessionOptions,
  parquetError,
  withSharedConnection,
} from './duckdb.js';
import { duckdbIdentifier } from './duckdb-sql.js';
import { compileFilters, type TableFilter } from './filters.js';
import { appendColumns, createTableSql, type ParquetColumn, type Table, tableColumns } from './table.js';

/** Write a table to a Parquet file (zstd-compressed); PARQUET_INVALID if DuckDB cannot. */
export async function writeParquetTable(path: string, table: Table): Promise<void> {
  const columns = tableColumns(table);
  if (columns.length === 0) throw meridianError('INVALID_ARGUMENT', 'cannot write a table without columns');
  await withSharedConnection(async (connection) => {
    // The shared database serves concurrent writers: each loads its rows into a table of its own.
    const scratch = `t_${randomBytes(8).toString('hex')}`;
    await connection.run(createTableSql(scratch, columns));
    try {
      await appendColumns(connection, scratch, columns, table.length);
      await copyToParquet(connection, { table: scratch }, path);
    } catch (err) {
      throw parquetError(path, err);
    } finally {
      await connection.run(`DROP TABLE IF EXISTS ${duckdbIdentifier(scratch)}`);
    }
  });
}

/** Which rows of a staged table a Parquet file gets, and in what order. */
export interface StagedSelection {
  /** Sort keys, most significant first; the sort makes the file the same from run to run. */
  readonly orderBy: readonly string[];
  /** Columns to write, in order; default every column of the staged table. */
  readonly columns?: readonly string[];
  /** Rows to keep (terms ANDed, values bound); default every row. */
  readonly filters?: readonly TableFilter[];
  /** Key-value pairs for the file footer (a format version, for instance). */
  readonly keyValueMetadata?: Readonly<Record<string, string>>;
}

/**
 * A private DuckDB holding staged tables, for outputs too large or too many to write in one call. `append` adds a
 * batch of columns to a table (the first batch creates it), so a producer can stream rows in without holding them
 * all in JavaScript; DuckDB spills to `tempDirectory` when they do not fit in memory. `write` then copies a sorted,
 * optionally filtered selection of one staged table to a file, as often as needed (one file per sky shard, say).
 * Close it when done (`using` works).
 */
export class ParquetStage implements Disposable {
  private readonly staged = new Map<string, readonly ParquetColumn[]>();

  private constructor(private readonly session: DuckDBSession) {}

  static async open(options: DuckDBSessionOptions = {}): Promise<ParquetStage> {
    return new ParquetStage(await DuckDBSession.open(options));
  }

  /** Add the rows of `columns` to staged table `table`; later batches must have the same column names and types. */
  async append(table: string, columns: readonly ParquetColumn[]): Promise<void> {
    const known = this.staged.get(table);
    if (known === undefined) {
      await this.session.connection.run(createTableSql(table, columns));
      this.staged.set(
        table,
        columns.map(({ name, type }) => ({ name, type, values: [] })),
      );
    } else {
      const same =
        known.length === columns.length &&
        known.every((c, i) => c.name === columns[i]!.name && c.type === columns[i]!.type);
      if (!same) {
        throw meridianError(
          'INVALID_ARGUMENT',
          `a batch for staged table ${table} has other columns than the first`,
          {
            table,
            expected: known.map((c) => `${c.name} ${c.type}`),
            got: columns.map((c) => `${c.name} ${c.type}`),
          },
        );
      }
    }
    await appendColumns(this.session.connection, table, columns);
  }

  /** Write the selected rows of staged table `table` to a Parquet file; returns the number of rows written. */
  async write(path: string, table: string, selection: StagedSelection): Promise<number> {
    const known = this.staged.get(table);
    if (known === undefined) {
      throw meridianError('INVALID_ARGUMENT', `no staged table ${table}`, {
        table,
        staged: [...this.staged.keys()],
      });
    }
    const names = new Set(known.map((c) => c.name));
    const column = (name: unknown, what: string): string => {
      if (typeof name !== 'string' || !names.has(name)) {
        throw meridianError(
          'INVALID_ARGUMENT',
          `${what} '${String(name)}' is not a column of staged table ${table}`,
          {
            column: name,
            columns: [...names],
          },
        );
      }
      return name;
    };
    if (selection.orderBy.length === 0) {
      throw meridianError('INVALID_ARGUMENT', `writing staged table ${table} needs at least one sort key`);
    }
    const select =
      selection.columns === undefined
        ? '*'
        : selection.columns.map((c) => duckdbIdentifier(column(c, 'column'))).join(', ');
    const where = compileFilters(selection.filters ?? [], (n) => column(n, 'filter column'));
    const order = selection.orderBy.map((c) => duckdbIdentifier(column(c, 'sort key'))).join(', ');
    const query = `SELECT ${select} FROM ${duckdbIdentifier(table)}${where.sql} ORDER BY ${order}`;
    return copyToParquet(this.session.connection, { query }, path, {
      values: where.values as DuckDBValue[],
      ...(selection.keyValueMetadata ? { keyValueMetadata: selection.keyValueMetadata } : {}),
    });
  }

  close(): void {
    this.session.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
