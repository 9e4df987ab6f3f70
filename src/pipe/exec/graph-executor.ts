/**
 * The graph executor: runs a quantum graph on a pool of worker processes (child_process.fork of worker.ts), so
 * that a task that throws, exits the process, exceeds its memory or hangs costs one quantum and one process, never
 * the run. The scheduler, in this process, never touches a dataset:
 *
 * - nodes are the init quantum of each task label (init-outputs, `<label>_config`) and the quanta; a quantum waits
 *   for its label's init quantum and for the quanta that produce its inputs (the graph's edges); an init quantum
 *   waits for the init quanta that produce its init-inputs;
 * - a ready node goes to an idle worker with the datastore records of the inputs its predecessors wrote (taken
 *   from their outcomes, or from their receipts when they ran before: `quantumIds` restricts the run to some quanta,
 *   as `pipetask run-qbb` does);
 * - a failure (outcome, crash, memory or time limit) is recorded in the quantum's receipt and blocks its
 *   descendants; the others go on unless `failFast`; a dead worker is replaced.
 *
 * Nothing here writes the registry: `aggregateGraph` merges the receipts afterwards.
 */
import { readdir } from 'node:fs/promises';
import type { DimensionUniverse, StoredFileInfo } from '../../butler/index.js';
import { meridianError } from '../../errors.js';
import type { PredictedQuantum, QuantumGraphSource, QuantumStatus } from '../model.js';
import { initQuantumToJSON, quantumToJSON } from '../quantum-json.js';
import type { WorkerSetup } from './protocol.js';
import { isSuccess, ReceiptStore } from './receipts.js';
import type { QuantumOutcome } from './single-quantum.js';
import { type JobLimits, type JobResult, WorkerProcess } from './worker-process.js';

export interface ExecutionProgress {
  readonly phase: 'quanta';
  readonly done: number;
  readonly total: number;
  readonly unit: 'quanta';
}

export interface ExecuteGraphOptions {
  /** The butler repository: its datastore receives the outputs and its `.meridian/qbb/` the receipts. */
  readonly repo: string;
  /** Module specifiers (file URLs or package names) exporting `registerTasks`, loaded by every worker. */
  readonly taskModules: readonly string[];
  /** Worker processes (default 1). */
  readonly processes?: number;
  /** Skip quanta whose `<label>_metadata` exists (they succeeded before); otherwise they are refused. */
  readonly skipExisting?: boolean;
  /** Remove the partial outputs of earlier failed attempts before running a quantum again. */
  readonly clobberOutputs?: boolean;
  /** Write into a run that already has outputs (implies skipExisting, as pipetask's --extend-run does). */
  readonly extendRun?: boolean;
  /** Dispatch nothing new after the first failure. */
  readonly failFast?: boolean;
  /** Per-quantum wall-time limit; the worker is killed past it. */
  readonly timeoutSeconds?: number | null;
  /** Per-quantum resident-memory limit of the worker process; it is killed past it. */
  readonly memoryPerQuantumBytes?: number | null;
  /** Run only these quanta (their predecessors must have succeeded already). */
  readonly quantumIds?: readonly string[];
  readonly onProgress?: (update: ExecutionProgress) => void;
  /** Stops the run: running workers are killed (their attempts are redone by the next run), ABORTED is thrown. */
  readonly signal?: AbortSignal;
}

export interface QuantumResult {
  readonly id: string;
  readonly label: string;
  readonly dataId: Readonly<Record<string, string | number>>;
  readonly status: QuantumStatus | 'notRun';
  readonly code: string | null;
  readonly message: string | null;
}

export interface GraphExecutionSummary {
  readonly run: string;
  readonly total: number;
  readonly succeeded: number;
  readonly noWork: number;
  readonly skipped: number;
  readonly failed: number;
  readonly blocked: number;
  /** Left undispatched after a failure with failFast. */
  readonly notRun: number;
  /** Init quanta that failed (their tasks' quanta are blocked). */
  readonly initFailures: readonly { readonly label: string; readonly message: string }[];
  readonly quanta: readonly QuantumResult[];
  readonly seconds: number;
}

type NodeKey = string;
const initKey = (label: string): NodeKey => `init:${label}`;

interface NodeState {
  readonly key: NodeKey;
  readonly label: string;
  /** Null for an init node. */
  readonly quantumId: string | null;
  readonly dataId: Readonly<Record<string, string | number>>;
  waiting: number;
  readonly successors: NodeKey[];
  status: QuantumResult['status'] | 'pending' | 'running';
  code: string | null;
  message: string | null;
}

