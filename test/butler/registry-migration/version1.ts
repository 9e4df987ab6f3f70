import type { CreateTableBuilder, Kysely } from 'kysely';
import { uuidv7 } from '../../../src/butler/core/ids.js';
import type { DimensionGroup, DimensionUniverse } from '../../../src/butler/dimensions/universe.js';
import type { RegistryDatabase } from '../../../src/butler/registry/index.js';
import { registrySchema, sqlType } from '../../../src/butler/registry/schema.js';
import { Timespan } from '../../../src/butler/time/index.js';
import { type DatabaseCapabilities, defineSchemaComponent, migrate } from '../../../src/db/index.js';

/**
 * A registry as Meridian made it at schema version 1 (before binary dataset IDs): the version-1 migration step,
 * the attributes Registry.create wrote, and dataset tables in the layout of version 1's `createDatasetTables`
 * (copied here unchanged from that version, since the code no longer creates it). Rows are written with plain
 * SQL, as version-1 code stored them: dataset IDs as text on SQLite.
 */

const version1 = defineSchemaComponent({
  ...registrySchema,
  migrations: registrySchema.migrations.slice(0, 1),
});

function withSerialId(tb: CreateTableBuilder<any, any>, name: string, caps: DatabaseCapabilities) {
  return caps.serialPrimaryKey === 'autoincrement'
    ? tb.addColumn(name, 'integer', (c) => c.primaryKey().autoIncrement())
    : tb.addColumn(name, 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity());
}

/** Version 1's createDatasetTables. */
async function createDatasetTablesV1(
  db: Kysely<any>,
  caps: DatabaseCapabilities,
  group: DimensionGroup,
  groupId: number,
): Promise<{ tags: string; calibs: string }> {
  const suffix = String(groupId).padStart(8, '0');
  const tags = `dataset_tags_${suffix}`;
  const calibs = `dataset_calibs_${suffix}`;
  const dims = group.required.map((n) => ({ ...group.universe.element(n).primaryKey, name: n }));
  let t = db.schema
    .createTable(tags)
    .addColumn('dataset_type_id', 'bigint', (c) => c.notNull().references('dataset_type.id'))
    .addColumn('dataset_id', caps.uuidType, (c) => c.notNull().references('dataset.id').onDelete('cascade'))
    .addColumn('collection_id', 'bigint', (c) =>
      c.notNull().references('collection.collection_id').onDelete('cascade'),
    );
  for (const d of dims) t = t.addColumn(d.name, sqlType(d), (c) => c.notNull());
  await t
    .addPrimaryKeyConstraint(`${tags}_pkey`, ['dataset_id', 'collection_id'])
    .addUniqueConstraint(`${tags}_unique`, [
      'dataset_type_id',
      'collection_id',
      ...dims.map((d) => d.name),
    ] as any)
    .execute();
  await db.schema
    .createIndex(`${tags}_dataid_idx`)
    .on(tags)
    .columns(['dataset_type_id', ...dims.map((d) => d.name)])
    .execute();
  let c = withSerialId(db.schema.createTable(calibs), 'id', caps)
    .addColumn('dataset_type_id', 'bigint', (col) => col.notNull().references('dataset_type.id'))
    .addColumn('dataset_id', caps.uuidType, (col) =>
      col.notNull().references('dataset.id').onDelete('cascade'),
    )
    .addColumn('collection_id', 'bigint', (col) =>
      col.notNull().references('collection.collection_id').onDelete('cascade'),
    );
  for (const d of dims) c = c.addColumn(d.name, sqlType(d), (col) => col.notNull());
  await c.addColumn('timespan_begin', 'bigint').addColumn('timespan_end', 'bigint').execute();
  await db.schema
    .createIndex(`${calibs}_lookup_idx`)
    .on(calibs)
    .columns(['dataset_type_id', 'collection_id', ...dims.map((d) => d.name)])
    .execute();
  return { tags, calibs };
}

/** What the version-1 registry holds, to check after migrating. */
export interface Version1Contents {
  /** flat datasets in run1, by detector 1..4 */
  readonly flats: readonly string[];
  /** bias datasets in run1, certified in `calib` over `biasValidity` (detector 1 then 2) */
  readonly biases: readonly string[];
  readonly biasValidity: Timespan;
  /** flats of detectors 1 and 2, also in TAGGED `tagged` */
  readonly tagged: readonly string[];
}

