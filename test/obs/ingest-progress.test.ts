import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingestRaws, registerInstrument } from '../../src/obs/index.js';
import { createRepo, temporaryDirectory, tinySurvey } from './fixtures.js';

type Progress = { phase: string; done: number; total?: number; unit?: string };

describe('ingestRaws onProgress', () => {
  it('counts the headers read up to the number of files, then the ingest', async () => {
    const { simDir, result } = await tinySurvey('progress');
    const butler = await createRepo(join(temporaryDirectory('progress-repo'), 'repo'), 'sqlite');
    try {
      await registerInstrument(butler, result.manifest.instrument);
      const updates: Progress[] = [];
      const ingested = await ingestRaws(butler, [join(simDir, 'raw')], {
        onProgress: (p) => updates.push(p),
      });
      const files = ingested.refs.length;
      expect(files).toBe(8);
      expect(updates).toEqual([
        ...Array.from({ length: files }, (_, i) => ({
          phase: 'reading headers',
          done: i + 1,
          total: files,
          unit: 'files',
        })),
        { phase: 'ingesting', done: 0, total: files, unit: 'files' },
        { phase: 'ingesting', done: files, total: files, unit: 'files' },
      ]);
    } finally {
      await butler.close();
    }
  });
});
