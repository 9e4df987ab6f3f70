import { AsyncLocalStorage } from 'node:async_hooks';
import { CompiledQuery, type Kysely } from 'kysely';
import { meridianError } from '../errors.js';

/**
 * The one interface an SQL back end implements (SQLite, PostgreSQL). Everything above it (a registry's schema and
 * managers, a job store, a run store) is shared; a back end only says how to connect, how transactions and errors
 * behave, and which column types to use. Callers ask `capabilities`, never which back end they hold.
 */
export interface SqlDatabase {
  readonly db: Kysely<any>;
  readonly readOnly: boolean;
  readonly capabilities: DatabaseCapabilities;
  /** Human-readable location, without credentials. */
  readonly displayUrl: string;
  /**
   * Run `fn` in a write transaction. SQLite takes the write lock up front (BEGIN IMMEDIATE) so that concurrent
   * writer processes wait for each other instead of failing on lock upgrade. Nested calls join the outer
   * transaction; a read-only database refuses with REPO_READ_ONLY.
   */
  transaction<T>(fn: (trx: Kysely<any>) => Promise<T>): Promise<T>;
  /** The transaction of the current async context if there is one, else the plain connection (pool). */
  executor(): Kysely<any>;
  /** Translate a driver error to a coded Meridian error when it is one we understand. */
  translateError(err: unknown, context: string): unknown;
  isUniqueViolation(err: unknown): boolean;
  /**
   * Serialise writers that check-then-insert on one key until the current transaction ends (PostgreSQL: a
   * transaction-scoped advisory lock; see `advisoryLockKey` for a key from a name). SQLite's BEGIN IMMEDIATE already
   * serialises all writers, so there it does nothing.
   */
  lockForUpdate(trx: Kysely<any>, key: number): Promise<void>;
  /** Whether a table exists in this database's own schema. */
  tableExists(name: string): Promise<boolean>;
  /**
   * Load many rows into a table inside the current transaction `trx`, by the back end's fastest bulk path:
   * `COPY … FROM STDIN` on PostgreSQL, prepared multi-row INSERTs on SQLite. All or nothing with the transaction:
   * a failure (a constraint violation included) rejects and the caller's transaction rolls back. Values are what a
   * bind parameter takes (numbers, bigints, strings, booleans, null; Buffers for BLOB columns on SQLite).
   */
  bulkLoad(
    trx: Kysely<any>,
    table: string,
    columns: readonly string[],
    rows: readonly (readonly unknown[])[],
  ): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseCapabilities {
  /** SQL type for UUID columns in their text form (kept for schemas made before `binaryUuidType`). */
  readonly uuidType: 'text' | 'uuid';
  /**
   * SQL type for a UUID stored in 16 bytes: `blob` (SQLite; bind a 16-byte Buffer, read one back) or the native
   * `uuid` (PostgreSQL; bind and read the canonical text form).
   */
  readonly binaryUuidType: 'blob' | 'uuid';
  /**
   * Whether a table can be stored clustered on its primary key with no separate row id (SQLite `WITHOUT ROWID`):
   * one B-tree instead of two for a table whose key is not an integer.
   */
  readonly clusteredTables: boolean;
  /** Largest number of bind parameters in one statement. */
  readonly maxBindParameters: number;
  /** Whether `INSERT ... ON CONFLICT DO NOTHING` is available (both our back ends have it). */
  readonly onConflictDoNothing: boolean;
  /** Bind-parameter style: `?` (SQLite) or `$1` (PostgreSQL). */
  readonly placeholder: 'question' | 'dollar';
  /** How an auto-incrementing integer primary key is declared. */
  readonly serialPrimaryKey: 'autoincrement' | 'identity';
  /** Whether 64-bit integer columns come back as strings or bigints and need explicit conversion. */
  readonly bigintAsString: boolean;
  /**
   * Whether `SELECT … FOR KEY SHARE / FOR UPDATE` row locks exist (PostgreSQL). Without them (SQLite) a write
   * transaction holds the whole database, so there is nothing to lock row by row.
   */
  readonly rowLocks: boolean;
}

export interface OpenOptions {
  readonly readOnly?: boolean;
  /** Create the database file or schema if it does not exist. */
  readonly create?: boolean;
  /** What the database holds, for messages ("registry" gives "registry database is locked"). */
  readonly purpose?: string;
  /** Directory a relative SQLite path is resolved against (default: the working directory). */
  readonly baseDir?: string;
  /**
   * Called once when a write transaction has waited about a second for another writer's lock and goes on
   * waiting (SQLite), so that a command can say what it is waiting for.
   */
  readonly onWait?: (what: string) => void;
}

/** "registry database", or plain "database" without a purpose: the noun used in error messages. */
export function describePurpose(options: OpenOptions): string {
  return options.purpose ? `${options.purpose} database` : 'database';
}

/** Convert a 64-bit integer read from either back end (number, bigint or string) to a JS number. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint' || typeof v === 'string') return Number(v);
  throw new TypeError(`expected an integer column value, got ${typeof v}`);
}

/** Convert a nullable 64-bit integer read from either back end to a bigint. */
export function toBigIntOrNull(v: unknown): bigint | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  if (typeof v === 'string') return BigInt(v);
  throw new TypeError(`expected a bigint column value, got ${typeof v}`);
}

