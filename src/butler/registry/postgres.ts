import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresDialect,
  sql,
  type TransactionSettings,
} from 'kysely';
import pg from 'pg';
import { isMeridianError, meridianError } from '../../errors.js';
import { type OpenOptions, type RegistryDatabase, runInTransaction } from './database.js';

/**
 * PostgreSQL registry back end (`pg` pool). Each repository lives in its own schema (`namespace`), so one database
 * server can hold many repositories. Read-only butlers run every transaction READ ONLY.
 */
export class PostgresRegistryDatabase implements RegistryDatabase {
  readonly db: Kysely<any>;
  readonly readOnly: boolean;
  readonly displayUrl: string;
  readonly namespace: string;
  readonly capabilities = {
    uuidType: 'uuid',
    maxBindParameters: 60000,
    onConflictDoNothing: true,
    placeholder: 'dollar',
    serialPrimaryKey: 'identity',
    bigintAsString: true,
  } as const;
  private readonly pool: pg.Pool;
  private readonly txContext = new AsyncLocalStorage<Kysely<any>>();

  constructor(url: string, namespace: string, options: OpenOptions = {}) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(namespace)) {
      throw meridianError(
        'CONFIG_INVALID',
        `invalid PostgreSQL namespace '${namespace}' (lower-case identifier)`,
      );
    }
    this.readOnly = options.readOnly ?? false;
    this.namespace = namespace;
    this.displayUrl = `${redact(url)} (schema ${namespace})`;
    const settings = [`-c search_path=${namespace},public`, '-c jit=off'];
    if (this.readOnly) settings.push('-c default_transaction_read_only=on');
    this.pool = new pg.Pool({
      connectionString: url,
      options: settings.join(' '),
      max: 8,
      application_name: `meridian:${namespace}`,
      connectionTimeoutMillis: 10_000,
    });
    // An idle client that loses its server must not crash the process; the next query reports it.
    this.pool.on('error', () => {});
    // A checked-out client whose server goes away emits 'error' too; the failing query reports it instead.
    this.pool.on('connect', (client) => client.on('error', () => {}));
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

  /** Create the repository schema if asked to, and check the server is reachable. */
  async connect(options: OpenOptions): Promise<void> {
    try {
      const client = await this.pool.connect();
      try {
        const { rows } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [
          this.namespace,
        ]);
        if (rows.length === 0) {
          if (!options.create) {
            throw meridianError(
              'REPO_NOT_FOUND',
              `PostgreSQL schema '${this.namespace}' does not exist at ${this.displayUrl}`,
            );
          }
          // The namespace was validated as a plain identifier above, so quoting it is safe.
          await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.namespace}"`);
        }
      } finally {
        client.release();
      }
    } catch (err) {
      throw this.translateError(err, 'connect');
    }
  }

  transaction<T>(fn: (trx: Kysely<any>) => Promise<T>): Promise<T> {
    return runInTransaction(this.db, this.txContext, this.readOnly, (e, c) => this.translateError(e, c), fn);
  }

  executor(): Kysely<any> {
    return this.txContext.getStore() ?? this.db;
  }

  async lockForUpdate(trx: Kysely<any>, key: number): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(${key})`.execute(trx);
  }

  async tableExists(name: string): Promise<boolean> {
    const row = await this.executor()
      .selectFrom('information_schema.tables')
      .select('table_name')
      .where('table_schema', '=', this.namespace)
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
      return meridianError('REPO_READ_ONLY', `registry database is read-only (${context})`, {}, err);
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
      return meridianError('DATABASE_BUSY', `registry database lock conflict (${context})`, {}, err);
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
  // discard hooks; errors there are translated by RegistryDatabase.transaction.
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

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
