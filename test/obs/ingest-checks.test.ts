/**
 * Raw ingest checks: a raw whose DATASUM no longer matches its data is refused (or skipped), a survey manifest
 * cannot point the butler outside its directory, and concurrent identical ingests each report what they inserted.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyRepository } from '../../src/butler/index.js';
import {
  ingestRaws,
  registerInstrument,
  surveyFilePath,
  writeCuratedCalibrations,
} from '../../src/obs/index.js';
import type { SurveyResult } from '../../src/sim/index.js';
import { butlerOk, ensureBuilt, spawnButler } from '../cli/helpers.js';
import { createRepo, temporaryDirectory, tinySurvey } from './fixtures.js';

let simDir: string;
let survey: SurveyResult;
let rawDir: string;
let damaged: string;

beforeAll(async () => {
  const sim = await tinySurvey('checks');
  simDir = sim.simDir;
  survey = sim.result;
  rawDir = join(temporaryDirectory('raws'), 'raw');
  cpSync(join(simDir, 'raw'), rawDir, { recursive: true });
  // Flip one byte in the middle of the pixel data: headers still parse, DATASUM no longer matches.
  damaged = join(rawDir, survey.manifest.exposures[1]!.raws[0]!.path.slice('raw/'.length));
  const bytes = readFileSync(damaged);
  bytes[bytes.length - 2000] ^= 0x5a;
  writeFileSync(damaged, bytes);
});

async function freshRepo(name: string) {
  const butler = await createRepo(join(temporaryDirectory(name), 'repo'), 'sqlite');
  await registerInstrument(butler, survey.manifest.instrument);
  return butler;
}

describe('DATASUM at ingest', () => {
  it("refuses a damaged raw with RAW_CHECKSUM_MISMATCH naming file and HDU; on-error 'fail' writes nothing", async () => {
    const butler = await freshRepo('datasum-fail');
    const err = await ingestRaws(butler, [rawDir], { transfer: 'copy' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'RAW_INVALID' });
    const files = (err as { details: { files: { file: string; code: string; message: string }[] } }).details
      .files;
    expect(files).toEqual([
      { file: damaged, code: 'RAW_CHECKSUM_MISMATCH', message: expect.stringMatching(/HDU 0 .*DATASUM/) },
    ]);
    expect(await butler.registry.queryDatasets('raw', { collections: ['*'] }).catch(() => [])).toEqual([]);
    expect((await verifyRepository(butler)).problems).toEqual([]);
    await butler.close();
  });

  it("on-error 'skip' ingests the others; verifyChecksums: false lets the damaged raw in", async () => {
    const butler = await freshRepo('datasum-skip');
    const total = survey.manifest.exposures.reduce((n, e) => n + e.raws.length, 0);
    const skipped = await ingestRaws(butler, [rawDir], { transfer: 'copy', onError: 'skip' });
    expect(skipped.skipped.map((s) => [s.file, s.code])).toEqual([[damaged, 'RAW_CHECKSUM_MISMATCH']]);
    expect(skipped.ingested).toBe(total - 1);
    const unchecked = await ingestRaws(butler, [rawDir], { transfer: 'copy', verifyChecksums: false });
    expect([unchecked.ingested, unchecked.alreadyPresent]).toEqual([1, total - 1]);
    await butler.close();
  });
});

describe('survey manifest paths', () => {
  it('stay inside the survey directory', async () => {
    expect(surveyFilePath(simDir, 'calib/bias.fits')).toBe(join(simDir, 'calib/bias.fits'));
    for (const bad of ['../outside.fits', '/etc/passwd', 'calib/../../x.fits']) {
      expect(() => surveyFilePath(simDir, bad), bad).toThrow(
        expect.objectContaining({ code: 'PATH_TRAVERSAL' }),
      );
    }
    const hostile = join(temporaryDirectory('hostile'), 'sim');
    cpSync(simDir, hostile, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(hostile, 'manifest.json'), 'utf8'));
    manifest.calibrations.files[0].path = `../../${manifest.calibrations.files[0].path}`;
    writeFileSync(join(hostile, 'manifest.json'), JSON.stringify(manifest));
    const butler = await freshRepo('manifest');
    await expect(writeCuratedCalibrations(butler, hostile, { transfer: 'copy' })).rejects.toMatchObject({
      code: 'PATH_TRAVERSAL',
    });
    expect(await butler.registry.queryDatasets('bias', { collections: ['*'] })).toEqual([]);
    await butler.close();
  });
});

describe('concurrent identical ingest-raws processes', () => {
  it('each reports what it inserted: the counts add up to the batch once', { timeout: 180_000 }, async () => {
    await ensureBuilt();
    const repo = join(temporaryDirectory('concurrent'), 'repo');
    await butlerOk(['create', repo]);
    await butlerOk(['register-instrument', repo, '--sim-manifest', join(simDir, 'manifest.json')]);
    const raws = join(simDir, 'raw');
    const total = survey.manifest.exposures.reduce((n, e) => n + e.raws.length, 0);
    const runs = await Promise.all(
      [1, 2, 3].map(() => spawnButler(['ingest-raws', repo, raws, '-t', 'copy', '--json'])),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const reports = runs.map((r) => JSON.parse(r.stdout) as { ingested: number; alreadyPresent: number });
    for (const report of reports) expect(report.ingested + report.alreadyPresent).toBe(total);
    expect(reports.reduce((n, r) => n + r.ingested, 0)).toBe(total);
    // The text report says the same.
    const text = await spawnButler(['ingest-raws', repo, raws, '-t', 'copy']);
    expect(text.stdout).toContain(`Ingested 0 raw(s) into MeridianCam/raw/all (${total} already present`);
  });
});

describe('nothing to ingest', () => {
  it('a directory without raws is nothing to do, so a finished -t move can be run again', async () => {
    const repo = join(temporaryDirectory('move-again'), 'repo');
    const butler = await createRepo(repo, 'sqlite');
    await registerInstrument(butler, survey.manifest.instrument);
    const sources = join(temporaryDirectory('move-sources'), 'raw');
    cpSync(join(simDir, 'raw'), sources, { recursive: true });
    const first = await ingestRaws(butler, [sources], { transfer: 'move' });
    expect(first.ingested).toBe(first.files);
    const again = await ingestRaws(butler, [sources], { transfer: 'move' });
    expect(again).toMatchObject({ files: 0, ingested: 0, alreadyPresent: 0, refs: [] });
    await butler.close();
    const out = await butlerOk(['ingest-raws', repo, sources, '-t', 'move']);
    expect(out).toContain('Ingested 0 raw(s)');
  });
});
