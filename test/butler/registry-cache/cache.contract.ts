import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Registry } from '../../../src/butler/registry/index.js';
import { type DatabaseFactory, defaultUniverse, loadBase } from '../registry/fixtures.js';

const bias = (detector: number) => ({ instrument: 'Cam1', detector });

/**
 * Two Registry instances on one database, as two processes writing one repository: what one caches must never
 * make it answer wrongly after the other changed collections, chains or dataset types (cache.ts).
 */
export function cacheContract(factory: DatabaseFactory): void {
  const enabled = factory.enabled('registry cache');
  describe.runIf(enabled)(`registry cache across two instances: ${factory.name}`, () => {
    let env: Awaited<ReturnType<DatabaseFactory['create']>>;
    let a: Registry;
    let b: Registry;

    beforeEach(async () => {
      env = await factory.create();
      a = await Registry.create(env.db, defaultUniverse());
      await loadBase(a);
      await a.registerDatasetType(
        a.makeDatasetType('bias', ['instrument', 'detector'], 'StructuredDataDict'),
      );
      for (const run of ['r1', 'r2']) await a.registerRun(run);
      b = await Registry.open(await env.reopen({}));
    });

    afterEach(async () => {
      await b.close();
      await a.close();
      await env.cleanup();
    });

    it('follows a chain redefined by the other instance', async () => {
      const [inR1] = await a.insertDatasets('bias', [bias(1)], 'r1');
      const [inR2] = await a.insertDatasets('bias', [bias(1)], 'r2');
      await a.registerCollection('chain', 'CHAINED');
      await a.setCollectionChain('chain', ['r1', 'r2']);
      const find = () => b.findDataset('bias', bias(1), { collections: ['chain'] });
      const query = () => b.queryDatasets('bias', { collections: ['chain'], findFirst: true });
      expect((await find())?.id).toBe(inR1!.id);
      expect((await query()).map((r) => r.id)).toEqual([inR1!.id]);
      await a.setCollectionChain('chain', ['r2', 'r1']);
      expect((await find())?.id).toBe(inR2!.id);
      expect((await query()).map((r) => r.id)).toEqual([inR2!.id]);
      expect(await b.getCollectionChain('chain')).toEqual(['r2', 'r1']);
    });

    it('sees a RUN removed and made again under the same name (a new id) by the other instance', async () => {
      const [old] = await a.insertDatasets('bias', [bias(2)], 'r1');
      expect((await b.queryDatasets('bias', { collections: ['r1'] })).map((r) => r.id)).toEqual([old!.id]);
      await a.removeCollection('r1');
      await a.registerRun('r1');
      const [fresh] = await a.insertDatasets('bias', [bias(2)], 'r1');
      expect((await b.queryDatasets('bias', { collections: ['r1'] })).map((r) => r.id)).toEqual([fresh!.id]);
      expect((await b.findDataset('bias', bias(2), { collections: ['r1'] }))?.id).toBe(fresh!.id);
      // Writes decide on what their transaction sees, not on the cache.
      const [viaB] = await b.insertDatasets('bias', [bias(3)], 'r1');
      expect((await a.getDataset(viaB!.id))?.run).toBe('r1');
    });

    it('answers an empty query correctly once the other instance adds to a cached collection', async () => {
      expect(await b.queryDatasets('bias', { collections: ['r2'] })).toEqual([]);
      await a.registerCollection('tag', 'TAGGED');
      const [ref] = await a.insertDatasets('bias', [bias(4)], 'r2');
      await a.associate('tag', [ref!]);
      expect((await b.queryDatasets('bias', { collections: ['tag'] })).map((r) => r.id)).toEqual([ref!.id]);
      expect((await b.queryDatasets('bias', { collections: ['r2'] })).map((r) => r.id)).toEqual([ref!.id]);
    });

    it('sees a dataset type removed and registered again with other dimensions', async () => {
      await a.registerDatasetType(
        a.makeDatasetType('calexp', ['instrument', 'detector'], 'StructuredDataDict'),
      );
      expect((await b.getDatasetType('calexp')).dimensions.names).not.toContain('exposure');
      await a.removeDatasetType('calexp');
      await a.registerDatasetType(
        a.makeDatasetType('calexp', ['instrument', 'detector', 'exposure'], 'StructuredDataDict'),
      );
      expect((await b.getDatasetType('calexp')).dimensions.names).toContain('exposure');
      await b.registerRun('r3');
      const [ref] = await b.insertDatasets(
        'calexp',
        [{ instrument: 'Cam1', detector: 1, exposure: 100 }],
        'r3',
      );
      expect((await a.queryDatasets('calexp', { collections: ['r3'] })).map((r) => r.id)).toEqual([ref!.id]);
    });

    it('forgets a collection whose registration was rolled back', async () => {
      await expect(
        b.transaction(async () => {
          await b.registerRun('doomed');
          expect((await b.queryCollections(['doomed'])).map((c) => c.name)).toEqual(['doomed']);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      await expect(b.queryCollections(['doomed'])).rejects.toMatchObject({ code: 'COLLECTION_UNKNOWN' });
      await expect(a.queryCollections(['doomed'])).rejects.toMatchObject({ code: 'COLLECTION_UNKNOWN' });
      await a.registerRun('doomed');
      const [ref] = await a.insertDatasets('bias', [bias(1)], 'doomed');
      expect((await b.queryDatasets('bias', { collections: ['doomed'] })).map((r) => r.id)).toEqual([
        ref!.id,
      ]);
    });
  });
}
