import { randomUUID } from 'node:crypto';
import { type ColumnDataType, type CreateTableBuilder, type Kysely, sql } from 'kysely';
import {
  type DatabaseCapabilities,
  defineSchemaComponent,
  latestVersion,
  type MigrationContext,
  migrate,
  type SqlDatabase,
} from '../../db/index.js';
import type {
  ColumnSpec,
  DimensionElement,
  DimensionGroup,
  DimensionUniverse,
} from '../dimensions/universe.js';
import { CACHE_TOKEN } from './cache.js';

/**
 * Registry schema. Static tables are created by the versioned migration steps of the `registry` schema component
 * (src/db migrations); per-dimension-group dataset tables (`dataset_tags_N`, `dataset_calibs_N`) are created on
 * demand when the first dataset type with that group is registered, as in daf_butler.
 */

export function sqlType(col: ColumnSpec): ColumnDataType {
  switch (col.type) {
    case 'int':
      return 'bigint';
    case 'float':
      return 'double precision';
    case 'bool':
      return 'boolean';
    case 'string':
      return col.length === undefined ? 'text' : `varchar(${col.length})`;
  }
}

function withSerialId(tb: CreateTableBuilder<any, any>, name: string, caps: DatabaseCapabilities) {
  return caps.serialPrimaryKey === 'autoincrement'
    ? tb.addColumn(name, 'integer', (c) => c.primaryKey().autoIncrement())
    : tb.addColumn(name, 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity());
}

/**
 * Columns of a datastore record (the live table and the trash share them). `idType` is the dataset-ID column type
 * of the schema version being built (text or uuid in version 1, 16 bytes since version 2).
 */
