import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresDialect,
  sql,
  type TransactionSettings,
} from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { isMeridianError, meridianError } from '../errors.js';
import { databaseUrl, type PostgresConfig, redactUrl } from './config.js';
import { describePurpose, type OpenOptions, type SqlDatabase, TransactionalDatabase } from './database.js';

/**
 * PostgreSQL back end (`pg` pool). Each database lives in its own schema, so one server can hold many registries
 * and stores. A read-only database runs every transaction READ ONLY. This module is loaded on demand (`pg` costs
 * start-up time that SQLite users should not pay).
 */
export class PostgresDatabase extends TransactionalDatabase implements SqlDatabase {
  readonly db: Kysely<any>;
  readonly readOnly: boolean;
  readonly displayUrl: string;
  /** The schema holding this database's tables (first on the search path). */
  readonly schema: string;
  readonly capabilities = Object.freeze({
    uuidType: 'uuid',
    binaryUuidType: 'uuid',
    clusteredTables: false,
    maxBindParameters: 60000,
    onConflictDoNothing: true,
    placeholder: 'dollar',
    serialPrimaryKey: 'identity',
    bigintAsString: true,
    rowLocks: true,
  } as const);
  private readonly pool: pg.Pool;
  /** Clients checked out of the pool now, to find the one a Kysely transaction runs on (`bulkLoad`). */
  private readonly checkedOut = new Set<pg.PoolClient>();
  private readonly transactionClients = new WeakMap<Kysely<any>, pg.PoolClient>();
  protected readonly noun: string;

  /** `config` is validated (parseDatabaseConfig); call `connect` before use. */
  constructor(config: PostgresConfig, options: OpenOptions = {}) {
    super();
    this.readOnly = options.readOnly ?? false;
    this.schema = config.schema ?? 'public';
    this.noun = describePurpose(options);
    const url = config.url ?? databaseUrl({ ...config, schema: undefined });
    this.displayUrl = `${redactUrl(url)} (schema ${this.schema})`;
    const settings = [`-c search_path=${this.schema},public`, '-c jit=off'];
    if (this.readOnly) settings.push('-c default_transaction_read_only=on');
    this.pool = new pg.Pool({
      ...(config.url !== undefined
        ? { connectionString: config.url }
        : {
            host: config.host,
            port: config.port,
            user: config.user,
            password: config.password,
            database: config.database,
          }),
      options: settings.join(' '),
      max: config.maxConnections ?? 8,
      application_name: `meridian:${this.schema}`,
      connectionTimeoutMillis: 10_000,
    });
    // An idle client that loses its server must not crash the process; the next query reports it.
    this.pool.on('error', () => {});
    // A checked-out client whose server goes away emits 'error' too; the failing query reports it instead.
    this.pool.on('connect', (client) => client.on('error', () => {}));
    this.pool.on('acquire', (client) => this.checkedOut.add(client));
    this.pool.on('release', (_err, client) => this.checkedOut.delete(client));
    this.pool.on('remove', (client) => this.checkedOut.delete(client as pg.PoolClient));
    const base = new PostgresDialect({ pool: this.pool });
    const translate = (err: unknown) => this.translateError(err, 'query');
    this.db = new Kysely<any>({
      dialect: {
        createAdapter: () => base.createAdapter(),
        createDriver: () => new TranslatingDriver(base.createDriver(), translate),
        createIntrospector: (db) => base.createIntrospector(db),
        createQueryCompiler: () => base.createQueryCompiler(),
      },
    });
  }

