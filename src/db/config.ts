import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { meridianError } from '../errors.js';

/**
 * Where a database lives. A caller may give a URL (`sqlite:<path>`, `postgresql://…[?schema=name]`) or an object
 * naming the back-end family with `kind`; both are validated here, once, into a frozen `DatabaseConfig`.
 */

/** PostgreSQL schema names we accept: plain lower-case identifiers, so quoting them in DDL is safe. */
export const SCHEMA_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

const sqliteConfig = z
  .object({
    kind: z.literal('sqlite'),
    /** File path; a relative path is resolved against `OpenOptions.baseDir`. */
    path: z.string().min(1),
  })
  .strict();

const postgresConfig = z
  .object({
    kind: z.literal('postgresql'),
    /** A libpq connection URL; or give host/port/user/password/database instead (unset parts use PG* variables). */
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'a PostgreSQL URL starts with postgresql://')
      .optional(),
    host: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    user: z.string().min(1).optional(),
    password: z.string().optional(),
    database: z.string().min(1).optional(),
    /** The schema holding this database's tables, so one server can hold many (default `public`). */
    schema: z
      .string()
      .regex(SCHEMA_NAME_PATTERN, 'a schema name is a lower-case identifier (a-z, 0-9, _)')
      .optional(),
    /** Largest number of pooled connections (default 8). */
    maxConnections: z.number().int().positive().max(1000).optional(),
  })
  .strict()
  .refine(
    (c) =>
      c.url === undefined ||
      (c.host === undefined &&
        c.port === undefined &&
        c.user === undefined &&
        c.password === undefined &&
        c.database === undefined),
    { message: 'give either url or host/port/user/password/database, not both' },
  );

const databaseConfig = z.discriminatedUnion('kind', [sqliteConfig, postgresConfig]);

export type SqliteConfig = Readonly<z.output<typeof sqliteConfig>>;
export type PostgresConfig = Readonly<z.output<typeof postgresConfig>>;
export type DatabaseConfig = SqliteConfig | PostgresConfig;
/** What a caller may pass: a URL or a configuration object. */
export type DatabaseConfigInput = string | z.input<typeof databaseConfig>;

/** Validate a URL or configuration object into a frozen `DatabaseConfig` (CONFIG_INVALID when it is neither). */
export function parseDatabaseConfig(input: DatabaseConfigInput, source = 'database'): DatabaseConfig {
  if (typeof input === 'string') return Object.freeze(parseDatabaseUrl(input, source));
  const parsed = databaseConfig.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw meridianError(
      'CONFIG_INVALID',
      `${source} configuration: ${issue.path.join('.') || '(top level)'}: ${issue.message}`,
      { path: issue.path.join('.') },
    );
  }
  const config = parsed.data;
  if (config.kind === 'postgresql' && config.url !== undefined && config.schema === undefined) {
    // A URL may carry the schema (`?schema=`) in the object form too.
    const fromUrl = parseDatabaseUrl(config.url, source);
    return Object.freeze({ ...config, ...fromUrl });
  }
  return Object.freeze(config);
}

function parseDatabaseUrl(url: string, source: string): DatabaseConfig {
  if (url.startsWith('sqlite:')) {
    let path = url.slice('sqlite:'.length);
    // sqlite:///abs/path is the SQLAlchemy spelling of an absolute path.
    if (path.startsWith('///')) path = path.slice(2);
    if (path === '' || path === ':memory:') {
      throw meridianError(
        'CONFIG_INVALID',
        `an in-memory SQLite ${source} is not supported; give a file path`,
      );
    }
    return { kind: 'sqlite', path };
  }
  if (url.startsWith('postgresql://') || url.startsWith('postgres://')) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (err) {
      throw meridianError('CONFIG_INVALID', `invalid PostgreSQL URL for the ${source}`, {}, err);
    }
    const schema = parsed.searchParams.get('schema');
    if (schema === null) return { kind: 'postgresql', url };
    // `schema` is ours, not libpq's: take it off before the URL reaches the driver.
    parsed.searchParams.delete('schema');
    return parseDatabaseConfig({ kind: 'postgresql', url: parsed.toString(), schema }, source);
  }
  throw meridianError(
    'CONFIG_INVALID',
    `unsupported ${source} URL '${redactUrl(url)}': use sqlite:<path> or postgresql://...`,
  );
}

/**
 * The URL form of a configuration (`?schema=` added when a schema is set), e.g. to store it in a file. It holds
 * the password if the configuration does; use `displayDatabase` for messages.
 */
export function databaseUrl(config: DatabaseConfig): string {
  if (config.kind === 'sqlite') return `sqlite:${config.path}`;
  const url = new URL(config.url ?? 'postgresql://');
  if (config.url === undefined) {
    if (config.host !== undefined) url.hostname = config.host;
    if (config.port !== undefined) url.port = String(config.port);
    if (config.user !== undefined) url.username = encodeURIComponent(config.user);
    if (config.password !== undefined) url.password = encodeURIComponent(config.password);
    if (config.database !== undefined) url.pathname = `/${encodeURIComponent(config.database)}`;
  }
  if (config.schema !== undefined) url.searchParams.set('schema', config.schema);
  return url.toString();
}

/** Whether a database setting is a URL (`sqlite:…`, `postgresql://…`) rather than a bare SQLite file path. */
export function isDatabaseUrl(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(text);
}

/**
 * The database of a store that keeps a default file in a directory (the server's job and token stores): the given
 * URL or configuration; a bare path, an SQLite file relative to the working directory, as a command-line path is;
 * or, when nothing is given, `defaultFile` in `defaultDir`. Paths come out absolute, so that a relative directory is
 * never applied twice (once in the default path and again as the base of relative paths).
 */
export function databaseOrDefaultFile(
  given: DatabaseConfigInput | undefined,
  defaultDir: string,
  defaultFile: string,
): DatabaseConfigInput {
  if (given === undefined) return { kind: 'sqlite', path: resolve(defaultDir, defaultFile) };
  if (typeof given === 'string' && !isDatabaseUrl(given)) return { kind: 'sqlite', path: resolve(given) };
  return given;
}

/** An absolute SQLite path: relative paths are resolved against `baseDir`. */
export function sqlitePath(config: SqliteConfig, baseDir = process.cwd()): string {
  return isAbsolute(config.path) ? config.path : resolve(baseDir, config.path);
}

/** A URL with its password replaced by `***`, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
