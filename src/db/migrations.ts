import type { Kysely } from 'kysely';
import { meridianError } from '../errors.js';
import { advisoryLockKey, type DatabaseCapabilities, type SqlDatabase, toNumber } from './database.js';

/**
 * Versioned schemas. Each user of `src/db` (the registry, a job store, a run store) is a *component* with its own
 * ordered list of migration steps; one table, `meridian_schema_versions`, records the version each component's
 * tables are at, so several components can share a database (or a PostgreSQL schema). `migrate` applies the
 * missing steps in one transaction and refuses a database newer than the code (SCHEMA_VERSION): an old Meridian
 * must never write tables it does not understand.
 */

export const VERSION_TABLE = 'meridian_schema_versions';

export interface MigrationContext<C> {
  readonly database: SqlDatabase;
  readonly capabilities: DatabaseCapabilities;
  /** Whatever the component needs to build its tables (the registry passes its dimension universe). */
  readonly options: C;
}

export interface Migration<C = undefined> {
  /** 1, 2, 3, … in order: the version the schema is at after this step. */
  readonly version: number;
  readonly description: string;
  /** Runs inside the migration transaction; `trx` is that transaction. */
  up(trx: Kysely<any>, context: MigrationContext<C>): Promise<void>;
}

export interface SchemaComponent<C = undefined> {
  /** Key in the version table, e.g. `registry`, `uws_jobs`. */
  readonly name: string;
  /** Noun for messages ("registry" gives "registry schema version 3 is newer than …"). */
  readonly label: string;
  readonly migrations: readonly Migration<C>[];
  /**
   * For databases made before the version table existed: the version their own tables show (0 when the component
   * has no tables). Without it such a database counts as version 0.
   */
  readonly unrecordedVersion?: (database: SqlDatabase) => Promise<number>;
}

/** Check a component's steps (versions 1..n in order) and freeze it. */
export function defineSchemaComponent<C = undefined>(component: SchemaComponent<C>): SchemaComponent<C> {
  if (!/^[a-z][a-z0-9_]{0,63}$/.test(component.name)) {
    throw meridianError('INTERNAL', `invalid schema component name '${component.name}'`);
  }
  component.migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw meridianError(
        'INTERNAL',
        `schema component ${component.name}: migration ${i} has version ${m.version}, expected ${i + 1}`,
      );
    }
  });
  return Object.freeze({ ...component, migrations: Object.freeze([...component.migrations]) });
}

/** The version the code's migration steps reach. */
export function latestVersion(component: SchemaComponent<any>): number {
  return component.migrations.length;
}

/** The version a component's tables are at in this database (0 when it has none). */
export async function readSchemaVersion(
  database: SqlDatabase,
  component: SchemaComponent<any>,
): Promise<number> {
  if (await database.tableExists(VERSION_TABLE)) {
    const row = await database
      .executor()
      .selectFrom(VERSION_TABLE)
      .select('version')
      .where('component', '=', component.name)
      .executeTakeFirst();
    if (row !== undefined) return toNumber(row.version);
  }
  return component.unrecordedVersion ? component.unrecordedVersion(database) : 0;
}

/** Read the version and refuse (SCHEMA_VERSION) a database newer than this code; returns the version. */
export async function checkSchemaVersion(
  database: SqlDatabase,
  component: SchemaComponent<any>,
): Promise<number> {
  const version = await readSchemaVersion(database, component);
  const latest = latestVersion(component);
  if (version > latest) {
    throw meridianError(
      'SCHEMA_VERSION',
      `${component.label} schema version ${version} is newer than this Meridian supports (${latest}); upgrade Meridian`,
      { component: component.name, version, supported: latest },
    );
  }
  return version;
}

/**
 * Bring a component's tables up to the latest version, in one transaction (joining the caller's if there is one).
 * Concurrent migrators wait for each other (an advisory lock on PostgreSQL, BEGIN IMMEDIATE on SQLite), so each
 * step runs once. Running it again is a no-op.
 */
export async function migrate<C>(
  database: SqlDatabase,
  component: SchemaComponent<C>,
  options: C,
): Promise<{ readonly from: number; readonly to: number }> {
  return database.transaction(async (trx) => {
    await database.lockForUpdate(trx, advisoryLockKey(VERSION_TABLE));
    await trx.schema
      .createTable(VERSION_TABLE)
      .ifNotExists()
      .addColumn('component', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .execute();
    const from = await checkSchemaVersion(database, component);
    const context: MigrationContext<C> = { database, capabilities: database.capabilities, options };
    for (const step of component.migrations) {
      if (step.version <= from) continue;
      try {
        await step.up(trx, context);
      } catch (err) {
        throw database.translateError(err, `${component.label} migration ${step.version}`);
      }
      await trx
        .insertInto(VERSION_TABLE)
        .values({ component: component.name, version: step.version, description: step.description })
        .onConflict((oc) =>
          oc.column('component').doUpdateSet({ version: step.version, description: step.description }),
        )
        .execute();
    }
    return Object.freeze({ from, to: Math.max(from, latestVersion(component)) });
  });
}
