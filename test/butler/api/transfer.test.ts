import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  Butler,
  exportDatasets,
  importDatasets,
  Timespan,
  transferFrom,
  verifyRepository,
} from '../../../src/butler/index.js';
import { postgresEnabled } from '../../support/postgres.js';
import { dropSchema, expectCode, makeRepo, registryFor, tempDir } from './helpers.js';

const pgAvailable = postgresEnabled('transfers between SQLite and PostgreSQL');

async function populate(butler: Butler): Promise<void> {
  for (const visit of [1, 2]) {
    await butler.put(
      { summary: { visit }, output: {}, data: [visit] },
      'metrics',
      { instrument: 'Cam1', visit },
      { run: 'site2/run' },
    );
  }
  for (const detector of [1, 2, 3, 4]) {
    await butler.put({ level: detector }, 'bias', { instrument: 'Cam1', detector }, { run: 'calib/run' });
  }
}

describe('export and import (SQLite)', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.cleanup());

  it('round-trips datasets, records, runs and calibration validity, idempotently', async () => {
    const src = await makeRepo(join(dir.path, 'src'));
    await populate(src);
    await src.registry.registerCollection('calib', 'CALIBRATION');
    const biases = await src.registry.queryDatasets('bias', { collections: ['calib/run'] });
    await src.registry.certify('calib', biases, Timespan.fromIso('2021-01-01T00:00:00', null));
    const refs = await src.registry.queryDatasets(['metrics', 'bias'], { collections: ['*'] });
    const file = join(dir.path, 'export', 'export.yaml');
    const res = await exportDatasets(src, file, refs, {
      directory: join(dir.path, 'export'),
      collections: ['calib'],
    });
    expect(res).toEqual({ datasets: 6, files: 6 });
    await src.close();

    const dst = await Butler.create(join(dir.path, 'dst'));
    const first = await importDatasets(dst, file);
    expect(first).toEqual({ datasets: 6, skipped: 0 });
    const again = await importDatasets(dst, file);
    expect(again).toEqual({ datasets: 0, skipped: 6 });
    expect(
      await dst.get('metrics', { instrument: 'Cam1', visit: 2 }, { collections: ['site2/run'] }),
    ).toEqual({
      summary: { visit: 2 },
      output: {},
      data: [2],
    });
    const viaCalib = await dst.get(
      'bias',
      { instrument: 'Cam1', detector: 3, exposure: 110 },
      { collections: ['calib'] },
    );
    expect(viaCalib).toEqual({ level: 3 });
    expect((await verifyRepository(dst)).problems).toEqual([]);
    await dst.close();
  });

  it('rejects a malformed export file and writes nothing', async () => {
    const { writeFileSync } = await import('node:fs');
    const bad = join(dir.path, 'bad.yaml');
    writeFileSync(bad, 'version: 9.0.0\ndata: []\n');
    const dst = await Butler.create(join(dir.path, 'dst2'));
    await expectCode(importDatasets(dst, bad), 'EXPORT_FORMAT');
    await expectCode(importDatasets(dst, join(dir.path, 'nope.yaml')), 'FILE_NOT_FOUND');
    await dst.close();
  });
});

const backends: ('sqlite' | 'postgresql')[][] = [['sqlite', 'sqlite']];
if (pgAvailable) backends.push(['sqlite', 'postgresql'], ['postgresql', 'sqlite']);

describe.each(backends)('transferFrom %s → %s', (from, to) => {
  let dir: ReturnType<typeof tempDir>;
  let source: Butler;
  let target: Butler;
  beforeEach(async () => {
    dir = tempDir();
    source = await makeRepo(join(dir.path, 'source'), from);
    await populate(source);
    target = await Butler.create(join(dir.path, 'target'), { registry: registryFor(to) });
  });
  afterEach(async () => {
    await dropSchema(source);
    await dropSchema(target);
    await source.close();
    await target.close();
    dir.cleanup();
  });

  it('moves datasets, dimension records and files, keeping IDs, and is idempotent', async () => {
    const refs = await source.registry.queryDatasets(['metrics', 'bias'], { collections: ['*'] });
    await expectCode(transferFrom(target, source, refs), 'DATASET_TYPE_UNKNOWN');
    expect(await target.registry.queryCollections()).toEqual([]);
    const first = await transferFrom(target, source, refs, { registerDatasetTypes: true });
    expect(first.transferred).toHaveLength(6);
    expect(first.skipped).toBe(0);
    const second = await transferFrom(target, source, refs, { registerDatasetTypes: true });
    expect(second.transferred).toHaveLength(0);
    expect(second.skipped).toBe(6);
    for (const ref of refs) {
      const got = await target.registry.getDataset(ref.id);
      expect(got?.run).toBe(ref.run);
      expect(await target.get(got!)).toEqual(await source.get(ref));
    }
    // Records came along: visit regions answer spatial queries in the target.
    const visits = await target.registry.queryDimensionRecords('visit', {
      where: 'visit.region OVERLAPS POINT(12, 0)',
    });
    expect(visits.map((v) => v.id)).toEqual([2]);
    const vdr = await target.registry.queryDimensionRecords('visit_detector_region', {
      dataId: { instrument: 'Cam1', visit: 1 },
    });
    expect(vdr).toHaveLength(4);
    expect((await verifyRepository(target)).problems).toEqual([]);
    // A file was copied, not shared.
    const uri = await target.getURI(refs[0]!);
    expect(uri.startsWith(target.root)).toBe(true);
    expect(existsSync(uri)).toBe(true);
  });
});