  /** Check the server is reachable and the schema exists, creating it when `options.create` says so. */
  async connect(options: OpenOptions): Promise<void> {
    try {
      const client = await this.pool.connect();
      try {
        const { rows } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [this.schema]);
        if (rows.length === 0) {
          if (!options.create) {
            throw meridianError(
              'REPO_NOT_FOUND',
              `PostgreSQL schema '${this.schema}' does not exist at ${this.displayUrl}`,
            );
          }
          // The schema name was validated as a plain identifier (SCHEMA_NAME_PATTERN), so quoting it is safe.
          await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
        }
      } finally {
        client.release();
      }
    } catch (err) {
      throw this.translateError(err, 'connect');
    }
  }

  async lockForUpdate(trx: Kysely<any>, key: number): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(${key})`.execute(trx);
  }

  /**
   * `COPY table (columns) FROM STDIN` on the transaction's own connection. Kysely does not hand out its pg client,
   * so the client is found by the server process id the transaction reports (one round trip, once per
   * transaction). A failed COPY aborts the transaction like any failed statement.
   */
  async bulkLoad(
    trx: Kysely<any>,
    table: string,
    columns: readonly string[],
    rows: readonly (readonly unknown[])[],
  ): Promise<void> {
    if (rows.length === 0) return;
    const client = await this.clientOf(trx);
    const list = columns.map((c) => `"${c}"`).join(', ');
    try {
      const sink = client.query(copyFrom(`COPY "${table}" (${list}) FROM STDIN`));
      await pipeline(Readable.from(copyTextBatches(rows)), sink);
    } catch (err) {
      throw this.translateError(err, `bulk load of ${table}`);
    }
  }

  private async clientOf(trx: Kysely<any>): Promise<pg.PoolClient> {
    const known = this.transactionClients.get(trx);
    if (known !== undefined) return known;
    if (!trx.isTransaction) {
      throw meridianError('INTERNAL', 'bulkLoad must run inside a transaction (database.transaction)');
    }
    const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx);
    const pid = Number(rows[0]?.pid);
    for (const client of this.checkedOut) {
      if ((client as unknown as { processID?: number }).processID === pid) {
        this.transactionClients.set(trx, client);
        return client;
      }
    }
    throw meridianError('INTERNAL', `no pooled connection has server process ${pid}`);
  }

  async tableExists(name: string): Promise<boolean> {
    const row = await this.executor()
      .selectFrom('information_schema.tables')
      .select('table_name')
      .where('table_schema', '=', this.schema)
      .where('table_name', '=', name)
      .executeTakeFirst();
    return row !== undefined;
  }

  isUniqueViolation(err: unknown): boolean {
    return (err as { code?: unknown })?.code === '23505';
  }

  translateError(err: unknown, context: string): unknown {
    if (isMeridianError(err)) return err;
    const code = String((err as { code?: unknown })?.code ?? '');
    if (code === '25006') {
      return meridianError('REPO_READ_ONLY', `${this.noun} is read-only (${context})`, {}, err);
    }
    if (
      code.startsWith('08') ||
      code === '57P01' ||
      code === '57P02' ||
      code === '57P03' ||
      code === 'ECONNREFUSED' ||
      code === 'ECONNRESET' ||
      code === 'ENOTFOUND' ||
      /Connection terminated|not queryable|connection error|timeout exceeded when trying to connect/i.test(
        String((err as Error)?.message),
      )
    ) {
      return meridianError(
        'DATABASE_UNAVAILABLE',
        `lost or could not open the connection to ${this.displayUrl} (${context}): ${(err as Error).message}`,
        {},
        err,
      );
    }
    if (code === '40P01' || code === '55P03') {
      return meridianError('DATABASE_BUSY', `${this.noun} lock conflict (${context})`, {}, err);
    }
    // undefined_table, undefined_column: a table or column the schema version promises was dropped by hand.
    if (code === '42P01' || code === '42703') {
      return meridianError(
        'DATABASE_SCHEMA_DAMAGED',
        `${this.noun} ${this.displayUrl} is missing part of its schema (${context}): ${(err as Error).message}`,
        {},
        err,
      );
    }
    return err;
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

/** Wraps the pg driver so lost connections and unreachable servers surface as coded errors on every query. */
class TranslatingDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly translate: (err: unknown) => unknown,
  ) {}

  async init(): Promise<void> {
    await this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    let conn: DatabaseConnection;
    try {
      conn = await this.inner.acquireConnection();
    } catch (err) {
      throw this.translate(err);
    }
    const translate = this.translate;
    return {
      async executeQuery(compiled) {
        try {
          return await conn.executeQuery(compiled);
        } catch (err) {
          throw translate(err);
        }
      },
      streamQuery: (compiled, chunkSize) => conn.streamQuery(compiled, chunkSize),
      // The wrapper must be released as the inner connection.
      [innerConnection]: conn,
    } as DatabaseConnection;
  }

  // Transaction control goes to the driver's own connection object, which carries its private release and
  // discard hooks; errors there are translated by SqlDatabase.transaction.
  beginTransaction(conn: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(unwrap(conn), settings);
  }

  commitTransaction(conn: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(unwrap(conn));
  }

  rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(unwrap(conn));
  }

  releaseConnection(conn: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(unwrap(conn));
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

const innerConnection = Symbol('innerConnection');

function unwrap(conn: DatabaseConnection): DatabaseConnection {
  return (conn as unknown as Record<symbol, DatabaseConnection>)[innerConnection] ?? conn;
}

/**
 * One value in COPY's text format: `\N` is NULL; backslash, tab, newline and carriage return are escaped; bytes
 * are bytea hex (`\\x…`, the backslash itself escaped).
 */
function copyTextValue(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (Buffer.isBuffer(v)) return `\\\\x${v.toString('hex')}`;
  return String(v).replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}

/** COPY text lines in batches of 1,000 rows, so the socket's back-pressure applies. */
function* copyTextBatches(rows: readonly (readonly unknown[])[]): Generator<string> {
  for (let i = 0; i < rows.length; i += 1000) {
    let text = '';
    const end = Math.min(rows.length, i + 1000);
    for (let r = i; r < end; r++) text += `${rows[r]!.map(copyTextValue).join('\t')}\n`;
    yield text;
  }
}