function storedFileColumns(tb: CreateTableBuilder<any, any>, idType: ColumnDataType) {
  return tb
    .addColumn('dataset_id', idType, (c) => c.notNull())
    .addColumn('component', 'varchar(64)', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('formatter', 'varchar(128)', (c) => c.notNull())
    .addColumn('storage_class', 'varchar(64)', (c) => c.notNull())
    .addColumn('checksum', 'varchar(160)')
    .addColumn('file_size', 'bigint', (c) => c.notNull());
}

export function elementTableName(element: DimensionElement): string {
  return element.name;
}

export function overlapTableName(element: DimensionElement, skypix: string): string {
  return `${element.name}_${skypix}_overlap`;
}

async function createElementTables(db: Kysely<any>, universe: DimensionUniverse): Promise<void> {
  for (const element of universe.elements) {
    if (!element.hasTable) continue;
    let tb = db.schema.createTable(elementTableName(element));
    const pk = element.tablePrimaryKey();
    for (const col of element.tableColumns(universe)) {
      tb = tb.addColumn(col.name, sqlType(col), (c) => (pk.includes(col.name) ? c.notNull() : c));
    }
    if (element.spatial !== undefined) tb = tb.addColumn('region', 'text');
    if (element.temporal) {
      tb = tb.addColumn('timespan_begin', 'bigint').addColumn('timespan_end', 'bigint');
    }
    tb = tb.addPrimaryKeyConstraint(`${element.name}_pkey`, pk as any);
    for (const alt of element.keys.slice(1)) {
      tb = tb.addUniqueConstraint(`${element.name}_${alt.name}_unique`, [
        ...element.requires,
        alt.name,
      ] as any);
    }
    for (const r of element.requires) {
      const target = universe.element(r);
      if (!target.hasTable) continue;
      const targetPk = target.tablePrimaryKey();
      // Foreign key on the full primary key of the required element: its own requirements plus its key.
      const localCols = [...target.requires, r];
      tb = tb.addForeignKeyConstraint(`${element.name}_${r}_fkey`, localCols as any, r, targetPk as any);
    }
    await tb.execute();
    if (element.spatial !== undefined) {
      const skypix = universe.commonSkyPix;
      const keyCols = pk;
      let ot = db.schema.createTable(overlapTableName(element, skypix));
      for (const col of element.tableColumns(universe).filter((c) => keyCols.includes(c.name))) {
        ot = ot.addColumn(col.name, sqlType(col), (c) => c.notNull());
      }
      ot = ot
        .addColumn(skypix, 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint(`${element.name}_${skypix}_overlap_pkey`, [...keyCols, skypix] as any)
        .addForeignKeyConstraint(
          `${element.name}_${skypix}_overlap_fkey`,
          keyCols as any,
          element.name,
          keyCols as any,
          (fk) => fk.onDelete('cascade'),
        );
      await ot.execute();
      await db.schema
        .createIndex(`${element.name}_${skypix}_overlap_${skypix}_idx`)
        .on(overlapTableName(element, skypix))
        .column(skypix)
        .execute();
    }
  }
}

export const registrySchema = defineSchemaComponent<DimensionUniverse>({
  name: 'registry',
  label: 'registry',
  // Registries made before src/db's version table kept their version in butler_attributes only.
  unrecordedVersion: async (database) =>
    (await hasRegistryTables(database))
      ? Number((await getAttribute(database.executor(), 'schema_version')) ?? '0')
      : 0,
  migrations: [
    {
      version: 1,
      description: 'static registry tables and dimension element tables',
      async up(db, { capabilities: caps, options: universe }) {
        await db.schema
          .createTable('butler_attributes')
          .addColumn('name', 'varchar(1024)', (c) => c.primaryKey())
          .addColumn('value', 'text', (c) => c.notNull())
          .execute();
        await withSerialId(db.schema.createTable('collection'), 'collection_id', caps)
          .addColumn('name', 'varchar(64)', (c) => c.notNull().unique())
          .addColumn('type', 'smallint', (c) => c.notNull())
          .addColumn('doc', 'text')
          .execute();
        await db.schema
          .createTable('run')
          .addColumn('collection_id', 'bigint', (c) =>
            c.primaryKey().references('collection.collection_id').onDelete('cascade'),
          )
          .addColumn('host', 'varchar(128)')
          .addColumn('timespan_begin', 'bigint')
          .addColumn('timespan_end', 'bigint')
          .execute();
        await db.schema
          .createTable('collection_chain')
          .addColumn('parent', 'bigint', (c) =>
            c.notNull().references('collection.collection_id').onDelete('cascade'),
          )
          .addColumn('position', 'smallint', (c) => c.notNull())
          .addColumn('child', 'bigint', (c) => c.notNull().references('collection.collection_id'))
          .addPrimaryKeyConstraint('collection_chain_pkey', ['parent', 'position'])
          .execute();
        await db.schema
          .createIndex('collection_chain_child_idx')
          .on('collection_chain')
          .column('child')
          .execute();
        await withSerialId(db.schema.createTable('dimension_group'), 'id', caps)
          .addColumn('names', 'text', (c) => c.notNull().unique())
          .execute();
        await withSerialId(db.schema.createTable('dataset_type'), 'id', caps)
          .addColumn('name', 'varchar(128)', (c) => c.notNull().unique())
          .addColumn('storage_class', 'varchar(64)', (c) => c.notNull())
          .addColumn('dimension_group_id', 'bigint', (c) => c.notNull().references('dimension_group.id'))
          .addColumn('is_calibration', 'boolean', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('dataset')
          .addColumn('id', caps.uuidType, (c) => c.primaryKey())
          .addColumn('dataset_type_id', 'bigint', (c) => c.notNull().references('dataset_type.id'))
          .addColumn('run_id', 'bigint', (c) =>
            c.notNull().references('run.collection_id').onDelete('cascade'),
          )
          .addColumn('ingest_date', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('dataset_run_idx')
          .on('dataset')
          .columns(['run_id', 'dataset_type_id'])
          .execute();
        await db.schema
          .createTable('collection_summary_dataset_type')
          .addColumn('collection_id', 'bigint', (c) =>
            c.notNull().references('collection.collection_id').onDelete('cascade'),
          )
          .addColumn('dataset_type_id', 'bigint', (c) =>
            c.notNull().references('dataset_type.id').onDelete('cascade'),
          )
          .addPrimaryKeyConstraint('collection_summary_dataset_type_pkey', [
            'collection_id',
            'dataset_type_id',
          ])
          .execute();
        await storedFileColumns(db.schema.createTable('file_datastore_records'), caps.uuidType)
          .addPrimaryKeyConstraint('file_datastore_records_pkey', ['dataset_id', 'component'])
          .execute();
        await db.schema
          .createIndex('file_datastore_records_path_idx')
          .on('file_datastore_records')
          .column('path')
          .execute();
        // Records of removed datasets wait here until their files are deleted (Butler.emptyTrash).
        await storedFileColumns(
          withSerialId(db.schema.createTable('file_datastore_trash'), 'id', caps),
          caps.uuidType,
        ).execute();
        await createElementTables(db, universe);
      },
    },
    {
      version: 2,
      description:
        'dataset IDs stored in 16 bytes (BLOB on SQLite, uuid on PostgreSQL); tags tables clustered on (collection, dataset type, data ID)',
      up: migrateToBinaryIds,
    },
    {
      version: 3,
      description:
        'where the back end has row locks (PostgreSQL), dataset rows are checked against their RUN and dataset type, and tags rows against their dataset, once per batch under row locks instead of by per-row foreign keys',
      up: dropPerRowDatasetKeys,
    },
  ],
});

/**
 * Bring a registry schema up to date (joining the caller's transaction). The version is also kept in
 * `butler_attributes` under `schema_version`, where Meridian before src/db looks for it.
 */
export async function migrateRegistry(
  database: SqlDatabase,
  universe: DimensionUniverse,
): Promise<{ readonly from: number; readonly to: number }> {
  return database.transaction(async (trx) => {
    const result = await migrate(database, registrySchema, universe);
    await setAttribute(trx, 'schema_version', String(latestVersion(registrySchema)));
    return result;
  });
}

export async function getAttribute(db: Kysely<any>, name: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('butler_attributes')
    .select('value')
    .where('name', '=', name)
    .executeTakeFirst();
  return row?.value as string | undefined;
}

export async function setAttribute(db: Kysely<any>, name: string, value: string): Promise<void> {
  await db
    .insertInto('butler_attributes')
    .values({ name, value })
    .onConflict((oc) => oc.column('name').doUpdateSet({ value }))
    .execute();
}

export async function hasRegistryTables(database: SqlDatabase): Promise<boolean> {
  return database.tableExists('butler_attributes');
}

/** Names of the dataset tables for a dimension group id. */
export function datasetTableNames(groupId: number): { tags: string; calibs: string } {
  const suffix = String(groupId).padStart(8, '0');
  return { tags: `dataset_tags_${suffix}`, calibs: `dataset_calibs_${suffix}` };
}

/** Clustered (SQLite `WITHOUT ROWID`) where the back end can: one B-tree for a table keyed by something else. */
function clustered(tb: CreateTableBuilder<any, any>, caps: DatabaseCapabilities) {
  return caps.clusteredTables ? tb.modifyEnd(sql`WITHOUT ROWID`) : tb;
}

/** The `dataset` table of schema version 2: 16-byte IDs, clustered on the ID (UUIDv7s arrive in order). */
async function createDatasetTable(db: Kysely<any>, caps: DatabaseCapabilities): Promise<void> {
  await clustered(
    db.schema
      .createTable('dataset')
      .addColumn('id', caps.binaryUuidType, (c) => c.primaryKey())
      .addColumn('dataset_type_id', 'bigint', (c) => c.notNull().references('dataset_type.id'))
      .addColumn('run_id', 'bigint', (c) => c.notNull().references('run.collection_id').onDelete('cascade'))
      .addColumn('ingest_date', 'bigint', (c) => c.notNull()),
    caps,
  ).execute();
  await db.schema
    .createIndex('dataset_run_idx')
    .on('dataset')
    .columns(['run_id', 'dataset_type_id'])
    .execute();
}

/** The datastore record tables of schema version 2 (the live one clustered on its key). */
async function createStoredFileTables(db: Kysely<any>, caps: DatabaseCapabilities): Promise<void> {
  await clustered(
    storedFileColumns(
      db.schema.createTable('file_datastore_records'),
      caps.binaryUuidType,
    ).addPrimaryKeyConstraint('file_datastore_records_pkey', ['dataset_id', 'component']),
    caps,
  ).execute();
  await db.schema
    .createIndex('file_datastore_records_path_idx')
    .on('file_datastore_records')
    .column('path')
    .execute();
  // Records of removed datasets wait here until their files are deleted (Butler.emptyTrash).
  await storedFileColumns(
    withSerialId(db.schema.createTable('file_datastore_trash'), 'id', caps),
    caps.binaryUuidType,
  ).execute();
}

/**
 * Create the tags and calibs tables of a dimension group (schema version 2).
 *
 * A tags row says "dataset D is in collection C". Its primary key (collection, dataset type, required dimensions)
 * is the rule "one dataset per type and data ID in a collection" (RUN and TAGGED alike) and serves every lookup
 * by collection and data ID, including searches over many collections (`collection_id IN (…)`), and the cascade
 * when a collection is removed. On SQLite the table is clustered on that key, so a row costs two B-trees: the table
 * and the (dataset, collection) index used by ID lookups and the cascade from `dataset`.
 *
 * A calibs row is a certification: a validity range for a dataset in a CALIBRATION collection. Certifying is rare
 * and never bulk, so it keeps a serial id (decertify splits rows) and all three foreign keys.
 */
export async function createDatasetTables(
  db: Kysely<any>,
  caps: DatabaseCapabilities,
  group: DimensionGroup,
  groupId: number,
): Promise<void> {
  const { tags, calibs } = datasetTableNames(groupId);
  const dims = group.required.map((n) => ({ ...group.universe.element(n).primaryKey, name: n }));
  // Only `dataset_id` is a foreign key, and only where the back end has no row locks (SQLite): a check costs a
  // lookup per inserted row (about 3.5 µs on PostgreSQL), so there (schema step 3) the registry keeps the rule
  // itself: a RUN's tags rows are written with their datasets, `associate` key-share-locks the datasets it tags,
  // and removals lock the datasets, then delete their tags rows. The other two columns are implied:
  // `dataset_type_id` is the dataset's own type; `collection_id` is a RUN (whose removal removes its datasets and
  // these rows) or a TAGGED collection, whose rows CollectionManager.remove deletes itself.
  let t = db.schema
    .createTable(tags)
    .ifNotExists()
    .addColumn('collection_id', 'bigint', (c) => c.notNull())
    .addColumn('dataset_type_id', 'bigint', (c) => c.notNull());
  for (const d of dims) t = t.addColumn(d.name, sqlType(d), (c) => c.notNull());
  t = t
    .addColumn('dataset_id', caps.binaryUuidType, (c) =>
      caps.rowLocks ? c.notNull() : c.notNull().references('dataset.id').onDelete('cascade'),
    )
    .addPrimaryKeyConstraint(`${tags}_pkey`, [
      'collection_id',
      'dataset_type_id',
      ...dims.map((d) => d.name),
    ] as any);
  await clustered(t, caps).execute();
  await db.schema
    .createIndex(`${tags}_dataset_idx`)
    .ifNotExists()
    .unique()
    .on(tags)
    .columns(['dataset_id', 'collection_id'])
    .execute();
  let c = withSerialId(db.schema.createTable(calibs).ifNotExists(), 'id', caps)
    .addColumn('dataset_type_id', 'bigint', (col) => col.notNull().references('dataset_type.id'))
    .addColumn('dataset_id', caps.binaryUuidType, (col) =>
      col.notNull().references('dataset.id').onDelete('cascade'),
    )
    .addColumn('collection_id', 'bigint', (col) =>
      col.notNull().references('collection.collection_id').onDelete('cascade'),
    );
  for (const d of dims) c = c.addColumn(d.name, sqlType(d), (col) => col.notNull());
  c = c.addColumn('timespan_begin', 'bigint').addColumn('timespan_end', 'bigint');
  await c.execute();
  await db.schema
    .createIndex(`${calibs}_lookup_idx`)
    .ifNotExists()
    .on(calibs)
    .columns(['dataset_type_id', 'collection_id', ...dims.map((d) => d.name)])
    .execute();
}

/** SQL turning a version-1 dataset-ID column (text on SQLite, uuid on PostgreSQL) into its version-2 form. */
function storedIdFromVersion1(caps: DatabaseCapabilities, column: string) {
  return caps.binaryUuidType === 'blob'
    ? sql`unhex(replace(lower(${sql.ref(column)}), '-', ''))`
    : sql`CAST(${sql.ref(column)} AS uuid)`;
}

/**
 * Schema step 2: every table holding dataset IDs is rebuilt in the layout a new repository gets (the same
 * functions create it), its rows copied through a temporary table with the IDs converted. Children are dropped
 * before `dataset`, so no ON DELETE CASCADE fires. Serial ids of calibs and trash rows are renumbered in their old
 * order (nothing outside these tables refers to them). Runs inside the migration transaction: all or nothing.
 */
async function migrateToBinaryIds(
  db: Kysely<any>,
  { database, capabilities: caps, options: universe }: MigrationContext<DimensionUniverse>,
): Promise<void> {
  const groups = await db.selectFrom('dimension_group').select(['id', 'names']).orderBy('id').execute();
  const perGroup: { group: DimensionGroup; id: number; tags: string; calibs: string }[] = [];
  for (const g of groups) {
    const names = String(g.names);
    const id = Number(g.id);
    const { tags, calibs } = datasetTableNames(id);
    if (!(await database.tableExists(tags))) continue;
    perGroup.push({ group: universe.group(names === '' ? [] : names.split(',')), id, tags, calibs });
  }
  const stage = async (table: string) => {
    await sql`CREATE TEMPORARY TABLE ${sql.id(`v1_${table}`)} AS SELECT * FROM ${sql.table(table)}`.execute(
      db,
    );
  };
  const unstage = async (table: string) => {
    await sql`DROP TABLE ${sql.id(`v1_${table}`)}`.execute(db);
  };
  const base = ['dataset', 'file_datastore_records', 'file_datastore_trash'];
  for (const t of base) await stage(t);
  for (const g of perGroup) {
    await stage(g.tags);
    await stage(g.calibs);
  }
  for (const g of perGroup) {
    await db.schema.dropTable(g.tags).execute();
    await db.schema.dropTable(g.calibs).execute();
  }
  for (const t of base) await db.schema.dropTable(t).execute();
  await createDatasetTable(db, caps);
  await createStoredFileTables(db, caps);
  const id = (column: string) => storedIdFromVersion1(caps, column);
  await sql`INSERT INTO dataset (id, dataset_type_id, run_id, ingest_date) SELECT ${id('id')}, dataset_type_id, run_id, ingest_date FROM v1_dataset`.execute(
    db,
  );
  const fileColumns = ['component', 'path', 'formatter', 'storage_class', 'checksum', 'file_size'];
  const fileList = sql.join(fileColumns.map((c) => sql.ref(c)));
  await sql`INSERT INTO file_datastore_records (dataset_id, ${fileList}) SELECT ${id('dataset_id')}, ${fileList} FROM v1_file_datastore_records`.execute(
    db,
  );
  await sql`INSERT INTO file_datastore_trash (dataset_id, ${fileList}) SELECT ${id('dataset_id')}, ${fileList} FROM v1_file_datastore_trash ORDER BY id`.execute(
    db,
  );
  for (const g of perGroup) {
    await createDatasetTables(db, caps, g.group, g.id);
    const dims = sql.join(g.group.required.map((d) => sql.ref(d)));
    const dimsComma = g.group.required.length > 0 ? sql`, ${dims}` : sql``;
    await sql`INSERT INTO ${sql.table(g.tags)} (collection_id, dataset_type_id${dimsComma}, dataset_id) SELECT collection_id, dataset_type_id${dimsComma}, ${id('dataset_id')} FROM ${sql.table(`v1_${g.tags}`)}`.execute(
      db,
    );
    await sql`INSERT INTO ${sql.table(g.calibs)} (dataset_type_id, dataset_id, collection_id${dimsComma}, timespan_begin, timespan_end) SELECT dataset_type_id, ${id('dataset_id')}, collection_id${dimsComma}, timespan_begin, timespan_end FROM ${sql.table(`v1_${g.calibs}`)} ORDER BY id`.execute(
      db,
    );
    await unstage(g.tags);
    await unstage(g.calibs);
  }
  for (const t of base) await unstage(t);
  // Registry caches check this token (src/butler/registry/cache.ts); every change to collections, chains or
  // dataset types replaces it.
  await setAttribute(db, CACHE_TOKEN, randomUUID());
}

/**
 * Schema step 3. On PostgreSQL each foreign-key check is a lookup and a row lock per inserted row (2.5–3.5 µs
 * each; three per dataset were half of a bulk insert). The two on `dataset` always name the same RUN and dataset
 * type for a whole batch, and a tags row written with its dataset needs no check, so the registry now locks
 * those once per batch (DatasetManager.writeRefs, associate), removes a RUN's datasets and their tags rows itself
 * after locking them (CollectionManager.remove, DatasetManager.remove) and locks a dataset type before checking it
 * is unused (DatasetTypeManager.remove). Certifications keep their keys (rare, never bulk). SQLite keeps every
 * foreign key: its checks are cheap, and a write transaction there locks the whole database.
 */
async function dropPerRowDatasetKeys(
  db: Kysely<any>,
  { capabilities: caps }: MigrationContext<DimensionUniverse>,
): Promise<void> {
  if (!caps.rowLocks) return;
  const { rows } = await sql<{
    child: string;
    conname: string;
  }>`SELECT t.relname AS child, c.conname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid WHERE c.contype = 'f' AND t.relnamespace = CAST(current_schema() AS regnamespace) AND ((c.conrelid = CAST('dataset' AS regclass) AND c.confrelid IN (CAST('run' AS regclass), CAST('dataset_type' AS regclass))) OR (c.confrelid = CAST('dataset' AS regclass) AND t.relname LIKE 'dataset\\_tags\\_%'))`.execute(
    db,
  );
  for (const { child, conname } of rows) {
    await sql`ALTER TABLE ${sql.table(child)} DROP CONSTRAINT ${sql.id(conname)}`.execute(db);
  }
}
