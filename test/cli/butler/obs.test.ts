import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { butler, butlerJson, butlerOk, meridian, tempDir } from '../helpers.js';

/** The new-user chain, through the programs (in process): sim → create → ... → query-datasets. */
describe('butler: a simulated survey through the command line', () => {
  let dir: ReturnType<typeof tempDir>;
  let repo: string;
  let sim: string;
  beforeAll(async () => {
    dir = tempDir();
    repo = join(dir.path, 'repo');
    sim = join(dir.path, 'sim');
    const simulated = await meridian([
      'sim',
      'survey',
      sim,
      '--visits',
      '4',
      '--detectors',
      '2',
      '--detector-size',
      '128',
    ]);
    if (simulated.code !== 0) throw new Error(`meridian sim survey failed:\n${simulated.stderr}`);
  });
  afterAll(() => dir.cleanup());

  it('registers, ingests, defines visits, certifies calibrations, registers a skymap and queries raws', async () => {
    await butlerOk(['create', repo]);
    await butlerOk(['register-instrument', repo, '--sim-manifest', join(sim, 'manifest.json')]);
    const ingest = await butlerJson(['ingest-raws', repo, join(sim, 'raw'), '-t', 'copy']);
    expect(ingest.ingested).toBe(8);
    const again = await butlerJson(['ingest-raws', repo, join(sim, 'raw'), '-t', 'copy']);
    expect(again.ingested).toBe(0);
    await butlerOk(['define-visits', repo, 'MeridianCam']);
    await butlerOk(['write-curated-calibrations', repo, sim]);
    await butlerOk(['register-skymap', repo, '--sim-manifest', join(sim, 'manifest.json')]);
    await butlerOk(['ingest-refcat', repo, join(sim, 'refcat')]);
    const collections = (await butlerJson(['query-collections', repo])).map((c: { name: string }) => c.name);
    expect(collections).toEqual(
      expect.arrayContaining([
        'MeridianCam/raw/all',
        'MeridianCam/calib',
        'refcats/the_monster_refcat',
        'skymaps',
      ]),
    );
    const raws = await butlerJson([
      'query-datasets',
      repo,
      'raw',
      '--collections',
      'MeridianCam/raw/all',
      '--where',
      "band='r' AND detector=1",
    ]);
    const manifest = JSON.parse((await import('node:fs')).readFileSync(join(sim, 'manifest.json'), 'utf8'));
    const rExposures = manifest.exposures
      .filter((e: { band: string }) => e.band === 'r')
      .map((e: { id: number }) => e.id);
    expect(raws.map((r: { dataId: { exposure: number } }) => r.dataId.exposure).sort()).toEqual(
      rExposures.sort(),
    );
    const visits = await butlerJson(['query-dimension-records', repo, 'visit']);
    expect(visits).toHaveLength(4);
    const verify = await butler(['verify', repo]);
    expect(verify.code).toBe(0);
  });

  it('rejects a malformed raw by name and ingests nothing with --on-error fail', async () => {
    const { copyFileSync, mkdirSync, truncateSync, readdirSync } = await import('node:fs');
    const bad = join(dir.path, 'bad');
    mkdirSync(bad);
    const day = readdirSync(join(sim, 'raw'))[0]!;
    const exp = readdirSync(join(sim, 'raw', day))[0]!;
    const file = readdirSync(join(sim, 'raw', day, exp))[0]!;
    copyFileSync(join(sim, 'raw', day, exp, file), join(bad, 'truncated.fits'));
    truncateSync(join(bad, 'truncated.fits'), 5000);
    const repo2 = join(dir.path, 'repo2');
    await butlerOk(['create', repo2]);
    await butlerOk(['register-instrument', repo2, '--sim-manifest', join(sim, 'manifest.json')]);
    const r = await butler(['ingest-raws', repo2, bad, join(sim, 'raw'), '--on-error', 'fail']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('truncated.fits');
    expect(await butlerJson(['query-datasets', repo2, 'raw', '--collections', '*'])).toEqual([]);
  });
});
