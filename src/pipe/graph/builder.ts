/**
 * Building a quantum graph from a resolved pipeline and a data query (Rubin's algorithm, bps.md §1.3):
 *
 *   1. plan.ts        which dataset types constrain the query; the union of every task's and dataset type's
 *                     dimensions; checks against the repository's dataset type definitions
 *   2. here           ONE data-ID query over that union, joined with the existence of each constraining overall
 *                     input in the input collections, with the user's where/bind/data ID (zero rows → explain.ts)
 *   3. data-ids.ts    the rows projected onto each dimension group as plain keys; dimension records fetched in bulk
 *   4. here           overall inputs found first-in-collection-order for all their data IDs at once
 *   5. here           per task, producers first: quanta; inputs (minimum → NoWorkFound); skip when the
 *                     `<label>_metadata` exists in skipExistingIn (existing outputs then feed downstream);
 *                     prerequisites (prerequisites.ts, batched); adjustQuantum; outputs with IDs assigned up front
 *                     by the butler's deterministic recipe; outputs already in the output run → OUTPUT_EXISTS
 *                     unless clobber; the quantum is handed to the sink (a file writer streams it to disk)
 *   6. init-quanta.ts init-inputs found or produced, init-outputs (incl. `<label>_config`) predicted
 */
import { userInfo } from 'node:os';
import {
  type Butler,
  DATASET_ID_NAMESPACE,
  type DataCoordinate,
  type DataIdValue,
  type DatasetRef,
  DatasetType,
  type DimensionGroup,
  deterministicDatasetIdMaker,
  type StoredFileInfo,
  uuidv5Maker,
  uuidv7,
} from '../../butler/index.js';
import { meridianError } from '../../errors.js';
import type {
  PredictedInitQuantum,
  PredictedQuantum,
  QuantumGraph,
  QuantumGraphHeader,
  ResolvedConnection,
  ResolvedPipeline,
  ResolvedTask,
} from '../model.js';
import { type AdjustableQuantum, isNoWorkFound, type TaskRegistry } from '../task.js';
import { ConnectionIndex, distinctIn, RecordStore, type Values } from './data-ids.js';
import { explainEmptyQuery } from './explain.js';
import { buildInitQuanta, loadStored } from './init-quanta.js';
import { planBuild } from './plan.js';
import { formatValues, lookupPrerequisite, needsDetectorRegions, type QuantumSlot } from './prerequisites.js';
import { type QuantumGraphHeaderInput, QuantumGraphWriter } from './writer.js';

export interface BuildQuantumGraphOptions {
  /** The task definitions, for their `adjustQuantum` hooks. */
  readonly tasks: TaskRegistry;
  /** Searched in order for overall inputs and prerequisites. */
  readonly inputCollections: readonly string[];
  /** RUN collection the outputs will be written to. */
  readonly outputRun: string;
  /** CHAINED output collection (recorded in the header; made by the executor). */
  readonly output?: string | null;
  /** The butler `where` expression (`-d`). */
  readonly where?: string | null;
  readonly bind?: Readonly<Record<string, unknown>>;
  /** Equality constraints (e.g. the instrument). */
  readonly dataId?: Readonly<Record<string, DataIdValue>>;
  /** Overall inputs that constrain the data-ID query: all (default) but deferred ones, none, or these names. */
  readonly datasetQueryConstraint?: 'all' | 'off' | readonly string[];
  /** Collections where an existing `<label>_metadata` means the quantum already ran (it is left out). */
  readonly skipExistingIn?: readonly string[];
  /** Allow outputs that already exist in the output run (the executor replaces them). */
  readonly clobber?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: BuildProgress) => void;
  /** Recorded in the header. */
  readonly command?: string;
  readonly user?: string;
}

export interface BuildProgress {
  readonly phase: 'query' | 'inputs' | 'task' | 'write';
  readonly label?: string;
  readonly done: number;
  readonly total: number;
}

