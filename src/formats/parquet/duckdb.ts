/**
 * In-process DuckDB for file I/O: a shared one-thread database for small reads and writes, sessions of their own
 * for large outputs, and the one `COPY … TO … (FORMAT parquet)` every Parquet file we write goes through.
 */

import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import { isMeridianError, meridianError } from '../../errors.js';
import { duckdbIdentifier, duckdbStringLiteral } from './duckdb-sql.js';

/** Compression of every Parquet file we write. */
export const PARQUET_COMPRESSION = 'zstd';

export interface DuckDBSessionOptions {
  /** Worker threads DuckDB may use; default 1, since the callers (pipelines, the simulator) own the cores. */
  readonly threads?: number;
  /** Where DuckDB spills data that does not fit in memory; default: DuckDB's own (`<database>.tmp`). */
  readonly tempDirectory?: string;
}

/** An in-memory DuckDB database and one connection to it, for the caller alone; `close()` (or `using`) frees both. */
export class DuckDBSession implements Disposable {
  private constructor(
    private readonly instance: DuckDBInstance,
    /** The connection; callers run their own SQL on it (the simulator's catalog generation does). */
    readonly connection: DuckDBConnection,
  ) {}

  static async open(options: DuckDBSessionOptions = {}): Promise<DuckDBSession> {
    const config: Record<string, string> = { threads: String(options.threads ?? 1) };
    if (options.tempDirectory !== undefined) config.temp_directory = options.tempDirectory;
    const instance = await DuckDBInstance.create(':memory:', config);
    try {
      return new DuckDBSession(instance, await instance.connect());
    } catch (err) {
      instance.closeSync();
      throw err;
    }
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

let shared: Promise<DuckDBInstance> | undefined;

/**
 * Run `use` on a fresh connection to one small in-memory DuckDB shared by the whole process (one thread: these
 * calls are small, and whoever calls them owns the cores); the connection is closed afterwards.
 */
export async function withSharedConnection<T>(use: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
  shared ??= DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await (await shared).connect();
  try {
    return await use(connection);
  } finally {
    connection.closeSync();
  }
}

/** A failure reading or writing `path`, as PARQUET_INVALID unless it already carries a code. */
export function parquetError(path: string, err: unknown): Error {
  if (isMeridianError(err)) return err;
  return meridianError('PARQUET_INVALID', `${path}: ${(err as Error).message}`, { path }, err);
}

/** What a COPY writes: a whole table (its plain name: it is quoted here) or the rows of a query. */
export type ParquetCopySource = { readonly table: string } | { readonly query: string };

export interface ParquetCopyOptions {
  /** Key-value pairs for the Parquet footer (a file-format version, for instance). */
  readonly keyValueMetadata?: Readonly<Record<string, string>>;
  /** Values bound to the `?` placeholders of the query. */
  readonly values?: readonly DuckDBValue[];
}

/**
 * Write a table or the rows of a query to a zstd-compressed Parquet file with `COPY … TO`; returns the number of
 * rows written. DuckDB's errors pass through unchanged: a failing query is the caller's bug, not a bad file.
 */
export async function copyToParquet(
  connection: DuckDBConnection,
  source: ParquetCopySource,
  path: string,
  options: ParquetCopyOptions = {},
): Promise<number> {
  const metadata = Object.entries(options.keyValueMetadata ?? {});
  const kv =
    metadata.length === 0
      ? ''
      : `, KV_METADATA {${metadata.map(([k, v]) => `${duckdbStringLiteral(k)}: ${duckdbStringLiteral(v)}`).join(', ')}}`;
  const from = 'table' in source ? duckdbIdentifier(source.table) : `(${source.query})`;
  const result = await connection.runAndReadAll(
    `COPY ${from} TO ${duckdbStringLiteral(path)} (FORMAT parquet, COMPRESSION ${PARQUET_COMPRESSION}${kv})`,
    options.values === undefined ? undefined : [...options.values],
  );
  return Number(result.getRows()[0]?.[0] ?? 0);
}

/** `read_parquet('<path>')`: the table function that scans a Parquet file, to use inside a larger query. */
export function parquetScan(path: string): string {
  return `read_parquet(${duckdbStringLiteral(path)})`;
}
