import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Butler } from '../../src/butler/index.js';
import { holdSqliteWriteLock } from '../butler/registry/lock-holder.js';
import { generateFixture } from '../catalog/fixtures/generate.js';
import { butler, meridian, repositoryRoot, tempDir } from './helpers.js';

/**
 * Long commands draw progress on stderr when it is a terminal; MERIDIAN_PROGRESS=1 forces that here (the
 * in-process runner's stderr is a capture, never a terminal). Without it they print nothing extra.
 */

const PROGRESS = { MERIDIAN_PROGRESS: '1' };
const schemaPath = join(repositoryRoot, 'config/catalog/dp02.yaml');

let dir: ReturnType<typeof tempDir>;
let survey: string;
beforeAll(async () => {
  dir = tempDir('meridian-progress-');
  survey = join(dir.path, 'survey');
  const args = ['sim', 'survey', survey, '--visits', '2', '--detectors', '2', '--detector-size', '128'];
  const r = await meridian([...args, '--workers', '1', '--radius', '0.05'], PROGRESS);
  if (r.code !== 0) throw new Error(`sim survey failed:\n${r.stderr}`);
  // The survey's progress, checked here because the survey is made once for the whole file. Redraws are
  // throttled, so only the first and the last state are certain to be drawn.
  expect(r.stderr.startsWith('\rcalibrations [')).toBe(true);
  expect(frames(r.stderr)[0]).toMatch(/^calibrations \[-+\] +0% 0\/2 detectors$/);
  expect(frames(r.stderr).at(-1)).toMatch(/^truth and refcat \[#+\] 100% 1\/1 steps/);
  expect(r.stderr.endsWith('\n')).toBe(true);
  expect(r.stdout).toMatch(/^4 raws from 2 exposures/);
});
afterAll(() => dir.cleanup());

/** The redrawn lines of a progress output, without the erase-line codes. */
function frames(stderr: string): string[] {
  return stderr
    .split(/[\r\n]/)
    .map((l) => l.replaceAll('\x1b[K', ''))
    .filter((l) => l !== '');
}

describe('progress on stderr', () => {
  it('sim survey prints nothing extra when stderr is not a terminal', async () => {
    const r = await meridian(['sim', 'survey', join(dir.path, 'quiet'), '--visits', '1', '--detectors', '1']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('sim catalogs counts the Parquet files it writes, and is silent otherwise', async () => {
    const args = ['sim', 'catalogs', '--objects', '2500', '--objects-per-file', '1000', '--visits', '3'];
    const shown = await meridian([args[0]!, args[1]!, join(dir.path, 'cat1'), ...args.slice(2)], PROGRESS);
    expect(shown.code).toBe(0);
    const lines = frames(shown.stderr);
    // 2 + 5 per chunk of objects (3 chunks) + the transient tables.
    expect(lines[0]).toMatch(/^Visit \[#?-+\] +\d+% 1\/2\d files$/);
    expect(lines.at(-1)).toMatch(/ 100% (2\d)\/\1 files/);
    const quiet = await meridian([args[0]!, args[1]!, join(dir.path, 'cat2'), ...args.slice(2)]);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout.split('\n').length).toBe(shown.stdout.split('\n').length);
  });

  it('catalog ingest and ingest-dir count files and keep their stdout lines whole', async () => {
    const fixture = generateFixture(join(dir.path, 'fixture'));
    const catalog = join(dir.path, 'catalog');
    expect((await meridian(['catalog', 'create', catalog, '--schema', schemaPath])).code).toBe(0);
    const one = await meridian(['catalog', 'ingest', catalog, 'Object', fixture.Object], PROGRESS);
    expect(one.code).toBe(0);
    expect(frames(one.stderr)[0]).toMatch(/^Object \[-+\] +0% 0\/1 files$/);
    expect(frames(one.stderr).at(-1)).toMatch(/^(commit )?Object \[#+\] 100% 1\/1 files/);
    expect(one.stdout).toMatch(/^\S+Object\.csv: \d+ rows into Object/);

    const fromDir = join(dir.path, 'catalog-dir');
    expect((await meridian(['catalog', 'create', fromDir, '--schema', schemaPath])).code).toBe(0);
    const all = await meridian(['catalog', 'ingest-dir', fromDir, join(dir.path, 'fixture')], PROGRESS);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/^CcdVisit: \d+ rows from 1 file\(s\) in transaction 1\nVisit: /);
    // Each stdout line is printed with the progress line cleared first and drawn again after it.
    const visitLine = all.output.indexOf('\r\x1b[KVisit: ');
    expect(visitLine).toBeGreaterThan(0);
    expect(all.output.slice(visitLine + 4)).toMatch(
      /^Visit: \d+ rows from 1 file\(s\) in transaction 2\n\r\S/,
    );
    expect(frames(all.stderr).at(-1)).toMatch(/ 100% 1\/1 files/);
    const quiet = await meridian(['catalog', 'ingest', catalog, 'Visit', fixture.Visit]);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
  });

  it('butler ingest-raws counts headers read and files ingested', async () => {
    const repo = join(dir.path, 'repo');
    await (await Butler.create(repo)).close();
    const manifest = join(survey, 'manifest.json');
    expect((await butler(['register-instrument', repo, '--sim-manifest', manifest])).code).toBe(0);
    const r = await butler(['ingest-raws', repo, join(survey, 'raw')], PROGRESS);
    expect(r.code).toBe(0);
    const lines = frames(r.stderr);
    expect(lines[0]).toMatch(/^reading headers \[#*-+\] +25% 1\/4 files$/);
    expect(lines.at(-1)).toMatch(/^ingesting \[#+\] 100% 4\/4 files/);
    const again = await butler(['ingest-raws', repo, join(survey, 'raw')]);
    expect(again.code).toBe(0);
    expect(again.stderr).toBe('');
  });

  it("a butler write held up by another process's registry lock says what it waits for", async () => {
    const repo = join(dir.path, 'locked');
    await (await Butler.create(repo)).close();
    const holder = holdSqliteWriteLock(join(repo, 'gen3.sqlite3'), 2500);
    await holder.locked;
    const started = Date.now();
    const r = await butler(
      ['register-dataset-type', repo, 'metrics', 'StructuredDataDict', 'instrument'],
      PROGRESS,
    );
    const waited = Date.now() - started;
    await holder.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^waiting for the write lock of the registry \S+gen3\.sqlite3 \(another process is writing\)…\n$/,
    );
    expect(waited).toBeGreaterThan(1000);
    // Not a terminal: the same wait, in silence.
    const silent = holdSqliteWriteLock(join(repo, 'gen3.sqlite3'), 1500);
    await silent.locked;
    const quiet = await butler(['register-dataset-type', repo, 'other', 'StructuredDataDict', 'instrument']);
    await silent.done;
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
  });
});