/** Per task: quanta kept, dropped with NoWorkFound (minimum or adjustQuantum), skipped as already done. */
export type BuildSummary = Readonly<
  Record<string, { readonly quanta: number; readonly noWork: number; readonly skipped: number }>
>;

export interface BuiltQuantumGraph extends QuantumGraph {
  readonly summary: BuildSummary;
}

export interface QuantumGraphFileResult {
  readonly header: QuantumGraphHeader;
  readonly summary: BuildSummary;
}

/** Build a graph in memory. */
export async function buildQuantumGraph(
  butler: Butler,
  pipeline: ResolvedPipeline,
  options: BuildQuantumGraphOptions,
): Promise<BuiltQuantumGraph> {
  const quanta: PredictedQuantum[] = [];
  const built = await build(butler, pipeline, options, async (q) => {
    quanta.push(q);
  });
  const taskQuanta: Record<string, number> = {};
  for (const t of pipeline.tasks) taskQuanta[t.label] = built.summary[t.label]?.quanta ?? 0;
  const ids = new Set<string>();
  for (const q of quanta)
    for (const refs of [...Object.values(q.inputs), ...Object.values(q.outputs)])
      for (const r of refs) ids.add(r.id);
  for (const q of built.initQuanta)
    for (const refs of [...Object.values(q.initInputs), ...Object.values(q.initOutputs)])
      for (const r of refs) ids.add(r.id);
  return Object.freeze({
    header: Object.freeze({
      ...built.header,
      formatVersion: 1,
      nQuanta: quanta.length,
      nDatasets: ids.size,
      taskQuanta,
    }),
    pipeline,
    initQuanta: built.initQuanta,
    quanta: Object.freeze(quanta),
    summary: built.summary,
  });
}

/** Build a graph straight into a graph file (quanta are streamed, never all held); atomic like the writer. */
export async function buildQuantumGraphFile(
  butler: Butler,
  pipeline: ResolvedPipeline,
  path: string,
  options: BuildQuantumGraphOptions,
): Promise<QuantumGraphFileResult> {
  let writer: QuantumGraphWriter | null = null;
  let pendingHeader: QuantumGraphHeaderInput | null = null;
  const early: PredictedQuantum[] = [];
  try {
    const built = await build(
      butler,
      pipeline,
      options,
      async (q) => {
        if (writer === null) {
          early.push(q);
          return;
        }
        await writer.add(q);
      },
      async (header) => {
        pendingHeader = header;
        writer = await QuantumGraphWriter.create(path, { universe: butler.universe, header, pipeline });
        for (const q of early.splice(0)) await writer.add(q);
      },
    );
    if (writer === null || pendingHeader === null)
      throw meridianError('INTERNAL', 'graph writer never opened');
    const w = writer as QuantumGraphWriter;
    w.setInitQuanta(built.initQuanta);
    options.onProgress?.({ phase: 'write', done: 0, total: 1 });
    const header = await w.finish();
    options.onProgress?.({ phase: 'write', done: 1, total: 1 });
    return { header, summary: built.summary };
  } finally {
    await (writer as QuantumGraphWriter | null)?.abort();
  }
}

type Sink = (q: PredictedQuantum) => Promise<void>;

/** A dataset the graph knows of: it exists (overall input, skipped quantum's output) or will be written. */
interface DatasetNode {
  readonly id: string;
  readonly run: string;
  readonly values: Values;
  /** Stored in the repository before the graph runs (its datastore records go into the graph). */
  readonly existing: boolean;
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw meridianError('ABORTED', 'building the quantum graph was cancelled', {}, signal.reason);
  }
}

/**
 * Quantum IDs are deterministic too, so a rebuild of the same graph names the same quanta: UUIDv5 of
 * `quantum=<label>,run=<run>` and the quantum's required `k=v` items sorted by key.
 */
