import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Butler } from '../src/butler/index.js';
import {
  AddTask,
  buildQuantumGraph,
  buildQuantumGraphFile,
  openQuantumGraph,
  resolvePipeline,
  TaskRegistry,
} from '../src/pipe/index.js';
import { type BenchResult, timeIt } from './harness.js';

/**
 * Quantum graph building (issue 12's targets):
 *   - a synthetic 5-task chain over `dataIds` {exposure, detector} data IDs (200,000 → 1,000,000 quanta), built
 *     straight into a graph file: build + write time and the process's peak RSS (< 60 s, < 4 GiB);
 *   - a 7-quantum graph (6 per-detector quanta and 1 per-exposure quantum, like the DP0.2 tutorial's 6 makeWarp +
 *     1 assembleCoadd) against a repository holding `datasets` datasets (< 1 s at 1,000,000).
 * Datasets are inserted in the registry only (no files): graph building never reads them.
 */
export async function benchPipe(options: {
  dataIds: number;
  datasets: number;
  log?: (line: string) => void;
}): Promise<BenchResult[]> {
  const log = options.log ?? (() => {});
  const results: BenchResult[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'meridian-bench-pipe-'));
  try {
    results.push(...(await benchLargeGraph(join(dir, 'large'), options.dataIds, log)));
    results.push(...(await benchSmallGraph(join(dir, 'small'), options.datasets, log)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

const DETECTORS = 100;
const tasks = new TaskRegistry().register(AddTask);

/** A repository with `count` `add_input` datasets over exposure × detector (100 detectors). */
async function repositoryWith(root: string, count: number, log: (line: string) => void): Promise<Butler> {
  const butler = await Butler.create(root);
  const reg = butler.registry;
  const exposures = Math.max(1, Math.ceil(count / DETECTORS));
  await reg.insertDimensionData('instrument', [{ name: 'BenchCam', detector_max: DETECTORS }]);
  await reg.insertDimensionData('physical_filter', [{ instrument: 'BenchCam', name: 'B-r', band: 'r' }]);
  await reg.insertDimensionData('day_obs', [{ instrument: 'BenchCam', id: 20260101 }]);
  await reg.insertDimensionData('group', [{ instrument: 'BenchCam', name: 'g' }]);
  await reg.insertDimensionData(
    'detector',
    Array.from({ length: DETECTORS }, (_, id) => ({ instrument: 'BenchCam', id, full_name: `D${id}` })),
  );
  for (let start = 0; start < exposures; start += 10_000) {
    await reg.insertDimensionData(
      'exposure',
      Array.from({ length: Math.min(10_000, exposures - start) }, (_, i) => ({
        instrument: 'BenchCam',
        id: start + i,
        obs_id: `E${start + i}`,
        physical_filter: 'B-r',
        group: 'g',
        day_obs: 20260101,
      })),
    );
  }
  await butler.registerDatasetType('add_input', ['instrument', 'exposure', 'detector'], 'StructuredDataDict');
  await reg.registerRun('inputs');
  const batch = 20_000;
  const t0 = performance.now();
  for (let start = 0; start < count; start += batch) {
    const ids = Array.from({ length: Math.min(batch, count - start) }, (_, i) => ({
      instrument: 'BenchCam',
      exposure: Math.floor((start + i) / DETECTORS),
      detector: (start + i) % DETECTORS,
    }));
    await reg.insertDatasets('add_input', ids, 'inputs');
  }
  log(
    `  (pipe) ${count.toLocaleString('en')} input datasets inserted in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return butler;
}

async function benchLargeGraph(
  root: string,
  dataIds: number,
  log: (line: string) => void,
): Promise<BenchResult[]> {
  const butler = await repositoryWith(root, dataIds, log);
  try {
    const dims = ['instrument', 'exposure', 'detector'];
    const names = ['add_input', 'a1', 'a2', 'a3', 'a4', 'a5'];
    const pipeline = resolvePipeline(
      names.slice(1).map((out, i) => ({
        label: `add${i + 1}`,
        taskName: AddTask.name,
        config: { dimensions: dims, connections: { inputName: names[i]!, outputName: out } },
      })),
      tasks,
      { universe: butler.universe },
    );
    const path = join(root, 'large.mqg');
    let nQuanta = 0;
    const cpu0 = process.cpuUsage();
    const ms = await timeIt(async () => {
      const { header } = await buildQuantumGraphFile(butler, pipeline, path, {
        tasks,
        inputCollections: ['inputs'],
        outputRun: 'bench/run',
      });
      nQuanta = header.nQuanta;
    });
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const peakGiB = (process.resourceUsage().maxRSS * 1024) / 2 ** 30;
    const mib = statSync(path).size / 2 ** 20;
    // One quantum read back from the middle of the file, as a job would.
    const source = await openQuantumGraph(path, butler.universe);
    const openMs = await timeIt(async () => {
      const thin = source.thinQuanta();
      await source.readQuantum(thin[Math.floor(thin.length / 2)]!.id);
    });
    await source.close();
    log(
      `  (pipe) ${nQuanta.toLocaleString('en')} quanta in ${(ms / 1000).toFixed(1)} s (${cpuSeconds.toFixed(1)} s CPU); file ${mib.toFixed(1)} MiB; peak RSS ${peakGiB.toFixed(2)} GiB; one quantum read in ${openMs.toFixed(0)} ms after open`,
    );
    const scaled = dataIds === 200_000;
    return [
      {
        name: `qgraph build+write, 5 tasks × ${dataIds.toLocaleString('en')} data IDs (${nQuanta.toLocaleString('en')} quanta)`,
        value: ms / 1000,
        unit: 's',
        target: scaled ? 60 : undefined,
      },
      {
        name: 'qgraph build peak RSS (whole process)',
        value: peakGiB,
        unit: 'GiB',
        target: scaled ? 4 : undefined,
      },
      { name: 'qgraph file: read one quantum (thin graph first)', value: openMs, unit: 'ms' },
    ];
  } finally {
    await butler.close();
  }
}

async function benchSmallGraph(
  root: string,
  datasets: number,
  log: (line: string) => void,
): Promise<BenchResult[]> {
  const butler = await repositoryWith(root, datasets, log);
  try {
    const pipeline = resolvePipeline(
      [
        {
          label: 'warp',
          taskName: AddTask.name,
          config: { dimensions: ['instrument', 'exposure', 'detector'], connections: { outputName: 'warp' } },
        },
        {
          label: 'coadd',
          taskName: AddTask.name,
          config: {
            dimensions: ['instrument', 'exposure'],
            inputDimensions: ['instrument', 'exposure', 'detector'],
            inputMultiple: true,
            connections: { inputName: 'warp', outputName: 'coadd' },
          },
        },
      ],
      tasks,
      { universe: butler.universe },
    );
    const exposure = Math.floor(datasets / DETECTORS / 2);
    const build = () =>
      buildQuantumGraph(butler, pipeline, {
        tasks,
        inputCollections: ['inputs'],
        outputRun: 'bench/small',
        where: 'exposure = :e AND detector IN (3, 14, 15, 92, 65, 35)',
        bind: { e: exposure },
      });
    await build(); // warm caches (dataset types, prepared statements), as a second pipetask call would be
    let n = 0;
    const ms = await timeIt(async () => {
      n = (await build()).quanta.length;
    });
    log(
      `  (pipe) ${n}-quantum graph against ${datasets.toLocaleString('en')} datasets in ${ms.toFixed(0)} ms`,
    );
    return [
      {
        name: `qgraph build, ${n} quanta against ${datasets.toLocaleString('en')} datasets`,
        value: ms,
        unit: 'ms',
        target: datasets === 1_000_000 ? 1000 : undefined,
      },
    ];
  } finally {
    await butler.close();
  }
}
