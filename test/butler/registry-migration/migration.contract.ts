import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Registry, type RegistryDatabase } from '../../../src/butler/registry/index.js';
import { type DatabaseFactory, defaultUniverse } from '../registry/fixtures.js';
import { makeVersion1Registry, type Version1Contents } from './version1.js';

/** Schema step 2 (binary dataset IDs, clustered tags) on a registry made as version 1 made it. */
export function migrationContract(factory: DatabaseFactory): void {
  const enabled = factory.enabled('registry migration');
  describe.runIf(enabled)(`registry migration to binary dataset IDs: ${factory.name}`, () => {
    let env: Awaited<ReturnType<DatabaseFactory['create']>>;
    let database: RegistryDatabase;
    let v1: Version1Contents;

    beforeEach(async () => {
      env = await factory.create();
      database = env.db;
      v1 = await makeVersion1Registry(database, defaultUniverse());
    });

    afterEach(async () => {
      await database.close();
      await env.cleanup();
    });

    async function openError(): Promise<unknown> {
      const db = await env.reopen({});
      try {
        const registry = await Registry.open(db);
        await registry.close();
        return null;
      } catch (err) {
        await db.close();
        return err;
      }
    }

    it('refuses to open a version-1 registry, naming the command that migrates it', async () => {
      expect(await openError()).toMatchObject({
        code: 'SCHEMA_VERSION',
        message: expect.stringContaining('butler migrate'),
      });
    });

    it('converts every stored ID in place and keeps datasets, memberships, certifications and file records', async () => {
      expect(await Registry.migrate(database)).toEqual({ from: 1, to: 3 });
      expect(await Registry.migrate(database)).toEqual({ from: 3, to: 3 });
      expect(await openError()).toBeNull();
      const registry = await Registry.open(await env.reopen({}));
      try {
        const all = [...v1.flats, ...v1.biases];
        const refs = await registry.getDatasets(all);
        expect([...refs.keys()].sort()).toEqual([...all].sort());
        expect(refs.get(v1.flats[2]!)).toMatchObject({ run: 'run1', dataId: { values: { detector: 3 } } });
        expect((await registry.allDatasetIds()).sort()).toEqual([...all].sort());

        const firstFound = await registry.queryDatasets('flat', { collections: ['chain'], findFirst: true });
        expect(firstFound.map((r) => r.id).sort()).toEqual([...v1.flats].sort());
        const tagged = await registry.queryDatasets('flat', { collections: ['tagged'] });
        expect(tagged.map((r) => r.id).sort()).toEqual([...v1.tagged].sort());
        const byId = await registry.queryDatasets('flat', {
          collections: ['run1'],
          where: 'flat.dataset_id = :id',
          bind: { id: v1.flats[3]! },
        });
        expect(byId.map((r) => r.id)).toEqual([v1.flats[3]]);

        const bias = await registry.findDataset(
          'bias',
          { instrument: 'Cam1', detector: 2 },
          { collections: ['calib'], timespan: v1.biasValidity },
        );
        expect(bias?.id).toBe(v1.biases[1]);
        const certified = await registry.queryDatasetAssociations('bias', ['calib']);
        expect(certified.map((a) => a.ref.id).sort()).toEqual([...v1.biases].sort());

        const stored = await registry.stored.get(all);
        expect(stored.get(v1.flats[0]!)?.[0]).toMatchObject({ datasetId: v1.flats[0], fileSize: 11 });
        expect(await registry.stored.trashCount()).toBe(1);
        expect(await registry.collectionSummary('run1')).toEqual(['bias', 'flat']);

        // The new layout works for writes: new datasets, a conflict, removal cascading to tags and calibs.
        await registry.registerRun('run2');
        const [added] = await registry.insertDatasets('flat', [{ instrument: 'Cam1', detector: 1 }], 'run2');
        expect((await registry.getDataset(added!.id))?.run).toBe('run2');
        await expect(
          registry.insertDatasets('flat', [{ instrument: 'Cam1', detector: 1 }], 'run1'),
        ).rejects.toMatchObject({ code: 'DATASET_CONFLICT' });
        await registry.removeDatasets([refs.get(v1.biases[0]!)!, refs.get(v1.flats[0]!)!]);
        expect(await registry.queryDatasetAssociations('bias', ['calib'])).toHaveLength(1);
        expect((await registry.queryDatasets('flat', { collections: ['tagged'] })).map((r) => r.id)).toEqual([
          v1.flats[1],
        ]);
      } finally {
        await registry.close();
      }
    });

    it('stores IDs in 16 bytes, with clustered tags where the back end has them', async () => {
      await Registry.migrate(database);
      const caps = database.capabilities;
      if (caps.binaryUuidType === 'blob') {
        const { rows } = await sql<{
          t: string;
          n: number;
        }>`SELECT typeof(id) AS t, length(id) AS n FROM dataset`.execute(database.db);
        expect(new Set(rows.map((r) => `${r.t}:${Number(r.n)}`))).toEqual(new Set(['blob:16']));
      } else {
        const { rows } = await sql<{
          data_type: string;
        }>`SELECT data_type FROM information_schema.columns WHERE table_schema = current_schema() AND (column_name = 'dataset_id' OR (table_name = 'dataset' AND column_name = 'id'))`.execute(
          database.db,
        );
        expect(rows.length).toBeGreaterThanOrEqual(5);
        expect(new Set(rows.map((r) => r.data_type))).toEqual(new Set(['uuid']));
      }
      if (caps.clusteredTables) {
        const { rows } = await sql<{
          sql: string;
        }>`SELECT sql FROM sqlite_master WHERE name = 'dataset_tags_00000001'`.execute(database.db);
        expect(rows[0]?.sql).toMatch(/WITHOUT ROWID/);
      }
    });

    it('leaves the registry as it was when the migration fails part-way', async () => {
      // Break the last table the step reads, so that it fails after rebuilding the others.
      await database.db.schema.dropTable('file_datastore_trash').execute();
      await expect(Registry.migrate(database)).rejects.toBeDefined();
      expect(await openError()).toMatchObject({
        code: 'SCHEMA_VERSION',
        message: expect.stringContaining('version 1'),
      });
      const rows = await database.db.selectFrom('dataset').select('id').execute();
      expect(rows.map((r) => String(r.id)).sort()).toEqual([...v1.flats, ...v1.biases].sort());
      expect(await database.tableExists('dataset_tags_00000001')).toBe(true);
    });
  });
}
