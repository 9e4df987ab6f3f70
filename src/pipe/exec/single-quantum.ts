/**
 * The single-quantum executor, after pipe_base's SingleQuantumExecutor, over a quantum-backed butler:
 *
 * 1. Existing outputs. A receipt that marks the quantum done (its `<label>_metadata` was written) means skipped with
 *    `skipExisting`, else OUTPUT_EXISTS. Files at the predicted output paths are removed when a `.started` marker
 *    and no receipt show that an earlier attempt was killed outright (they are orphans), or with `clobberOutputs`;
 *    otherwise they are partial outputs of a failed attempt and the quantum fails with OUTPUT_EXISTS.
 * 2. The inputs are adjusted again against what exists (inputs an upstream quantum did not produce are dropped,
 *    `minimum` is enforced, the task's `adjustQuantum` runs); NoWorkFound here or from `runQuantum` is a success
 *    with a caveat.
 * 3. `runQuantum` runs with the task's init-inputs (loaded once per task per process).
 * 4. `<label>_log` and then `<label>_metadata` (the ProvenanceRecord) are written, then the receipt, atomically,
 *    as the very last step. A failure writes a failure receipt instead (message, last log lines, partial outputs).
 *
 * Init quanta write a task's init-outputs and `<label>_config` once per run; an existing receipt with another
 * config hash is refused, as Rubin refuses a changed config in a run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { DatasetRef, Datastore, StoredFileInfo } from '../../butler/index.js';
import { isMeridianError, meridianError } from '../../errors.js';
import type {
  PredictedInitQuantum,
  PredictedQuantum,
  ProvenanceRecord,
  QuantumStatus,
  ResolvedPipeline,
  ResolvedTask,
} from '../model.js';
import { type AdjustableQuantum, isNoWorkFound, noWorkFound, type TaskRegistry } from '../task.js';
import { makeQuantumContext, QuantumLog } from './context.js';
import { predictedFileInfo, QuantumBackedButler } from './qbb.js';
import { isSuccess, type QuantumReceipt, type ReceiptStore } from './receipts.js';

/** `meridian <version>`, from the package.json above this module (src/, dist/ or a benchmark build of them). */
export const SOFTWARE_VERSION = `meridian ${packageVersion()}`;

