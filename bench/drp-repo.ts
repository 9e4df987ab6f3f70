/**
 * The DRP benchmark's input: a simulated survey put into a fresh SQLite butler repository the way `meridian demo`
 * and the README's command sequence do (register-instrument, ingest-raws, define-visits, write-curated-calibrations,
 * register-skymap, ingest-refcat), then step1 of `pipelines/DRP.yaml` built and run through the real executor, with
 * each quantum's wall and CPU time read back from the receipt its job left.
 */

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Butler } from '../src/butler/index.js';
import { ingestSimulatedSurvey } from '../src/obs/index.js';
import {
  aggregateGraph,
  buildQuantumGraphFile,
  executeGraph,
  type GraphExecutionSummary,
  loadPipeline,
  loadTaskRegistry,
  openQuantumGraph,
  ReceiptStore,
} from '../src/pipe/index.js';
import { type SurveyOptionsInput, simulateSurvey } from '../src/sim/index.js';

/** What a DRP run reads (as src/demo/drp-demo.ts): raws, certified calibrations, the refcat and the sky map. */
export const DRP_INPUTS = [
  'MeridianCam/raw/all',
  'MeridianCam/calib',
  'refcats/the_monster_refcat',
  'skymaps',
] as const;

const TASK_MODULES = [new URL('../src/tasks/index.js', import.meta.url).href];
const DRP_PIPELINE = fileURLToPath(new URL('../../pipelines/DRP.yaml', import.meta.url));

export interface PreparedRepo {
  readonly repo: string;
  readonly simDir: string;
  readonly detectors: number;
  readonly simulateSeconds: number;
  readonly ingestSeconds: number;
}

/** Simulate into `workdir/sim` and ingest into a new repository at `workdir/repo`. */
export async function prepareDrpRepo(
  workdir: string,
  survey: Omit<SurveyOptionsInput, 'outDir'>,
): Promise<PreparedRepo> {
  const simDir = join(workdir, 'sim');
  const repo = join(workdir, 'repo');
  const sim = await simulateSurvey({ ...survey, outDir: simDir });
  const started = performance.now();
  const butler = await Butler.create(repo);
  try {
    const { manifest } = sim;
    await ingestSimulatedSurvey(butler, simDir, { manifest, transfer: 'symlink' });
    return {
      repo,
      simDir,
      detectors: manifest.exposures.length * manifest.instrument.detectors.length,
      simulateSeconds: sim.seconds,
      ingestSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    await butler.close();
  }
}

/** One quantum's cost as its job measured it (ProvenanceRecord: start/end stamps and the process's CPU time). */
export interface QuantumTiming {
  readonly label: string;
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly metadata: Readonly<Record<string, unknown>>;
}

export interface Step1Run {
  readonly run: string;
  readonly execution: GraphExecutionSummary;
  readonly buildSeconds: number;
  readonly mergeSeconds: number;
  readonly quanta: readonly QuantumTiming[];
}

/** Build step1's graph over the whole repository, run it on `processes` workers, merge, and read the receipts. */
export async function runStep1(repo: string, processes: number, output: string): Promise<Step1Run> {
  const registry = await loadTaskRegistry(TASK_MODULES);
  const butler = await Butler.open(repo, { writeable: true });
  const run = `${output}/step1`;
  const graphPath = join(repo, '..', 'step1.mqg');
  try {
    const pipeline = await loadPipeline(DRP_PIPELINE, { registry, universe: butler.universe });
    const t0 = performance.now();
    await buildQuantumGraphFile(butler, pipeline.select(['step1']).resolve(), graphPath, {
      tasks: registry,
      inputCollections: [...DRP_INPUTS],
      output,
      outputRun: run,
    });
    const buildSeconds = (performance.now() - t0) / 1000;
    const source = await openQuantumGraph(graphPath, butler.universe);
    try {
      const execution = await executeGraph(source, { repo, taskModules: TASK_MODULES, processes });
      const t1 = performance.now();
      await aggregateGraph(butler, source);
      const mergeSeconds = (performance.now() - t1) / 1000;
      const receipts = new ReceiptStore(repo, run);
      const quanta: QuantumTiming[] = [];
      for (const q of source.thinQuanta()) {
        const p = (await receipts.readQuantum(q.id))?.provenance;
        if (!p) continue;
        quanta.push({
          label: p.label,
          wallSeconds: (Date.parse(p.end) - Date.parse(p.start)) / 1000,
          cpuSeconds: p.cpuSeconds,
          metadata: p.metadata,
        });
      }
      return { run, execution, buildSeconds, mergeSeconds, quanta };
    } finally {
      await source.close();
    }
  } finally {
    await butler.close();
  }
}
