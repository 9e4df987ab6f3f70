import { describe, expect, it } from 'vitest';
import {
  DATASET_ID_NAMESPACE,
  deterministicDatasetId,
  deterministicDatasetIdMaker,
  uuidv5,
  uuidv5Maker,
} from '../../../src/butler/index.js';

// Expected IDs were computed with the earlier implementation (createHash per ID), before the one-shot hash and
// the per-type makers: graph files and registries hold these IDs, so the recipe must never change them.
describe('deterministic IDs (UUIDv5 recipe)', () => {
  it('matches RFC 9562 and daf_butler: uuid5(NAMESPACE_DNS, "lsst.org") is the dataset namespace', () => {
    expect(uuidv5('lsst.org', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(DATASET_ID_NAMESPACE);
  });

  it('gives the same dataset IDs as before, with and without the RUN', () => {
    const dataId = { instrument: 'HSC', visit: 903334, detector: 16 };
    expect(deterministicDatasetId('calexp', dataId, 'run/x', 'DATAID_TYPE_RUN')).toBe(
      '2f2ff574-62dc-5307-ae31-7872e8d11d2d',
    );
    expect(deterministicDatasetId('calexp', dataId, 'run/x', 'DATAID_TYPE')).toBe(
      '6998e9cb-ae28-57c2-a0b8-d32b81c72b0e',
    );
    expect(deterministicDatasetId('add1_config', {}, 'run/x', 'DATAID_TYPE_RUN')).toBe(
      '0a766a12-e441-5f2c-8890-16c07ca0b422',
    );
  });

  it('the maker sorts keys once and ignores extra values (implied dimensions) in what it is given', () => {
    const make = deterministicDatasetIdMaker(
      'calexp',
      ['visit', 'instrument', 'detector'],
      'run/x',
      'DATAID_TYPE_RUN',
    );
    expect(make({ detector: 16, instrument: 'HSC', visit: 903334, band: 'r' } as never)).toBe(
      '2f2ff574-62dc-5307-ae31-7872e8d11d2d',
    );
    const quantum = uuidv5Maker(
      'quantum=add1,run=bench/run',
      ['instrument', 'exposure', 'detector'],
      DATASET_ID_NAMESPACE,
    );
    expect(quantum({ instrument: 'BenchCam', exposure: 3, detector: 7 })).toBe(
      'fc4edc47-f3c4-5b9e-adbf-eb7e5340f5ea',
    );
    expect(quantum({ instrument: 'BenchCam', exposure: 3, detector: 7 })).toBe(
      uuidv5('quantum=add1,run=bench/run,detector=7,exposure=3,instrument=BenchCam', DATASET_ID_NAMESPACE),
    );
  });

  it('hashes long multi-byte names (the scratch buffer grows) and stays right for short ones afterwards', () => {
    expect(uuidv5('é'.repeat(700) + 'x'.repeat(900), DATASET_ID_NAMESPACE)).toBe(
      '7bebfd1b-d526-5f2c-8a7f-45ce8149c658',
    );
    expect(uuidv5('lsst.org', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(DATASET_ID_NAMESPACE);
    expect(deterministicDatasetId('add1_config', {}, 'run/x', 'DATAID_TYPE_RUN')).toBe(
      '0a766a12-e441-5f2c-8890-16c07ca0b422',
    );
  });
});
