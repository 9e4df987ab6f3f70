/**
 * A small butler repository for the Butler API tests and the read-side contract: the registry fixtures' dimension
 * records, a few dataset types (structured data, config, an Exposure with components), two RUNs, a TAGGED and a
 * CHAINED collection, and a file ingested 'direct' from outside the repository (which the API must not serve).
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Butler, type DatasetRef } from '../../../src/butler/index.js';
import { box2i, Exposure, ImageF, Mask, makeTanSipWcs, visitInfo } from '../../../src/formats/index.js';
import { loadBase } from '../../butler/registry/fixtures.js';
import { requirePostgresUrl, uniqueName } from '../../support/postgres.js';

export const RUN_A = 'u/test/run-a';
export const RUN_B = 'u/test/run-b';
export const TAGGED = 'u/test/tagged';
export const CHAIN = 'u/test/chain';

export interface RepoFixture {
  readonly root: string;
  readonly calexp: DatasetRef;
  readonly outsideRef: DatasetRef;
  readonly exposure: Exposure;
  /** The PostgreSQL schema of the registry (drop it at the end), when the registry is not SQLite. */
  readonly namespace?: string;
}

export function sampleExposure(): Exposure {
  const image = ImageF.zeros(box2i(10, 20, 24, 12));
  image.array.forEach((_, i) => {
    image.array[i] = i * 0.5;
  });
  const mask = Mask.zeros(image.bbox);
  mask.array[3] = 1;
  const variance = ImageF.zeros(image.bbox);
  variance.array.fill(2);
  return new Exposure({
    image,
    mask,
    variance,
    wcs: makeTanSipWcs({
      crpix: [12, 6],
      crval: [10, 0],
      cd: [
        [-5e-5, 0],
        [0, 5e-5],
      ],
    }),
    visitInfo: visitInfo({ exposureTime: 30 }),
  });
}

export async function makeButlerRepo(
  dir: string,
  backend: 'sqlite' | 'postgresql' = 'sqlite',
): Promise<RepoFixture> {
  const root = join(dir, 'repo');
  const namespace = backend === 'postgresql' ? uniqueName('butlerapi') : undefined;
  const butler = await Butler.create(root, {
    ...(namespace === undefined ? {} : { registry: { db: requirePostgresUrl(), namespace } }),
  });
  try {
    await loadBase(butler.registry);
    await butler.registerDatasetType('metrics', ['instrument', 'visit'], 'StructuredComposite');
    await butler.registerDatasetType('config', [], 'Config');
    await butler.registerDatasetType('bias', ['instrument', 'detector'], 'StructuredDataDict', {
      isCalibration: true,
    });
    await butler.registerDatasetType('raw', ['instrument', 'exposure', 'detector'], 'StructuredDataDict');
    await butler.registerDatasetType('calexp', ['instrument', 'visit', 'detector'], 'ExposureF');
    for (const visit of [1, 2]) {
      await butler.put(
        { visit, mean: visit * 1.5, counts: [visit, 2 * visit] },
        'metrics',
        { instrument: 'Cam1', visit },
        { run: RUN_A },
      );
    }
    await butler.put(
      { visit: 1, mean: 99, counts: [] },
      'metrics',
      { instrument: 'Cam1', visit: 1 },
      { run: RUN_B },
    );
    await butler.put({ threshold: 5 }, 'config', {}, { run: RUN_A });
    for (const detector of [1, 2, 3]) {
      await butler.put(
        { detector, level: 1000 + detector },
        'raw',
        { instrument: 'Cam1', exposure: 100, detector },
        { run: RUN_A },
      );
    }
    const exposure = sampleExposure();
    const calexp = await butler.put(
      exposure,
      'calexp',
      { instrument: 'Cam1', visit: 1, detector: 2 },
      { run: RUN_B },
    );
    await butler.registry.registerCollection(TAGGED, 'TAGGED', 'hand-picked datasets');
    await butler.registry.associate(TAGGED, [calexp]);
    await butler.registry.registerCollection(CHAIN, 'CHAINED');
    await butler.registry.setCollectionChain(CHAIN, [RUN_B, RUN_A]);

    // A dataset whose file stays where it was (outside the repository): the API must refuse to serve it.
    const outside = join(dir, 'outside');
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'secret.json'), JSON.stringify({ detector: 4, level: 7 }));
    const [outsideRef] = await butler.ingest(
      [
        {
          path: join(outside, 'secret.json'),
          refs: [{ datasetType: 'raw', dataId: { instrument: 'Cam1', exposure: 101, detector: 4 } }],
        },
      ],
      { run: RUN_A, transfer: 'direct' },
    );
    return { root, calexp, outsideRef: outsideRef!, exposure, ...(namespace ? { namespace } : {}) };
  } finally {
    await butler.close();
  }
}
