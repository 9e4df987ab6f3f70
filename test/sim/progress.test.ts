import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { simulateCatalogs, simulateSurvey } from '../../src/sim/index.js';
import { removeTemporaryDirectories, SMALL_SURVEY, temporaryDirectory } from './helpers.js';

afterAll(removeTemporaryDirectories);

type Progress = { phase: string; done: number; total?: number; unit?: string };

/** The updates of one phase: `done` never goes back, stays within `total` and ends at it. */
function expectCountsUp(updates: readonly Progress[], phase: string, total: number): void {
  const mine = updates.filter((u) => u.phase === phase);
  expect(mine.length, phase).toBeGreaterThan(0);
  for (const u of mine) expect(u.total, phase).toBe(total);
  for (let i = 1; i < mine.length; i++) expect(mine[i]!.done).toBeGreaterThanOrEqual(mine[i - 1]!.done);
  expect(mine.at(-1)!.done, phase).toBe(total);
}

describe('onProgress', () => {
  it('simulateSurvey reports calibrations, every raw rendered, then the catalogs', async () => {
    const updates: Progress[] = [];
    const result = await simulateSurvey({
      ...SMALL_SURVEY,
      outDir: join(temporaryDirectory('progress'), 'survey'),
      onProgress: (p) => updates.push(p),
    });
    const raws = result.manifest.exposures.length * result.manifest.instrument.detectors.length;
    expect([...new Set(updates.map((u) => u.phase))]).toEqual(['calibrations', 'raws', 'truth and refcat']);
    expectCountsUp(updates, 'calibrations', 2);
    expectCountsUp(updates, 'raws', raws);
    // One update per raw, plus the 0 before the first.
    expect(updates.filter((u) => u.phase === 'raws').map((u) => u.done)).toEqual(
      Array.from({ length: raws + 1 }, (_, i) => i),
    );
    expect(updates.find((u) => u.phase === 'raws')?.unit).toBe('files');
    // The callback is not an option the manifest records.
    expect(Object.keys(result.manifest.options)).not.toContain('onProgress');
  });

  it('simulateCatalogs counts the Parquet files it writes up to the number in the manifest', async () => {
    const updates: Progress[] = [];
    const manifest = await simulateCatalogs({
      outDir: join(temporaryDirectory('progress-cat'), 'out'),
      objects: 2500,
      objectsPerFile: 1000,
      visits: 3,
      bands: 'gr',
      onProgress: (p) => updates.push(p),
    });
    const files = Object.values(manifest.tables).reduce((n, t) => n + t.files.length, 0);
    expect(updates.every((u) => u.total === files && u.unit === 'files')).toBe(true);
    for (let i = 1; i < updates.length; i++)
      expect(updates[i]!.done).toBeGreaterThanOrEqual(updates[i - 1]!.done);
    expect(updates.at(-1)!.done).toBe(files);
    expect(updates[0]).toEqual({ phase: 'Visit', done: 1, total: files, unit: 'files' });
    expect(updates.map((u) => u.phase)).toEqual(
      expect.arrayContaining(['objects 0–1000', 'objects 2000–2500', 'supernovae', 'Object', 'DiaSource']),
    );
    expect(Object.keys(manifest.options)).not.toContain('onProgress');
  });
});
