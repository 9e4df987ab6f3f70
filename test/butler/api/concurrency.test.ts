import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Butler, verifyRepository } from '../../../src/butler/index.js';
import { makeRepo, tempDir } from './helpers.js';

const run = promisify(execFile);

describe('several processes writing one SQLite repository', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeAll(async () => {
    if (!existsSync(new URL('../../../dist/butler/index.js', import.meta.url))) {
      await run('npx', ['tsc', '-p', 'tsconfig.build.json']);
    }
    dir = tempDir();
  });
  afterAll(() => dir.cleanup());

  it('loses nothing', async () => {
    const root = join(dir.path, 'repo');
    const setup = await makeRepo(root);
    await setup.close();
    const script = new URL('./fixtures/concurrent-put.mjs', import.meta.url).pathname;
    await Promise.all([1, 2, 3, 4].map((w) => run(process.execPath, [script, root, String(w)])));
    const butler = await Butler.open(root);
    try {
      const shared = await butler.registry.queryDatasets('raw', { collections: ['shared'] });
      expect(shared).toHaveLength(16);
      const all = await butler.registry.queryDatasets('raw', { collections: ['*'] });
      expect(all).toHaveLength(16 + 4 * 25);
      const report = await verifyRepository(butler);
      expect(report.problems).toEqual([]);
      expect(report.files).toBe(116);
      for (const ref of shared) {
        const got = (await butler.get(ref)) as { exposure: number; detector: number };
        expect([got.exposure, got.detector]).toEqual([
          ref.dataId.values.exposure,
          ref.dataId.values.detector,
        ]);
      }
    } finally {
      await butler.close();
    }
  });
});
