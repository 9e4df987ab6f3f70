/**
 * DRP step1 on honest simulated detectors (`npm run bench -- --only drp [--drp-size 4096] [--drp-detectors 8]
 * [--drp-detector-size 2048] [--drp-stars N] [--drp-galaxies N] [--drp-workdir DIR]`).
 *
 * 1. Per-task time per detector: one visit of one `size`² MeridianCam detector (defects, cosmic rays, a spatially
 *    varying PSF, pointing errors and distortion, thin cloud: the simulator's honest raw) with its calibrations and
 *    refcat, in a fresh SQLite repository; step1 of pipelines/DRP.yaml (isr → characterizeImage → calibrate →
 *    writeSourceTable → transformSourceTable) through the real graph builder and executor with one worker process
 *    (`pipetask run -j 1`). Wall and CPU seconds per task come from each quantum's provenance (its job's own clock
 *    and `process.cpuUsage`), so they include reading inputs and writing outputs; the algorithm's share is from the
 *    tasks' metadata where they record it.
 * 2. Throughput: one visit of `detectors` detectors of `detectorSize`², the same step1 with 2 worker processes;
 *    detectors per minute of the execution's wall time (workers started, every quantum run; the graph build and the
 *    merge into the registry are reported beside it).
 * 3. source-extractor on the calexp of part 1 (`sextractor-calexps.ts`): completeness, purity, flux accuracy and
 *    detect+measure CPU against the simulated truth, side by side.
 *
 * Both surveys share the seed, so a run is repeatable up to the machine's load. The worker process of part 1 runs
 * its first quantum cold (module loading is outside the quantum, JIT warm-up inside), as a one-detector job does.
 */

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareDrpRepo, runStep1, type Step1Run } from './drp-repo.js';
import type { BenchResult } from './harness.js';
import { compareOnCalexps } from './sextractor-calexps.js';
import { type ComparisonReport, comparisonResults, formatComparison } from './sextractor-compare.js';

export interface DrpBenchOptions {
  /** Side of the single detector timed task by task (pixels). */
  readonly size?: number;
  /** Detectors and their side for the throughput run. */
  readonly detectors?: number;
  readonly detectorSize?: number;
  readonly processes?: number;
  readonly starsPerDeg2?: number;
  readonly galaxiesPerDeg2?: number;
  /** Keep the surveys and repositories here; by default a temporary directory, removed afterwards. */
  readonly workdir?: string;
  readonly log?: (line: string) => void;
}

const STEP1_LABELS = [
  'isr',
  'characterizeImage',
  'calibrate',
  'writeSourceTable',
  'transformSourceTable',
] as const;

/**
 * A field at intermediate Galactic latitude: 10,000 stars per deg² (about 500 on a 4k detector, a few hundred of them
 * bright enough for the PSF and the refcat) and 100,000 galaxies per deg² (close to the counts to r ≈ 25.5).
 */
const DEFAULT_STARS_PER_DEG2 = 10_000;
const DEFAULT_GALAXIES_PER_DEG2 = 100_000;

function surveyOptions(
  detectors: number,
  detectorSize: number,
  options: DrpBenchOptions,
): Parameters<typeof prepareDrpRepo>[1] {
  return {
    seed: 20261205,
    visits: 1,
    nights: 1,
    bands: ['r'],
    detectors,
    detectorSize,
    // The pointing barely moves; the truth covers the focal plane around it.
    radiusDeg: 0.01,
    starsPerDeg2: options.starsPerDeg2 ?? DEFAULT_STARS_PER_DEG2,
    galaxiesPerDeg2: options.galaxiesPerDeg2 ?? DEFAULT_GALAXIES_PER_DEG2,
    supernovae: 0,
    defects: true,
  };
}