function quantumIdMaker(label: string, run: string, group: DimensionGroup): (values: Values) => string {
  return uuidv5Maker(`quantum=${label},run=${run}`, group.required, DATASET_ID_NAMESPACE);
}

async function build(
  butler: Butler,
  pipeline: ResolvedPipeline,
  options: BuildQuantumGraphOptions,
  sink: Sink,
  onHeader?: (header: QuantumGraphHeaderInput) => Promise<void>,
): Promise<{ header: QuantumGraphHeaderInput; initQuanta: PredictedInitQuantum[]; summary: BuildSummary }> {
  const { signal } = options;
  const registry = butler.registry;
  const universe = butler.universe;
  const run = options.outputRun;
  const collections = options.inputCollections;
  if (collections.length === 0) {
    throw meridianError('INVALID_ARGUMENT', 'building a quantum graph needs input collections (-i/--input)');
  }
  checkAborted(signal);
  const plan = await planBuild(butler, pipeline, options);
  const header: QuantumGraphHeaderInput = {
    graphId: uuidv7(),
    created: new Date().toISOString(),
    user: options.user ?? safeUser(),
    command: options.command ?? '',
    inputCollections: [...collections],
    outputRun: run,
    output: options.output ?? null,
    dataQuery: options.where ?? '',
    universe: `${universe.namespace}:${universe.version}`,
  };

  // 2. The one data-ID query.
  options.onProgress?.({ phase: 'query', done: 0, total: 1 });
  const coords =
    plan.unionGroup.names.length === 0
      ? [{ values: {} as Values }]
      : await registry.queryDataIds([...plan.unionGroup.names], {
          datasets: plan.constraining,
          collections,
          where: options.where ?? null,
          bind: options.bind,
          dataId: options.dataId,
          signal,
        });
  options.onProgress?.({ phase: 'query', done: 1, total: 1 });
  const rows: Values[] = coords.map((c) => c.values);
  if (rows.length === 0) throw await explainEmptyQuery(butler, plan, options);
  checkAborted(signal);

  // 3. Dimension records for every data ID, in bulk.
  const store = new RecordStore(universe);
  const elements = plan.unionGroup.names.filter((n) => universe.element(n).hasTable);
  const regionLookups = pipeline.tasks.some((t) => t.connections.some(needsDetectorRegions));
  if (regionLookups && plan.unionGroup.has('visit') && plan.unionGroup.has('detector'))
    elements.push('visit_detector_region');
  await store.load(butler, elements, rows);

  // 4. Overall inputs, found first in the input collections.
  const nodes = new Map<string, Map<string, DatasetNode>>();
  const stored = new Map<string, readonly StoredFileInfo[]>();
  const inputTypes = pipeline.datasetTypes.filter(
    (t) => !t.isInit && t.producer === null && !t.isPrerequisite,
  );
  for (const [i, t] of inputTypes.entries()) {
    options.onProgress?.({ phase: 'inputs', label: t.name, done: i, total: inputTypes.length });
    const byKey = new Map<string, DatasetNode>();
    nodes.set(t.name, byKey);
    if (!plan.registered.has(t.name)) continue;
    const group = universe.group(t.dimensions);
    const distinct = [...distinctIn(group, rows)];
    const refs = await registry.findDatasets(
      t.name,
      distinct.map(([, v]) => v),
      { collections },
    );
    distinct.forEach(([key, values], j) => {
      const ref = refs[j];
      if (ref) byKey.set(key, { id: ref.id, run: ref.run, values, existing: true });
    });
    await loadStored(
      butler,
      [...byKey.values()].map((n) => n.id),
      stored,
    );
    checkAborted(signal);
  }
  await onHeader?.(header);

  // 5. Tasks, producers first.
  const summary: Record<string, { quanta: number; noWork: number; skipped: number }> = {};
  const outputsInTheWay: string[] = [];
  const indexes = new Map<string, ConnectionIndex>();
  const indexFor = (tg: DimensionGroup, cg: DimensionGroup) => {
    const k = `${tg.key}|${cg.key}`;
    let ix = indexes.get(k);
    if (ix === undefined) indexes.set(k, (ix = new ConnectionIndex(tg, cg, rows)));
    return ix;
  };
  const consumed = new Set(pipeline.datasetTypes.filter((t) => t.consumers.length > 0).map((t) => t.name));
  for (const task of pipeline.tasks) {
    checkAborted(signal);
    const def = options.tasks.get(task.taskName);
    const tg = universe.group(task.dimensions);
    const stats = { quanta: 0, noWork: 0, skipped: 0 };
    summary[task.label] = stats;
    const inputs = task.connections.filter((c) => c.kind === 'input');
    const outputs = task.connections.filter((c) => c.kind === 'output');
    const prereqs = task.connections.filter((c) => c.kind === 'prerequisite');
    const progress = (done: number, total: number) =>
      options.onProgress?.({ phase: 'task', label: task.label, done, total });

    // Quanta whose every input connection meets its minimum.
    const minimumIndexes = new Map(inputs.map((c) => [c.attr, indexFor(tg, universe.group(c.dimensions))]));
    let candidates: QuantumSlot[] = [];
    for (const [key, values] of distinctIn(tg, rows)) {
      const short = inputs.find((c) => {
        const byKey = nodes.get(c.datasetType);
        const ix = minimumIndexes.get(c.attr)!;
        if (ix.sameKey) return c.minimum > (byKey?.has(key) ? 1 : 0);
        let found = 0;
        for (const [dk] of ix.lookup(key, values)) if (byKey?.has(dk)) found++;
        return found < c.minimum;
      });
      if (short === undefined) candidates.push({ key, values });
      else stats.noWork++;
    }
    progress(0, candidates.length);

    // Skip quanta that already ran; their existing outputs feed downstream tasks.
    for (const c of outputs)
      if (consumed.has(c.datasetType) && !nodes.has(c.datasetType)) nodes.set(c.datasetType, new Map());
    if ((options.skipExistingIn?.length ?? 0) > 0 && candidates.length > 0) {
      const skipped = await findSkipped(butler, task, candidates, options.skipExistingIn!, plan.registered);
      if (skipped.length > 0) {
        stats.skipped = skipped.length;
        const skippedKeys = new Set(skipped.map((s) => s.key));
        candidates = candidates.filter((q) => !skippedKeys.has(q.key));
        for (const c of outputs) {
          if (!consumed.has(c.datasetType) || !plan.registered.has(c.datasetType)) continue;
          const cg = universe.group(c.dimensions);
          const wanted = new Map<string, Values>();
          for (const q of skipped)
            for (const [dk, dv] of indexFor(tg, cg).lookup(q.key, q.values)) wanted.set(dk, dv);
          const list = [...wanted];
          const refs = await registry.findDatasets(
            c.datasetType,
            list.map(([, v]) => v),
            { collections: options.skipExistingIn! },
          );
          const byKey = nodes.get(c.datasetType)!;
          list.forEach(([dk, dv], j) => {
            const ref = refs[j];
            if (ref) byKey.set(dk, { id: ref.id, run: ref.run, values: dv, existing: true });
          });
          await loadStored(
            butler,
            refs.filter((r) => r !== null).map((r) => r!.id),
            stored,
          );
        }
      }
    }

    // Prerequisites for all remaining quanta at once, per connection.
    const prereqFound = new Map<string, Awaited<ReturnType<typeof lookupPrerequisite>>>();
    for (const c of prereqs) {
      if (candidates.length === 0) break;
      const found = await lookupPrerequisite(butler, store, task.label, tg, c, candidates, collections);
      prereqFound.set(c.attr, found);
      await loadStored(
        butler,
        found.flatMap((l) => l.map((f) => f.ref.id)),
        stored,
      );
    }

    // Outputs already in the output run (a previous, partial run of this graph).
    const existingOutputs = new Set<string>();
    if (plan.outputRunExists && candidates.length > 0) {
      for (const c of outputs) {
        if (!plan.registered.has(c.datasetType)) continue;
        const cg = universe.group(c.dimensions);
        const wanted = new Map<string, Values>();
        for (const q of candidates)
          for (const [dk, dv] of indexFor(tg, cg).lookup(q.key, q.values)) wanted.set(dk, dv);
        const list = [...wanted];
        const refs = await registry.findDatasets(
          c.datasetType,
          list.map(([, v]) => v),
          { collections: [run] },
        );
        list.forEach(([dk], j) => {
          if (refs[j]) existingOutputs.add(`${c.datasetType}\u0000${dk}`);
        });
      }
    }

    // Each quantum: expanded refs, the adjust hook, predicted outputs; then out to the sink.
    const typeOf = (c: ResolvedConnection): DatasetType =>
      plan.registered.get(c.datasetType) ??
      new DatasetType(c.datasetType, universe.group(c.dimensions), c.storageClass, {
        isCalibration: c.isCalibration,
      });
    const connTypes = new Map(task.connections.map((c) => [c.attr, typeOf(c)]));
    const makeQuantumId = quantumIdMaker(task.label, run, tg);
    const makeOutputId = new Map(
      outputs.map((c) => {
        const dt = connTypes.get(c.attr)!;
        return [c.attr, deterministicDatasetIdMaker(dt.name, dt.dimensions.required, run, 'DATAID_TYPE_RUN')];
      }),
    );
    const connIndex = new Map(
      [...inputs, ...outputs].map((c) => [c.attr, indexFor(tg, connTypes.get(c.attr)!.dimensions)]),
    );
    for (const [qi, q] of candidates.entries()) {
      if (qi % 1000 === 0) {
        checkAborted(signal);
        progress(qi, candidates.length);
      }
      // Refs whose data ID is the quantum's own row in another group (outputs, same-dimension inputs) share
      // one expanded coordinate per group instead of one each.
      const memo = new Map<DimensionGroup, DataCoordinate>();
      const coordinate = (group: DimensionGroup, values: Values): DataCoordinate => {
        if (values !== q.values) return store.coordinate(group, values);
        let c = memo.get(group);
        if (c === undefined) memo.set(group, (c = store.coordinate(group, values)));
        return c;
      };
      const adjustable: AdjustableQuantum = {
        label: task.label,
        dataId: coordinate(tg, q.values),
        inputs: {},
        outputs: {},
      };
      for (const c of inputs) {
        const dt = connTypes.get(c.attr)!;
        const byKey = nodes.get(c.datasetType);
        adjustable.inputs[c.attr] = connIndex
          .get(c.attr)!
          .lookup(q.key, q.values)
          .flatMap(([dk]) => {
            const n = byKey?.get(dk);
            return n === undefined ? [] : [refOf(dt, n, coordinate)];
          });
      }
      for (const c of prereqs) {
        adjustable.inputs[c.attr] = prereqFound
          .get(c.attr)!
          [qi]!.map((f) => ({ ...f.ref, dataId: store.coordinate(f.ref.datasetType.dimensions, f.values) }));
      }
      const outs: Record<string, DatasetRef[]> = {};
      const produced: [string, string, DatasetNode][] = [];
      let inTheWay: string | null = null;
      for (const c of outputs) {
        const dt = connTypes.get(c.attr)!;
        const makeId = makeOutputId.get(c.attr)!;
        outs[c.attr] = connIndex
          .get(c.attr)!
          .lookup(q.key, q.values)
          .map(([dk, dv]) => {
            const node: DatasetNode = {
              id: makeId(dv),
              run,
              values: dv,
              existing: false,
            };
            if (existingOutputs.has(`${dt.name}\u0000${dk}`))
              inTheWay ??= `${dt.name} ${formatValues(dv, dt.dimensions)}`;
            if (consumed.has(dt.name)) produced.push([dt.name, dk, node]);
            return refOf(dt, node, coordinate);
          });
      }
      (adjustable as { outputs: Record<string, readonly DatasetRef[]> }).outputs = outs;
      if (def.adjustQuantum !== undefined) {
        try {
          def.adjustQuantum(adjustable, task.config as never);
        } catch (err) {
          if (!isNoWorkFound(err)) throw err;
          stats.noWork++;
          continue;
        }
      }
      if (inTheWay !== null && !options.clobber) {
        outputsInTheWay.push(`${task.label} ${formatValues(q.values, tg)}: ${inTheWay}`);
        continue;
      }
      for (const [type, dk, node] of produced) nodes.get(type)!.set(dk, node);
      const records: StoredFileInfo[] = [];
      for (const refs of Object.values(adjustable.inputs))
        for (const r of refs) for (const s of stored.get(r.id) ?? []) records.push(s);
      stats.quanta++;
      await sink(
        Object.freeze({
          id: makeQuantumId(q.values),
          label: task.label,
          dataId: adjustable.dataId,
          inputs: Object.freeze(adjustable.inputs),
          outputs: Object.freeze(outs),
          datastoreRecords: Object.freeze(records),
        }),
      );
    }
    progress(candidates.length, candidates.length);
  }
  if (outputsInTheWay.length > 0) {
    throw meridianError(
      'OUTPUT_EXISTS',
      `${outputsInTheWay.length} quant${outputsInTheWay.length === 1 ? 'um has' : 'a have'} outputs already in the output run ${run}, e.g. ${outputsInTheWay.slice(0, 3).join('; ')}`,
      { outputRun: run, examples: outputsInTheWay.slice(0, 10) },
    );
  }
  const total = Object.values(summary).reduce((n, s) => n + s.quanta, 0);
  if (total === 0) throw emptyAfterTasks(pipeline, summary, options);

  // 6. Init quanta.
  const initQuanta = await buildInitQuanta(butler, pipeline, plan.registered, collections, run, stored);
  return { header, initQuanta, summary };
}

