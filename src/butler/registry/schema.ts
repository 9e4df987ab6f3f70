import type { ColumnDataType, CreateTableBuilder, Kysely } from 'kysely';
import {
  type DatabaseCapabilities,
  defineSchemaComponent,
  latestVersion,
  migrate,
  type SqlDatabase,
} from '../../db/index.js';
import type {
  ColumnSpec,
  DimensionElement,
  DimensionGroup,
  DimensionUniverse,
} from '../dimensions/universe.js';

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

/** Columns of a datastore record (the live table and the trash share them). */
function storedFileColumns(tb: CreateTableBuilder<any, any>, caps: DatabaseCapabilities) {
  return tb
    .addColumn('dataset_id', caps.uuidType, (c) => c.notNull())
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
        await storedFileColumns(db.schema.createTable('file_datastore_records'), caps)
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
          caps,
        ).execute();
        await createElementTables(db, universe);
      },
    },
  ],
});

/**
 * Bring a registry schema up to date (joining the caller's transaction). The version is also kept in
 * `butler_attributes` under `schema_version`, where Meridian before src/db looks for it.
 */
export async function migrateRegistry(database: SqlDatabase, universe: DimensionUniverse): Promise<void> {
  await migrate(database, registrySchema, universe);
  await setAttribute(database.executor(), 'schema_version', String(latestVersion(registrySchema)));
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

/**
 * Create the tags and calibs tables of a dimension group. The UNIQUE constraint on
 * (dataset_type_id, collection_id, required dimensions) is the rule "one dataset per type and data ID in a
 * collection", which covers RUN and TAGGED collections alike.
 */
export async function createDatasetTables(
  db: Kysely<any>,
  caps: DatabaseCapabilities,
  group: DimensionGroup,
  groupId: number,
): Promise<void> {
  const { tags, calibs } = datasetTableNames(groupId);
  const dims = group.required.map((n) => ({ ...group.universe.element(n).primaryKey, name: n }));
  let t = db.schema
    .createTable(tags)
    .ifNotExists()
    .addColumn('dataset_type_id', 'bigint', (c) => c.notNull().references('dataset_type.id'))
    .addColumn('dataset_id', caps.uuidType, (c) => c.notNull().references('dataset.id').onDelete('cascade'))
    .addColumn('collection_id', 'bigint', (c) =>
      c.notNull().references('collection.collection_id').onDelete('cascade'),
    );
  for (const d of dims) t = t.addColumn(d.name, sqlType(d), (c) => c.notNull());
  t = t
    .addPrimaryKeyConstraint(`${tags}_pkey`, ['dataset_id', 'collection_id'])
    .addUniqueConstraint(`${tags}_unique`, [
      'dataset_type_id',
      'collection_id',
      ...dims.map((d) => d.name),
    ] as any);
  await t.execute();
  if (dims.length > 0) {
    // Lookups by data ID across many collections (e.g. a wildcard search over runs).
    await db.schema
      .createIndex(`${tags}_dataid_idx`)
      .ifNotExists()
      .on(tags)
      .columns(['dataset_type_id', ...dims.map((d) => d.name)])
      .execute();
  }
  let c = withSerialId(db.schema.createTable(calibs).ifNotExists(), 'id', caps)
    .addColumn('dataset_type_id', 'bigint', (col) => col.notNull().references('dataset_type.id'))
    .addColumn('dataset_id', caps.uuidType, (col) =>
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
