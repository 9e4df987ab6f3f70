import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Registry } from '../../../src/butler/registry/index.js';
import { type DatabaseFactory, defaultUniverse, loadBase } from '../registry/fixtures.js';

/** More rows than the bulk path's threshold (256) in one batch: 80 exposures × 4 detectors. */
const EXPOSURES = Array.from({ length: 80 }, (_, i) => 1000 + i);
const DATA_IDS = EXPOSURES.flatMap((exposure) =>
  [1, 2, 3, 4].map((detector) => ({ instrument: 'Cam1', detector, exposure })),
);

/**
 * Large batches take the back end's bulk path (`SqlDatabase.bulkLoad`: COPY on PostgreSQL, multi-row INSERTs on
 * SQLite) and keep the all-or-nothing rule of a registry write.
 */
export function bulkContract(factory: DatabaseFactory): void {
  const enabled = factory.enabled('registry bulk loading');
  describe.runIf(enabled)(`registry bulk loading: ${factory.name}`, () => {
    let env: Awaited<ReturnType<DatabaseFactory['create']>>;
    let registry: Registry;

    beforeEach(async () => {
      env = await factory.create();
      registry = await Registry.create(env.db, defaultUniverse());
      await loadBase(registry);
      await registry.insertDimensionData(
        'exposure',
        EXPOSURES.map((id) => ({
          instrument: 'Cam1',
          id,
          obs_id: `bulk${id}`,
          physical_filter: 'Cam1-G',
          group: 'g1',
          day_obs: 20210909,
        })),
      );
      await registry.registerDatasetType(
        registry.makeDatasetType('raw', ['instrument', 'detector', 'exposure'], 'StructuredDataDict'),
      );
      await registry.registerRun('r1');
      await registry.registerRun('r2');
    });

    afterEach(async () => {
      await registry.close();
      await env.cleanup();
    });

    async function datasetCount(): Promise<number> {
      const { rows } = await sql<{ n: unknown }>`SELECT COUNT(*) AS n FROM dataset`.execute(
        registry.database.db,
      );
      return Number(rows[0]!.n);
    }

    it('writes a large batch through the bulk path and finds every dataset again, by ID and by query', async () => {
      const refs = await registry.insertDatasets('raw', DATA_IDS, 'r1');
      expect(refs).toHaveLength(DATA_IDS.length);
      expect(await datasetCount()).toBe(DATA_IDS.length);
      expect((await registry.getDatasets(refs.map((r) => r.id))).size).toBe(DATA_IDS.length);
      const queried = await registry.queryDatasets('raw', { collections: ['r1'] });
      expect(queried.map((r) => r.id).sort()).toEqual(refs.map((r) => r.id).sort());
      // The same IDs into another RUN (import, transfer): the bulk path with known IDs.
      await expect(registry.importDatasets(refs.map((r) => ({ ...r, run: 'r2' })))).rejects.toMatchObject({
        code: 'DATASET_CONFLICT',
      });
      expect(await datasetCount()).toBe(DATA_IDS.length);
    });

    it('leaves nothing when a row deep in a bulk batch repeats a data ID, inside an outer transaction too', async () => {
      const repeated = [...DATA_IDS.slice(0, 299), DATA_IDS[5]!];
      await expect(registry.insertDatasets('raw', repeated, 'r1')).rejects.toMatchObject({
        code: 'DATASET_CONFLICT',
      });
      expect(await datasetCount()).toBe(0);

      // Inside a caller's transaction: the earlier write stays, the failed batch leaves nothing.
      await registry.transaction(async () => {
        await registry.insertDatasets('raw', DATA_IDS.slice(0, 10), 'r2');
        await expect(registry.insertDatasets('raw', repeated, 'r1')).rejects.toMatchObject({
          code: 'DATASET_CONFLICT',
        });
      });
      expect(await datasetCount()).toBe(10);
      expect(await registry.queryDatasets('raw', { collections: ['r1'] })).toEqual([]);
    });

    it('names the clash when a bulk batch meets a data ID already in the RUN', async () => {
      const [first] = await registry.insertDatasets('raw', [DATA_IDS[299]!], 'r1');
      const err = await registry.insertDatasets('raw', DATA_IDS, 'r1').catch((e) => e);
      expect(err).toMatchObject({ code: 'DATASET_CONFLICT', message: expect.stringContaining(first!.id) });
      expect(await datasetCount()).toBe(1);
    });

    it('removing a TAGGED collection removes its memberships (tags rows carry no foreign key to it)', async () => {
      const refs = await registry.insertDatasets('raw', DATA_IDS.slice(0, 8), 'r1');
      await registry.registerCollection('tag', 'TAGGED');
      await registry.associate('tag', refs);
      await registry.removeCollection('tag');
      const rec = await registry.datasetTypes.get('raw');
      const left = await registry.database.db.selectFrom(rec.tagsTable).select('collection_id').execute();
      expect(left).toHaveLength(8);
      await registry.registerCollection('tag', 'TAGGED');
      expect(await registry.queryDatasets('raw', { collections: ['tag'] })).toEqual([]);
      // Removing the RUN removes its datasets and, through them, every membership.
      await registry.associate('tag', refs.slice(0, 2));
      await registry.removeCollection('r1');
      expect(await registry.database.db.selectFrom(rec.tagsTable).select('collection_id').execute()).toEqual(
        [],
      );
    });

    it('bulkLoad keeps text with tabs, newlines and backslashes, NULLs and booleans, or loads nothing', async () => {
      const database = registry.database;
      await database.db.schema
        .createTable('bulk_probe')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('note', 'text')
        .addColumn('flag', 'boolean')
        .execute();
      const rows = [
        [1, 'tab\there', true],
        [2, 'line\nbreak\r\nand \\ backslash \\N', false],
        [3, null, null],
        [4, '', true],
      ];
      await database.transaction((trx) => database.bulkLoad(trx, 'bulk_probe', ['id', 'note', 'flag'], rows));
      const back = await database.db.selectFrom('bulk_probe').selectAll().orderBy('id').execute();
      expect(
        back.map((r) => [
          Number(r.id),
          r.note,
          r.flag === null ? null : r.flag === true || Number(r.flag) === 1,
        ]),
      ).toEqual(rows);
      const failed = await database
        .transaction((trx) =>
          database.bulkLoad(
            trx,
            'bulk_probe',
            ['id', 'note', 'flag'],
            [
              [5, 'new', true],
              [1, 'duplicate key', false],
            ],
          ),
        )
        .catch((e) => e);
      expect(database.isUniqueViolation(failed)).toBe(true);
      expect(await database.db.selectFrom('bulk_probe').select('id').execute()).toHaveLength(4);
    });
  });
}
