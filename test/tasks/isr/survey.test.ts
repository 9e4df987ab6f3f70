/**
 * IsrTask on a small simulated survey with defects, through the real graph builder, the multi-process executor
 * and the merge into the registry: after ISR the sky is the simulator's sky in electrons and flat across the
 * detector, the variance is the measured noise, SAT covers every saturated raw pixel and the bleed trails, BAD
 * covers the defects the manifest lists. A raw corrupted in the datastore fails its quantum with a coded message
 * and the other quanta complete. Runs on SQLite, and on PostgreSQL when MERIDIAN_TEST_POSTGRES is set.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Butler, type DatasetRef } from '../../../src/butler/index.js';
import { type Exposure, type HeaderCard, headerValue } from '../../../src/formats/index.js';
import {
  calibCollection,
  ingestRaws,
  rawRun,
  registerInstrument,
  writeCuratedCalibrations,
} from '../../../src/obs/index.js';
import {
  aggregateGraph,
  buildQuantumGraph,
  executeGraph,
  type GraphExecutionSummary,
  memoryGraphSource,
  resolvePipeline,
  TaskRegistry,
} from '../../../src/pipe/index.js';
import { type SurveyManifest, simulateSurvey, skyElectronsPerPixel } from '../../../src/sim/index.js';
import { registerTasks, robustStatistics } from '../../../src/tasks/index.js';
import { dropSchema, postgresEnabled, requirePostgresUrl, uniqueName } from '../../support/postgres.js';

const TASKS_MODULE = new URL('../../../src/tasks/index.ts', import.meta.url).href;
const SIZE = 512;

let dir: string;
let manifest: SurveyManifest;
let tasks: TaskRegistry;

interface Repo {
  readonly root: string;
  readonly butler: Butler;
}

async function runIsr({ root, butler }: Repo, run: string): Promise<GraphExecutionSummary> {
  const pipeline = resolvePipeline(
    [{ label: 'isr', taskName: 'meridian.tasks.isr.IsrTask', config: {} }],
    tasks,
    { universe: butler.registry.universe },
  );
  const graph = await buildQuantumGraph(butler, pipeline, {
    tasks,
    inputCollections: [rawRun(), calibCollection()],
    outputRun: run,
  });
  const source = memoryGraphSource(graph);
  const summary = await executeGraph(source, { repo: root, taskModules: [TASKS_MODULE], processes: 2 });
  await aggregateGraph(butler, source);
  return summary;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meridian-isr-'));
  const sim = await simulateSurvey({
    outDir: join(dir, 'sim'),
    seed: 11,
    visits: 2,
    nights: 1,
    bands: ['r', 'i'],
    detectors: 2,
    detectorSize: SIZE,
    radiusDeg: 0.03,
    // Long exposures and many stars: a few saturate on every detector.
    exposureTime: 90,
    starsPerDeg2: 150_000,
    galaxiesPerDeg2: 5_000,
    supernovae: 0,
    cosmicRays: false,
    defects: true,
    workers: 1,
  });
  manifest = sim.manifest;
  tasks = new TaskRegistry();
  registerTasks(tasks);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function outputsOf(butler: Butler, run: string) {
  const refs = await butler.registry.queryDatasets('postISRCCD', { collections: [run] });
  return refs.map((ref) => ({
    ref,
    exposure: Number(ref.dataId.values.exposure),
    detector: Number(ref.dataId.values.detector),
  }));
}

/** Median of the unmasked pixels of a block of the image. */
function blockMedian(post: Exposure, x0: number, y0: number, size: number): number {
  const values: number[] = [];
  for (let y = y0; y < y0 + size; y++) {
    for (let x = x0; x < x0 + size; x++) if (post.mask.get(x, y) === 0) values.push(post.image.get(x, y));
  }
  return robustStatistics(Float32Array.from(values)).median;
}

/**
 * Robust sigma of the differences of horizontally adjacent unmasked pixels, each divided by the square root of the
 * sum of their variances: 1 when the variance plane is the pixel noise. Differences cancel the smooth light of
 * faint galaxies and star wings that would widen the spread of the pixels themselves; the MAD ignores the few
 * differences across star cores.
 */
function normalisedNoise(post: Exposure): number {
  const residuals: number[] = [];
  const { width, height } = post.image.bbox;
  const image = post.image.array;
  const variance = post.variance!.array;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x + 1 < width; x += 2) {
      const i = y * width + x;
      if (post.mask.array[i] !== 0 || post.mask.array[i + 1] !== 0) continue;
      residuals.push((image[i]! - image[i + 1]!) / Math.sqrt(variance[i]! + variance[i + 1]!));
    }
  }
  return robustStatistics(Float32Array.from(residuals)).sigma;
}

const backends: { name: string; postgresUrl: string | null }[] = [{ name: 'SQLite', postgresUrl: null }];
if (postgresEnabled('ISR on PostgreSQL'))
  backends.push({ name: 'PostgreSQL', postgresUrl: requirePostgresUrl() });

