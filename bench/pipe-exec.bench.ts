import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Butler,
  type DatasetRef,
  DatasetType,
  deterministicDatasetId,
  type StoredFileInfo,
  toDatastoreRef,
} from '../src/butler/index.js';
import {
  aggregateGraph,
  executeGraph,
  loadTaskRegistry,
  memoryGraphSource,
  type PredictedQuantum,
  type QuantumGraph,
  resolvePipeline,
} from '../src/pipe/index.js';
import { existingModuleUrl } from '../src/pool/index.js';
import type { BenchResult } from './harness.js';

/**
 * Executor overhead per no-op quantum through the full path: a worker process reads the quantum's input through
 * the quantum-backed butler, writes its output, `<label>_log` and `<label>_metadata` and its receipt; then the
 * merge imports everything into the registry. `quanta` AddTask quanta (one per detector) on `processes` workers;
 * the rate counts the whole wall time, worker start-up and merge included. Issue target: ≥ 200 quanta/s with -j 2.
 */
export async function benchPipeExec(
  options: { quanta?: number; processes?: number; log?: (line: string) => void } = {},
): Promise<BenchResult[]> {
  const n = options.quanta ?? 2000;
  const processes = options.processes ?? 2;
  const root = mkdtempSync(join(tmpdir(), 'bench-pipe-exec-'));
  try {
    const butler = await Butler.create(root);
    try {
      const graph = await prepare(butler, n);
      const taskModule = existingModuleUrl(new URL('../src/pipe/testing/tasks.js', import.meta.url)).href;
      const t0 = performance.now();
      const summary = await executeGraph(memoryGraphSource(graph), {
        repo: root,
        taskModules: [taskModule],
        processes,
      });
      const t1 = performance.now();
      const merge = await aggregateGraph(butler, memoryGraphSource(graph));
      const t2 = performance.now();
      if (summary.succeeded !== n || merge.datasetsInserted !== 3 * n + 1) {
        throw new Error(
          `pipe-exec bench: ${summary.succeeded}/${n} quanta, ${merge.datasetsInserted} datasets`,
        );
      }
      options.log?.(
        `pipe-exec: ${n} quanta on ${processes} processes: execute ${((t1 - t0) / 1000).toFixed(2)} s, merge ${((t2 - t1) / 1000).toFixed(2)} s`,
      );
      return [
        {
          name: `pipe-exec: no-op quanta through the full path (read, write, provenance, merge), -j ${processes}, ${n} quanta`,
          value: n / ((t2 - t0) / 1000),
          unit: 'quanta/s',
          target: 200,
          higherIsBetter: true,
        },
      ];
    } finally {
      await butler.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** A repository with one `add_input` per detector (written in bulk) and the graph of one AddTask per detector. */
export async function prepare(butler: Butler, n: number): Promise<QuantumGraph> {
  const registry = butler.registry;
  await registry.insertDimensionData('instrument', [{ name: 'Cam', detector_max: n }]);
  await registry.insertDimensionData(
    'detector',
    Array.from({ length: n }, (_, i) => ({ instrument: 'Cam', id: i + 1, full_name: `D${i + 1}` })),
  );
  await butler.registerDatasetType('add_input', ['instrument', 'detector'], 'StructuredDataDict');
  const inputRun = 'bench/inputs';
  await registry.registerRun(inputRun);
  const tasks = await loadTaskRegistry([
    existingModuleUrl(new URL('../src/pipe/testing/tasks.js', import.meta.url)).href,
  ]);
  const pipeline = resolvePipeline([{ label: 'add', taskName: 'meridian.pipe.testing.AddTask' }], tasks, {
    universe: registry.universe,
  });
  const task = pipeline.tasks[0]!;
  const run = `bench/run/${randomUUID().slice(0, 8)}`;
  const inputType = new DatasetType(
    'add_input',
    registry.universe.group(['instrument', 'detector']),
    'StructuredDataDict',
  );
  const ref = (name: string, sc: string, dataId: DatasetRef['dataId'], inRun: string): DatasetRef => ({
    id: deterministicDatasetId(name, dataId.required, inRun, 'DATAID_TYPE_RUN'),
    datasetType:
      name === 'add_input'
        ? inputType
        : new DatasetType(name, registry.universe.group(dataId.group.names), sc),
    dataId,
    run: inRun,
  });
  const inputs: DatasetRef[] = [];
  const infos: StoredFileInfo[] = [];
  const quanta: PredictedQuantum[] = [];
  for (let d = 1; d <= n; d++) {
    const dataId = await registry.expandDataId({ instrument: 'Cam', detector: d }, [
      'instrument',
      'detector',
    ]);
    const input = ref('add_input', 'StructuredDataDict', dataId, inputRun);
    const info = await butler.datastore.put({ value: d }, toDatastoreRef(input));
    inputs.push(input);
    infos.push(info);
    const outputs = Object.fromEntries(
      task.connections
        .filter((c) => c.kind === 'output')
        .map((c) => [c.attr, [ref(c.datasetType, c.storageClass, dataId, run)]]),
    );
    quanta.push({
      id: randomUUID(),
      label: 'add',
      dataId,
      inputs: { input: [input] },
      outputs,
      datastoreRecords: [info],
    });
  }
  await registry.transaction(async () => {
    await registry.importDatasets(inputs, { skipExisting: true });
    await registry.stored.insert(infos);
  });
  const empty = await registry.expandDataId({}, []);
  const universe = registry.universe;
  return {
    header: {
      formatVersion: 1,
      graphId: randomUUID(),
      created: new Date().toISOString(),
      user: 'bench',
      command: 'bench',
      inputCollections: [inputRun],
      outputRun: run,
      output: null,
      dataQuery: '',
      universe: `${universe.namespace}:${universe.version}`,
      nQuanta: n,
      nDatasets: 3 * n + 1,
      taskQuanta: { add: n },
    },
    pipeline,
    initQuanta: [
      {
        label: 'add',
        initInputs: {},
        initOutputs: { _config: [ref('add_config', 'Config', empty, run)] },
        datastoreRecords: [],
      },
    ],
    quanta,
  };
}