/**
 * A 31-bit advisory-lock key from a name (FNV-1a), for `lockForUpdate` on things that have no integer id, such
 * as a migration component. Collisions only make two unrelated writers wait for each other.
 */
export function advisoryLockKey(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h & 0x7fffffff;
}

const insertTextCache = new Map<string, string>();

/**
 * Multi-row INSERT with bind parameters, built as text once per shape: the query builder's per-row cost is what
 * limits bulk inserts. Table and column names are internal identifiers (never user input).
 */
export async function bulkInsert(
  executor: Kysely<any>,
  caps: DatabaseCapabilities,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
): Promise<void> {
  if (rows.length === 0) return;
  const key = `${caps.placeholder}|${table}|${columns.join(',')}|${rows.length}`;
  let text = insertTextCache.get(key);
  if (text === undefined) {
    const tuples: string[] = [];
    let n = 1;
    for (let r = 0; r < rows.length; r++) {
      const ph: string[] = [];
      for (let c = 0; c < columns.length; c++) ph.push(caps.placeholder === 'dollar' ? `$${n++}` : '?');
      tuples.push(`(${ph.join(',')})`);
    }
    text = `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(',')}) VALUES ${tuples.join(',')}`;
    if (insertTextCache.size > 200) insertTextCache.clear();
    insertTextCache.set(key, text);
  }
  const params: unknown[] = [];
  for (const row of rows) for (const v of row) params.push(v);
  await executor.executeQuery(CompiledQuery.raw(text, params));
}

/**
 * What both back ends share: a transaction joins the transaction of the current async context if there is one,
 * refuses writes on a read-only database, and translates driver errors; `executor()` is that transaction or the
 * plain connection.
 */
export abstract class TransactionalDatabase {
  abstract readonly db: Kysely<any>;
  abstract readonly readOnly: boolean;
  /** "registry database" or "database", for messages. */
  protected abstract readonly noun: string;
  protected readonly txContext = new AsyncLocalStorage<Kysely<any>>();

  abstract translateError(err: unknown, context: string): unknown;

  async transaction<T>(fn: (trx: Kysely<any>) => Promise<T>): Promise<T> {
    const current = this.txContext.getStore();
    if (current !== undefined) return fn(current);
    if (this.readOnly) {
      throw meridianError('REPO_READ_ONLY', `the ${this.noun} was opened read-only; refusing to write`);
    }
    try {
      return await this.db.transaction().execute((trx) => this.txContext.run(trx, () => fn(trx)));
    } catch (err) {
      throw this.translateError(err, 'transaction');
    }
  }

  executor(): Kysely<any> {
    return this.txContext.getStore() ?? this.db;
  }
}
