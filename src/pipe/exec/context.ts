/**
 * The QuantumContext a task's `runQuantum` receives, implemented over a QuantumBackedButler: inputs loaded as the
 * connections ask (a list for `multiple`, deferred handles for `deferLoad`), outputs put by connection, log lines
 * and metadata collected for the executor to store as `<label>_log` and `<label>_metadata`.
 */
import type { DataCoordinate, DatasetRef } from '../../butler/index.js';
import { meridianError } from '../../errors.js';
import type { ResolvedConnection, ResolvedTask } from '../model.js';
import type { DeferredDatasetHandle, ExecutionResources, QuantumContext, TaskLogger } from '../task.js';
import type { QuantumBackedButler } from './qbb.js';

/** One line of a task's log, as stored in the `<label>_log` dataset. */
export interface LogRecord {
  readonly time: string;
  readonly level: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';
  readonly message: string;
}

/** More lines than this are counted but not kept (a task that logs in a tight loop must not exhaust memory). */
const MAX_LOG_RECORDS = 10_000;

export class QuantumLog implements TaskLogger {
  readonly records: LogRecord[] = [];
  dropped = 0;

  #add(level: LogRecord['level'], message: string): void {
    if (this.records.length >= MAX_LOG_RECORDS) {
      this.dropped++;
      return;
    }
    this.records.push({ time: new Date().toISOString(), level, message: String(message) });
  }
  debug(msg: string): void {
    this.#add('DEBUG', msg);
  }
  info(msg: string): void {
    this.#add('INFO', msg);
  }
  warn(msg: string): void {
    this.#add('WARNING', msg);
  }
  error(msg: string): void {
    this.#add('ERROR', msg);
  }

  lines(last = MAX_LOG_RECORDS): string[] {
    return this.records.slice(-last).map((r) => `${r.time} ${r.level} ${r.message}`);
  }
}

/** The automatic outputs the executor writes itself; a task may not put them. */
export const AUTOMATIC_OUTPUT_ATTRS: ReadonlySet<string> = new Set(['_metadata', '_log']);

export interface ContextParts {
  readonly task: ResolvedTask;
  readonly dataId: DataCoordinate;
  /** Inputs and prerequisites after the run-time adjustment, by attribute. */
  readonly inputs: Readonly<Record<string, readonly DatasetRef[]>>;
  readonly outputs: Readonly<Record<string, readonly DatasetRef[]>>;
  readonly initInputs: Readonly<Record<string, unknown>>;
  readonly qbb: QuantumBackedButler;
  readonly log: QuantumLog;
  readonly resources: ExecutionResources;
  readonly signal: AbortSignal;
  readonly metadata: Map<string, unknown>;
}

export function makeQuantumContext(parts: ContextParts): QuantumContext {
  const { task, qbb } = parts;
  const taskOutputs = Object.fromEntries(
    Object.entries(parts.outputs).filter(([attr]) => !AUTOMATIC_OUTPUT_ATTRS.has(attr)),
  );
  const automaticIds = new Set(
    Object.entries(parts.outputs)
      .filter(([attr]) => AUTOMATIC_OUTPUT_ATTRS.has(attr))
      .flatMap(([, refs]) => refs.map((r) => r.id)),
  );
  const what = `${task.label} ${parts.dataId}`;
  const deferred = <T>(ref: DatasetRef): DeferredDatasetHandle<T> =>
    Object.freeze({
      ref,
      get: (options?: Parameters<QuantumContext['get']>[1]) => qbb.get(ref, options) as Promise<T>,
    });
  const put = async (obj: unknown, ref: DatasetRef): Promise<void> => {
    if (automaticIds.has(ref.id)) {
      throw meridianError(
        'QUANTUM_UNDECLARED_DATASET',
        `${what} tried to write ${ref.datasetType.name}, which the executor writes itself`,
        { id: ref.id },
      );
    }
    await qbb.put(obj, ref);
  };
  const connection = (attr: string, kinds: readonly ResolvedConnection['kind'][]): ResolvedConnection => {
    const c = task.connections.find((x) => x.attr === attr && kinds.includes(x.kind));
    if (c === undefined || AUTOMATIC_OUTPUT_ATTRS.has(attr)) {
      throw meridianError(
        'QUANTUM_UNDECLARED_DATASET',
        `${what}: '${attr}' is not an ${kinds.join(' or ')} connection of ${task.taskName}`,
        { attr },
      );
    }
    return c;
  };
  return Object.freeze({
    label: task.label,
    config: task.config as Record<string, unknown>,
    dataId: parts.dataId,
    inputRefs: parts.inputs,
    outputRefs: taskOutputs,
    initInputs: parts.initInputs,
    log: parts.log,
    resources: parts.resources,
    signal: parts.signal,
    get: <T>(ref: DatasetRef, options?: Parameters<QuantumContext['get']>[1]) =>
      qbb.get(ref, options) as Promise<T>,
    getDeferred: deferred,
    put,
    async getInputs(): Promise<Record<string, unknown>> {
      const out: Record<string, unknown> = {};
      for (const c of task.connections) {
        if (c.kind !== 'input' && c.kind !== 'prerequisite') continue;
        const refs = parts.inputs[c.attr] ?? [];
        const load = (ref: DatasetRef): unknown | Promise<unknown> =>
          c.deferLoad ? deferred(ref) : qbb.get(ref);
        if (c.multiple) out[c.attr] = await Promise.all(refs.map(load));
        else out[c.attr] = refs.length === 0 ? null : await load(refs[0]!);
      }
      return out;
    },
    async putOutputs(values: Readonly<Record<string, unknown>>): Promise<void> {
      for (const [attr, value] of Object.entries(values)) {
        const c = connection(attr, ['output']);
        const refs = parts.outputs[attr] ?? [];
        if (c.multiple) {
          if (!Array.isArray(value) || value.length !== refs.length) {
            throw meridianError(
              'INVALID_ARGUMENT',
              `${what}: output '${attr}' is 'multiple' and needs a list of ${refs.length} objects, in outputRefs order`,
              { attr },
            );
          }
          for (let i = 0; i < refs.length; i++) await put(value[i], refs[i]!);
        } else {
          if (refs.length !== 1) {
            throw meridianError('INVALID_ARGUMENT', `${what}: output '${attr}' has no predicted dataset`, {
              attr,
            });
          }
          await put(value, refs[0]!);
        }
      }
    },
    addMetadata(key: string, value: unknown): void {
      parts.metadata.set(key, value);
    },
  });
}