export async function makeVersion1Registry(
  database: RegistryDatabase,
  universe: DimensionUniverse,
): Promise<Version1Contents> {
  const caps = database.capabilities;
  return database.transaction(async (db) => {
    await migrate(database, version1, universe);
    for (const [name, value] of [
      ['config:dimensions.json', JSON.stringify(universe.toJSON())],
      ['universe', `${universe.namespace}:${universe.version}`],
      ['schema_version', '1'],
    ]) {
      await db.insertInto('butler_attributes').values({ name, value }).execute();
    }
    await db.insertInto('instrument').values({ name: 'Cam1' }).execute();
    await db
      .insertInto('detector')
      .values([1, 2, 3, 4].map((id) => ({ instrument: 'Cam1', id })))
      .execute();
    const group = universe.group(['instrument', 'detector']);
    const { id: groupId } = await db
      .insertInto('dimension_group')
      .values({ names: group.names.join(',') })
      .returning('id')
      .executeTakeFirstOrThrow();
    const tables = await createDatasetTablesV1(db, caps, group, Number(groupId));
    const typeId = async (name: string, isCalibration: boolean) =>
      Number(
        (
          await db
            .insertInto('dataset_type')
            .values({
              name,
              storage_class: 'StructuredDataDict',
              dimension_group_id: groupId,
              is_calibration: isCalibration,
            })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id,
      );
    const flatType = await typeId('flat', false);
    const biasType = await typeId('bias', true);
    const collection = async (name: string, type: number) =>
      Number(
        (
          await db
            .insertInto('collection')
            .values({ name, type, doc: null })
            .returning('collection_id')
            .executeTakeFirstOrThrow()
        ).collection_id,
      );
    const run1 = await collection('run1', 1);
    await db.insertInto('run').values({ collection_id: run1, host: 'test' }).execute();
    const tagged = await collection('tagged', 2);
    const chain = await collection('chain', 3);
    const calib = await collection('calib', 4);
    await db
      .insertInto('collection_chain')
      .values([
        { parent: chain, position: 0, child: tagged },
        { parent: chain, position: 1, child: run1 },
      ])
      .execute();
    const dataset = async (type: number, detector: number, collections: number[]) => {
      const id = uuidv7();
      await db
        .insertInto('dataset')
        .values({ id, dataset_type_id: type, run_id: run1, ingest_date: 1 })
        .execute();
      for (const c of collections) {
        await db
          .insertInto(tables.tags)
          .values({ dataset_type_id: type, dataset_id: id, collection_id: c, instrument: 'Cam1', detector })
          .execute();
      }
      await db
        .insertInto('file_datastore_records')
        .values({
          dataset_id: id,
          component: '',
          path: `run1/${type}/${detector}.json`,
          formatter: 'json',
          storage_class: 'StructuredDataDict',
          checksum: null,
          file_size: 10 + detector,
        })
        .execute();
      return id;
    };
    const flats: string[] = [];
    for (const d of [1, 2, 3, 4]) flats.push(await dataset(flatType, d, d <= 2 ? [run1, tagged] : [run1]));
    const biases = [await dataset(biasType, 1, [run1]), await dataset(biasType, 2, [run1])];
    const biasValidity = Timespan.fromIso('2021-01-01T00:00:00', '2022-01-01T00:00:00');
    for (const [i, id] of biases.entries()) {
      await db
        .insertInto(tables.calibs)
        .values({
          dataset_type_id: biasType,
          dataset_id: id,
          collection_id: calib,
          instrument: 'Cam1',
          detector: i + 1,
          timespan_begin: biasValidity.begin,
          timespan_end: biasValidity.end,
        })
        .execute();
    }
    await db
      .insertInto('collection_summary_dataset_type')
      .values([
        { collection_id: run1, dataset_type_id: flatType },
        { collection_id: run1, dataset_type_id: biasType },
        { collection_id: tagged, dataset_type_id: flatType },
        { collection_id: calib, dataset_type_id: biasType },
      ])
      .execute();
    // A removed dataset whose file still waits in the trash.
    await db
      .insertInto('file_datastore_trash')
      .values({
        dataset_id: uuidv7(),
        component: '',
        path: 'run1/gone.json',
        formatter: 'json',
        storage_class: 'StructuredDataDict',
        checksum: null,
        file_size: 1,
      })
      .execute();
    return { flats, biases, biasValidity, tagged: flats.slice(0, 2) };
  });
}
