/**
 * Small real repositories and quantum graphs for the execution tests. `makeRepo` creates a butler repository (SQLite,
 * or PostgreSQL when a URL is given) with one instrument, `detectors` detectors and an `add_input` dataset per
 * detector ({ value: detector }) and a `bias_value` per detector. `buildGraph` is a deliberately small graph
 * builder for tasks whose dimensions are {instrument} or {instrument, detector}: enough to exercise execution
 * without the real builder (src/pipe/graph), with output IDs from `deterministicDatasetId` as the real one assigns.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Butler,
  type DataCoordinate,
  type DatasetRef,
  DatasetType,
  deterministicDatasetId,
  openFileDatastore,
  type StoredFileInfo,
} from '../../../src/butler/index.js';
import {
  loadTaskRegistry,
  memoryGraphSource,
  type PredictedInitQuantum,
  type PredictedQuantum,
  type QuantumExecutionOptions,
  QuantumExecutor,
  type QuantumGraph,
  type QuantumGraphSource,
  type QuantumOutcome,
  ReceiptStore,
  type ResolvedConnection,
  resolvePipeline,
  type TaskEntry,
} from '../../../src/pipe/index.js';
import { dropSchema, uniqueName } from '../../support/postgres.js';

/** The test tasks' module, as a worker process imports it. */
export const TESTING_TASKS = new URL('../../../src/pipe/testing/tasks.ts', import.meta.url).href;
export const MISBEHAVING_TASKS = new URL('./tasks/misbehaving.ts', import.meta.url).href;
export const INPUT_RUN = 'inputs/run';

export interface TestRepo {
  readonly root: string;
  readonly butler: Butler;
  cleanup(): Promise<void>;
}

export async function makeRepo(
  options: { detectors?: number; postgresUrl?: string | null } = {},
): Promise<TestRepo> {
  const root = mkdtempSync(join(tmpdir(), 'exec-repo-'));
  const namespace = options.postgresUrl ? uniqueName('exec') : null;
  const registry = options.postgresUrl && namespace ? { db: options.postgresUrl, namespace } : undefined;
  const butler = await Butler.create(root, registry ? { registry } : {});
  const n = options.detectors ?? 3;
  await butler.registry.insertDimensionData('instrument', [{ name: 'Cam', detector_max: 16 }]);
  await butler.registry.insertDimensionData(
    'detector',
    Array.from({ length: n }, (_, i) => ({ instrument: 'Cam', id: i + 1, full_name: `D${i + 1}` })),
  );
  await butler.registerDatasetType('add_input', ['instrument', 'detector'], 'StructuredDataDict');
  await butler.registerDatasetType('bias_value', ['instrument', 'detector'], 'StructuredDataDict', {
    isCalibration: true,
  });
  for (let d = 1; d <= n; d++) {
    await butler.put({ value: d }, 'add_input', { instrument: 'Cam', detector: d }, { run: INPUT_RUN });
    await butler.put({ value: 10 * d }, 'bias_value', { instrument: 'Cam', detector: d }, { run: INPUT_RUN });
  }
  return {
    root,
    butler,
    async cleanup() {
      await butler.close();
      rmSync(root, { recursive: true, force: true });
      if (namespace !== null) await dropSchema(namespace);
    },
  };
}

export interface BuildOptions {
  readonly run?: string;
  readonly output?: string | null;
  readonly taskModules?: readonly string[];
}

