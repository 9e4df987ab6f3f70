import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DatasetRef } from '../../../src/butler/core/dataset-type.js';
import { deterministicDatasetId } from '../../../src/butler/core/ids.js';
import { Registry } from '../../../src/butler/registry/index.js';
import { Timespan } from '../../../src/butler/time/index.js';
import { type DatabaseFactory, defaultUniverse, loadBase } from './fixtures.js';

async function expectCode(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  const err = await p.then(
    () => null,
    (e) => e,
  );
  expect(err, `expected error ${code}`).not.toBeNull();
  expect(err.code).toBe(code);
  if (message) expect(err.message).toMatch(message);
}

/** One behaviour suite for every registry back end (STYLE habit 5). */
export function registryContract(factory: DatabaseFactory): void {
  const run = factory.enabled(`registry contract: ${factory.name}`);
  describe.skipIf(!run)(`registry contract: ${factory.name}`, () => {
    let registry: Registry;
    let env: Awaited<ReturnType<DatabaseFactory['create']>>;

    beforeEach(async () => {
      env = await factory.create();
      registry = await Registry.create(env.db, defaultUniverse());
      await loadBase(registry);
    });
    afterEach(async () => {
      await registry.close();
      await env.cleanup();
    });

    async function setupDatasets(): Promise<{ biasG: DatasetRef[]; biasR: DatasetRef[] }> {
      await registry.registerDatasetType(
        registry.makeDatasetType('bias', ['instrument', 'detector'], 'StructuredDataDict', true),
      );
      await registry.registerDatasetType(
        registry.makeDatasetType(
          'flat',
          ['instrument', 'detector', 'physical_filter'],
          'StructuredDataDict',
          true,
        ),
      );
      await registry.registerDatasetType(
        registry.makeDatasetType('raw', ['instrument', 'detector', 'exposure'], 'StructuredDataDict'),
      );
      await registry.registerRun('imported_g');
      await registry.registerRun('imported_r');
      const biasG = await registry.insertDatasets(
        'bias',
        [1, 2, 3].map((d) => ({ instrument: 'Cam1', detector: d })),
        'imported_g',
      );
      const biasR = await registry.insertDatasets(
        'bias',
        [2, 3, 4].map((d) => ({ instrument: 'Cam1', detector: d })),
        'imported_r',
      );
      return { biasG, biasR };
    }

    describe('dimensions', () => {
      it('expands data IDs with implied values and records', async () => {
        const d = await registry.expandDataId({ instrument: 'Cam1', exposure: 100, detector: 2 });
        expect(d.values).toMatchObject({
          physical_filter: 'Cam1-G',
          band: 'g',
          day_obs: 20210909,
          group: 'g1',
        });
        expect(d.hasFull).toBe(true);
        expect(d.records?.exposure?.obs_id).toBe('ex100');
        expect(d.records?.detector?.full_name).toBe('Ab');
        expect(d.records?.exposure?.timespan).toBeInstanceOf(Timespan);
      });

      it('accepts string values for integer keys and alternate keys', async () => {
        const d = await registry.expandDataId({
          instrument: 'Cam1',
          'exposure.obs_id': 'ex110',
          'detector.full_name': 'Ba',
        });
        expect(d.values.exposure).toBe(110);
        expect(d.values.detector).toBe(3);
        const e = await registry.expandDataId({ instrument: 'Cam1', detector: '4' });
        expect(e.values.detector).toBe(4);
      });

      it('names the missing key of an incomplete data ID', async () => {
        await expectCode(
          registry.expandDataId({ instrument: 'Cam1' }, ['detector']),
          'DATA_ID_INCOMPLETE',
          /detector/,
        );
        await expectCode(
          registry.expandDataId({ detector: 1 }, ['detector']),
          'DATA_ID_INCOMPLETE',
          /instrument/,
        );
      });

      it('rejects inconsistent and unknown values', async () => {
        await expectCode(
          registry.expandDataId({ instrument: 'Cam1', exposure: 100, band: 'r' }, ['exposure']),
          'DATA_ID_INCONSISTENT',
          /band/,
        );
        await expectCode(registry.expandDataId({ instrument: 'Cam1', detector: 99 }), 'DATA_ID_INVALID');
        await expectCode(registry.expandDataId({ instrument: 'Cam1', detector: 'x' }), 'DATA_ID_INVALID');
        await expectCode(registry.expandDataId({ instrument: 'Cam1', nonsense: 1 }), 'UNKNOWN_DIMENSION');
      });

      it('syncs records idempotently and reports conflicts', async () => {
        expect(
          await registry.syncDimensionData('detector', {
            instrument: 'Cam1',
            id: 1,
            full_name: 'Aa',
            raft: 'A',
            name_in_raft: 'a',
            purpose: 'SCIENCE',
          }),
        ).toBe(false);
        await expectCode(
          registry.syncDimensionData('detector', { instrument: 'Cam1', id: 1, full_name: 'Zz' }),
          'DIMENSION_RECORD_CONFLICT',
        );
        await expectCode(
          registry.insertDimensionData('detector', [{ instrument: 'NoCam', id: 1, full_name: 'x' }]),
          'DATA_ID_INVALID',
          /instrument/,
        );
      });
    });

    describe('dataset types', () => {
      it('registers, compares and removes dataset types', async () => {
        const dt = registry.makeDatasetType('calexp', ['instrument', 'visit', 'detector'], 'ExposureF');
        expect(await registry.registerDatasetType(dt)).toBe(true);
        expect(await registry.registerDatasetType(dt)).toBe(false);
        const got = await registry.getDatasetType('calexp');
        expect(got.equals(dt)).toBe(true);
        expect([...got.dimensions.required]).toEqual(['instrument', 'detector', 'visit']);
        await expectCode(
          registry.registerDatasetType(
            registry.makeDatasetType('calexp', ['instrument', 'visit'], 'ExposureF'),
          ),
          'DATASET_TYPE_CONFLICT',
        );
        await expectCode(registry.getDatasetType('nope'), 'DATASET_TYPE_UNKNOWN');
        await registry.removeDatasetType('calexp');
        await expectCode(registry.getDatasetType('calexp'), 'DATASET_TYPE_UNKNOWN');
      });

      it('refuses to remove a dataset type with datasets', async () => {
        await setupDatasets();
        await expectCode(registry.removeDatasetType('bias'), 'DATASET_TYPE_IN_USE');
        expect((await registry.queryDatasetTypes(['b*'])).map((d) => d.name)).toEqual(['bias']);
      });

      it('rejects invalid names', async () => {
        expect(() => registry.makeDatasetType('1bad', ['instrument'], 'int')).toThrow(
          /invalid dataset type name/,
        );
      });
    });

    describe('collections', () => {
      it('enforces chain semantics', async () => {
        await registry.registerRun('run1');
        await registry.registerCollection('tag1', 'TAGGED');
        await registry.registerCollection('chain1', 'CHAINED');
        await registry.registerCollection('chain2', 'CHAINED');
        await registry.setCollectionChain('chain1', ['tag1', 'run1']);
        await registry.setCollectionChain('chain2', ['chain1', 'run1']);
        expect(await registry.getCollectionChain('chain2')).toEqual(['chain1', 'run1']);
        await expectCode(registry.setCollectionChain('chain1', ['chain2']), 'COLLECTION_CYCLE');
        await expectCode(registry.setCollectionChain('chain1', ['chain1']), 'COLLECTION_CYCLE');
        await expectCode(registry.removeCollection('run1'), 'COLLECTION_IN_USE');
        expect(await registry.getCollectionParentChains('run1')).toEqual(['chain1', 'chain2']);
        await registry.setCollectionChain('chain2', ['chain1'], { flatten: true });
        expect(await registry.getCollectionChain('chain2')).toEqual(['tag1', 'run1']);
        await expectCode(registry.registerCollection('run1', 'TAGGED'), 'COLLECTION_EXISTS');
        await expectCode(registry.registerRun('bad*name'), 'COLLECTION_NAME_INVALID');
        expect((await registry.queryCollections(['chain*'])).map((c) => c.name)).toEqual([
          'chain1',
          'chain2',
        ]);
        expect((await registry.queryCollections([], ['RUN'])).map((c) => c.name)).toEqual(['run1']);
      });
    });

    describe('datasets', () => {
      it('inserts datasets and finds them through a chain, find-first', async () => {
        const { biasG, biasR } = await setupDatasets();
        expect(biasG[0]!.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(biasG[0]!.id[14]).toBe('7'); // UUIDv7
        await registry.registerCollection('chain', 'CHAINED');
        await registry.setCollectionChain('chain', ['imported_r', 'imported_g']);
        const r2 = await registry.findDataset(
          'bias',
          { instrument: 'Cam1', detector: 2 },
          { collections: ['chain'] },
        );
        expect(r2?.id).toBe(biasR[0]!.id);
        const g1 = await registry.findDataset(
          'bias',
          { instrument: 'Cam1', detector: 1 },
          { collections: ['chain'] },
        );
        expect(g1?.id).toBe(biasG[0]!.id);
        expect(
          await registry.findDataset(
            'bias',
            { instrument: 'Cam1', detector: 4 },
            { collections: ['imported_g'] },
          ),
        ).toBeNull();
        const ff = await registry.queryDatasets('bias', { collections: ['chain'], findFirst: true });
        expect(ff.map((r) => `${r.dataId.values.detector}:${r.run}`).sort()).toEqual([
          '1:imported_g',
          '2:imported_r',
          '3:imported_r',
          '4:imported_r',
        ]);
        const all = await registry.queryDatasets('bias', { collections: ['chain'] });
        expect(all).toHaveLength(6);
        const byId = await registry.getDataset(biasG[1]!.id);
        expect(byId?.run).toBe('imported_g');
        expect(byId?.dataId.values).toEqual({ instrument: 'Cam1', detector: 2 });
      });

      it('refuses a conflicting dataset and writes nothing', async () => {
        await setupDatasets();
        await expectCode(
          registry.insertDatasets(
            'bias',
            [
              { instrument: 'Cam1', detector: 4 },
              { instrument: 'Cam1', detector: 1 },
            ],
            'imported_g',
          ),
          'DATASET_CONFLICT',
          /detector: 1/,
        );
        const left = await registry.queryDatasets('bias', { collections: ['imported_g'] });
        expect(left.map((r) => r.dataId.values.detector).sort()).toEqual([1, 2, 3]);
        await expectCode(
          registry.insertDatasets('bias', [{ instrument: 'Cam1' }], 'imported_g'),
          'DATA_ID_INCOMPLETE',
          /detector/,
        );
        await expectCode(
          registry.insertDatasets('bias', [{ instrument: 'Cam1', detector: 1 }], 'nope'),
          'COLLECTION_UNKNOWN',
        );
      });

      it('makes deterministic IDs and re-imports idempotently', async () => {
        await setupDatasets();
        await registry.registerRun('raws');
        const [ref] = await registry.insertDatasets(
          'raw',
          [{ instrument: 'Cam1', detector: 1, exposure: 100 }],
          'raws',
          'DATAID_TYPE_RUN',
        );
        expect(ref!.id).toBe(
          deterministicDatasetId(
            'raw',
            { instrument: 'Cam1', detector: 1, exposure: 100 },
            'raws',
            'DATAID_TYPE_RUN',
          ),
        );
        expect(ref!.id[14]).toBe('5');
        const again = await registry.importDatasets([ref!], { skipExisting: true });
        expect(again).toHaveLength(0);
        await expectCode(registry.importDatasets([ref!]), 'DATASET_CONFLICT');
      });

      it('associates and disassociates with TAGGED semantics', async () => {
        const { biasG, biasR } = await setupDatasets();
        await registry.registerCollection('tag', 'TAGGED');
        await registry.associate('tag', biasG);
        await registry.associate('tag', biasG); // no-op
        await expectCode(registry.associate('tag', [biasR[0]!]), 'DATASET_CONFLICT');
        await expectCode(registry.associate('imported_g', biasR), 'COLLECTION_TYPE');
        expect(await registry.queryDatasets('bias', { collections: ['tag'] })).toHaveLength(3);
        await registry.disassociate('tag', [biasG[0]!]);
        expect(await registry.queryDatasets('bias', { collections: ['tag'] })).toHaveLength(2);
        await registry.removeDatasets([biasG[1]!]);
        expect(await registry.queryDatasets('bias', { collections: ['tag'] })).toHaveLength(1);
        expect(await registry.collectionSummary('tag')).toEqual(['bias']);
      });

      it('runs the calibration-collection scenario', async () => {
        const { biasG, biasR } = await setupDatasets();
        const [bias2a, bias3a] = [biasG[1]!, biasG[2]!];
        const [bias2b, bias3b] = [biasR[0]!, biasR[1]!];
        const t1 = Timespan.fromIso('2020-01-01T01:00:00', null).begin!;
        const t2 = t1 + 3600n * 10n ** 9n;
        const t3 = t2 + 3600n * 10n ** 9n;
        const t4 = t3 + 3600n * 10n ** 9n;
        const t5 = t4 + 3600n * 10n ** 9n;
        await registry.registerCollection('Cam1/calibs', 'CALIBRATION');
        await expectCode(registry.associate('Cam1/calibs', [bias2a]), 'COLLECTION_TYPE');
        await registry.certify('Cam1/calibs', [bias2a, bias3a], new Timespan(t2, t4));
        for (const ts of [
          new Timespan(null, t3),
          new Timespan(t1, t5),
          new Timespan(t2, null),
          new Timespan(t3, t4),
          new Timespan(null, null),
        ]) {
          await expectCode(registry.certify('Cam1/calibs', [bias2b], ts), 'CALIBRATION_CONFLICT');
        }
        // Different detector may overlap; disjoint ranges are fine.
        await registry.certify('Cam1/calibs', [biasR[2]!], new Timespan(t1, t5));
        await registry.certify('Cam1/calibs', [bias2b, bias3b], new Timespan(t4, null));
        await registry.certify('Cam1/calibs', [bias2b], new Timespan(null, t2));
        const find = (det: number, ts: Timespan) =>
          registry.findDataset(
            'bias',
            { instrument: 'Cam1', detector: det },
            { collections: ['Cam1/calibs'], timespan: ts },
          );
        expect((await find(2, new Timespan(t2, t3)))?.id).toBe(bias2a.id);
        expect((await find(2, new Timespan(t4, t5)))?.id).toBe(bias2b.id);
        expect((await find(2, new Timespan(t1, t1 + 1n)))?.id).toBe(bias2b.id);
        expect(await find(1, new Timespan(t2, t3))).toBeNull();
        await expectCode(find(2, new Timespan(t3, t5)), 'CALIBRATION_AMBIGUOUS');
        await expectCode(
          registry.findDataset('bias', { instrument: 'Cam1', detector: 2 }, { collections: ['Cam1/calibs'] }),
          'CALIBRATION_TIMESPAN_REQUIRED',
        );
        // Through a chain the answers are the same.
        await registry.registerCollection('chain', 'CHAINED');
        await registry.setCollectionChain('chain', ['Cam1/calibs']);
        const viaChain = await registry.findDataset(
          'bias',
          { instrument: 'Cam1', detector: 3 },
          { collections: ['chain'], timespan: new Timespan(t2, t3) },
        );
        expect(viaChain?.id).toBe(bias3a.id);
        const assoc = await registry.queryDatasetAssociations('bias', ['Cam1/calibs']);
        expect(assoc).toHaveLength(6);
        expect(assoc.every((a) => a.timespan !== null && a.collection === 'Cam1/calibs')).toBe(true);
        // Decertify the middle of bias2a's range: [t2, t4) minus [t3, t4) leaves [t2, t3).
        await registry.decertify('Cam1/calibs', 'bias', new Timespan(t3, t4), {
          dataIds: [{ instrument: 'Cam1', detector: 2 }],
        });
        expect((await find(2, new Timespan(t3, t5)))?.id).toBe(bias2b.id);
        expect((await find(2, new Timespan(t2, t3)))?.id).toBe(bias2a.id);
        // Certification needs a calibration dataset type.
        await registry.registerRun('raws');
        const [raw] = await registry.insertDatasets(
          'raw',
          [{ instrument: 'Cam1', detector: 1, exposure: 100 }],
          'raws',
        );
        await expectCode(registry.certify('Cam1/calibs', [raw!], new Timespan(t1, t2)), 'COLLECTION_TYPE');
      });

      it('runs find-first queries over temporal dimension types through chains', async () => {
        await registry.registerDatasetType(
          registry.makeDatasetType('calexp', ['instrument', 'visit', 'detector'], 'ExposureF'),
        );
        await registry.registerRun('r1');
        await registry.registerRun('r2');
        const a = await registry.insertDatasets(
          'calexp',
          [{ instrument: 'Cam1', visit: 1, detector: 1 }],
          'r1',
        );
        const b = await registry.insertDatasets(
          'calexp',
          [
            { instrument: 'Cam1', visit: 1, detector: 1 },
            { instrument: 'Cam1', visit: 2, detector: 1 },
          ],
          'r2',
        );
        await registry.registerCollection('both', 'CHAINED');
        await registry.setCollectionChain('both', ['r1', 'r2']);
        const ff = await registry.queryDatasets('calexp', {
          collections: ['both'],
          findFirst: true,
          orderBy: ['visit'],
        });
        expect(ff.map((r) => r.id)).toEqual([a[0]!.id, b[1]!.id]);
      });

      it('finds calibrations by the exposure timespan in a data ID', async () => {
        const { biasG } = await setupDatasets();
        await registry.registerCollection('calib', 'CALIBRATION');
        await registry.certify(
          'calib',
          biasG,
          Timespan.fromIso('2021-09-09T00:00:00', '2021-09-10T00:00:00'),
        );
        const ref = await registry.findDataset(
          'bias',
          await registry.expandDataId({ instrument: 'Cam1', detector: 1, exposure: 100 }),
          { collections: ['calib'] },
        );
        expect(ref?.id).toBe(biasG[0]!.id);
        const ff = await registry.queryDatasets('bias', { collections: ['calib'] });
        expect(ff).toHaveLength(3);
      });
    });

    describe('queries', () => {
      it('queries data IDs with where expressions, ranges and binds', async () => {
        const ids = await registry.queryDataIds(['exposure', 'detector'], {
          where: "band = 'g' AND detector IN (1..3:2)",
          orderBy: ['exposure', '-detector'],
        });
        expect(ids.map((d) => `${d.values.exposure}/${d.values.detector}`)).toEqual([
          '100/3',
          '100/1',
          '101/3',
          '101/1',
        ]);
        const bound = await registry.queryDataIds(['exposure'], {
          where: 'exposure IN (:exps) AND instrument = :inst',
          bind: { exps: [100, 110], inst: 'Cam1' },
        });
        expect(bound.map((d) => d.values.exposure).sort()).toEqual([100, 110]);
        const byMeta = await registry.queryDataIds(['detector'], {
          where: "detector.raft = 'B' AND detector.purpose != 'WAVEFRONT'",
        });
        expect(byMeta.map((d) => d.values.detector)).toEqual([3]);
        const limited = await registry.queryDataIds(['exposure'], {
          orderBy: ['-exposure'],
          limit: 2,
          offset: 1,
        });
        expect(limited.map((d) => d.values.exposure)).toEqual([110, 101]);
        const notIn = await registry.queryDataIds(['detector'], {
          where: 'NOT detector IN (1, 2) AND detector != 4',
        });
        expect(notIn.map((d) => d.values.detector)).toEqual([3]);
      });

      it('queries with time literals and timespans', async () => {
        const early = await registry.queryDataIds(['exposure'], {
          where: "exposure.timespan OVERLAPS (T'2021-09-09T20:00:10', T'2021-09-09T21:00:10')",
        });
        expect(early.map((d) => d.values.exposure).sort()).toEqual([100, 101, 110]);
        const begin = await registry.queryDataIds(['exposure'], {
          where: "exposure.timespan.begin > T'2021-09-09T21:00:00'",
        });
        expect(begin.map((d) => d.values.exposure)).toEqual([111]);
      });

      it('reports syntax errors with line and column and unknown names', async () => {
        await expectCode(
          registry.queryDataIds(['detector'], { where: 'detector = = 1' }),
          'QUERY_SYNTAX',
          /line 1, column/,
        );
        await expectCode(
          registry.queryDataIds(['detector'], { where: 'detector = 1 AND\n  (raft = ' }),
          'QUERY_SYNTAX',
          /line 2/,
        );
        await expectCode(
          registry.queryDataIds(['detector'], { where: 'detektor = 1' }),
          'QUERY_INVALID',
          /detektor/,
        );
        await expectCode(
          registry.queryDataIds(['detector'], { where: 'detector.nope = 1' }),
          'QUERY_INVALID',
          /no field/,
        );
        await expectCode(
          registry.queryDataIds(['detector'], { where: 'detector = :d' }),
          'QUERY_INVALID',
          /:d/,
        );
        await expectCode(registry.queryDataIds(['detector'], { where: "detector = 'abc'" }), 'QUERY_INVALID');
      });

      it('queries datasets with where and data ID constraints', async () => {
        await setupDatasets();
        await registry.registerRun('raws');
        await registry.insertDatasets(
          'raw',
          [100, 101, 110, 111].flatMap((e) =>
            [1, 2, 3, 4].map((d) => ({ instrument: 'Cam1', exposure: e, detector: d })),
          ),
          'raws',
        );
        const r = await registry.queryDatasets('raw', {
          collections: ['raws'],
          where: "band = 'r' AND detector = 1",
        });
        expect(r.map((x) => x.dataId.values.exposure).sort()).toEqual([110, 111]);
        const d = await registry.queryDatasets('raw', {
          collections: ['raws'],
          dataId: { instrument: 'Cam1', exposure: 100 },
        });
        expect(d).toHaveLength(4);
        const ids = await registry.queryDatasets('raw', {
          collections: ['raws'],
          where: 'raw.dataset_id = :id',
          bind: { id: d[0]!.id },
        });
        expect(ids.map((x) => x.id)).toEqual([d[0]!.id]);
        const byDate = await registry.queryDatasets('raw', {
          collections: ['raws'],
          where: "ingest_date > T'2020-01-01T00:00:00'",
        });
        expect(byDate).toHaveLength(16);
        const globbed = await registry.queryDatasets('*', { collections: ['imported_*'] });
        expect(globbed).toHaveLength(6);
        const dataIds = await registry.queryDataIds(['exposure'], {
          datasets: ['raw'],
          collections: ['raws'],
          where: 'detector = 2',
        });
        expect(dataIds).toHaveLength(4);
      });

      it('queries dimension records and regions', async () => {
        const recs = await registry
          .queryDimensionRecords('detector', { where: "raft = 'A'", orderBy: ['-detector'] })
          .catch(() =>
            registry.queryDimensionRecords('detector', {
              where: "detector.raft = 'A'",
              orderBy: ['-detector'],
            }),
          );
        expect(recs.map((r) => r.id)).toEqual([2, 1]);
        const visits = await registry.queryDimensionRecords('visit', {
          where: 'visit.region OVERLAPS POINT(12.1, 0.1)',
        });
        expect(visits.map((v) => v.id)).toEqual([2]);
        const circle = await registry.queryDimensionRecords('visit', {
          where: 'visit.region OVERLAPS CIRCLE(11, 0, 0.6)',
        });
        expect(circle.map((v) => v.id)).toEqual([1, 2]);
        const vdr = await registry.queryDataIds(['visit', 'detector'], {
          where: 'visit_detector_region.region OVERLAPS POINT(10.25, 0.25)',
        });
        expect(vdr.map((x) => `${x.values.visit}/${x.values.detector}`)).toEqual(['1/4']);
        await expectCode(
          registry.queryDataIds(['visit'], { where: 'visit.region OVERLAPS POINT(12, 0) OR visit = 1' }),
          'QUERY_INVALID',
          /OR or NOT/,
        );
      });

      it('joins observations and skymap spatially', async () => {
        const pairs = await registry.queryDataIds(['visit', 'tract'], { orderBy: ['visit', 'tract'] });
        expect(pairs.map((p) => `${p.values.visit}:${p.values.tract}`)).toEqual(['1:0', '2:1']);
        const patches = await registry.queryDataIds(['visit', 'patch'], { where: 'visit = 1' });
        expect(patches.map((p) => `${p.values.tract}.${p.values.patch}`).sort()).toEqual(['0.0', '0.1']);
      });
    });

    describe('transactions and read-only access', () => {
      it('rolls back everything when a transaction fails', async () => {
        await registry.registerDatasetType(
          registry.makeDatasetType('bias', ['instrument', 'detector'], 'StructuredDataDict', true),
        );
        const failing = registry.transaction(async () => {
          await registry.registerRun('tx-run');
          await registry.insertDatasets('bias', [{ instrument: 'Cam1', detector: 1 }], 'tx-run');
          throw new Error('boom');
        });
        await expect(failing).rejects.toThrow('boom');
        expect(await registry.queryCollections(['tx-run*'])).toEqual([]);
      });

      it('refuses writes when opened read-only', async () => {
        const ro = await Registry.open(await env.reopen({ readOnly: true }));
        try {
          expect((await ro.queryDataIds(['detector'])).length).toBe(4);
          await expectCode(ro.registerRun('x'), 'REPO_READ_ONLY');
          await expectCode(
            ro.insertDimensionData('group', [{ instrument: 'Cam1', name: 'g9' }]),
            'REPO_READ_ONLY',
          );
        } finally {
          await ro.close();
        }
      });
    });

    describe('schema version', () => {
      async function openError(): Promise<unknown> {
        const db = await env.reopen({});
        return Registry.open(db).then(
          async (r) => {
            await r.close();
            return null;
          },
          async (e) => {
            await db.close();
            return e;
          },
        );
      }

      it('records its version and refuses a registry newer than this Meridian', async () => {
        const db = registry.database.db;
        const row = await db
          .selectFrom('meridian_schema_versions')
          .select('version')
          .where('component', '=', 'registry')
          .executeTakeFirstOrThrow();
        expect(Number(row.version)).toBe(3);
        await db.updateTable('meridian_schema_versions').set({ version: 4 }).execute();
        expect(await openError()).toMatchObject({
          code: 'SCHEMA_VERSION',
          message: expect.stringMatching(/newer/),
        });
      });

      it('opens a registry made before the version table, and reads its version from butler_attributes', async () => {
        const db = registry.database.db;
        await db.schema.dropTable('meridian_schema_versions').execute();
        expect(await openError()).toBeNull();
        await db
          .updateTable('butler_attributes')
          .set({ value: '4' })
          .where('name', '=', 'schema_version')
          .execute();
        expect(await openError()).toMatchObject({ code: 'SCHEMA_VERSION' });
      });
    });
  });
}
