import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../api/helpers.js';

/**
 * Every Butler knows the image and table formatters without a registration call. The repository is written with
 * one copy of the modules; then the module registry is reset and the butler module imported afresh, as a new
 * process would, and that fresh copy opens the repository and reads an Exposure and a Parquet table.
 */

type ButlerModule = typeof import('../../../src/butler/index.js');
type ExposureModule = typeof import('../../../src/formats/exposure/index.js');

let dir: ReturnType<typeof tempDir>;
let root: string;
const dataId = { instrument: 'Cam', detector: 1 };
const imageValues = Float32Array.from({ length: 16 * 8 }, (_, i) => i * 0.25);
const ids = BigInt64Array.from({ length: 20 }, (_, i) => BigInt(i) + 7n);
const flux = Float64Array.from({ length: 20 }, (_, i) => i * 1.5);

beforeAll(async () => {
  dir = tempDir('meridian-default-fmt-');
  root = join(dir.path, 'repo');
  const { Butler } = (await import('../../../src/butler/index.js')) as ButlerModule;
  const { box2i, Exposure, ImageF, visitInfo } = (await import(
    '../../../src/formats/exposure/index.js'
  )) as ExposureModule;
  const { makeTable } = await import('../../../src/butler/formatters/index.js');
  const butler = await Butler.create(root);
  try {
    butler.run = 'fmt/run';
    await butler.registry.insertDimensionData('instrument', [{ name: 'Cam', detector_max: 4 }]);
    await butler.registry.insertDimensionData('detector', [{ instrument: 'Cam', id: 1, full_name: 'D1' }]);
    await butler.registerDatasetType('calexp', ['instrument', 'detector'], 'ExposureF');
    await butler.registerDatasetType('objectTable', ['instrument', 'detector'], 'DataFrame');
    const image = ImageF.zeros(box2i(0, 0, 16, 8));
    image.array.set(imageValues);
    const exposure = new Exposure({
      image,
      variance: ImageF.zeros(image.bbox),
      visitInfo: visitInfo({ exposureTime: 30 }),
    });
    await butler.put(exposure, 'calexp', dataId);
    await butler.put(makeTable({ id: ids, flux }), 'objectTable', dataId);
  } finally {
    await butler.close();
  }
});

afterAll(() => dir.cleanup());

describe('formatters are on by default', () => {
  it('a freshly imported Butler reads an Exposure and a Parquet table with no registration call', async () => {
    vi.resetModules();
    const { Butler } = (await import('../../../src/butler/index.js')) as ButlerModule;
    const butler = await Butler.open(root, { collections: ['fmt/run'] });
    try {
      const exposure = (await butler.get('calexp', dataId)) as InstanceType<ExposureModule['Exposure']>;
      expect(exposure.constructor.name).toBe('Exposure');
      expect(Array.from(exposure.image.array)).toEqual(Array.from(imageValues));
      expect(exposure.visitInfo?.exposureTime).toBe(30);
      expect(await butler.get('calexp.bbox', dataId)).toEqual(exposure.image.bbox);
      const table = (await butler.get('objectTable', dataId)) as {
        length: number;
        columns: Record<string, unknown>;
      };
      expect(table.length).toBe(20);
      expect(table.columns.id).toEqual(ids);
      expect(table.columns.flux).toEqual(flux);
      const fluxOnly = (await butler.get('objectTable', dataId, { parameters: { columns: ['flux'] } })) as {
        columns: Record<string, unknown>;
      };
      expect(Object.keys(fluxOnly.columns)).toEqual(['flux']);
    } finally {
      await butler.close();
    }
  });
});
