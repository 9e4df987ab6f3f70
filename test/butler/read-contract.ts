/**
 * The butler's read-side contract: one suite that runs against the local `Butler` and against `RemoteButler`
 * talking to a live server on the same repository (test/server/butler/helpers.ts makes it). Every case asserts the
 * same concrete answers, so both implementations give identical results; errors must carry the same codes.
 */

import { describe, expect, it } from 'vitest';
import {
  type ButlerReader,
  type CollectionType,
  type DatasetRef,
  type DatasetType,
  dataIdToJSON,
  dimensionRecordToJSON,
  refToJSON,
} from '../../src/butler/index.js';
import { box2i, type Exposure } from '../../src/formats/index.js';
import { CHAIN, type RepoFixture, RUN_A, RUN_B, TAGGED } from '../server/butler/helpers.js';
import { expectCode } from './api/helpers.js';

/** What the contract reads: the shared Butler methods plus the registry's listings (RemoteButler has them on itself). */
export interface ReadSide extends ButlerReader {
  queryDatasetTypes(patterns?: readonly string[]): Promise<DatasetType[]>;
  queryCollections(
    patterns?: readonly string[],
    types?: readonly CollectionType[],
  ): Promise<readonly { name: string; type: CollectionType }[]>;
  getCollectionChain(name: string): Promise<string[]>;
}

export interface ReadContractTarget {
  readonly reader: ReadSide;
  readonly fixture: RepoFixture;
}

const sortedRefs = (refs: readonly DatasetRef[]) =>
  refs.map(refToJSON).sort((a, b) => a.id.localeCompare(b.id));

