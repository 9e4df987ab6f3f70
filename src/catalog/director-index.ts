/**
 * A key → chunk lookup replica of the czar's director indexes, in SQLite (`director-index.sqlite` in the catalog
 * directory). The czar's DuckDB tables stay the index of record (ingest joins against them set-wise); DuckDB spends
 * about 0.5 ms on any query, the whole budget of an `objectId = …` lookup, while a SQLite B-tree answers in
 * microseconds — Qserv keeps its director index in InnoDB for the same reason (qserv_tap.md §1.3).
 *
 * The replica is written only after the czar's commit, from committed rows, so it never holds a key the czar lacks;
 * a per-table row count tells whether it is complete. A crash between the two commits, or a catalog made before the
 * replica existed, leaves it short, and the first lookup in a process rebuilds that table from the czar.
 */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import { meridianError } from '../errors.js';
import type { CatalogTable } from './schema.js';

export const DIRECTOR_INDEX_FILE = 'director-index.sqlite';

/** The range of a stored 64-bit integer key. */
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const replicaTable = (table: CatalogTable): string => `"director_${table.name}"`;

function directorKey(table: CatalogTable): { key: string; integer: boolean } {
  const p = table.partitioning;
  if (p.role !== 'director') throw meridianError('INTERNAL', `${table.name} is not a director table`);
  const column = table.columns.find((c) => c.name === p.key);
  const integer = column !== undefined && ['byte', 'short', 'int', 'long'].includes(column.datatype);
  return { key: p.key, integer };
}

/**
 * A copy of a director index replica for a published generation (`generations.ts`): `VACUUM INTO` reads it in one consistent transaction; the
 * copy is switched out of WAL mode, so that readers open it without the `-shm`/`-wal` side files.
 */
export function snapshotReplicaFile(source: Database.Database | string, path: string): void {
  const db = typeof source === 'string' ? new Database(source, { readonly: true }) : source;
  try {
    db.prepare('VACUUM INTO ?').run(path);
  } finally {
    if (typeof source === 'string') db.close();
  }
  const copy = new Database(path);
  try {
    copy.pragma('journal_mode = DELETE');
  } finally {
    copy.close();
  }
}

export class DirectorIndexReplica {
  private readonly lookups = new Map<string, Database.Statement>();
  /** Tables checked against the czar in this process, and whether their replica is complete. */
  private readonly checked = new Map<string, boolean>();

  private constructor(
    private readonly db: Database.Database | null,
    private readonly readOnly: boolean,
  ) {}

  /**
   * Opens the replica. Read-only, it is never created nor rebuilt: a missing file or a short table is reported by
   * `check` as unusable and the czar answers those lookups from its own index.
   */
  static open(dir: string, readOnly = false): DirectorIndexReplica {
    const path = join(dir, DIRECTOR_INDEX_FILE);
    if (readOnly) {
      if (!existsSync(path)) return new DirectorIndexReplica(null, true);
      // SQLite reads a WAL database through its -shm and -wal side files, creating them when absent: those are its
      // locking protocol, not data, and the replica's own file keeps its bytes. Where they cannot be created (a
      // read-only directory), there is no replica and the czar answers.
      try {
        return new DirectorIndexReplica(new Database(path, { readonly: true, fileMustExist: true }), true);
      } catch {
        return new DirectorIndexReplica(null, true);
      }
    }
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(
      'CREATE TABLE IF NOT EXISTS replica_rows (table_name TEXT PRIMARY KEY, row_count INTEGER NOT NULL)',
    );
    return new DirectorIndexReplica(db, false);
  }

  /** The SQLite database of a replica that exists (every caller runs only after `check` said it is usable). */
  private get database(): Database.Database {
    if (!this.db) throw meridianError('INTERNAL', 'the director index replica is not open');
    return this.db;
  }

  private ensureTable(table: CatalogTable): void {
    const { integer } = directorKey(table);
    this.database.exec(
      `CREATE TABLE IF NOT EXISTS ${replicaTable(table)} (key ${integer ? 'INTEGER' : 'TEXT'} PRIMARY KEY, chunk_id INTEGER NOT NULL) WITHOUT ROWID`,
    );
  }

  private rowCount(table: CatalogTable): number {
    const row = this.database
      .prepare('SELECT row_count FROM replica_rows WHERE table_name = ?')
      .get(table.name) as { row_count: number } | undefined;
    return row?.row_count ?? 0;
  }