/** Milliseconds or seconds the task says its algorithm took (null when it does not say). */
function algorithmSeconds(label: string, metadata: Readonly<Record<string, unknown>>): number | null {
  const sum = (v: unknown) =>
    typeof v === 'object' && v !== null
      ? Object.values(v).reduce<number>((a, b) => a + (typeof b === 'number' ? b : 0), 0)
      : null;
  if (label === 'isr') {
    const s = (metadata.isr as { seconds?: unknown } | undefined)?.seconds;
    return typeof s === 'number' ? s : null;
  }
  if (label === 'characterizeImage') {
    const ms = sum(metadata.timingsMs);
    return ms === null ? null : ms / 1000;
  }
  if (label === 'calibrate') {
    const ms = sum(metadata.timings);
    return ms === null ? null : ms / 1000;
  }
  return null;
}

function failures(run: Step1Run): string {
  const failed = run.execution.quanta.filter((q) => q.status === 'failed');
  return failed.map((q) => `${q.label} ${JSON.stringify(q.dataId)}: ${q.code} ${q.message}`).join('; ');
}

const s2 = (v: number) => v.toFixed(2);

export async function benchDrp(options: DrpBenchOptions = {}): Promise<BenchResult[]> {
  const log = options.log ?? (() => {});
  const size = options.size ?? 4096;
  const detectors = options.detectors ?? 8;
  const detectorSize = options.detectorSize ?? 2048;
  const processes = options.processes ?? 2;
  const workdir = options.workdir ?? mkdtempSync(join(tmpdir(), 'meridian-bench-drp-'));
  const results: BenchResult[] = [];
  try {
    // Part 1: one detector, task by task, one worker process.
    const singleDir = join(workdir, 'single');
    mkdirSync(singleDir, { recursive: true });
    const single = await prepareDrpRepo(singleDir, surveyOptions(1, size, options));
    log(
      `drp: simulated 1 visit × 1 detector of ${size}² in ${s2(single.simulateSeconds)} s, ingested in ${s2(single.ingestSeconds)} s`,
    );
    const one = await runStep1(single.repo, 1, 'bench/drp');
    if (one.execution.failed + one.execution.blocked > 0) {
      log(`drp: step1 on the ${size}² detector did not complete: ${failures(one)}`);
      return results;
    }
    log(
      `drp: step1 graph built in ${s2(one.buildSeconds)} s; executed in ${s2(one.execution.seconds)} s (-j 1); merged in ${s2(one.mergeSeconds)} s`,
    );

    let report: ComparisonReport | null = null;
    try {
      report = await compareOnCalexps({
        repo: single.repo,
        collections: [one.run],
        truthDir: single.simDir,
        log,
      });
    } catch (err) {
      log(`drp: source-extractor comparison not run (${(err as Error).message.split('\n')[0]})`);
    }
    const seCpu = report === null ? null : report.tools[1]!.cpuMs / 1000;

    log('');
    log(`Per task, one ${size}×${size} detector, \`-j 1\` (the job's own wall and CPU clocks):`);
    log('');
    log(
      '| task | wall s | CPU s | algorithm wall s (task metadata) | CPU × source-extractor detect+measure |',
    );
    log('|---|---|---|---|---|');
    let totalWall = 0;
    let totalCpu = 0;
    for (const label of STEP1_LABELS) {
      const q = one.quanta.find((t) => t.label === label);
      if (!q) continue;
      totalWall += q.wallSeconds;
      totalCpu += q.cpuSeconds;
      const algorithm = algorithmSeconds(label, q.metadata);
      log(
        `| ${label} | ${s2(q.wallSeconds)} | ${s2(q.cpuSeconds)} | ${algorithm === null ? '' : s2(algorithm)} | ${seCpu === null ? '' : `${(q.cpuSeconds / seCpu).toFixed(2)}×`} |`,
      );
      results.push({ name: `drp: ${label}, CPU per ${size}² detector`, value: q.cpuSeconds, unit: 's' });
    }
    log(
      `| **step1** | **${s2(totalWall)}** | **${s2(totalCpu)}** | | ${seCpu === null ? '' : `${(totalCpu / seCpu).toFixed(2)}×`} |`,
    );
    const characterize = one.quanta.find((t) => t.label === 'characterizeImage');
    if (characterize) {
      const m = characterize.metadata;
      log(
        `characterizeImage steps (wall ms): ${JSON.stringify(m.timingsMs)}; PSF from ${m.psfStars} stars, reserved-star residual rms ${(100 * Number(m.psfReservedResidualRms)).toFixed(2)}%`,
      );
    }
    const calibrate = one.quanta.find((t) => t.label === 'calibrate');
    if (calibrate) {
      const m = calibrate.metadata;
      log(
        `calibrate steps (wall ms): ${JSON.stringify(m.timings)}; ${m.sources} sources, ${m.astrometryMatches} astrometric matches (rms ${Number(m.astrometryRmsMas).toFixed(1)} mas), ${m.photometryStars} photometric stars, zero point ${Number(m.zeroPoint).toFixed(3)}, 5σ limit r = ${Number(m.limitingMagnitude).toFixed(2)}`,
      );
    }
    results.push({ name: `drp: step1 wall per ${size}² detector (-j 1)`, value: totalWall, unit: 's' });
    results.push({ name: `drp: step1 CPU per ${size}² detector`, value: totalCpu, unit: 's' });

    if (report !== null) {
      log('');
      log(`source-extractor on the ${size}² calexp (both tools re-detect and measure its pixels):`);
      log('');
      log(formatComparison(report));
      results.push(...comparisonResults(report, 'drp calexp'));
    }

    // Part 2: throughput on `processes` workers.
    const manyDir = join(workdir, 'many');
    mkdirSync(manyDir, { recursive: true });
    const many = await prepareDrpRepo(manyDir, surveyOptions(detectors, detectorSize, options));
    log('');
    log(
      `drp: simulated 1 visit × ${detectors} detectors of ${detectorSize}² in ${s2(many.simulateSeconds)} s, ingested in ${s2(many.ingestSeconds)} s`,
    );
    const parallel = await runStep1(many.repo, processes, 'bench/drp');
    const done = parallel.execution.quanta.filter(
      (q) => q.label === 'transformSourceTable' && q.status === 'succeeded',
    ).length;
    if (done < detectors) log(`drp: ${detectors - done} detectors did not complete: ${failures(parallel)}`);
    const seconds = parallel.execution.seconds;
    const busy = parallel.quanta.reduce((a, q) => a + q.wallSeconds, 0);
    const cpu = parallel.quanta.reduce((a, q) => a + q.cpuSeconds, 0);
    const perMinute = (60 * done) / seconds;
    log(
      `drp: step1 over ${detectors} × ${detectorSize}², -j ${processes}: graph ${s2(parallel.buildSeconds)} s, execution ${s2(seconds)} s ` +
        `(${done} detectors complete: ${perMinute.toFixed(1)} detectors/min), merge ${s2(parallel.mergeSeconds)} s; ` +
        `quanta busy ${s2(busy)} s, CPU ${s2(cpu)} s: ${((100 * busy) / (processes * seconds)).toFixed(0)}% of ${processes} workers' time in quanta`,
    );
    // What the workers could do if every quantum had a core to itself: the CPU-bound ceiling on this machine.
    log(
      `drp: CPU-bound ceiling with ${processes} idle cores: ${((processes * 60 * done) / cpu).toFixed(1)} detectors/min (${s2(cpu / Math.max(1, done))} CPU s per detector)`,
    );
    results.push({
      name: `drp: step1 throughput, ${detectors} × ${detectorSize}² detectors, -j ${processes}`,
      value: perMinute,
      unit: 'detectors/min',
      higherIsBetter: true,
    });
    results.push({
      name: `drp: step1 CPU per ${detectorSize}² detector (-j ${processes})`,
      value: cpu / Math.max(1, done),
      unit: 's',
    });
    return results;
  } finally {
    if (options.workdir === undefined) rmSync(workdir, { recursive: true, force: true });
  }
}
