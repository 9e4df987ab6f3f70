/**
 * Issue 13's proof, end to end through the real executables: DRP step1 then step2 (`pipelines/DRP.yaml`) over a
 * small honest simulated survey with `bin/pipetask.js qgraph`/`run -j 2`, on SQLite and on PostgreSQL; then
 * `bin/meridian.js qa` judged against loose bounds (the tight targets are docs/qa.md's, on a larger survey) and
 * `bin/butler.js verify` clean. Then the bad inputs: one visit's step1 again, into another output collection, with
 * a raw whose header is corrupt, a detector that saw no stars and a field with no reference stars — each a failed
 * quantum with a clear coded message in `pipetask report --json`, its descendants blocked, the fourth detector
 * processed, exit status 1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Butler } from '../../src/butler/index.js';
import type { QaReport } from '../../src/qa/index.js';
import { ensureBuilt, spawnButler, spawnMeridian, spawnPipetask } from '../cli/helpers.js';
import { postgresEnabled, postgresUrl } from '../support/postgres.js';
import { ingestRefcatWithHole } from '../tasks/calibrate/refcat-hole.js';
import {
  corruptRawHeader,
  DRP_INPUTS,
  type DrpRepo,
  type DrpSurvey,
  makeDrpRepo,
  rawFile,
  replaceWithEmptySky,
  simulateDrpSurvey,
} from './survey-fixture.js';

const STEP1_TASKS = ['isr', 'characterizeImage', 'calibrate', 'writeSourceTable', 'transformSourceTable'];
const STEP2_TASKS = [
  'consolidateSourceTable',
  'consolidateVisitSummary',
  'makeCcdVisitTable',
  'makeVisitTable',
  'isolatedStarAssociation',
  'globalPhotoCalib',
];
const OUTPUT = 'u/drpe2e/drp';
const BAD_OUTPUT = 'u/drpe2e/bad-inputs';

let survey: DrpSurvey | undefined;
beforeAll(async () => {
  await ensureBuilt();
  survey = await simulateDrpSurvey();
}, 600_000);
afterAll(() => survey?.cleanup());

interface TaskCounts {
  readonly label: string;
  readonly expected: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly blocked: number;
  readonly unknown: number;
  readonly failures: readonly {
    dataId: Record<string, number | string>;
    code: string | null;
    message: string;
  }[];
}

/** Run a program and return its stdout; a non-zero exit fails with stderr, so a failure reads well. */
async function ok(result: Promise<{ code: number; stdout: string; stderr: string }>, what: string) {
  const r = await result;
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

function defineDrpSuite(backend: 'sqlite' | 'postgresql', serverUrl: string | null): void {
  describe(`DRP steps 1-2 through pipetask on ${backend}`, () => {
    let repo: DrpRepo;
    const graph = (name: string) => `${repo.root}.${name}.mqg`;

    beforeAll(async () => {
      repo = await makeDrpRepo(survey!, serverUrl);
    }, 300_000);
    afterAll(async () => {
      await repo?.cleanup();
    });

    /** `pipetask qgraph` then `pipetask run -j 2` of one step; both must succeed. */
    async function runStep(step: 'step1' | 'step2', inputs: readonly string[]) {
      const started = performance.now();
      const built = JSON.parse(
        await ok(
          spawnPipetask([
            'qgraph',
            ...['-b', repo.root, '-p', `pipelines/DRP.yaml#${step}`],
            ...['-i', inputs.join(','), '-o', OUTPUT, '--output-run', `${OUTPUT}/${step}`],
            ...['-q', graph(step), '--json'],
          ]),
          `pipetask qgraph ${step}`,
        ),
      );
      const ran = JSON.parse(
        await ok(
          spawnPipetask(['run', '-b', repo.root, '-g', graph(step), '-j', '2', '--json']),
          `run ${step}`,
        ),
      );
      console.log(
        `${backend} ${step}: ${built.nQuanta} quanta in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
      return { built, ran };
    }

    it('runs step1 over every raw: calexps, src and Source tables', async () => {
      const { manifest } = survey!;
      const nRaws = manifest.exposures.length * manifest.instrument.detectors.length;
      const { built, ran } = await runStep('step1', DRP_INPUTS);
      expect(built.tasks.map((t: { label: string }) => t.label)).toEqual(STEP1_TASKS);
      for (const t of built.tasks) expect(t.quanta, t.label).toBe(nRaws);
      expect(ran).toMatchObject({ failed: 0, blocked: 0, succeeded: 5 * nRaws });
      // The merge counts the init quanta too (one per task: its config and schemas).
      expect(ran.merge).toMatchObject({ quantaMerged: 5 * nRaws + STEP1_TASKS.length, quantaNotMerged: 0 });
    }, 900_000);

    it('runs step2 on step1 outputs: visit summaries, tables, isolated stars, global calibration', async () => {
      const { manifest } = survey!;
      const { built, ran } = await runStep('step2', [OUTPUT, ...DRP_INPUTS]);
      const quanta = Object.fromEntries(
        built.tasks.map((t: { label: string; quanta: number }) => [t.label, t.quanta]),
      );
      expect(Object.keys(quanta)).toEqual(STEP2_TASKS);
      expect(quanta.consolidateSourceTable).toBe(manifest.exposures.length);
      expect(quanta.consolidateVisitSummary).toBe(manifest.exposures.length);
      expect(quanta.globalPhotoCalib).toBe(1);
      expect(ran).toMatchObject({ failed: 0, blocked: 0, succeeded: built.nQuanta });
    }, 600_000);

    it('meets loose QA bounds against the truth (meridian qa)', async () => {
      const { simDir } = survey!;
      const out = `${repo.root}.qa`;
      const qa = JSON.parse(
        await ok(
          spawnMeridian([
            'qa',
            repo.root,
            '--collections',
            OUTPUT,
            '--truth',
            simDir,
            '--out',
            out,
            '--json',
          ]),
          'meridian qa',
        ),
      ) as QaReport;
      const { manifest } = survey!;
      expect(qa.inputs.ccdVisits).toBe(manifest.exposures.length * manifest.instrument.detectors.length);
      expect(qa.inputs.matchedSources).toBeGreaterThan(1000);
      expect(qa.astrometry.nStars).toBeGreaterThan(50);
      expect(qa.astrometry.medianMas).toBeLessThan(20);
      expect(qa.calibration).not.toBeNull();
      expect(qa.calibration!.psfSigmaMedianAbsPct).toBeLessThan(3);
      expect(Math.abs(qa.calibration!.zeroPointMedianMmag!)).toBeLessThan(30);
      const pa1 = qa.pa1.perBand.find((b) => b.band === 'r')!;
      expect(pa1.nStars).toBeGreaterThan(10);
      expect(pa1.pa1Mmag).toBeLessThan(20);
      // The global (ubercal) calibration was read and gives a PA1 of its own.
      expect(pa1.pa1GlobalMmag).toBeLessThan(20);
      const bright = qa.completeness.filter(
        (b) => b.band === 'r' && b.objectClass === 'star' && b.mag >= 18 && b.mag <= 21 && b.nTrue >= 10,
      );
      expect(bright.length).toBeGreaterThan(0);
      const matched = bright.reduce((s, b) => s + b.nMatched, 0);
      const total = bright.reduce((s, b) => s + b.nTrue, 0);
      expect(matched / total).toBeGreaterThan(0.9);
      const summary = qa.targets.map((t) => `${t.name} ${t.value} ${t.unit}`).join(', ');
      console.log(`${backend} QA: ${summary}; bright-star completeness ${(matched / total).toFixed(3)}`);
    }, 300_000);

    it('leaves registry and datastore consistent (butler verify)', async () => {
      const report = JSON.parse(await ok(spawnButler(['verify', repo.root, '--json']), 'butler verify'));
      const problems = (report.problems ?? []).filter((p: { problem: string }) => p.problem !== 'unstored');
      expect(problems).toEqual([]);
    }, 300_000);

    it('fails the quanta of bad inputs with clear messages, blocks their descendants and runs the rest', async () => {
      const { manifest } = survey!;
      const exposure = manifest.exposures[0]!;
      const [corrupt, empty, noRefs, good] = manifest.instrument.detectors.map((d) => d.id) as [
        number,
        number,
        number,
        number,
      ];
      corruptRawHeader(await rawFile(repo.root, exposure.id, corrupt));
      await replaceWithEmptySky(await rawFile(repo.root, exposure.id, empty));
      const butler = await Butler.open(repo.root, { writeable: true });
      try {
        await ingestRefcatWithHole(butler, survey!.simDir, manifest, 'hole_refcat', exposure, noRefs);
      } finally {
        await butler.close();
      }
      const inputs = DRP_INPUTS.map((c) => (c === 'refcats/the_monster_refcat' ? 'refcats/hole_refcat' : c));
      await ok(
        spawnPipetask([
          'qgraph',
          ...['-b', repo.root, '-p', 'pipelines/DRP.yaml#step1', '-i', inputs.join(','), '-o', BAD_OUTPUT],
          ...['--output-run', `${BAD_OUTPUT}/step1`, '-d', `visit = ${exposure.id}`],
          ...['-c', 'calibrate:connections.refcatName=hole_refcat', '-q', graph('bad')],
        ]),
        'pipetask qgraph (bad inputs)',
      );
      const run = await spawnPipetask(['run', '-b', repo.root, '-g', graph('bad'), '-j', '2', '--json']);
      expect(run.code, run.stderr).toBe(1);
      // Succeeded: isr 3 of 4, characterizeImage 2, calibrate 1, the two Source-table tasks 1 each. Blocked: the
      // four quanta after the corrupt raw's isr, the three after the empty detector's characterizeImage, the two
      // after the calibrate without reference stars.
      expect(JSON.parse(run.stdout)).toMatchObject({
        failed: 3,
        blocked: 4 + 3 + 2,
        succeeded: 3 + 2 + 1 + 1 + 1,
      });

      const report = JSON.parse(
        await ok(spawnPipetask(['report', repo.root, graph('bad'), '--json']), 'pipetask report'),
      ) as { tasks: TaskCounts[] };
      const byLabel = Object.fromEntries(report.tasks.map((t) => [t.label, t]));
      const failure = (label: string) => {
        expect(byLabel[label]!.failures).toHaveLength(1);
        return byLabel[label]!.failures[0]!;
      };
      // ISR of the corrupt raw: the file cannot be read.
      expect(byLabel.isr).toMatchObject({ expected: 4, succeeded: 3, failed: 1 });
      expect(failure('isr').dataId.detector).toBe(corrupt);
      expect(failure('isr').code).toMatch(/^(FITS_INVALID|RAW_INVALID)$/);
      expect(failure('isr').message).toMatch(/HDU 0: header card 2 contains a non-ASCII byte/);
      // characterizeImage of the empty detector: no stars to model the PSF with.
      expect(byLabel.characterizeImage).toMatchObject({ expected: 4, succeeded: 2, failed: 1, blocked: 1 });
      expect(failure('characterizeImage').dataId.detector).toBe(empty);
      expect(failure('characterizeImage').code).toBe('PSF_FAILED');
      expect(failure('characterizeImage').message).toMatch(/star/);
      // calibrate of the field the reference catalogue does not cover.
      expect(byLabel.calibrate).toMatchObject({ expected: 4, succeeded: 1, failed: 1, blocked: 2 });
      expect(failure('calibrate').dataId.detector).toBe(noRefs);
      expect(failure('calibrate').code).toBe('ASTROMETRY_FAILED');
      expect(failure('calibrate').message).toMatch(/no reference stars on the field/);
      for (const label of ['writeSourceTable', 'transformSourceTable'])
        expect(byLabel[label], label).toMatchObject({ expected: 4, succeeded: 1, failed: 0, blocked: 3 });
      for (const t of report.tasks) expect(t.unknown, t.label).toBe(0);
      console.log(
        `${backend} bad inputs:\n  ${report.tasks
          .flatMap((t) =>
            t.failures.map((f) => `${t.label} detector ${f.dataId.detector}: ${f.code}: ${f.message}`),
          )
          .join('\n  ')}`,
      );
      // The good detector's Source table is in the bad-input collection.
      const found = JSON.parse(
        await ok(
          spawnButler(['query-datasets', repo.root, 'sourceTable', '--collections', BAD_OUTPUT, '--json']),
          'butler query-datasets',
        ),
      );
      expect(found.map((r: { dataId: { detector: number } }) => r.dataId.detector)).toEqual([good]);
    }, 600_000);
  });
}

defineDrpSuite('sqlite', null);
if (postgresEnabled('DRP steps 1-2 through pipetask on PostgreSQL'))
  defineDrpSuite('postgresql', postgresUrl);