export function readContract(name: string, target: () => ReadContractTarget): void {
  describe(`butler read contract: ${name}`, () => {
    it('dataset types: one, a component, the listing, an unknown one', async () => {
      const { reader } = target();
      const metrics = await reader.getDatasetType('metrics');
      expect(metrics.toJSON()).toMatchObject({
        name: 'metrics',
        storageClass: 'StructuredComposite',
        isCalibration: false,
      });
      expect(metrics.dimensions.required).toEqual(['instrument', 'visit']);
      const wcs = await reader.getDatasetType('calexp.wcs');
      expect(wcs.parentStorageClass).toBe('ExposureF');
      expect(wcs.component).toBe('wcs');
      const names = (await reader.queryDatasetTypes()).map((d) => d.name).sort();
      expect(names).toEqual(['bias', 'calexp', 'config', 'metrics', 'raw']);
      expect((await reader.queryDatasetTypes(['c*'])).map((d) => d.name).sort()).toEqual([
        'calexp',
        'config',
      ]);
      await expectCode(reader.getDatasetType('nosuch'), 'DATASET_TYPE_UNKNOWN');
    });

    it('collections: listing with types, chain members, unknown collection', async () => {
      const { reader } = target();
      const all = (await reader.queryCollections()).map((c) => `${c.name}:${c.type}`).sort();
      expect(all).toEqual([`${CHAIN}:CHAINED`, `${RUN_A}:RUN`, `${RUN_B}:RUN`, `${TAGGED}:TAGGED`]);
      const runs = (await reader.queryCollections(['u/test/*'], ['RUN'])).map((c) => c.name).sort();
      expect(runs).toEqual([RUN_A, RUN_B]);
      expect(await reader.getCollectionChain(CHAIN)).toEqual([RUN_B, RUN_A]);
      await expectCode(reader.getCollectionChain('no/such'), 'COLLECTION_UNKNOWN');
    });

    it('findDataset searches collections in order', async () => {
      const { reader, fixture } = target();
      const first = await reader.findDataset(
        'metrics',
        { instrument: 'Cam1', visit: 1 },
        { collections: [CHAIN] },
      );
      expect(first?.run).toBe(RUN_B);
      const second = await reader.findDataset(
        'metrics',
        { instrument: 'Cam1', visit: 1 },
        { collections: [RUN_A] },
      );
      expect(second?.run).toBe(RUN_A);
      const calexp = await reader.findDataset(
        'calexp',
        { instrument: 'Cam1', visit: 1, detector: 2 },
        { collections: [TAGGED] },
      );
      expect(calexp?.id).toBe(fixture.calexp.id);
      expect(calexp?.dataId.values).toMatchObject({ instrument: 'Cam1', visit: 1, detector: 2 });
      expect(
        await reader.findDataset('metrics', { instrument: 'Cam1', visit: 2 }, { collections: [RUN_B] }),
      ).toBeNull();
      await expectCode(
        reader.findDataset('metrics', { instrument: 'Cam1', visit: 1 }, { collections: ['no/such'] }),
        'COLLECTION_UNKNOWN',
      );
      await expectCode(
        reader.findDataset('metrics', { instrument: 'Cam1' }, { collections: [RUN_A] }),
        'DATA_ID_INCOMPLETE',
      );
    });

    it('queryDatasets with where, bind, find-first, limits and errors', async () => {
      const { reader } = target();
      const all = await reader.queryDatasets('metrics', { collections: [RUN_A, RUN_B] });
      expect(all.map((r) => `${r.run}:${r.dataId.values.visit}`).sort()).toEqual([
        `${RUN_A}:1`,
        `${RUN_A}:2`,
        `${RUN_B}:1`,
      ]);
      const firstOnly = await reader.queryDatasets('metrics', {
        collections: [CHAIN],
        findFirst: true,
        where: 'visit IN (:visits)',
        bind: { visits: [1, 2] },
      });
      expect(firstOnly.map((r) => `${r.run}:${r.dataId.values.visit}`).sort()).toEqual([
        `${RUN_A}:2`,
        `${RUN_B}:1`,
      ]);
      const raws = await reader.queryDatasets('raw', {
        collections: [RUN_A],
        where: 'detector > 1',
        dataId: { instrument: 'Cam1' },
        orderBy: ['detector'],
      });
      expect(raws.map((r) => r.dataId.values.detector)).toEqual([2, 3, 4]);
      const limited = await reader.queryDatasets('raw', {
        collections: [RUN_A],
        orderBy: ['detector'],
        limit: 2,
      });
      expect(limited.map((r) => r.dataId.values.detector)).toEqual([1, 2]);
      await expectCode(
        reader.queryDatasets('raw', { collections: [RUN_A], where: 'detector >' }),
        'QUERY_SYNTAX',
      );
      await expectCode(
        reader.queryDatasets('raw', { collections: [RUN_A], where: 'nosuch = 1' }),
        'QUERY_INVALID',
      );
      await expectCode(reader.queryDatasets('nosuch', { collections: [RUN_A] }), 'DATASET_TYPE_UNKNOWN');
    });

    it('queryDataIds and queryDimensionRecords, with regions and timespans in the records', async () => {
      const { reader } = target();
      const ids = await reader.queryDataIds(['visit', 'detector'], {
        where: "band = 'r' AND detector.purpose = 'SCIENCE'",
        dataId: { instrument: 'Cam1' },
      });
      expect(ids.map((d) => `${d.values.visit}/${d.values.detector}`).sort()).toEqual(['2/1', '2/2', '2/3']);
      const withData = await reader.queryDataIds(['visit'], { datasets: ['metrics'], collections: [RUN_B] });
      expect(withData.map((d) => d.values.visit)).toEqual([1]);
      const visits = await reader.queryDimensionRecords('visit', { orderBy: ['visit'] });
      expect(visits.map((v) => v.name)).toEqual(['one', 'two']);
      const json = visits.map(dimensionRecordToJSON);
      expect(typeof json[0]!.region).toBe('string');
      expect(json[0]!.timespan).toMatchObject({ begin: expect.any(String) });
      await expectCode(reader.queryDimensionRecords('nosuch'), 'UNKNOWN_DIMENSION');
    });

    it('get reads datasets, components and read parameters through the formatters', async () => {
      const { reader, fixture } = target();
      expect(await reader.get('metrics', { instrument: 'Cam1', visit: 2 }, { collections: [RUN_A] })).toEqual(
        {
          visit: 2,
          mean: 3,
          counts: [2, 4],
        },
      );
      expect(await reader.get('config', {}, { collections: [CHAIN] })).toEqual({ threshold: 5 });
      const calexpId = { instrument: 'Cam1', visit: 1, detector: 2 };
      const exposure = (await reader.get('calexp', calexpId, { collections: [CHAIN] })) as Exposure;
      expect(Array.from(exposure.image.array)).toEqual(Array.from(fixture.exposure.image.array));
      expect(Array.from(exposure.mask.array)).toEqual(Array.from(fixture.exposure.mask.array));
      expect(await reader.get('calexp.wcs', calexpId, { collections: [CHAIN] })).toEqual(
        fixture.exposure.wcs,
      );
      expect(await reader.get('calexp.bbox', calexpId, { collections: [CHAIN] })).toEqual(
        fixture.exposure.image.bbox,
      );
      const cut = (await reader.get('calexp', calexpId, {
        collections: [CHAIN],
        parameters: { bbox: box2i(12, 22, 4, 3) },
      })) as Exposure;
      expect(Array.from(cut.image.array)).toEqual(
        Array.from(fixture.exposure.image.subset(box2i(12, 22, 4, 3)).array),
      );
      // A ref goes in as well as a name: the same object either way.
      const byRef = await reader.get(fixture.calexp);
      expect(Array.from((byRef as Exposure).variance!.array)).toEqual(
        Array.from(fixture.exposure.variance!.array),
      );
      await expectCode(
        reader.get('metrics', { instrument: 'Cam1', visit: 2 }, { collections: [RUN_B] }),
        'DATASET_NOT_FOUND',
      );
      await expectCode(reader.get('calexp.nosuch', calexpId, { collections: [CHAIN] }), 'COMPONENT_UNKNOWN');
    });

    it('exists', async () => {
      const { reader, fixture } = target();
      expect(await reader.exists(fixture.calexp)).toBe(true);
      expect(await reader.exists('metrics', { instrument: 'Cam1', visit: 1 }, { collections: [RUN_B] })).toBe(
        true,
      );
      expect(await reader.exists('metrics', { instrument: 'Cam1', visit: 2 }, { collections: [RUN_B] })).toBe(
        false,
      );
    });
  });
}

/** Everything a reader answers, in JSON form, for comparing two implementations side by side. */
export async function readerSnapshot(reader: ReadSide): Promise<unknown> {
  const collections = [RUN_A, RUN_B];
  return {
    types: (await reader.queryDatasetTypes()).map((d) => d.toJSON()),
    refs: sortedRefs(await reader.queryDatasets('*', { collections })),
    firstRefs: sortedRefs(await reader.queryDatasets('*', { collections: [CHAIN], findFirst: true })),
    dataIds: (await reader.queryDataIds(['exposure', 'detector'], { dataId: { instrument: 'Cam1' } }))
      .map(dataIdToJSON)
      .sort((a, b) => JSON.stringify(a.values).localeCompare(JSON.stringify(b.values))),
    records: (await reader.queryDimensionRecords('exposure', { orderBy: ['exposure'] })).map(
      dimensionRecordToJSON,
    ),
    found: refToJSON(
      (await reader.findDataset('raw', { instrument: 'Cam1', exposure: 100, detector: 3 }, { collections }))!,
    ),
  };
}