describe.each(backends)('IsrTask on a simulated survey ($name)', ({ name, postgresUrl }) => {
  let repo: Repo;
  let butler: Butler;
  let summary: GraphExecutionSummary;
  let firstDefects: readonly DatasetRef[];
  const namespace = postgresUrl === null ? null : uniqueName('isr');

  beforeAll(async () => {
    const root = join(dir, `repo-${name}`);
    butler = await Butler.create(
      root,
      postgresUrl === null ? {} : { registry: { db: postgresUrl, namespace: namespace! } },
    );
    repo = { root, butler };
    await registerInstrument(butler, manifest.instrument);
    await ingestRaws(butler, [join(dir, 'sim', 'raw')], { transfer: 'copy' });
    firstDefects = (await writeCuratedCalibrations(butler, join(dir, 'sim'), { transfer: 'copy' })).defects;
    summary = await runIsr(repo, 'u/isr/run1');
  }, 240_000);

  afterAll(async () => {
    await butler?.close();
    if (namespace !== null) await dropSchema(namespace);
  });

  it('runs every (exposure, detector) quantum', () => {
    expect(summary).toMatchObject({ total: 4, succeeded: 4, failed: 0 });
  });

  it('gives the sky in electrons, flat to 0.5% across the detector, with a variance that matches the noise', async () => {
    const { instrument } = manifest;
    for (const { ref, exposure } of await outputsOf(butler, 'u/isr/run1')) {
      const post = (await butler.get(ref)) as Exposure;
      const record = manifest.exposures.find((e) => e.id === exposure)!;
      const sky = skyElectronsPerPixel(instrument, record);
      const blocks: number[] = [];
      const block = SIZE / 4;
      for (let by = 0; by < 4; by++) {
        for (let bx = 0; bx < 4; bx++) blocks.push(blockMedian(post, bx * block, by * block, block));
      }
      // The variance plane predicts the pixel noise: gain, read noise and the flat are right.
      expect(Math.abs(normalisedNoise(post) - 1)).toBeLessThan(0.03);
      const mean = blocks.reduce((s, v) => s + v, 0) / blocks.length;
      // Faint sources lift the median a little above the sky; the flat pattern (15% vignetting at the edge of the
      // field, a colour gradient, PRNU) is gone: block medians agree to 0.5%.
      expect(Math.abs(mean / sky - 1)).toBeLessThan(0.01);
      expect((Math.max(...blocks) - Math.min(...blocks)) / mean).toBeLessThan(0.005);
    }
  });

  it('masks every saturated raw pixel and the bleed trails as SAT, and the defects as BAD', async () => {
    let saturatedTotal = 0;
    let longTrails = 0;
    for (const { ref, detector } of await outputsOf(butler, 'u/isr/run1')) {
      const post = (await butler.get(ref)) as Exposure;
      const raw = (await butler.get('raw', ref.dataId.values, { collections: [rawRun()] })) as Exposure;
      const saturation = headerValue(raw.metadata as HeaderCard[], 'SATURATE') as number;
      const sat = post.mask.bitMask('SAT');
      const bad = post.mask.bitMask('BAD');
      const intrp = post.mask.bitMask('INTRP');
      for (let y = 0; y < SIZE; y++) {
        for (let x = 0; x < SIZE; x++) {
          if (raw.image.get(x, y) >= saturation) {
            saturatedTotal++;
            expect(post.mask.get(x, y) & (sat | intrp)).toBe(sat | intrp);
          }
        }
      }
      // A bleed trail is a long vertical run of SAT in one column.
      for (let x = 0; x < SIZE; x++) {
        let run = 0;
        for (let y = 0; y < SIZE; y++) {
          run = post.mask.get(x, y) & sat ? run + 1 : 0;
          if (run === 20) longTrails++;
        }
      }
      const boxes = manifest.calibrations.defects!.find((d) => d.detector === detector)!.boxes;
      expect(boxes.length).toBeGreaterThanOrEqual(7);
      for (const b of boxes) {
        for (let y = b.y0; y < b.y0 + b.height; y++) {
          for (let x = b.x0; x < b.x0 + b.width; x++)
            expect(post.mask.get(x, y) & (bad | intrp)).toBe(bad | intrp);
        }
      }
      const md = post.metadata as HeaderCard[];
      expect(headerValue(md, 'NSATPIX')).toBe(post.mask.array.filter((v) => v & sat).length);
      expect(headerValue(md, 'ISRBIAS')).toBe(true);
      expect(headerValue(md, 'ISRFLAT')).toBe(true);
      expect(headerValue(md, 'BUNIT')).toBe('electron');
      expect(post.wcs).toEqual(raw.wcs);
      expect(post.visitInfo).toEqual(raw.visitInfo);
    }
    expect(saturatedTotal).toBeGreaterThan(0);
    expect(longTrails).toBeGreaterThan(0);
  });

  it('has the defects as a certified calibration, written once: a re-run puts and certifies nothing new', async () => {
    expect(firstDefects).toHaveLength(2);
    const again = await writeCuratedCalibrations(butler, join(dir, 'sim'), { transfer: 'copy' });
    expect(again).toMatchObject({ certified: 0, defectsCertified: 0 });
    expect(again.defects.map((r) => r.id)).toEqual(firstDefects.map((r) => r.id));
    const stored = (await butler.get(firstDefects[0]!)) as {
      kind: string;
      detector: number;
      boxes: unknown[];
    };
    const listed = manifest.calibrations.defects!.find((d) => d.detector === stored.detector)!;
    expect(stored).toEqual({ kind: 'defects', detector: listed.detector, boxes: listed.boxes });
  });

  it('fails the quantum of a corrupt raw with a coded message and runs the others', async () => {
    const [victim] = await butler.registry.queryDatasets('raw', {
      collections: [rawRun()],
      where: 'detector = 1',
    });
    const path = await butler.getURI(victim!);
    writeFileSync(path, 'SIMPLE  =                    T / not really a FITS file');
    const second = await runIsr(repo, 'u/isr/run2');
    expect(second).toMatchObject({ total: 4, succeeded: 3, failed: 1 });
    const failed = second.quanta.find((q) => q.status === 'failed')!;
    expect(failed.dataId.detector).toBe(1);
    expect(failed.code).toMatch(/FITS_INVALID|DATASET_FILE_UNREADABLE/);
    expect(failed.message).toBeTruthy();
  }, 120_000);
});
