/**
 * The one SQL layer: connections (SQLite through better-sqlite3, PostgreSQL through pg, both behind Kysely),
 * transactions, error translation, advisory locks and versioned migrations. Used by the butler registry and by the
 * stores of the server and the batch system; it depends on nothing in Meridian but `src/errors.ts`.
 * See docs/db.md.
 */
export {
  type DatabaseConfig,
  type DatabaseConfigInput,
  databaseOrDefaultFile,
  databaseUrl,
  isDatabaseUrl,
  type PostgresConfig,
  parseDatabaseConfig,
  redactUrl,
  SCHEMA_NAME_PATTERN,
  type SqliteConfig,
} from './config.js';
export {
  advisoryLockKey,
  bulkInsert,
  type DatabaseCapabilities,
  type OpenOptions,
  type SqlDatabase,
  toBigIntOrNull,
  toNumber,
} from './database.js';
export {
  checkSchemaVersion,
  defineSchemaComponent,
  latestVersion,
  type Migration,
  type MigrationContext,
  migrate,
  readSchemaVersion,
  type SchemaComponent,
  VERSION_TABLE,
} from './migrations.js';
export { openDatabase } from './open.js';
