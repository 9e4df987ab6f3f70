import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Butler, verifyRepository } from '../../../src/butler/index.js';
import { expectCode, makeRepo, tempDir } from './helpers.js';

const metrics = { summary: { answer: 42, pi: 3.14 }, output: { a: 1 }, data: [1, 2, 3, 4, 5, 6] };

describe('Butler put/get on SQLite', () => {
  let dir: ReturnType<typeof tempDir>;
  let butler: Butler;
  beforeEach(async () => {
    dir = tempDir();
    butler = await makeRepo(join(dir.path, 'repo'));
  });
  afterEach(async () => {
    await butler.close();
    dir.cleanup();
  });

  it('puts and gets datasets, components and read parameters', async () => {
    const ref = await butler.put(metrics, 'metrics', { instrument: 'Cam1', visit: 1 }, { run: 'run1' });
    expect(ref.run).toBe('run1');
    const opts = { collections: ['run1'] };
    expect(await butler.get('metrics', { instrument: 'Cam1', visit: 1 }, opts)).toEqual(metrics);
    expect(await butler.get('metrics.summary', { instrument: 'Cam1', visit: 1 }, opts)).toEqual(
      metrics.summary,
    );
    expect(
      await butler.get(
        'metrics.data',
        { instrument: 'Cam1', visit: 1 },
        { ...opts, parameters: { slice: { start: 1, stop: 3 } } },
      ),
    ).toEqual([2, 3]);
    expect(await butler.get(ref)).toEqual(metrics);
    expect(await butler.exists('metrics', { instrument: 'Cam1', visit: 1 }, opts)).toBe(true);
    expect(await butler.exists('metrics', { instrument: 'Cam1', visit: 2 }, opts)).toBe(false);
    const uri = await butler.getURI(ref);
    expect(uri.startsWith(butler.root)).toBe(true);
    expect(uri).toContain('run1/metrics');
    const cfg = await butler.put({ a: 1 }, 'config', {}, { run: 'run1' });
    expect(await butler.get(cfg)).toEqual({ a: 1 });
  });

  it('refuses conflicts and bad input without leaving files or rows', async () => {
    await butler.put(metrics, 'metrics', { instrument: 'Cam1', visit: 1 }, { run: 'run1' });
    const before = (await verifyRepository(butler)).files;
    await expectCode(
      butler.put(metrics, 'metrics', { instrument: 'Cam1', visit: 1 }, { run: 'run1' }),
      'DATASET_CONFLICT',
    );
    await expectCode(
      butler.put(metrics, 'metrics', { instrument: 'Cam1' }, { run: 'run1' }),
      'DATA_ID_INCOMPLETE',
      /visit/,
    );
    await expectCode(
      butler.put(metrics, 'nosuch', { instrument: 'Cam1', visit: 1 }, { run: 'run1' }),
      'DATASET_TYPE_UNKNOWN',
    );
    await expectCode(butler.put(metrics, 'metrics', { instrument: 'Cam1', visit: 2 }), 'RUN_REQUIRED');
    await expectCode(
      butler.put('not an object', 'metrics', { instrument: 'Cam1', visit: 2 }, { run: 'run1' }),
      'INVALID_ARGUMENT',
    );
    const report = await verifyRepository(butler);
    expect(report.files).toBe(before);
    expect(report.problems).toEqual([]);
    expect(await butler.registry.queryDatasets('metrics', { collections: ['run1'] })).toHaveLength(1);
  });

  it('opens read-only by default and refuses every write', async () => {
    await butler.put(metrics, 'metrics', { instrument: 'Cam1', visit: 1 }, { run: 'run1' });
    const ro = await Butler.open(butler.root, { collections: ['run1'] });
    try {
      expect(ro.readOnly).toBe(true);
      expect(await ro.get('metrics', { instrument: 'Cam1', visit: 1 })).toEqual(metrics);
      await expectCode(
        ro.put(metrics, 'metrics', { instrument: 'Cam1', visit: 2 }, { run: 'run1' }),
        'REPO_READ_ONLY',
      );
      await expectCode(ro.registerDatasetType('x', ['instrument'], 'int'), 'REPO_READ_ONLY');
      await expectCode(ro.removeRuns(['run1']), 'REPO_READ_ONLY');
      await expectCode(ro.registry.registerRun('r2'), 'REPO_READ_ONLY');
    } finally {
      await ro.close();
    }
  });

  it('ingests files in one transaction and re-ingests idempotently', async () => {
    const src = join(dir.path, 'in');
    const files = [1, 2, 3].map((d) => {
      const p = join(dir.path, `raw_${d}.json`);
      writeFileSync(p, JSON.stringify({ detector: d }));
      return {
        path: p,
        refs: [{ datasetType: 'raw', dataId: { instrument: 'Cam1', exposure: 100, detector: d } }],
      };
    });
    void src;
    const refs = await butler.ingest(files, {
      run: 'raws',
      transfer: 'copy',
      idGenerationMode: 'DATAID_TYPE_RUN',
    });
    expect(refs).toHaveLength(3);
    expect(await butler.get(refs[1]!)).toEqual({ detector: 2 });
    const again = await butler.ingest(files, {
      run: 'raws',
      transfer: 'copy',
      idGenerationMode: 'DATAID_TYPE_RUN',
      skipExisting: true,
    });
    expect(again.map((r) => r.id)).toEqual(refs.map((r) => r.id));
    // A batch with one bad file registers nothing and leaves no copied file behind.
    const bad = [
      {
        path: join(dir.path, 'raw_1.json'),
        refs: [{ datasetType: 'raw', dataId: { instrument: 'Cam1', exposure: 101, detector: 1 } }],
      },
      {
        path: join(dir.path, 'missing.json'),
        refs: [{ datasetType: 'raw', dataId: { instrument: 'Cam1', exposure: 101, detector: 2 } }],
      },
    ];
    await expect(butler.ingest(bad, { run: 'raws', transfer: 'copy' })).rejects.toThrow();
    expect(
      await butler.registry.queryDatasets('raw', { collections: ['raws'], where: 'exposure = 101' }),
    ).toHaveLength(0);
    expect((await verifyRepository(butler)).problems).toEqual([]);
  });

  it('removes runs and prunes datasets with their files', async () => {
    const r1 = await butler.put(metrics, 'metrics', { instrument: 'Cam1', visit: 1 }, { run: 'run1' });
    const r2 = await butler.put(metrics, 'metrics', { instrument: 'Cam1', visit: 2 }, { run: 'run1' });
    await butler.put(metrics, 'metrics', { instrument: 'Cam1', visit: 1 }, { run: 'run2' });
    const path1 = await butler.getURI(r1);
    await butler.pruneDatasets([r1], { purge: true });
    expect(existsSync(path1)).toBe(false);
    expect(await butler.registry.getDataset(r1.id)).toBeNull();
    await butler.pruneDatasets([r2], { unstore: true });
    expect(await butler.registry.getDataset(r2.id)).not.toBeNull();
    expect(await butler.exists(r2)).toBe(false);
    await butler.registry.registerCollection('chain', 'CHAINED');
    await butler.registry.setCollectionChain('chain', ['run2']);
    await expectCode(butler.removeRuns(['run2']), 'COLLECTION_IN_USE');
    expect(await butler.removeRuns(['run2'], { unlinkFromChains: true })).toBe(1);
    expect(existsSync(join(butler.root, 'run2'))).toBe(false);
    const report = await verifyRepository(butler);
    expect(report.problems.map((p) => p.kind)).toEqual(['unstored']);
  });

  it('verify finds missing, changed and orphan files', async () => {
    const ref = await butler.put(metrics, 'metrics', { instrument: 'Cam1', visit: 1 }, { run: 'run1' });
    const ref2 = await butler.put(metrics, 'metrics', { instrument: 'Cam1', visit: 2 }, { run: 'run1' });
    writeFileSync(await butler.getURI(ref), '{"summary": {}}');
    const { rmSync } = await import('node:fs');
    rmSync(await butler.getURI(ref2));
    writeFileSync(join(butler.root, 'run1', 'stray.txt'), 'x');
    const kinds = (await verifyRepository(butler)).problems.map((p) => p.kind).sort();
    expect(kinds).toEqual(['missing', 'orphan', 'size']);
    expect(readdirSync(butler.root)).toContain('butler.yaml');
  });
});

describe('Butler on a damaged repository', () => {
  it('reports a corrupt SQLite registry with a code', async () => {
    const dir = tempDir();
    try {
      const root = join(dir.path, 'repo');
      const b = await Butler.create(root);
      await b.close();
      writeFileSync(
        join(root, 'gen3.sqlite3'),
        'this is not a database, just some text that is long enough'.repeat(100),
      );
      await expectCode(Butler.open(root), 'DATABASE_UNAVAILABLE', /corrupt/);
      await expectCode(Butler.open(join(dir.path, 'nope')), 'REPO_NOT_FOUND');
    } finally {
      dir.cleanup();
    }
  });
});
