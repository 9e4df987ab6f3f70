/**
 * The PipelineTask API. A task is a plain definition object (no classes to subclass): its config schema (zod, with
 * defaults), its quantum dimensions, its connections, optional build-time hooks and `runQuantum`. Tasks are found
 * by name in a TaskRegistry; a pipeline file names them and can never load code.
 */
import type { z } from 'zod';
import type { DataCoordinate, DatasetRef } from '../butler/index.js';
import { meridianError } from '../errors.js';
import type { Connections } from './connections.js';

/** A config schema: a zod object whose fields all have defaults, so `{}` parses to the default config. */
export type TaskConfigSchema = z.ZodObject<z.ZodRawShape>;

/** A quantum as a build-time hook sees it: inputs may be dropped; outputs are predicted and read-only. */
export interface AdjustableQuantum {
  readonly label: string;
  readonly dataId: DataCoordinate;
  /** Inputs and prerequisites by connection attribute; a hook may remove refs from these arrays. */
  readonly inputs: Record<string, DatasetRef[]>;
  readonly outputs: Readonly<Record<string, readonly DatasetRef[]>>;
}

/** A handle to an input declared with `deferLoad`: nothing is read until `get()`. */
export interface DeferredDatasetHandle<T = unknown> {
  readonly ref: DatasetRef;
  get(options?: { component?: string; parameters?: Readonly<Record<string, unknown>> }): Promise<T>;
}

export interface TaskLogger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

/** Resources the executor grants a quantum (advisory, as in pipetask's `-n` and `--memory-per-quantum`). */
export interface ExecutionResources {
  readonly cores: number;
  readonly memoryBytes: number | null;
}

/**
 * What `runQuantum` gets: a butler-like handle limited to this quantum. `get`/`put` of a ref that is not one of
 * the quantum's inputs/outputs is an error (QUANTUM_UNDECLARED_DATASET).
 */
export interface QuantumContext<C = Record<string, unknown>> {
  readonly label: string;
  readonly config: C;
  readonly dataId: DataCoordinate;
  /** Input and prerequisite refs by connection attribute. */
  readonly inputRefs: Readonly<Record<string, readonly DatasetRef[]>>;
  /** Predicted output refs (IDs assigned at graph-build time) by connection attribute. */
  readonly outputRefs: Readonly<Record<string, readonly DatasetRef[]>>;
  /** Objects loaded from the task's init-inputs, by connection attribute. */
  readonly initInputs: Readonly<Record<string, unknown>>;
  readonly log: TaskLogger;
  readonly resources: ExecutionResources;
  /** Aborted when the executor times the quantum out or is interrupted. */
  readonly signal: AbortSignal;
  get<T = unknown>(
    ref: DatasetRef,
    options?: { component?: string; parameters?: Readonly<Record<string, unknown>> },
  ): Promise<T>;
  getDeferred<T = unknown>(ref: DatasetRef): DeferredDatasetHandle<T>;
  put(obj: unknown, ref: DatasetRef): Promise<void>;
  /**
   * Every input connection loaded: a single object, a list for `multiple`, deferred handles for `deferLoad`.
   * The usual first line of `runQuantum`.
   */
  getInputs(): Promise<Record<string, unknown>>;
  /** Put every output connection from an object keyed by attribute (a list for `multiple`, in outputRefs order). */
  putOutputs(outputs: Readonly<Record<string, unknown>>): Promise<void>;
  /** Extra key/values for the quantum's metadata record. */
  addMetadata(key: string, value: unknown): void;
}

export interface TaskDefinition<S extends TaskConfigSchema = TaskConfigSchema> {
  /** Registry name, dotted like Rubin's class paths: `meridian.pipe.testing.AddTask`. */
  readonly name: string;
  readonly doc?: string;
  readonly config: S;
  /** Default values of `{template}` placeholders in connection names (overridable as `connections.<template>`). */
  readonly templates?: Readonly<Record<string, string>>;
  /** The quantum dimensions; a function when they depend on the config. */
  readonly dimensions: readonly string[] | ((config: z.output<S>) => readonly string[]);
  /** The connections; a function when config removes or changes some. */
  readonly connections: Connections | ((config: z.output<S>) => Connections);
  /**
   * Build-time (and again at run time, against what exists) per-quantum hook: drop inputs, or throw NoWorkFound
   * (`noWorkFound(...)`) to drop the quantum. Runs after `minimum` has been enforced.
   */
  adjustQuantum?(quantum: AdjustableQuantum, config: z.output<S>): void;
  /** Objects for the init-output connections, written once per task per run (before any quantum). */
  initOutputs?(context: {
    readonly label: string;
    readonly config: z.output<S>;
    readonly initInputs: Readonly<Record<string, unknown>>;
  }): Promise<Readonly<Record<string, unknown>>> | Readonly<Record<string, unknown>>;
  runQuantum(context: QuantumContext<z.output<S>>): Promise<void>;
}

/** Declare a task with its config type inferred from the schema. */
export function defineTask<S extends TaskConfigSchema>(def: TaskDefinition<S>): TaskDefinition<S> {
  return Object.freeze(def);
}

/**
 * Raised by a task (at build time from adjustQuantum, or at run time from runQuantum) when a quantum has nothing to
 * do. It is not a failure: at build time the quantum is dropped; at run time the quantum succeeds with no outputs
 * and its metadata says why.
 */
export function noWorkFound(message: string): Error {
  return meridianError('NO_WORK_FOUND', message);
}

export function isNoWorkFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'NO_WORK_FOUND';
}

/** Task definitions by name. Pipelines name tasks; only registered tasks can be used. */
export class TaskRegistry {
  private readonly byName = new Map<string, TaskDefinition>();

  register(...defs: readonly TaskDefinition<any>[]): this {
    for (const def of defs) {
      const existing = this.byName.get(def.name);
      if (existing !== undefined && existing !== def) {
        throw meridianError('INVALID_ARGUMENT', `two different tasks are registered as ${def.name}`, {
          task: def.name,
        });
      }
      this.byName.set(def.name, def as TaskDefinition);
    }
    return this;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  get(name: string): TaskDefinition {
    const def = this.byName.get(name);
    if (def === undefined) {
      throw meridianError('TASK_NOT_FOUND', `no task is registered as '${name}'`, {
        task: name,
        known: [...this.byName.keys()].sort(),
      });
    }
    return def;
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }
}

/**
 * A module that contributes tasks: it exports `registerTasks(registry)`. Executors in child processes rebuild the
 * registry by importing the same module specifiers, so task code is only ever loaded from modules the operator
 * named on the command line or in code, never from a pipeline file.
 */
export interface TaskModule {
  registerTasks(registry: TaskRegistry): void;
}

export async function loadTaskRegistry(moduleSpecifiers: readonly string[]): Promise<TaskRegistry> {
  const registry = new TaskRegistry();
  for (const spec of moduleSpecifiers) {
    let mod: Partial<TaskModule>;
    try {
      mod = (await import(spec)) as Partial<TaskModule>;
    } catch (err) {
      throw meridianError(
        'TASK_NOT_FOUND',
        `cannot load the task module ${spec}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
        { module: spec },
        err,
      );
    }
    if (typeof mod.registerTasks !== 'function') {
      throw meridianError('TASK_NOT_FOUND', `the module ${spec} does not export registerTasks(registry)`, {
        module: spec,
      });
    }
    mod.registerTasks(registry);
  }
  return registry;
}
