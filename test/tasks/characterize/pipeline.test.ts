/**
 * CharacterizeImageTask through the pipeline machinery on a real SQLite repository: a simulated survey is ingested
 * (registerInstrument, ingestRaws, defineVisits), post-ISR exposures are made here from the raws and put as
 * postISRCCD, the real graph builder makes one characterizeImage quantum per (visit, detector), a worker process
 * runs them, and after the merge the registry holds icExp, icExpBackground and icSrc.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Butler } from '../../../src/butler/index.js';
import {
  box2i,
  Exposure,
  headerNumber,
  ImageF,
  Mask,
  metadataCards,
  type Table,
  wcsFromHeader,
} from '../../../src/formats/index.js';
import { defineVisits, ingestRaws, registerInstrument } from '../../../src/obs/index.js';
import {
  aggregateGraph,
  buildQuantumGraph,
  executeGraph,
  type GraphExecutionSummary,
  loadTaskRegistry,
  memoryGraphSource,
  resolvePipeline,
} from '../../../src/pipe/index.js';
import type { SurveyManifest } from '../../../src/sim/index.js';
import {
  apertureCorrectionFromMetadata,
  type BackgroundListJson,
  ccdVisitIdOf,
  sourceIdMaker,
} from '../../../src/tasks/index.js';
import {
  calibratedElectrons,
  removeTemporaryDirectories,
  smallSurvey,
  temporaryDirectory,
} from '../../sim/helpers.js';

const TASKS = new URL('../../../src/tasks/index.ts', import.meta.url).href;
const OUTPUT_RUN = 'u/charimg/run';
const EMPTY_DETECTOR = 2;
let butler: Butler;
let root: string;
let manifest: SurveyManifest;
let summary: GraphExecutionSummary;

afterAll(async () => {
  await butler?.close();
  removeTemporaryDirectories();
});

beforeAll(async () => {
  const sim = await smallSurvey('charimg-pipe', {
    detectors: 3,
    detectorSize: 768,
    visits: 1,
    nights: 1,
    bands: ['r'],
    radiusDeg: 0.08,
    starsPerDeg2: 300_000,
  });
  manifest = sim.manifest;
  root = join(temporaryDirectory('charimg-repo'), 'repo');
  butler = await Butler.create(root);
  await registerInstrument(butler, manifest.instrument);
  await ingestRaws(butler, [join(sim.outDir, 'raw')], { transfer: 'copy' });
  await defineVisits(butler);
  await butler.registerDatasetType('postISRCCD', ['instrument', 'exposure', 'detector'], 'ExposureF');
  const instrument = manifest.instrument.name;
  for (const exposure of manifest.exposures) {
    for (const raw of exposure.raws) {
      const isr = await calibratedElectrons(sim.outDir, raw.path, exposure.band, raw.detector);
      const bbox = box2i(0, 0, isr.width, isr.height);
      const readNoise = headerNumber(isr.header, 'RDNOISE') ?? 5;
      const image = Float32Array.from(isr.electrons);
      // Detector 2 looks at an empty sky (noise only): its quantum must fail with PSF_FAILED, the others succeed.
      if (raw.detector === EMPTY_DETECTOR) {
        let state = 12345;
        const uniform = () => {
          state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
          return (state + 0.5) / 4294967296;
        };
        for (let i = 0; i < image.length; i++) {
          image[i] = 800 + 28 * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
        }
      }
      const post = new Exposure({
        image: new ImageF(image, bbox),
        mask: Mask.zeros(bbox),
        variance: new ImageF(
          Float32Array.from(image, (v) => Math.max(v, 0) + readNoise ** 2),
          bbox,
        ),
        wcs: wcsFromHeader(isr.header),
        metadata: metadataCards(isr.header),
      });
      await butler.put(
        post,
        'postISRCCD',
        { instrument, exposure: exposure.id, detector: raw.detector },
        {
          run: 'isr/run',
        },
      );
    }
  }
  const tasks = await loadTaskRegistry([TASKS]);
  const pipeline = resolvePipeline(
    [
      {
        label: 'characterizeImage',
        taskName: 'meridian.tasks.characterize.CharacterizeImageTask',
      },
    ],
    tasks,
    { universe: butler.universe },
  );
  const graph = await buildQuantumGraph(butler, pipeline, {
    tasks,
    inputCollections: ['isr/run'],
    outputRun: OUTPUT_RUN,
    dataId: { instrument },
  });
  const source = memoryGraphSource(graph);
  summary = await executeGraph(source, { repo: root, taskModules: [TASKS], processes: 1 });
  await aggregateGraph(butler, source);
}, 300_000);

describe('CharacterizeImageTask in a pipeline', () => {
  it('runs a quantum per (visit, detector); the detector without stars fails with PSF_FAILED and says why', () => {
    expect(summary).toMatchObject({ total: 3, succeeded: 2, failed: 1, blocked: 0 });
    const failed = summary.quanta.find((q) => q.status === 'failed');
    expect(failed?.dataId.detector).toBe(EMPTY_DETECTOR);
    expect(failed?.code).toBe('PSF_FAILED');
    expect(failed?.message).toMatch(/too few PSF stars: found \d+, need 10/);
  });

  it('writes icExp, icExpBackground and icSrc for the other detectors', async () => {
    const refs = await butler.registry.queryDatasets('icSrc', { collections: [OUTPUT_RUN] });
    expect(refs.map((r) => r.dataId.values.detector).sort()).toEqual([0, 1]);
    for (const ref of refs) {
      const dataId = ref.dataId.values;
      const icSrc = (await butler.get(ref)) as Table;
      expect(icSrc.length).toBeGreaterThan(50);
      const used = icSrc.columns.calib_psf_used as readonly boolean[];
      expect(used.filter(Boolean).length).toBeGreaterThanOrEqual(10);
      const ids = icSrc.columns.id as ArrayLike<bigint>;
      expect(BigInt(ids[0]!)).toBe(
        sourceIdMaker(ccdVisitIdOf(Number(dataId.visit), Number(dataId.detector)))(0),
      );
      const icExp = (await butler.get('icExp', dataId, { collections: [OUTPUT_RUN] })) as Exposure;
      expect(icExp.psf?.kind).toBe('polynomialDoubleGaussian');
      expect(apertureCorrectionFromMetadata(icExp.metadata)?.apertureRadius).toBe(12);
      const background = (await butler.get('icExpBackground', dataId, {
        collections: [OUTPUT_RUN],
      })) as BackgroundListJson;
      expect(background.kind).toBe('backgroundList');
      expect(background.models.length).toBe(2);
    }
  });
});
