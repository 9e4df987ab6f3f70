import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Registry } from '../../../src/butler/registry/index.js';
import {
  type DatabaseFactory,
  defaultUniverse,
  loadBase,
  postgresFactory,
  sqliteFactory,
} from './fixtures.js';

/**
 * A dataset's RUN and dataset type: checked by per-row foreign keys on SQLite, and on PostgreSQL (schema step 3)
 * once per inserted batch under key-share locks, with removal of a RUN or type locking it first. Either way the
 * registry refuses what it refused and leaves no dataset without its RUN or type.
 */
for (const factory of [sqliteFactory, postgresFactory] as DatabaseFactory[]) {
  const enabled = factory.enabled(`dataset parents: ${factory.name}`);
  // The interleavings of concurrent writers exist only where the registry takes row locks (PostgreSQL); SQLite
  // serialises writers and keeps its foreign keys, so those cases are not registered for it at all.
  const itWithRowLocks = (factory === postgresFactory ? it : () => {}) as typeof it;
  describe.skipIf(!enabled)(`a dataset's RUN and dataset type: ${factory.name}`, () => {
    let env: Awaited<ReturnType<DatabaseFactory['create']>>;
    let registry: Registry;
    /** A second registry on its own connection(s), as another process would be. */
    let other: Registry;
    const dataIds = [1, 2, 3, 4].map((detector) => ({ instrument: 'Cam1', detector }));

    beforeEach(async () => {
      env = await factory.create();
      registry = await Registry.create(env.db, defaultUniverse());
      await loadBase(registry);
      await registry.registerDatasetType(
        registry.makeDatasetType('bias', ['instrument', 'detector'], 'StructuredDataDict'),
      );
      await registry.registerRun('r1');
      other = await Registry.open(await env.reopen({}));
    });
    afterEach(async () => {
      await other.close();
      await registry.close();
      await env.cleanup();
    });

    const datasetRows = async () =>
      Number(
        (await sql<{ n: number | string }>`SELECT count(*) AS n FROM dataset`.execute(registry.database.db))
          .rows[0]!.n,
      );

    const tagsRows = async () => {
      const rec = await registry.datasetTypes.get('bias');
      return Number(
        (
          await sql<{ n: number | string }>`SELECT count(*) AS n FROM ${sql.table(rec.tagsTable)}`.execute(
            registry.database.db,
          )
        ).rows[0]!.n,
      );
    };

    it('refuses an insert whose RUN was removed after it was looked up, and writes nothing', async () => {
      const rec = await registry.datasetTypes.get('bias');
      const run = await registry.collections.getRun('r1');
      await other.removeCollection('r1');
      const err = await registry.datasets.insert(rec, dataIds, run).then(
        () => null,
        (e) => e,
      );
      expect(err).not.toBeNull();
      if (registry.database.capabilities.rowLocks) expect(err.code).toBe('COLLECTION_UNKNOWN');
      expect(await datasetRows()).toBe(0);
    });

    it('refuses an insert whose dataset type was removed after it was looked up, and writes nothing', async () => {
      const rec = await registry.datasetTypes.get('bias');
      const run = await registry.collections.getRun('r1');
      await other.removeDatasetType('bias');
      const err = await registry.datasets.insert(rec, dataIds, run).then(
        () => null,
        (e) => e,
      );
      expect(err).not.toBeNull();
      if (registry.database.capabilities.rowLocks) expect(err.code).toBe('DATASET_TYPE_UNKNOWN');
      expect(await datasetRows()).toBe(0);
    });

    it('an insert through a stale cache (the RUN removed and made again elsewhere) lands in the new RUN', async () => {
      await registry.insertDatasets('bias', dataIds.slice(0, 1), 'r1'); // the cache now knows r1
      await other.removeCollection('r1');
      await other.registerRun('r1');
      const refs = await registry.insertDatasets('bias', dataIds, 'r1');
      expect(refs.map((r) => r.run)).toEqual(['r1', 'r1', 'r1', 'r1']);
      const found = await other.queryDatasets('bias', { collections: ['r1'] });
      expect(found.map((r) => r.id).sort()).toEqual(refs.map((r) => r.id).sort());
      expect(await datasetRows()).toBe(4);
      await expect(registry.insertDatasets('bias', [], 'gone')).rejects.toMatchObject({
        code: 'COLLECTION_UNKNOWN',
      });
    });

    it('removing a RUN removes its datasets and their memberships; a type with datasets cannot be removed', async () => {
      const refs = await registry.insertDatasets('bias', dataIds, 'r1');
      await registry.registerCollection('tagged', 'TAGGED');
      await registry.associate('tagged', refs);
      await expect(registry.removeDatasetType('bias')).rejects.toMatchObject({ code: 'DATASET_TYPE_IN_USE' });
      await registry.removeCollection('r1');
      expect(await datasetRows()).toBe(0);
      expect(await registry.queryDatasets('bias', { collections: ['tagged'] })).toEqual([]);
      expect(await tagsRows()).toBe(0);
      await registry.removeDatasetType('bias');
    });

    // SQLite has one writer at a time, so these interleavings cannot happen there.
    itWithRowLocks(
      'a RUN being inserted into is removed only after the insert commits, datasets included',
      async () => {
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let inserted!: () => void;
        const didInsert = new Promise<void>((resolve) => (inserted = resolve));
        const insert = registry.transaction(async () => {
          await registry.insertDatasets('bias', dataIds, 'r1');
          inserted();
          await gate;
        });
        await didInsert;
        let removed = false;
        const removal = other.removeCollection('r1').then(() => {
          removed = true;
        });
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(removed).toBe(false);
        release();
        await insert;
        await removal;
        expect(await datasetRows()).toBe(0);
      },
    );

    itWithRowLocks(
      'a dataset type being inserted cannot be removed meanwhile: the removal waits, then refuses',
      async () => {
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let inserted!: () => void;
        const didInsert = new Promise<void>((resolve) => (inserted = resolve));
        const insert = registry.transaction(async () => {
          await registry.insertDatasets('bias', dataIds, 'r1');
          inserted();
          await gate;
        });
        await didInsert;
        const removal = other.removeDatasetType('bias').then(
          () => null,
          (e) => e,
        );
        await new Promise((resolve) => setTimeout(resolve, 300));
        release();
        await insert;
        expect(await removal).toMatchObject({ code: 'DATASET_TYPE_IN_USE' });
        expect(await datasetRows()).toBe(4);
      },
    );

    itWithRowLocks(
      'a dataset being tagged is removed only after the tags row commits, and the tags row goes with it',
      async () => {
        const refs = await registry.insertDatasets('bias', dataIds, 'r1');
        await registry.registerCollection('tagged', 'TAGGED');
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let tagged!: () => void;
        const didTag = new Promise<void>((resolve) => (tagged = resolve));
        const associate = registry.transaction(async () => {
          await registry.associate('tagged', refs);
          tagged();
          await gate;
        });
        await didTag;
        const removal = other.removeDatasets(refs);
        await new Promise((resolve) => setTimeout(resolve, 300));
        release();
        await associate;
        await removal;
        expect(await datasetRows()).toBe(0);
        expect(await tagsRows()).toBe(0);
      },
    );

    it('refuses to tag a dataset that was removed, and removing datasets removes their memberships', async () => {
      const refs = await registry.insertDatasets('bias', dataIds, 'r1');
      await registry.registerCollection('tagged', 'TAGGED');
      await registry.associate('tagged', refs.slice(0, 2));
      await other.removeDatasets([refs[3]!]);
      const err = await registry.associate('tagged', refs.slice(2)).then(
        () => null,
        (e) => e,
      );
      expect(err).not.toBeNull();
      if (registry.database.capabilities.rowLocks) expect(err.code).toBe('DATASET_NOT_FOUND');
      expect((await registry.queryDatasets('bias', { collections: ['tagged'] })).length).toBe(2);
      await registry.removeDatasets([refs[0]!]);
      expect((await registry.queryDatasets('bias', { collections: ['tagged'] })).map((r) => r.id)).toEqual([
        refs[1]!.id,
      ]);
      expect(await tagsRows()).toBe(3); // two in the RUN, one in the TAGGED collection
    });

    it('keeps the per-row keys only where there are no row locks', async () => {
      const db = registry.database.db;
      if (registry.database.capabilities.rowLocks) {
        const { rows } = await sql<{
          child: string;
          parent: string;
        }>`SELECT CAST(conrelid AS regclass)::text AS child, CAST(confrelid AS regclass)::text AS parent FROM pg_constraint WHERE contype = 'f' AND (conrelid = CAST('dataset' AS regclass) OR confrelid = CAST('dataset' AS regclass))`.execute(
          db,
        );
        const pairs = rows.map((r) => `${r.child}->${r.parent}`);
        expect(pairs).not.toContain('dataset->run');
        expect(pairs).not.toContain('dataset->dataset_type');
        expect(pairs.filter((p) => /^dataset_tags_/.test(p))).toEqual([]);
        // Certifications keep theirs.
        expect(pairs.some((p) => /^dataset_calibs_\d+->dataset$/.test(p))).toBe(true);
      } else {
        const { rows } = await sql<{
          table: string;
        }>`SELECT "table" FROM pragma_foreign_key_list('dataset')`.execute(db);
        expect(new Set(rows.map((r) => r.table))).toEqual(new Set(['run', 'dataset_type']));
        const tags = await sql<{
          table: string;
        }>`SELECT "table" FROM pragma_foreign_key_list('dataset_tags_00000001')`.execute(db);
        expect(tags.rows.map((r) => r.table)).toEqual(['dataset']);
      }
    });
  });
}
