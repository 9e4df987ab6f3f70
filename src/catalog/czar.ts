/**
 * The czar's own store: a DuckDB file `czar.duckdb` in the catalog directory with the ingest bookkeeping
 * (transactions, contributions, per-chunk row counts), the director indexes, the chunk → worker placement and the
 * staging tables of open transactions. With the embedded DuckDB engine the data tables live in the same file, so a
 * commit publishes rows and bookkeeping in one DuckDB transaction.
 */

import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { meridianError } from '../errors.js';
import { duckdbIdentifier, duckdbStringLiteral } from '../formats/index.js';
import { DirectorIndexReplica } from './director-index.js';
import { engineError } from './engines/classify.js';
import { sqlType } from './physical.js';
import type { CatalogSchema, CatalogTable } from './schema.js';

export const CZAR_FILE = 'czar.duckdb';

/** The czar's names and paths in DuckDB SQL: `formats/`'s quoting, under the names the catalog code uses. */
export const quoteDuck = duckdbIdentifier;
export const sqlStringLiteral = duckdbStringLiteral;

/** Name of a director table's index in the czar store: key → chunkId, subChunkId (qserv_tap.md §1.3). */
export const directorIndexName = (table: CatalogTable): string => `_director_${table.name}`;

/** `publishing` only between the start and the end of a commit; seen on open, it means the commit was interrupted. */
export type TransactionState = 'started' | 'publishing' | 'committed' | 'aborted';

export interface TransactionInfo {
  readonly id: number;
  readonly state: TransactionState;
}

/**
 * The process that began a one-shot ingest transaction (`ingestFiles` without a transaction id) and alone may finish
 * it. Transactions begun explicitly (`catalog transaction begin`) have no owner: they outlive processes by design.
 */
export interface TransactionOwner {
  readonly host: string;
  readonly pid: number;
  /** Identifies the open Catalog (one process may open several) that began it. */
  readonly token: string;
}

/** A started or publishing transaction with when it began and, for a one-shot ingest, its owner. */
export interface OpenTransaction {
  readonly id: number;
  readonly state: TransactionState;
  readonly started: string;
  readonly owner: TransactionOwner | null;
}

/**
 * The transactions whose rows a reader may see: committed ones, i.e. ids up to the latest committed one except those
 * still open. Rows of later transactions, or of one still publishing, may already be on the workers (a commit loads
 * them before the czar records it): a reader that sees only these sees each commit whole or not at all.
 */
export interface TransactionVisibility {
  readonly latestCommitted: number;
  /** Ids below `latestCommitted` that are started or publishing. */
  readonly uncommitted: readonly number[];
}

export interface ChunkCount {
  readonly table: string;
  /** -1 for a regular (replicated, unpartitioned) table. */
  readonly chunkId: number;
  readonly overlap: boolean;
  readonly rows: number;
}

/** Columns of `_transactions` added after its first version, with their types. */
const TRANSACTION_OWNER_COLUMNS = [
  ['ownerHost', 'VARCHAR'],
  ['ownerPid', 'INTEGER'],
  ['ownerToken', 'VARCHAR'],
] as const;

export class CzarStore {
  private constructor(
    readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    /** The director indexes' lookup replica (`director-index.ts`); this store's tables stay the index of record. */
    readonly replica: DirectorIndexReplica,
  ) {}

  /**
   * Opens the store. DuckDB admits to a database file either one read-write process or any number of read-only
   * ones: an open that conflicts with another process fails with CATALOG_BUSY naming it. `readOnly` opens the file
   * with DuckDB's READ_ONLY access mode and the director index replica without writing it.
   */
  static async open(
    dir: string,
    options: { memoryLimit?: string; readOnly?: boolean } = {},
  ): Promise<CzarStore> {
    let instance: DuckDBInstance;
    const settings: Record<string, string> = {};
    if (options.memoryLimit !== undefined) settings.memory_limit = options.memoryLimit;
    if (options.readOnly) settings.access_mode = 'READ_ONLY';
    try {
      instance = await DuckDBInstance.create(join(dir, CZAR_FILE), settings);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (/could not set lock|conflicting lock/i.test(message)) {
        const holder = /PID (\d+)/.exec(message)?.[1];
        throw meridianError(
          'CATALOG_BUSY',
          `the catalog in ${dir} is open in another process${holder ? ` (PID ${holder})` : ''}; a catalog admits one read-write process, or any number of read-only ones, at a time`,
          { dir, ...(holder ? { pid: Number(holder) } : {}) },
          err,
        );
      }
      throw engineError(err, { what: `opening the catalog store in ${dir}`, details: { dir } });
    }
    try {
      const connection = await instance.connect();
      return new CzarStore(instance, connection, DirectorIndexReplica.open(dir, options.readOnly ?? false));
    } catch (err) {
      instance.closeSync();
      throw engineError(err, { what: `opening the catalog store in ${dir}`, details: { dir } });
    }
  }

  /** Adds what later versions keep in the bookkeeping tables to a store created by an earlier one. */
  async upgrade(): Promise<void> {
    for (const [column, type] of TRANSACTION_OWNER_COLUMNS) {
      await this.connection.run(`ALTER TABLE _transactions ADD COLUMN IF NOT EXISTS ${column} ${type}`);
    }
  }