/** The pipetask summary line, as Rubin's MPGraphExecutor ends a run. */
export function executionSummaryLine(s: GraphExecutionSummary): string {
  const ok = s.succeeded + s.noWork + s.skipped;
  const rest = s.notRun > 0 ? ` (${s.notRun} not run after --fail-fast)` : '';
  return `Executed ${ok} quanta successfully, ${s.failed} failed and ${s.blocked} blocked out of ${s.total}${rest}`;
}

export async function executeGraph(
  source: QuantumGraphSource,
  options: ExecuteGraphOptions,
): Promise<GraphExecutionSummary> {
  const started = Date.now();
  const run = source.header.outputRun;
  const receipts = new ReceiptStore(options.repo, run);
  const skipExisting = (options.skipExisting ?? false) || (options.extendRun ?? false);
  const thin = source.thinQuanta();
  const thinById = new Map(thin.map((q) => [q.id, q]));
  let selected = thin;
  if (options.quantumIds !== undefined) {
    const wanted = new Set(options.quantumIds);
    for (const id of wanted) {
      if (!thinById.has(id)) {
        throw meridianError('INVALID_ARGUMENT', `the graph has no quantum ${id}`, { quantumId: id });
      }
    }
    selected = thin.filter((q) => wanted.has(q.id));
  }
  if (!skipExisting && options.quantumIds === undefined) await refuseExistingRun(receipts, run);

  const nodes = new Map<NodeKey, NodeState>();
  const node = (key: NodeKey, label: string, quantumId: string | null, dataId: NodeState['dataId']) => {
    const n: NodeState = {
      key,
      label,
      quantumId,
      dataId,
      waiting: 0,
      successors: [],
      status: 'pending',
      code: null,
      message: null,
    };
    nodes.set(key, n);
    return n;
  };
  const link = (from: NodeKey, to: NodeState) => {
    nodes.get(from)!.successors.push(to.key);
    to.waiting++;
  };

  // Init nodes for every label that runs, and for the labels whose init-outputs those read.
  const producerOfInit = new Map(
    source.pipeline.datasetTypes
      .filter((d) => d.isInit && d.producer !== null)
      .map((d) => [d.name, d.producer!]),
  );
  const initByLabel = new Map(source.initQuanta.map((q) => [q.label, q]));
  const configHashes = new Map(source.pipeline.tasks.map((t) => [t.label, t.configHash]));
  const initLabels: string[] = [];
  const addInit = (label: string): void => {
    if (nodes.has(initKey(label))) return;
    const n = node(initKey(label), label, null, {});
    initLabels.push(label);
    for (const refs of Object.values(initByLabel.get(label)?.initInputs ?? {})) {
      for (const ref of refs) {
        const producer = producerOfInit.get(ref.datasetType.name);
        if (producer === undefined || producer === label) continue;
        addInit(producer);
        link(initKey(producer), n);
      }
    }
  };
  for (const q of selected) addInit(q.label);
  for (const q of selected) link(initKey(q.label), node(q.id, q.label, q.id, q.dataId));

  // Records of datasets written by finished nodes that later nodes read, by dataset ID.
  const records = new Map<string, StoredFileInfo[]>();
  const consumedTypes = new Set(
    source.pipeline.datasetTypes.filter((d) => d.consumers.length > 0).map((d) => d.name),
  );
  const remember = (infos: readonly StoredFileInfo[], keepAll: boolean, typeOf?: Map<string, string>) => {
    for (const info of infos) {
      if (!keepAll && !consumedTypes.has(typeOf?.get(info.datasetId) ?? '')) continue;
      const list = records.get(info.datasetId);
      if (list === undefined) records.set(info.datasetId, [info]);
      else list.push(info);
    }
  };

  // Edges; predecessors outside the selection must have succeeded already (their receipts give their files).
  const blockedFromOutside = new Map<string, string>();
  for (const [pred, succ] of source.edges()) {
    const to = nodes.get(succ);
    if (to === undefined) continue;
    if (nodes.has(pred)) {
      link(pred, to);
      continue;
    }
    const receipt = await receipts.readQuantum(pred);
    if (isSuccess(receipt)) {
      remember(receipt!.outputs, true);
    } else {
      const p = thinById.get(pred);
      blockedFromOutside.set(
        succ,
        `its input quantum ${p?.label ?? ''} ${formatDataId(p?.dataId ?? {})} (${pred}) has not succeeded`,
      );
    }
  }

  const total = selected.length;
  const universe = total === 0 ? null : (await source.readQuantum(selected[0]!.id)).dataId.group.universe;
  const ready: NodeState[] = [];
  let finished = 0;
  let stopDispatch = false;
  const progress = () => options.onProgress?.({ phase: 'quanta', done: finished, total, unit: 'quanta' });

  const finish = (
    n: NodeState,
    status: QuantumResult['status'],
    code: string | null,
    message: string | null,
  ) => {
    n.status = status;
    n.code = code;
    n.message = message;
    if (n.quantumId !== null) finished++;
    if (status === 'failed' || status === 'blocked') {
      if (status === 'failed' && options.failFast) stopDispatch = true;
      const what = n.quantumId === null ? `init of ${n.label}` : `${n.label} ${formatDataId(n.dataId)}`;
      for (const s of n.successors) block(nodes.get(s)!, `blocked by failed ${what}`);
      return;
    }
    for (const s of n.successors) {
      const next = nodes.get(s)!;
      if (next.status !== 'pending') continue;
      if (--next.waiting === 0) ready.push(next);
    }
  };
  const block = (n: NodeState, why: string) => {
    if (n.status !== 'pending') return;
    finish(n, 'blocked', null, why);
  };

  for (const [id, why] of blockedFromOutside) block(nodes.get(id)!, why);
  for (const n of nodes.values()) if (n.status === 'pending' && n.waiting === 0) ready.push(n);

  const setup: WorkerSetup | null =
    universe === null ? null : workerSetup(source, options, run, universe, skipExisting);
  const limits: JobLimits = {
    timeoutSeconds: options.timeoutSeconds ?? null,
    memoryBytes: options.memoryPerQuantumBytes ?? null,
  };
  const idle: WorkerProcess[] = [];
  const initFailures: { label: string; message: string }[] = [];
  let missingWorkers = 0;
  const all = new Set<WorkerProcess>();
  const startWorker = async () => {
    const w = await WorkerProcess.start(setup!);
    all.add(w);
    return w;
  };
  const abortAll = () => {
    for (const w of all) w.kill();
  };
  options.signal?.addEventListener('abort', abortAll, { once: true });
  try {
    if (setup !== null && ready.length > 0) {
      const n = Math.max(1, Math.min(options.processes ?? 1, nodes.size));
      idle.push(...(await Promise.all(Array.from({ length: n }, startWorker))));
    }
    progress();
    const inFlight = new Set<Promise<void>>();
    const track = (p: Promise<void>) => {
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    };
    const initRecords = (label: string): StoredFileInfo[] =>
      Object.values(initByLabel.get(label)?.initInputs ?? {})
        .flat()
        .flatMap((r) => records.get(r.id) ?? []);
    const inputRecords = (q: PredictedQuantum): StoredFileInfo[] => [
      ...Object.values(q.inputs)
        .flat()
        .flatMap((r) => records.get(r.id) ?? []),
      ...initRecords(q.label),
    ];
    const launch = (n: NodeState, w: WorkerProcess) => {
      n.status = 'running';
      track(
        (async () => {
          let quantum: PredictedQuantum | undefined;
          let result: JobResult;
          if (n.quantumId === null) {
            result = await w.run({ type: 'init', label: n.label, records: initRecords(n.label) }, limits);
          } else {
            quantum = await source.readQuantum(n.quantumId);
            const job = {
              type: 'quantum',
              quantum: quantumToJSON(quantum),
              records: inputRecords(quantum),
            } as const;
            result = await w.run(job, limits);
          }
          if (options.signal?.aborted) return;
          if (result.kind === 'died') {
            all.delete(w);
            w.kill();
            // Replaced when there is work for it (starting a process costs time).
            missingWorkers++;
            await recordDeath(receipts, n, result, quantum, configHashes.get(n.label) ?? '');
            finish(n, 'failed', result.code, result.message);
            if (n.quantumId === null) initFailures.push({ label: n.label, message: result.message });
          } else {
            idle.push(w);
            const o = result.outcome;
            const typeOf =
              quantum === undefined
                ? undefined
                : new Map(
                    Object.values(quantum.outputs)
                      .flat()
                      .map((r) => [r.id, r.datasetType.name]),
                  );
            remember(o.outputs, quantum === undefined, typeOf);
            finish(n, o.status, o.code, o.message);
            if (o.status === 'failed' && n.quantumId === null) {
              initFailures.push({ label: n.label, message: o.message ?? '' });
            }
          }
          progress();
        })(),
      );
    };

    for (;;) {
      if (options.signal?.aborted) break;
      if (!stopDispatch && missingWorkers > 0 && ready.length > 0 && idle.length === 0) {
        missingWorkers--;
        track(startWorker().then((w) => void idle.push(w)));
      }
      while (!stopDispatch && ready.length > 0 && idle.length > 0) launch(ready.shift()!, idle.pop()!);
      if (inFlight.size === 0) break;
      await Promise.race(inFlight);
    }
    if (options.signal?.aborted) {
      throw meridianError(
        'ABORTED',
        `the run of ${run} was interrupted; rerun with --skip-existing to finish it`,
      );
    }
    for (const n of nodes.values()) if (n.status === 'pending') n.status = 'notRun';
    return summarize(run, nodes, selected, initFailures, started);
  } finally {
    options.signal?.removeEventListener('abort', abortAll);
    await Promise.all([...all].map((w) => w.close()));
  }
}

