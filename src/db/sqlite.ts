import { existsSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import { isMeridianError, meridianError } from '../errors.js';
import {
  bulkInsert,
  describePurpose,
  type OpenOptions,
  type SqlDatabase,
  TransactionalDatabase,
} from './database.js';

/** How long a writer waits for another writer's lock before failing with DATABASE_BUSY. */
const BUSY_TIMEOUT_MS = 60_000;
/** With an `onWait` listener, the first wait is this short; the listener hears of any longer one. */
const FIRST_LOCK_ATTEMPT_MS = 1000;

/**
 * SQLite back end (better-sqlite3). WAL journal so readers never block the writer; BEGIN IMMEDIATE so several
 * writer processes queue on the busy timeout instead of failing on a read-to-write lock upgrade.
 */
export class SqliteDatabase extends TransactionalDatabase implements SqlDatabase {
  readonly db: Kysely<any>;
  readonly readOnly: boolean;
  readonly displayUrl: string;
  readonly path: string;
  readonly capabilities = Object.freeze({
    uuidType: 'text',
    binaryUuidType: 'blob',
    clusteredTables: true,
    // SQLite >= 3.32 allows 32766 host parameters.
    maxBindParameters: 32000,
    onConflictDoNothing: true,
    placeholder: 'question',
    serialPrimaryKey: 'autoincrement',
    bigintAsString: false,
    rowLocks: false,
  } as const);
  private readonly raw: BetterSqlite3.Database;
  protected readonly noun: string;

  /** `path` is absolute (see `sqlitePath`). */
  constructor(path: string, options: OpenOptions = {}) {
    super();
    this.readOnly = options.readOnly ?? false;
    this.path = path;
    this.displayUrl = `sqlite:${path}`;
    this.noun = describePurpose(options);
    if (!options.create && !existsSync(path)) {
      throw meridianError('REPO_NOT_FOUND', `${this.noun} ${path} does not exist`, { path });
    }
    try {
      this.raw = new BetterSqlite3(path, {
        readonly: this.readOnly,
        fileMustExist: !options.create,
        timeout: BUSY_TIMEOUT_MS,
      });
    } catch (err) {
      throw meridianError(
        'DATABASE_UNAVAILABLE',
        `cannot open SQLite ${this.noun} ${path}: ${String(err)}`,
        { path },
        err,
      );
    }
    // Timestamps are int64 nanoseconds: read every integer as bigint and convert explicitly (toNumber).
    this.raw.defaultSafeIntegers(true);
    try {
      if (!this.readOnly) this.raw.pragma('journal_mode = WAL');
      this.raw.pragma('foreign_keys = ON');
      this.raw.pragma('synchronous = NORMAL');
      // A larger page cache keeps indexes in memory during bulk inserts (the default is 2 MB).
      this.raw.pragma('cache_size = -262144');
      this.raw.pragma('temp_store = MEMORY');
      this.raw.pragma('case_sensitive_like = ON');
    } catch (err) {
      this.raw.close();
      throw this.translateError(err, 'open');
    }
    const raw = this.raw;
    this.db = new Kysely<any>({
      dialect: {
        createAdapter: () => new SqliteAdapter(),
        createDriver: () =>
          new CachingSqliteDriver(
            raw,
            (err) => this.translateError(err, 'query'),
            () => options.onWait?.(`the write lock of the registry ${path} (another process is writing)`),
          ),
        createIntrospector: (db) => new SqliteIntrospector(db),
        createQueryCompiler: () => new SqliteQueryCompiler(),
      },
    });
  }

  async lockForUpdate(): Promise<void> {}

  /** Multi-row INSERTs of up to 500 rows (prepared once per shape and cached by the driver). */
  async bulkLoad(
    trx: Kysely<any>,
    table: string,
    columns: readonly string[],
    rows: readonly (readonly unknown[])[],
  ): Promise<void> {
    const per = Math.max(1, Math.min(500, Math.floor(this.capabilities.maxBindParameters / columns.length)));
    for (let i = 0; i < rows.length; i += per) {
      await bulkInsert(trx, this.capabilities, table, columns, rows.slice(i, i + per));
    }
  }

  async tableExists(name: string): Promise<boolean> {
    const row = await this.executor()
      .selectFrom('sqlite_master')
      .select('name')
      .where('type', '=', 'table')
      .where('name', '=', name)
      .executeTakeFirst();
    return row !== undefined;
  }

  isUniqueViolation(err: unknown): boolean {
    const code = (err as { code?: unknown })?.code;
    return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
  }

  translateError(err: unknown, context: string): unknown {
    if (isMeridianError(err)) return err;
    const code = String((err as { code?: unknown })?.code ?? '');
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      return meridianError('DATABASE_BUSY', `${this.noun} is locked (${context})`, {}, err);
    }
    if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
      return meridianError(
        'DATABASE_UNAVAILABLE',
        `the SQLite ${this.noun} ${this.path} is corrupt or not a SQLite database (${context}); restore it from a backup`,
        {},
        err,
      );
    }
    if (code.startsWith('SQLITE_READONLY')) {
      return meridianError('REPO_READ_ONLY', `${this.noun} is read-only (${context})`, {}, err);
    }
    // The database or its directory cannot be opened, written or grown: permissions, a full disk, an I/O error.
    if (/^SQLITE_(CANTOPEN|IOERR|FULL|PERM)/.test(code)) {
      return meridianError(
        'FILESYSTEM_ERROR',
        `cannot use the SQLite ${this.noun} ${this.path} (${context}): ${(err as Error).message} [${code}]; its directory must be writable (for the -wal and -shm files) and have free space`,
        { path: this.path, sqliteCode: code },
        err,
      );
    }
    const missing = /^no such (table|column): (\S+)/.exec(String((err as Error)?.message));
    if (missing !== null) {
      return meridianError(
        'DATABASE_SCHEMA_DAMAGED',
        `the SQLite ${this.noun} ${this.path} has no ${missing[1]} ${missing[2]} (${context}), which its schema version requires`,
        { path: this.path, missing: missing[2] },
        err,
      );
    }
    return err;
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

/** A Kysely driver over one better-sqlite3 connection with prepared-statement caching and BEGIN IMMEDIATE. */
class CachingSqliteDriver implements Driver {
  private readonly connection: CachingSqliteConnection;
  private locked: Promise<void> = Promise.resolve();

  constructor(
    private readonly raw: BetterSqlite3.Database,
    translate: (err: unknown) => unknown,
    private readonly onWait?: () => void,
  ) {
    this.connection = new CachingSqliteConnection(raw, translate);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    // One connection shared by all callers: a promise chain serialises them (Kysely's own SQLite driver does the same).
    let release!: () => void;
    const previous = this.locked;
    this.locked = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    this.connection.release = release;
    return this.connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const begin = CompiledQuery.raw('begin immediate');
    if (this.onWait === undefined) {
      await connection.executeQuery(begin);
      return;
    }
    // better-sqlite3 waits out a busy lock synchronously, so nothing can report the wait while it lasts: try
    // with a short timeout first, say that we wait, then wait the rest of the usual timeout.
    this.raw.pragma(`busy_timeout = ${FIRST_LOCK_ATTEMPT_MS}`);
    try {
      await connection.executeQuery(begin);
      return;
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'DATABASE_BUSY') throw err;
    } finally {
      this.raw.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
    this.onWait();
    this.raw.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS - FIRST_LOCK_ATTEMPT_MS}`);
    try {
      await connection.executeQuery(begin);
    } finally {
      this.raw.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.raw.inTransaction) await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(): Promise<void> {
    const release = this.connection.release;
    this.connection.release = undefined;
    release?.();
  }

  async destroy(): Promise<void> {
    this.raw.close();
  }
}

class CachingSqliteConnection implements DatabaseConnection {
  release: (() => void) | undefined;
  private readonly cache = new Map<string, BetterSqlite3.Statement>();

  constructor(
    private readonly raw: BetterSqlite3.Database,
    private readonly translate: (err: unknown) => unknown,
  ) {}

  private statement(sqlText: string): BetterSqlite3.Statement {
    let stmt = this.cache.get(sqlText);
    if (stmt === undefined) {
      stmt = this.raw.prepare(sqlText);
      if (this.cache.size > 500) this.cache.clear();
      this.cache.set(sqlText, stmt);
    }
    return stmt;
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    try {
      return this.run<R>(compiled);
    } catch (err) {
      throw this.translate(err);
    }
  }

  private run<R>(compiled: CompiledQuery): QueryResult<R> {
    const stmt = this.statement(compiled.sql);
    const params = compiled.parameters.map(toSqliteValue);
    if (stmt.reader) return { rows: stmt.all(params) as R[] };
    const { changes, lastInsertRowid } = stmt.run(params);
    return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
  }

  // biome-ignore lint/correctness/useYield: streaming is not used on the SQLite back end
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw meridianError('NOT_IMPLEMENTED', 'streaming queries are not supported on SQLite');
  }
}

function toSqliteValue(v: unknown): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v;
}
