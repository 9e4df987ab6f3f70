import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Butler,
  type DatasetRef,
  DimensionUniverse,
  dataIdFromJSON,
  dataIdToJSON,
  FileTemplates,
  refFromJSON,
  refToJSON,
  toDatastoreRef,
} from '../../../src/butler/index.js';
import { encodeRegion } from '../../../src/sphere/index.js';
import { expectCode, makeRepo, tempDir } from './helpers.js';

const run = 'json/run';
let dir: ReturnType<typeof tempDir>;
let butler: Butler;
let rawRef: DatasetRef;
let metricsRef: DatasetRef;

/** JSON.stringify then JSON.parse: what a quantum graph file or an HTTP body does to a ref. */
const throughJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

beforeAll(async () => {
  dir = tempDir();
  butler = await makeRepo(`${dir.path}/repo`);
  butler.run = run;
  butler.collections = [run];
  // put returns the ref with the data ID the registry expanded (implied values and records).
  rawRef = await butler.put({ a: 1 }, 'raw', { instrument: 'Cam1', exposure: 100, detector: 1 });
  metricsRef = await butler.put({ summary: { b: 2 }, output: {}, data: [1, 2] }, 'metrics', {
    instrument: 'Cam1',
    visit: 1,
  });
});

afterAll(async () => {
  await butler.close();
  dir.cleanup();
});

describe('refToJSON / refFromJSON', () => {
  it('revives an expanded ref with equal id, run, dataset type, data ID and records', () => {
    for (const ref of [rawRef, metricsRef]) {
      expect(ref.dataId.records).toBeDefined();
      const revived = refFromJSON(throughJson(refToJSON(ref)), butler.universe);
      expect(revived.id).toBe(ref.id);
      expect(revived.run).toBe(ref.run);
      expect(revived.datasetType.equals(ref.datasetType)).toBe(true);
      expect(revived.datasetType.parentStorageClass).toBe(ref.datasetType.parentStorageClass);
      expect(revived.dataId.equals(ref.dataId)).toBe(true);
      expect(revived.dataId.values).toEqual(ref.dataId.values);
      expect(revived.dataId.hasFull).toBe(ref.dataId.hasFull);
      expect(Object.keys(revived.dataId.records!).sort()).toEqual(Object.keys(ref.dataId.records!).sort());
      // Record by record, field by field (regions compared in their exact encoding, timespans with equals).
      expect(dataIdToJSON(revived.dataId)).toEqual(dataIdToJSON(ref.dataId));
      for (const [element, rec] of Object.entries(ref.dataId.records!)) {
        const back = revived.dataId.records![element]!;
        for (const [field, value] of Object.entries(rec)) {
          if (field === 'region') {
            expect(back.region ? encodeRegion(back.region) : null).toBe(
              value ? encodeRegion(rec.region!) : null,
            );
          } else if (field === 'timespan') {
            expect(back.timespan === null ? null : back.timespan!.equals(rec.timespan!)).toBe(
              rec.timespan === null ? null : true,
            );
          } else expect(back[field]).toEqual(value);
        }
      }
    }
    // The visit record carries a region and a timespan, the exposure record a timespan and obs_id.
    expect(metricsRef.dataId.records!.visit!.region).toBeTruthy();
    expect(rawRef.dataId.records!.exposure!.timespan).toBeTruthy();
  });

  it('formats file templates that need record fields identically from the revived ref', () => {
    const templates = new FileTemplates({
      raw: '{run}/{datasetType}/{exposure.obs_id}/{detector.full_name}_{physical_filter}_{band}_{id}',
      metrics: '{run}/{datasetType}/{visit.name}/{visit.day_obs}_{physical_filter}_{id}',
    });
    for (const ref of [rawRef, metricsRef]) {
      const revived = refFromJSON(throughJson(refToJSON(ref)), butler.universe);
      const original = toDatastoreRef(ref);
      const again = toDatastoreRef(revived);
      expect(again).toEqual(original);
      expect(templates.forRef(again).format(again)).toBe(templates.forRef(original).format(original));
      // The repository's own (default) template too, which uses exposure.obs_id and detector.full_name.
      expect(butler.datastore.predictPath(again)).toBe(butler.datastore.predictPath(original));
    }
    const raw = toDatastoreRef(refFromJSON(throughJson(refToJSON(rawRef)), butler.universe));
    // Issue 9: a '/' of the run in a field without ':/' is escaped (%2F), no longer replaced by '_'.
    expect(templates.forRef(raw).format(raw)).toBe(`json%2Frun/raw/ex100/Aa_Cam1-G_g_${rawRef.id}`);
    const metrics = toDatastoreRef(refFromJSON(throughJson(refToJSON(metricsRef)), butler.universe));
    expect(templates.forRef(metrics).format(metrics)).toBe(
      `json%2Frun/metrics/one/20210909_Cam1-G_${metricsRef.id}`,
    );
  });

  it('keeps component dataset types and unexpanded data IDs as they were', async () => {
    const dt = await butler.getDatasetType('metrics.summary');
    const component: DatasetRef = { ...metricsRef, datasetType: dt };
    const revived = refFromJSON(throughJson(refToJSON(component)), butler.universe);
    expect(revived.datasetType.name).toBe('metrics.summary');
    expect(revived.datasetType.parentStorageClass).toBe('StructuredComposite');
    expect(revived.datasetType.equals(dt)).toBe(true);

    const [found] = await butler.registry.queryDatasets('raw', { collections: [run] });
    expect(found!.dataId.records).toBeUndefined();
    const plain = refFromJSON(throughJson(refToJSON(found!)), butler.universe);
    expect(plain.dataId.records).toBeUndefined();
    expect(plain.dataId.hasFull).toBe(found!.dataId.hasFull);
    expect(plain.dataId.values).toEqual(found!.dataId.values);
    // The datastore refuses a ref whose data ID was never expanded: its file could land at another path.
    expect(() => toDatastoreRef(plain)).toThrow(expect.objectContaining({ code: 'DATA_ID_INCOMPLETE' }));
  });

  it('refuses newer versions, malformed documents and another universe with coded errors', async () => {
    const json = throughJson(refToJSON(rawRef)) as Record<string, unknown>;
    await expectCode(
      Promise.resolve().then(() => refFromJSON({ ...json, version: 2 }, butler.universe)),
      'SCHEMA_VERSION',
    );
    await expectCode(
      Promise.resolve().then(() => refFromJSON({ ...json, run: 7 }, butler.universe)),
      'INVALID_ARGUMENT',
      /run/,
    );
    const dataId = json.dataId as Record<string, unknown>;
    await expectCode(
      Promise.resolve().then(() => dataIdFromJSON({ ...dataId, version: 99 }, butler.universe)),
      'SCHEMA_VERSION',
    );
    await expectCode(
      Promise.resolve().then(() =>
        dataIdFromJSON(
          { ...dataId, values: { ...(dataId.values as object), detector: 'x' } },
          butler.universe,
        ),
      ),
      'DATA_ID_INVALID',
    );
    const other = new DimensionUniverse({ ...DimensionUniverse.default().toJSON(), namespace: 'elsewhere' });
    await expectCode(
      Promise.resolve().then(() => refFromJSON(json, other)),
      'INVALID_ARGUMENT',
      /elsewhere/,
    );
  });
});