  /**
   * Streams `SELECT key, chunkId …` rows from the czar's DuckDB into the replica in one SQLite transaction and
   * updates the table's row count. `replace` empties the table first (a rebuild).
   */
  private async copy(
    connection: DuckDBConnection,
    table: CatalogTable,
    selectSql: string,
    replace: boolean,
  ): Promise<void> {
    this.ensureTable(table);
    const { integer } = directorKey(table);
    const db = this.database;
    const insert = db.prepare(`INSERT INTO ${replicaTable(table)} (key, chunk_id) VALUES (?, ?)`);
    const insertBatch = db.transaction((rows: readonly (readonly unknown[])[]) => {
      for (const row of rows) insert.run(integer ? BigInt(row[0] as bigint) : String(row[0]), Number(row[1]));
    });
    // This process is the catalog's only writer (DuckDB locks the czar file), so a transaction held across the
    // awaits of the stream sees no other writer; a failure rolls the whole copy back.
    db.exec('BEGIN IMMEDIATE');
    try {
      if (replace) db.exec(`DELETE FROM ${replicaTable(table)}`);
      let copied = 0;
      const result = await connection.stream(selectSql);
      for await (const rows of result.yieldRowsJs()) {
        insertBatch(rows);
        copied += rows.length;
      }
      db.prepare(
        'INSERT INTO replica_rows VALUES (?, ?) ON CONFLICT (table_name) DO UPDATE SET row_count = excluded.row_count',
      ).run(table.name, (replace ? 0 : this.rowCount(table)) + copied);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }

  /** Adds the director rows of a committed staging table (called after the czar's commit). */
  async append(
    connection: DuckDBConnection,
    table: CatalogTable,
    stagingTable: string,
    quote: (name: string) => string,
  ): Promise<void> {
    const { key } = directorKey(table);
    await this.copy(
      connection,
      table,
      `SELECT ${quote(key)}, chunkId FROM ${quote(stagingTable)} ORDER BY 1`,
      false,
    );
  }

  /**
   * Rebuilds the replica of `table` from the czar's index when their row counts differ; once per table per process.
   * Returns whether the replica can answer lookups for `table`: read-only, a short replica is left as it is and the
   * answer is false.
   */
  async check(
    connection: DuckDBConnection,
    table: CatalogTable,
    czarIndex: string,
    quote: (name: string) => string,
  ): Promise<boolean> {
    const known = this.checked.get(table.name);
    if (known !== undefined) return known;
    if (this.db === null) {
      this.checked.set(table.name, false);
      return false;
    }
    const reader = await connection.runAndReadAll(`SELECT COUNT(*) FROM ${quote(czarIndex)}`);
    const czarRows = Number(reader.getRowsJS()[0][0]);
    let complete: boolean;
    try {
      const db = this.db;
      const exists =
        db
          .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
          .get(`director_${table.name}`) !== undefined;
      complete = exists && czarRows === this.rowCount(table);
    } catch (err) {
      // Read-only, a replica SQLite cannot read (no -shm file and no right to create one) is no replica.
      if (!this.readOnly) throw err;
      complete = false;
    }
    if (!complete) {
      if (this.readOnly) {
        this.checked.set(table.name, false);
        return false;
      }
      const { key } = directorKey(table);
      await this.copy(
        connection,
        table,
        `SELECT ${quote(key)}, chunkId FROM ${quote(czarIndex)} ORDER BY 1`,
        true,
      );
    }
    if (!this.readOnly) this.ensureTable(table);
    this.checked.set(table.name, true);
    return true;
  }

  /** Chunks holding director rows with these key values (integer keys as decimal text), sorted, distinct. */
  chunks(table: CatalogTable, values: readonly string[]): number[] {
    const { integer } = directorKey(table);
    let lookup = this.lookups.get(table.name);
    if (!lookup) {
      lookup = this.database.prepare(`SELECT chunk_id FROM ${replicaTable(table)} WHERE key = ?`).pluck();
      this.lookups.set(table.name, lookup);
    }
    const found = new Set<number>();
    for (const value of values) {
      if (integer && !/^-?\d+$/.test(value)) continue;
      // A literal beyond 64 bits cannot equal any stored key (SQLite would refuse to bind it).
      const key = integer ? BigInt(value) : value;
      if (typeof key === 'bigint' && (key < INT64_MIN || key > INT64_MAX)) continue;
      const chunk = lookup.get(key) as number | undefined;
      if (chunk !== undefined) found.add(chunk);
    }
    return [...found].sort((a, b) => a - b);
  }

  /** Writes a consistent copy of the replica to `path` for a published generation (`generations.ts`); none if absent. */
  snapshotTo(path: string): void {
    if (this.db) snapshotReplicaFile(this.db, path);
  }

  /** Forgets the per-process check, so the next lookup compares counts again (after a failed append). */
  invalidate(table: CatalogTable): void {
    this.checked.delete(table.name);
  }

  close(): void {
    this.lookups.clear();
    this.db?.close();
  }
}