export async function buildGraph(
  butler: Butler,
  entries: readonly TaskEntry[],
  options: BuildOptions = {},
): Promise<QuantumGraph> {
  const registry = butler.registry;
  const universe = registry.universe;
  const tasks = await loadTaskRegistry(options.taskModules ?? [TESTING_TASKS, MISBEHAVING_TASKS]);
  const pipeline = resolvePipeline(entries, tasks, { universe });
  const run = options.run ?? `u/test/${randomUUID().slice(0, 8)}`;
  const detectors = (await registry.queryDataIds(['instrument', 'detector'])).map((c) => c.values);
  const produced = new Map<string, DatasetRef[]>();
  const quanta: PredictedQuantum[] = [];
  const initQuanta: PredictedInitQuantum[] = [];

  const expand = (values: Readonly<Record<string, string | number>>, dims: readonly string[]) =>
    registry.expandDataId(Object.fromEntries(dims.map((d) => [d, values[d]!])), dims);
  const predict = async (c: ResolvedConnection, coord: DataCoordinate): Promise<DatasetRef> => {
    const dataId = await expand(coord.values, c.dimensions);
    const ref: DatasetRef = {
      id: deterministicDatasetId(c.datasetType, dataId.required, run, 'DATAID_TYPE_RUN'),
      datasetType: new DatasetType(c.datasetType, universe.group(c.dimensions), c.storageClass, {
        isCalibration: c.isCalibration,
      }),
      dataId,
      run,
    };
    if (!produced.has(c.datasetType)) produced.set(c.datasetType, []);
    produced.get(c.datasetType)!.push(ref);
    return ref;
  };
  const matches = (ref: DatasetRef, coord: DataCoordinate) =>
    Object.entries(ref.dataId.values).every(([k, v]) => !(k in coord.values) || coord.values[k] === v);

  for (const task of pipeline.tasks) {
    const empty = await registry.expandDataId({}, []);
    const init: { initInputs: Record<string, DatasetRef[]>; initOutputs: Record<string, DatasetRef[]> } = {
      initInputs: {},
      initOutputs: {},
    };
    for (const c of task.connections) {
      if (c.kind === 'initOutput') init.initOutputs[c.attr] = [await predict(c, empty)];
      if (c.kind === 'initInput') init.initInputs[c.attr] = [...(produced.get(c.datasetType) ?? [])];
    }
    initQuanta.push({ label: task.label, ...init, datastoreRecords: [] });

    const perDetector = task.dimensions.includes('detector');
    const dataIds = perDetector ? detectors : [{ instrument: 'Cam' }];
    for (const values of dataIds) {
      const coord = await expand(values, task.dimensions);
      const inputs: Record<string, DatasetRef[]> = {};
      const outputs: Record<string, DatasetRef[]> = {};
      const records: StoredFileInfo[] = [];
      for (const c of task.connections) {
        if (c.kind === 'input' || c.kind === 'prerequisite') {
          const fromGraph = produced.get(c.datasetType);
          let refs: DatasetRef[];
          if (fromGraph !== undefined) {
            refs = fromGraph.filter((r) => matches(r, coord));
          } else {
            const found = await registry.queryDatasets(c.datasetType, { collections: [INPUT_RUN] });
            refs = [];
            for (const r of found.filter((x) => matches(x, coord))) {
              refs.push({ ...r, dataId: await expand(r.dataId.values, c.dimensions) });
            }
            const stored = await registry.stored.get(refs.map((r) => r.id));
            for (const infos of stored.values()) records.push(...infos);
          }
          inputs[c.attr] = refs;
        }
      }
      for (const c of task.connections) {
        if (c.kind === 'output') outputs[c.attr] = [await predict(c, coord)];
      }
      quanta.push(
        Object.freeze({
          id: randomUUID(),
          label: task.label,
          dataId: coord,
          inputs,
          outputs,
          datastoreRecords: records,
        }),
      );
    }
  }
  const taskQuanta: Record<string, number> = {};
  for (const q of quanta) taskQuanta[q.label] = (taskQuanta[q.label] ?? 0) + 1;
  return {
    header: {
      formatVersion: 1,
      graphId: randomUUID(),
      created: new Date().toISOString(),
      user: 'test',
      command: 'test',
      inputCollections: [INPUT_RUN],
      outputRun: run,
      output: options.output ?? null,
      dataQuery: '',
      universe: `${universe.namespace}:${universe.version}`,
      nQuanta: quanta.length,
      nDatasets: [...produced.values()].reduce((n, l) => n + l.length, 0),
      taskQuanta,
    },
    pipeline,
    initQuanta,
    quanta,
  };
}

export async function buildSource(
  butler: Butler,
  entries: readonly TaskEntry[],
  options: BuildOptions = {},
): Promise<QuantumGraphSource> {
  return memoryGraphSource(await buildGraph(butler, entries, options));
}

/** `add` per detector (input + 1) feeding `sum` over all detectors ({instrument}, multiple inputs). */
export function chainEntries(
  overrides: { add?: Record<string, unknown>; sum?: Record<string, unknown> } = {},
): TaskEntry[] {
  return [
    { label: 'add', taskName: 'meridian.pipe.testing.AddTask', config: { ...overrides.add } },
    {
      label: 'sum',
      taskName: 'meridian.pipe.testing.AddTask',
      config: {
        dimensions: ['instrument'],
        inputDimensions: ['instrument', 'detector'],
        inputMultiple: true,
        addend: 0,
        connections: { inputName: 'add_output', outputName: 'sum_output' },
        ...overrides.sum,
      },
    },
  ];
}

export const testingTasksPath = fileURLToPath(TESTING_TASKS);

/**
 * Runs a graph in this process, in topological order, with a QuantumExecutor (what a worker process does), passing
 * each quantum the records its predecessors wrote. Fast, for the tests of single-quantum semantics.
 */
export async function runInProcess(
  repoRoot: string,
  source: QuantumGraphSource,
  options: Partial<QuantumExecutionOptions> & { taskModules?: readonly string[] } = {},
): Promise<Map<string, QuantumOutcome>> {
  const executor = new QuantumExecutor({
    datastore: openFileDatastore(repoRoot),
    receipts: new ReceiptStore(repoRoot, source.header.outputRun),
    pipeline: source.pipeline,
    tasks: await loadTaskRegistry(options.taskModules ?? [TESTING_TASKS]),
    initQuanta: source.initQuanta,
    options: {
      skipExisting: options.skipExisting ?? false,
      clobberOutputs: options.clobberOutputs ?? false,
      memoryPerQuantumBytes: null,
      cores: 1,
    },
  });
  const records: StoredFileInfo[] = [];
  const outcomes = new Map<string, QuantumOutcome>();
  for (const task of source.pipeline.tasks) {
    const o = await executor.executeInit(task.label, records);
    outcomes.set(`init:${task.label}`, o);
    records.push(...o.outputs);
  }
  for (const q of source.thinQuanta()) {
    const o = await executor.executeQuantum(await source.readQuantum(q.id), records);
    outcomes.set(q.id, o);
    records.push(...o.outputs);
  }
  return outcomes;
}