function packageVersion(): string {
  for (let up = '../../../'; up.length <= 15; up += '../') {
    try {
      const pkg = JSON.parse(readFileSync(new URL(`${up}package.json`, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'meridian' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // Not at this level: look one further up.
    }
  }
  return 'unknown';
}

export interface QuantumExecutionOptions {
  /** A quantum whose `<label>_metadata` exists (its receipt says done) is skipped instead of refused. */
  readonly skipExisting: boolean;
  /** Remove partial outputs of an earlier failed attempt before running. */
  readonly clobberOutputs: boolean;
  /** Advisory, handed to the task as `resources.memoryBytes`. */
  readonly memoryPerQuantumBytes: number | null;
  readonly cores: number;
}

/** What one quantum (or init quantum) came to. */
export interface QuantumOutcome {
  /** Null for an init quantum. */
  readonly quantumId: string | null;
  readonly label: string;
  readonly status: Exclude<QuantumStatus, 'blocked' | 'unknown'>;
  /** Records of the datasets this quantum's consumers may read (from this attempt or an earlier successful one). */
  readonly outputs: readonly StoredFileInfo[];
  readonly code: string | null;
  readonly message: string | null;
}

export interface QuantumExecutorEnv {
  readonly datastore: Datastore;
  readonly receipts: ReceiptStore;
  readonly pipeline: ResolvedPipeline;
  readonly tasks: TaskRegistry;
  readonly initQuanta: readonly PredictedInitQuantum[];
  readonly options: QuantumExecutionOptions;
}

/** Runs quanta one at a time in this process (a worker process of the graph executor, or a test). */
export class QuantumExecutor {
  readonly #env: QuantumExecutorEnv;
  readonly #tasks: ReadonlyMap<string, ResolvedTask>;
  readonly #initQuanta: ReadonlyMap<string, PredictedInitQuantum>;
  /** Loaded init-inputs per task label (read once per process). */
  readonly #initInputs = new Map<string, Readonly<Record<string, unknown>>>();

  constructor(env: QuantumExecutorEnv) {
    this.#env = env;
    this.#tasks = new Map(env.pipeline.tasks.map((t) => [t.label, t]));
    this.#initQuanta = new Map(env.initQuanta.map((q) => [q.label, q]));
  }

  #task(label: string): ResolvedTask {
    const task = this.#tasks.get(label);
    if (task === undefined) {
      throw meridianError(
        'QGRAPH_INVALID',
        `the graph has a quantum of '${label}', which its pipeline lacks`,
        {
          label,
        },
      );
    }
    return task;
  }

  /** Writes a task's init-outputs and `<label>_config` for the run, unless an identical set is there already. */
  async executeInit(label: string, records: readonly StoredFileInfo[]): Promise<QuantumOutcome> {
    const { receipts, datastore } = this.#env;
    const path = receipts.initPath(label);
    const base = { quantumId: null, label };
    let receipt: QuantumReceipt | null;
    let task: ResolvedTask;
    let init: PredictedInitQuantum;
    try {
      task = this.#task(label);
      init = this.#initQuanta.get(label) ?? { label, initInputs: {}, initOutputs: {}, datastoreRecords: [] };
      receipt = await receipts.read(path);
    } catch (err) {
      return { ...base, status: 'failed', outputs: [], ...describeError(err) };
    }
    if (isSuccess(receipt)) {
      if (receipt!.configHash !== task.configHash) {
        return {
          ...base,
          status: 'failed',
          outputs: [],
          code: 'OUTPUT_EXISTS',
          message: `the run already holds ${init.label}_config with another config (hash ${receipt!.configHash.slice(0, 12)}, now ${task.configHash.slice(0, 12)}); a run keeps one config per task: write to a new run`,
        };
      }
      return { ...base, status: 'skipped', outputs: receipt!.outputs, code: null, message: null };
    }
    const outputs = Object.values(init.initOutputs).flat();
    let qbb: QuantumBackedButler | undefined;
    try {
      await this.#prepareOutputs(path, receipt, outputs);
      const def = this.#env.tasks.get(task.taskName);
      const initInputs = await this.#loadInitInputs(init, records);
      const objects = def.initOutputs
        ? await def.initOutputs({ label: init.label, config: task.config, initInputs })
        : {};
      qbb = new QuantumBackedButler({
        datastore,
        readable: [],
        writable: outputs,
        records: new Map(),
        what: `${init.label} (init)`,
      });
      for (const [attr, refs] of Object.entries(init.initOutputs)) {
        const value = attr === '_config' ? { ...task.config } : objects[attr];
        if (value === undefined) {
          throw meridianError(
            'INVALID_ARGUMENT',
            `${task.taskName}.initOutputs returned no '${attr}' for ${init.label}`,
            { label: init.label, attr },
          );
        }
        for (const ref of refs) await qbb.put(value, ref);
      }
      const written = qbb.written();
      await receipts.write(path, {
        kind: 'init',
        quantumId: null,
        label: init.label,
        status: 'succeeded',
        configHash: task.configHash,
        outputs: written,
        provenance: null,
        message: null,
        log: [],
      });
      await receipts.clearStarted(path);
      return { ...base, status: 'succeeded', outputs: written, code: null, message: null };
    } catch (err) {
      const failure = describeError(err);
      await receipts
        .write(path, {
          kind: 'init',
          quantumId: null,
          label: init.label,
          status: 'failed',
          configHash: task.configHash,
          outputs: qbb?.written() ?? [],
          provenance: null,
          message: failure.message,
          log: [],
        })
        .catch(() => {});
      return { ...base, status: 'failed', outputs: [], ...failure };
    }
  }

  /**
   * Runs one quantum. `records` are the datastore records of its inputs produced earlier in the graph and of its
   * task's init-inputs; inputs that existed before carry theirs in the quantum. Never throws: every failure is an
   * outcome (and a failure receipt when the attempt got far enough to own its outputs).
   */
  async executeQuantum(
    quantum: PredictedQuantum,
    records: readonly StoredFileInfo[],
    signal: AbortSignal = new AbortController().signal,
  ): Promise<QuantumOutcome> {
    const { receipts, datastore, options } = this.#env;
    const base = { quantumId: quantum.id, label: quantum.label };
    const path = receipts.quantumPath(quantum.id);
    let receipt: QuantumReceipt | null;
    let task: ResolvedTask;
    try {
      task = this.#task(quantum.label);
      receipt = await receipts.read(path);
    } catch (err) {
      return { ...base, status: 'failed', outputs: [], ...describeError(err) };
    }
    if (isSuccess(receipt)) {
      if (options.skipExisting) {
        return { ...base, status: 'skipped', outputs: receipt!.outputs, code: null, message: null };
      }
      // The earlier success stays recorded: this refusal writes no receipt.
      return {
        ...base,
        status: 'failed',
        outputs: [],
        code: 'OUTPUT_EXISTS',
        message: `${quantum.label} ${quantum.dataId} already succeeded in run ${receipts.directory}: pass --skip-existing (or --extend-run) to keep its outputs`,
      };
    }

    const start = new Date();
    const cpuStart = process.cpuUsage();
    const log = new QuantumLog();
    const metadata = new Map<string, unknown>();
    const allOutputs = Object.values(quantum.outputs).flat();
    const readable = [...Object.values(quantum.inputs).flat()];
    const recordMap = new Map<string, StoredFileInfo[]>();
    for (const info of [...quantum.datastoreRecords, ...records]) {
      const list = recordMap.get(info.datasetId);
      if (list === undefined) recordMap.set(info.datasetId, [info]);
      else if (!list.some((x) => x.component === info.component)) list.push(info);
    }
    const qbb = new QuantumBackedButler({
      datastore,
      readable,
      writable: allOutputs,
      records: recordMap,
      what: `${quantum.label} ${quantum.dataId}`,
    });
    let status: 'succeeded' | 'noWork' = 'succeeded';
    let caveat: { code: string; message: string } | null = null;
    let inputsAdjusted: Record<string, DatasetRef[]> = {};
    try {
      await this.#prepareOutputs(path, receipt, allOutputs);
      inputsAdjusted = this.#adjustAtRunTime(task, quantum, qbb);
      const def = this.#env.tasks.get(task.taskName);
      const init = this.#initQuanta.get(quantum.label);
      const initInputs = init === undefined ? {} : await this.#loadInitInputs(init, records);
      const ctx = makeQuantumContext({
        task,
        dataId: quantum.dataId,
        inputs: inputsAdjusted,
        outputs: quantum.outputs,
        initInputs,
        qbb,
        log,
        resources: { cores: options.cores, memoryBytes: options.memoryPerQuantumBytes },
        signal,
        metadata,
      });
      log.info(`running ${quantum.label} ${quantum.dataId}`);
      await def.runQuantum(ctx);
    } catch (err) {
      if (!isNoWorkFound(err)) {
        return this.#fail(path, quantum, task, qbb, log, start, cpuStart, metadata, err);
      }
      status = 'noWork';
      caveat = { code: 'NO_WORK_FOUND', message: (err as Error).message };
      log.info(`no work: ${(err as Error).message}`);
    }

    try {
      const provenance = this.#provenance(quantum, task, status, start, cpuStart, qbb, metadata, caveat);
      const logRef = quantum.outputs._log?.[0];
      const metadataRef = quantum.outputs._metadata?.[0];
      if (logRef !== undefined) await qbb.put(log.records, logRef);
      const finalProvenance = {
        ...provenance,
        end: new Date().toISOString(),
        outputsWritten: [...provenance.outputsWritten, ...(metadataRef ? [metadataRef.id] : [])],
      };
      if (metadataRef !== undefined) await qbb.put(finalProvenance, metadataRef);
      const written = qbb.written();
      await receipts.write(path, {
        kind: 'quantum',
        quantumId: quantum.id,
        label: quantum.label,
        status,
        configHash: task.configHash,
        outputs: written,
        provenance: finalProvenance,
        message: caveat?.message ?? null,
        log: [],
      });
      await receipts.clearStarted(path);
      return {
        ...base,
        status,
        outputs: written,
        code: caveat?.code ?? null,
        message: caveat?.message ?? null,
      };
    } catch (err) {
      return this.#fail(path, quantum, task, qbb, log, start, cpuStart, metadata, err);
    }
  }

  /**
   * Step 1: files at the predicted output paths. Removed when they are orphans of a killed attempt (started marker,
   * no receipt) or when clobbering; else OUTPUT_EXISTS. Then the attempt is marked as started.
   */
  async #prepareOutputs(
    receiptPath: string,
    receipt: QuantumReceipt | null,
    outputs: readonly DatasetRef[],
  ): Promise<void> {
    const { datastore, receipts, options } = this.#env;
    const present: StoredFileInfo[] = [];
    for (const ref of outputs) {
      const info = predictedFileInfo(datastore, ref);
      // A synchronous check: see receipts.ts on why a job avoids thread-pool round trips for small things.
      if (existsSync(datastore.absolutePath(info))) present.push(info);
    }
    if (present.length > 0) {
      const killedAttempt = receipt === null && (await receipts.wasStarted(receiptPath));
      if (!killedAttempt && !options.clobberOutputs) {
        throw meridianError(
          'OUTPUT_EXISTS',
          `${present.length} output file(s) of an earlier attempt exist (${present
            .slice(0, 3)
            .map((p) => p.path)
            .join(', ')}${present.length > 3 ? ', ...' : ''}); pass --clobber-outputs to replace them`,
          { count: present.length },
        );
      }
      for (const info of present) await datastore.removeArtifact(info);
    }
    if (receipt !== null) await receipts.remove(receiptPath);
    await receipts.markStarted(receiptPath);
  }

  /** Step 2: `adjustQuantum` again against what exists. Throws NoWorkFound, or PREREQUISITE_MISSING. */
  #adjustAtRunTime(
    task: ResolvedTask,
    quantum: PredictedQuantum,
    qbb: QuantumBackedButler,
  ): Record<string, DatasetRef[]> {
    const inputs: Record<string, DatasetRef[]> = {};
    for (const [attr, refs] of Object.entries(quantum.inputs)) inputs[attr] = refs.filter((r) => qbb.has(r));
    for (const c of task.connections) {
      if (c.kind !== 'input' && c.kind !== 'prerequisite') continue;
      const have = inputs[c.attr]?.length ?? 0;
      if (have >= c.minimum) continue;
      const message = `${task.label} ${quantum.dataId}: ${have} of the at least ${c.minimum} ${c.datasetType} input(s) exist`;
      if (c.kind === 'prerequisite') {
        throw meridianError('PREREQUISITE_MISSING', message, { datasetType: c.datasetType });
      }
      throw noWorkFound(message);
    }
    const def = this.#env.tasks.get(task.taskName);
    if (def.adjustQuantum !== undefined) {
      const adjustable: AdjustableQuantum = {
        label: task.label,
        dataId: quantum.dataId,
        inputs,
        outputs: quantum.outputs,
      };
      def.adjustQuantum(adjustable, task.config);
    }
    return inputs;
  }

  async #loadInitInputs(
    init: PredictedInitQuantum,
    records: readonly StoredFileInfo[],
  ): Promise<Readonly<Record<string, unknown>>> {
    const cached = this.#initInputs.get(init.label);
    if (cached !== undefined) return cached;
    const refs = Object.values(init.initInputs).flat();
    const recordMap = new Map<string, StoredFileInfo[]>();
    for (const info of [...init.datastoreRecords, ...records]) {
      if (!recordMap.has(info.datasetId)) recordMap.set(info.datasetId, []);
      recordMap.get(info.datasetId)!.push(info);
    }
    const qbb = new QuantumBackedButler({
      datastore: this.#env.datastore,
      readable: refs,
      writable: [],
      records: recordMap,
      what: `${init.label} (init-inputs)`,
    });
    const loaded: Record<string, unknown> = {};
    for (const [attr, attrRefs] of Object.entries(init.initInputs)) {
      const objects = await Promise.all(attrRefs.map((r) => qbb.get(r)));
      loaded[attr] = attrRefs.length === 1 ? objects[0] : objects;
    }
    const frozen = Object.freeze(loaded);
    this.#initInputs.set(init.label, frozen);
    return frozen;
  }

  #provenance(
    quantum: PredictedQuantum,
    task: ResolvedTask,
    status: ProvenanceRecord['status'],
    start: Date,
    cpuStart: NodeJS.CpuUsage,
    qbb: QuantumBackedButler,
    metadata: ReadonlyMap<string, unknown>,
    exit: { code: string; message: string } | null,
  ): ProvenanceRecord {
    const cpu = process.cpuUsage(cpuStart);
    const logRef = quantum.outputs._log?.[0];
    return {
      quantumId: quantum.id,
      label: quantum.label,
      taskName: task.taskName,
      dataId: { ...quantum.dataId.values },
      configHash: task.configHash,
      softwareVersion: SOFTWARE_VERSION,
      host: hostname(),
      pid: process.pid,
      start: start.toISOString(),
      end: new Date().toISOString(),
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      // ru_maxrss is in kilobytes on Linux; it is the process's peak, so it only grows across quanta (as Rubin's).
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      status,
      exit: { code: exit?.code ?? null, signal: null, message: exit?.message ?? null },
      inputsUsed: qbb.used(),
      outputsWritten: [
        ...qbb.written().map((w) => w.datasetId),
        ...(status !== 'failed' && logRef !== undefined ? [logRef.id] : []),
      ],
      metadata: Object.fromEntries(metadata),
    };
  }

  async #fail(
    path: string,
    quantum: PredictedQuantum,
    task: ResolvedTask,
    qbb: QuantumBackedButler,
    log: QuantumLog,
    start: Date,
    cpuStart: NodeJS.CpuUsage,
    metadata: ReadonlyMap<string, unknown>,
    err: unknown,
  ): Promise<QuantumOutcome> {
    const failure = describeError(err);
    log.error(`${failure.code ?? 'ERROR'}: ${failure.message}`);
    const provenance = this.#provenance(quantum, task, 'failed', start, cpuStart, qbb, metadata, {
      code: failure.code ?? 'ERROR',
      message: failure.message,
    });
    // A refusal before the attempt began (OUTPUT_EXISTS) records the files it found, so a report shows them.
    await this.#env.receipts
      .write(path, {
        kind: 'quantum',
        quantumId: quantum.id,
        label: quantum.label,
        status: 'failed',
        configHash: task.configHash,
        outputs: qbb.written(),
        provenance,
        message: failure.message,
        log: log.lines(200),
      })
      .catch(() => {});
    return { quantumId: quantum.id, label: quantum.label, status: 'failed', outputs: [], ...failure };
  }
}

/** An error as a code and a one-line message (no stack: reports and receipts are read by people). */
export function describeError(err: unknown): { code: string | null; message: string } {
  if (isMeridianError(err)) return { code: err.code, message: err.message };
  if (err instanceof Error) return { code: null, message: `${err.name}: ${err.message}` };
  return { code: null, message: String(err) };
}