function refOf(
  datasetType: DatasetType,
  node: DatasetNode,
  coordinate: (group: DimensionGroup, values: Values) => DataCoordinate,
): DatasetRef {
  return Object.freeze({
    id: node.id,
    datasetType,
    dataId: coordinate(datasetType.dimensions, node.values),
    run: node.run,
  });
}

async function findSkipped(
  butler: Butler,
  task: ResolvedTask,
  candidates: readonly QuantumSlot[],
  skipExistingIn: readonly string[],
  registered: ReadonlyMap<string, DatasetType>,
): Promise<QuantumSlot[]> {
  const metadata = task.connections.find((c) => c.attr === '_metadata')!;
  if (!registered.has(metadata.datasetType)) return [];
  const refs = await butler.registry.findDatasets(
    metadata.datasetType,
    candidates.map((q) => q.values),
    { collections: skipExistingIn },
  );
  return candidates.filter((_, i) => refs[i] !== null);
}

function emptyAfterTasks(
  pipeline: ResolvedPipeline,
  summary: BuildSummary,
  options: BuildQuantumGraphOptions,
) {
  const parts = pipeline.tasks.map((t) => {
    const s = summary[t.label]!;
    const why: string[] = [];
    if (s.skipped > 0)
      why.push(`${s.skipped} skipped (their metadata exists in ${options.skipExistingIn?.join(', ')})`);
    if (s.noWork > 0)
      why.push(
        `${s.noWork} with no work (fewer inputs than the connection minimum, or NoWorkFound from adjustQuantum)`,
      );
    return `${t.label}: ${why.length > 0 ? why.join(', ') : 'no quanta'}`;
  });
  return meridianError(
    'QGRAPH_EMPTY',
    `the data query gave data IDs, but every quantum was dropped: ${parts.join('; ')}`,
    { summary },
  );
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}
