import {
  type DatabaseConfig,
  type DatabaseConfigInput,
  type PostgresConfig,
  parseDatabaseConfig,
  type SqliteConfig,
  sqlitePath,
} from './config.js';
import type { OpenOptions, SqlDatabase } from './database.js';

/**
 * One back-end family: how to open a database of its `kind`. Each is loaded on first use, so a SQLite user never
 * loads `pg` and a command that opens no database loads neither driver.
 */
interface DatabaseBackend<C extends DatabaseConfig> {
  open(config: C, options: OpenOptions): Promise<SqlDatabase>;
}

const sqliteBackend: DatabaseBackend<SqliteConfig> = {
  async open(config, options) {
    const { SqliteDatabase } = await import('./sqlite.js');
    return new SqliteDatabase(sqlitePath(config, options.baseDir), options);
  },
};

const postgresBackend: DatabaseBackend<PostgresConfig> = {
  async open(config, options) {
    const { PostgresDatabase } = await import('./postgres.js');
    const database = new PostgresDatabase(config, options);
    try {
      await database.connect(options);
    } catch (err) {
      await database.close();
      throw err;
    }
    return database;
  },
};

/**
 * Open (or with `create`, make) a database from a URL (`sqlite:x.sqlite3`, `postgresql://…?schema=s`) or a
 * configuration object (`{ kind: 'sqlite', path }`, `{ kind: 'postgresql', url | host…, schema }`).
 * Close it with `close()`, in a `finally`.
 */
export async function openDatabase(
  config: DatabaseConfigInput | DatabaseConfig,
  options: OpenOptions = {},
): Promise<SqlDatabase> {
  const resolved = parseDatabaseConfig(config, options.purpose);
  switch (resolved.kind) {
    case 'sqlite':
      return sqliteBackend.open(resolved, options);
    case 'postgresql':
      return postgresBackend.open(resolved, options);
  }
}
