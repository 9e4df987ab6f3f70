import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Butler } from '../../src/butler/index.js';
import { readFits, writeFits } from '../../src/formats/index.js';
import { ingestRaws, registerInstrument } from '../../src/obs/index.js';
import type { SurveyResult } from '../../src/sim/index.js';
import { createRepo, temporaryDirectory, tinySurvey } from './fixtures.js';

let rawDir: string;
let truncated: string;
let noFilter: string;
let survey: SurveyResult;

beforeAll(async () => {
  const sim = await tinySurvey('malformed');
  survey = sim.result;
  rawDir = join(temporaryDirectory('raws'), 'raw');
  cpSync(join(sim.simDir, 'raw'), rawDir, { recursive: true });
  const [first, second] = survey.manifest.exposures;
  // Cut a raw in the middle of its data.
  truncated = join(rawDir, first!.raws[0]!.path.slice('raw/'.length));
  const bytes = readFileSync(truncated);
  writeFileSync(truncated, bytes.subarray(0, bytes.length - 4000));
  // Rewrite another without its FILTER keyword.
  noFilter = join(rawDir, second!.raws[1]!.path.slice('raw/'.length));
  const fits = await readFits(noFilter);
  const image = await fits.readImage(0);
  const cards = fits.hdus[0]!.header.filter((c) => !(c.kind === 'value' && c.keyword === 'FILTER'));
  await writeFits(noFilter, [{ kind: 'image', data: image.data, shape: image.shape, cards }]);
});

async function freshRepo(): Promise<Butler> {
  const butler = await createRepo(join(temporaryDirectory('repo'), 'repo'), 'sqlite');
  await registerInstrument(butler, survey.manifest.instrument);
  return butler;
}

describe('malformed raws', () => {
  it("on-error 'fail' names the bad files and writes nothing", async () => {
    const butler = await freshRepo();
    try {
      const err = await ingestRaws(butler, [rawDir], { transfer: 'copy' }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'RAW_INVALID' });
      const files = (err as { details: { files: { file: string; message: string }[] } }).details.files;
      expect(files.map((f) => f.file).sort()).toEqual([truncated, noFilter].sort());
      expect(files.find((f) => f.file === noFilter)!.message).toContain('FILTER');
      expect(files.find((f) => f.file === truncated)!.message).toMatch(/truncated/);
      expect(await butler.registry.queryDimensionRecords('exposure')).toEqual([]);
      const collections = await butler.registry.queryCollections();
      expect(collections.map((c) => c.name)).not.toContain('MeridianCam/raw/all');
    } finally {
      await butler.close();
    }
  });

  it("on-error 'skip' reports the bad files by name and ingests all the others", async () => {
    const butler = await freshRepo();
    try {
      const result = await ingestRaws(butler, [rawDir], { transfer: 'copy', onError: 'skip' });
      expect(result.skipped.map((s) => s.file).sort()).toEqual([truncated, noFilter].sort());
      expect(result.skipped.every((s) => s.code === 'RAW_INVALID')).toBe(true);
      expect(result.ingested).toBe(6);
      const refs = await butler.registry.queryDatasets('raw', { collections: ['MeridianCam/raw/all'] });
      expect(refs).toHaveLength(6);
    } finally {
      await butler.close();
    }
  });
});