function workerSetup(
  source: QuantumGraphSource,
  options: ExecuteGraphOptions,
  run: string,
  universe: DimensionUniverse,
  skipExisting: boolean,
): WorkerSetup {
  return {
    type: 'setup',
    repo: options.repo,
    run,
    universe: universe.toJSON(),
    pipeline: source.pipeline,
    initQuanta: source.initQuanta.map(initQuantumToJSON),
    taskModules: options.taskModules,
    options: {
      skipExisting,
      clobberOutputs: options.clobberOutputs ?? false,
      memoryPerQuantumBytes: options.memoryPerQuantumBytes ?? null,
      cores: 1,
    },
  };
}

/** A run whose receipts exist already needs --extend-run or --skip-existing, as Rubin refuses an existing RUN. */
async function refuseExistingRun(receipts: ReceiptStore, run: string): Promise<void> {
  const entries = await readdir(receipts.directory).catch(() => [] as string[]);
  if (entries.length > 0) {
    throw meridianError(
      'OUTPUT_EXISTS',
      `the output run ${run} already has executed quanta in this repository; pass --skip-existing or --extend-run to continue it, or build the graph for a new run`,
      { run },
    );
  }
}

/** A worker that died cannot write its own failure receipt: the executor writes it. */
async function recordDeath(
  receipts: ReceiptStore,
  n: NodeState,
  result: Extract<JobResult, { kind: 'died' }>,
  quantum: PredictedQuantum | undefined,
  configHash: string,
): Promise<void> {
  const path = n.quantumId === null ? receipts.initPath(n.label) : receipts.quantumPath(n.quantumId);
  await receipts
    .write(path, {
      kind: n.quantumId === null ? 'init' : 'quantum',
      quantumId: n.quantumId,
      label: n.label,
      status: 'failed',
      configHash,
      outputs: [],
      provenance: null,
      message: `${result.message}${quantum === undefined ? '' : ` (${quantum.label} ${quantum.dataId})`}`,
      log: [],
    })
    .catch(() => {});
}

function summarize(
  run: string,
  nodes: ReadonlyMap<NodeKey, NodeState>,
  selected: ReturnType<QuantumGraphSource['thinQuanta']>,
  initFailures: readonly { label: string; message: string }[],
  started: number,
): GraphExecutionSummary {
  const quanta: QuantumResult[] = selected.map((q) => {
    const n = nodes.get(q.id)!;
    return {
      id: q.id,
      label: q.label,
      dataId: q.dataId,
      status: n.status as QuantumResult['status'],
      code: n.code,
      message: n.message,
    };
  });
  const count = (s: QuantumResult['status']) => quanta.filter((q) => q.status === s).length;
  return Object.freeze({
    run,
    total: quanta.length,
    succeeded: count('succeeded'),
    noWork: count('noWork'),
    skipped: count('skipped'),
    failed: count('failed'),
    blocked: count('blocked'),
    notRun: count('notRun'),
    initFailures,
    quanta,
    seconds: (Date.now() - started) / 1000,
  });
}

export function formatDataId(values: Readonly<Record<string, string | number>>): string {
  return `{${Object.entries(values)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? `'${v}'` : v}`)
    .join(', ')}}`;
}

export type { QuantumOutcome };