  async initialize(schema: CatalogSchema): Promise<void> {
    const c = this.connection;
    await c.run(
      'CREATE TABLE IF NOT EXISTS _transactions (id INTEGER PRIMARY KEY, state VARCHAR NOT NULL, started TIMESTAMP, ended TIMESTAMP)',
    );
    await this.upgrade();
    await c.run(
      'CREATE TABLE IF NOT EXISTS _contributions (transactionId INTEGER, tableName VARCHAR, path VARCHAR, sha256 VARCHAR, rows BIGINT, stagingTable VARCHAR, stagingOverlapTable VARCHAR)',
    );
    await c.run(
      'CREATE TABLE IF NOT EXISTS _chunk_counts (tableName VARCHAR, chunkId INTEGER, overlap BOOLEAN, transactionId INTEGER, rows BIGINT)',
    );
    await c.run(
      'CREATE TABLE IF NOT EXISTS _chunk_placement (chunkId INTEGER PRIMARY KEY, worker INTEGER NOT NULL)',
    );
    for (const table of schema.tables) {
      const p = table.partitioning;
      if (p.role !== 'director') continue;
      const key = table.columns.find((col) => col.name === p.key);
      if (!key) continue;
      await c.run(
        `CREATE TABLE IF NOT EXISTS ${quoteDuck(directorIndexName(table))} (${quoteDuck(key.name)} ${sqlType(key.datatype, 'duckdb')} PRIMARY KEY, chunkId INTEGER NOT NULL, subChunkId INTEGER NOT NULL)`,
      );
    }
  }

  async rows(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    const reader = await this.connection.runAndReadAll(sql, params as never);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  }

  async transaction(id: number): Promise<TransactionInfo | null> {
    const rows = await this.rows('SELECT id, state FROM _transactions WHERE id = ?', [id]);
    return rows.length === 0 ? null : { id: Number(rows[0].id), state: rows[0].state as TransactionState };
  }

  async transactions(): Promise<TransactionInfo[]> {
    const rows = await this.rows('SELECT id, state FROM _transactions ORDER BY id');
    return rows.map((r) => ({ id: Number(r.id), state: r.state as TransactionState }));
  }

  /** Transactions neither committed nor aborted, oldest first. */
  async openTransactions(): Promise<OpenTransaction[]> {
    const rows = await this.rows(
      `SELECT id, state, CAST(started AS VARCHAR) AS started, ownerHost, ownerPid, ownerToken FROM _transactions
       WHERE state IN ('started', 'publishing') ORDER BY id`,
    );
    return rows.map((r) => ({
      id: Number(r.id),
      state: r.state as TransactionState,
      started: String(r.started),
      owner:
        r.ownerToken === null || r.ownerToken === undefined
          ? null
          : { host: String(r.ownerHost), pid: Number(r.ownerPid), token: String(r.ownerToken) },
    }));
  }

  /** Which transactions' rows a reader of this store may see on the workers (see `TransactionVisibility`). */
  async visibility(): Promise<TransactionVisibility> {
    const latest = Number(
      (await this.rows("SELECT COALESCE(MAX(id), 0) AS id FROM _transactions WHERE state = 'committed'"))[0]
        ?.id ?? 0,
    );
    const open = (
      await this.rows(
        "SELECT id FROM _transactions WHERE state IN ('started', 'publishing') AND id < ? ORDER BY id",
        [latest],
      )
    ).map((r) => Number(r.id));
    return Object.freeze({ latestCommitted: latest, uncommitted: Object.freeze(open) });
  }

  async chunkCounts(): Promise<ChunkCount[]> {
    const rows = await this.rows(
      'SELECT tableName, chunkId, overlap, SUM(rows) AS rows FROM _chunk_counts GROUP BY ALL ORDER BY tableName, chunkId, overlap',
    );
    return rows.map((r) => ({
      table: String(r.tableName),
      chunkId: Number(r.chunkId),
      overlap: Boolean(r.overlap),
      rows: Number(r.rows),
    }));
  }

  /** Chunks holding rows of any partitioned table, sorted. */
  async populatedChunks(): Promise<number[]> {
    const rows = await this.rows(
      'SELECT DISTINCT chunkId FROM _chunk_counts WHERE chunkId >= 0 AND NOT overlap AND rows > 0 ORDER BY chunkId',
    );
    return rows.map((r) => Number(r.chunkId));
  }

  /** Chunks holding director rows with these key values (integer keys as decimal text), sorted. */
  async directorChunks(director: CatalogTable, values: readonly string[]): Promise<number[]> {
    if (director.partitioning.role !== 'director' || values.length === 0) return [];
    if (await this.replica.check(this.connection, director, directorIndexName(director), quoteDuck)) {
      return this.replica.chunks(director, values);
    }
    // A read-only store with a short replica: the czar's own index answers (slower, never wrong).
    const key = director.partitioning.key;
    const rows = await this.rows(
      `SELECT DISTINCT chunkId FROM ${quoteDuck(directorIndexName(director))} WHERE CAST(${quoteDuck(key)} AS VARCHAR) IN (${values.map(() => '?').join(', ')}) ORDER BY chunkId`,
      [...values],
    );
    return rows.map((r) => Number(r.chunkId));
  }

  async placement(): Promise<Map<number, number>> {
    const rows = await this.rows('SELECT chunkId, worker FROM _chunk_placement');
    return new Map(rows.map((r) => [Number(r.chunkId), Number(r.worker)]));
  }

  close(): void {
    this.replica.close();
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
