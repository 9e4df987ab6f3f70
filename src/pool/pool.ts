/**
 * A bounded pool of worker threads that run named functions of one task module. Threads start on demand (up to
 * `size`), each runs one task at a time and stays for the next; the queue is first in, first out. A task's input and
 * result cross threads by structured clone, or move without a copy when transferred. Failures keep their shape:
 *
 *   - a task that throws fails only itself, with its own code (see `deserializeError` in protocol.ts);
 *   - a thread that dies fails its running task with WORKER_CRASHED and is replaced for the next task;
 *   - a task module that cannot be loaded fails every task, now and later, because loading again would fail alike;
 *   - an aborted task rejects with ABORTED at once: a queued one is dropped, a running one is told through its
 *     `context.signal` and its thread is terminated (and replaced) if it does not stop within `abortGraceMs`.
 *
 * `close()` (also `await using`) refuses new tasks, fails the queued ones with POOL_CLOSED, lets running ones finish
 * and stops the threads; `terminate()` stops everything at once.
 */

import { availableParallelism } from 'node:os';
import { type TransferListItem, Worker } from 'node:worker_threads';
import { meridianError } from '../errors.js';
import { deserializeError, type FromWorker, type TaskResult, type ToWorker } from './protocol.js';
import { existingModuleUrl, needsTypeScript, typeScriptWorkerArgv } from './typescript-loader.js';

export interface WorkerPoolOptions {
  /** URL of the task module (e.g. `new URL('./my-tasks.js', import.meta.url)`); a missing `.js` falls back to `.ts`. */
  readonly module: URL | string;
  /** Most threads at once; default `os.availableParallelism()`. */
  readonly size?: number;
  /** Queue length at which `waitForRoom()` starts waiting; default twice the size. */
  readonly maxQueued?: number;
  /** How long an aborted running task may take to stop before its thread is terminated; default 1000 ms. */
  readonly abortGraceMs?: number;
  /** Thread name prefix, shown in debuggers and in error messages. */
  readonly name?: string;
}

export interface RunOptions {
  readonly signal?: AbortSignal;
  /** Buffers in the input to move to the worker instead of copying (they become unusable here). */
  readonly transfer?: readonly TransferListItem[];
}

export interface PoolStats {
  readonly threads: number;
  readonly running: number;
  readonly queued: number;
}

type AnyFunction = (input: any, ...rest: any[]) => unknown;
type TaskName<M> = { [K in keyof M]: M[K] extends AnyFunction ? K : never }[keyof M] & string;
type InputOf<F> = F extends (input: infer I, ...rest: never[]) => unknown ? I : never;
type OutputOf<F> = F extends (...args: never[]) => infer R ? TaskResult<R> : never;

interface Job {
  readonly id: number;
  readonly task: string;
  readonly input: unknown;
  readonly transfer: readonly TransferListItem[];
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly detach: () => void;
}

interface Slot {
  readonly worker: Worker;
  state: 'starting' | 'idle' | 'busy' | 'stopping';
  job?: Job;
  /** Id of a task aborted while running here: the slot stays busy until the worker answers or is terminated. */
  abandonedId?: number;
  graceTimer?: NodeJS.Timeout;
  uncaught?: Error;
}

const ENTRY = new URL('./worker-entry.js', import.meta.url);

export function abortedError(what: string, signal: AbortSignal): Error {
  return meridianError('ABORTED', `${what} was aborted`, {}, signal.reason);
}

export class WorkerPool<M extends object = Record<string, (input: any) => unknown>>
  implements AsyncDisposable
{
  readonly size: number;
  readonly moduleUrl: URL;
  private readonly maxQueued: number;
  private readonly abortGraceMs: number;
  private readonly name: string;
  private readonly entry = existingModuleUrl(ENTRY);
  private readonly queue: Job[] = [];
  private readonly slots = new Set<Slot>();
  private readonly roomWaiters: (() => void)[] = [];
  private nextId = 1;
  private state: 'open' | 'closing' | 'closed' = 'open';
  private closed?: Promise<void>;
  private wakeCloser?: () => void;
  private loadError?: Error;

  constructor(options: WorkerPoolOptions) {
    const size = options.size ?? availableParallelism();
    if (!Number.isInteger(size) || size < 1) {
      throw meridianError('INVALID_ARGUMENT', `pool size must be a positive integer, not ${size}`, { size });
    }
    this.size = size;
    this.maxQueued = Math.max(1, options.maxQueued ?? 2 * size);
    this.abortGraceMs = options.abortGraceMs ?? 1000;
    this.name = options.name ?? 'meridian-pool';
    this.moduleUrl = existingModuleUrl(new URL(options.module));
  }

  /** Run the exported function `task` of the task module on `input` in a worker thread. */
  run<K extends TaskName<M>>(
    task: K,
    input: InputOf<M[K]>,
    options: RunOptions = {},
  ): Promise<OutputOf<M[K]>> {
    return new Promise<unknown>((resolve, reject) => {
      if (this.state !== 'open') {
        reject(
          meridianError('POOL_CLOSED', `the ${this.name} pool is closed; task ${task} was not run`, { task }),
        );
        return;
      }
      if (this.loadError) return reject(this.loadError);
      const { signal } = options;
      if (signal?.aborted) return reject(abortedError(`task ${task}`, signal));
      const onAbort = (): void => this.abort(job, signal!);
      const job: Job = {
        id: this.nextId++,
        task,
        input,
        transfer: options.transfer ?? [],
        resolve,
        reject,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(job);
      this.dispatch();
    }) as Promise<OutputOf<M[K]>>;
  }

  /** Run `task` on every input, waiting for room in the queue between submissions; results in input order. */
  async map<K extends TaskName<M>>(
    task: K,
    inputs: Iterable<InputOf<M[K]>>,
    options: Omit<RunOptions, 'transfer'> = {},
  ): Promise<OutputOf<M[K]>[]> {
    const results: Promise<OutputOf<M[K]>>[] = [];
    for (const input of inputs) {
      await this.waitForRoom();
      const result = this.run(task, input, options);
      // Handled here so that an early failure is not "unhandled" while later inputs are still being submitted.
      result.catch(() => undefined);
      results.push(result);
    }
    return Promise.all(results);
  }

  /** Resolves when the queue is shorter than `maxQueued` (at once if it already is, or if the pool is closing). */
  waitForRoom(): Promise<void> {
    if (this.queue.length < this.maxQueued || this.state !== 'open') return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  get stats(): PoolStats {
    let running = 0;
    for (const slot of this.slots) if (slot.state === 'busy') running++;
    return { threads: this.slots.size, running, queued: this.queue.length };
  }

  /** Refuse new tasks, fail queued ones with POOL_CLOSED, wait for running ones, stop the threads. */
  close(): Promise<void> {
    if (!this.closed) {
      this.state = 'closing';
      this.failQueued(() =>
        meridianError('POOL_CLOSED', `the ${this.name} pool closed before the task started`),
      );
      this.closed = new Promise<void>((resolve) => {
        this.wakeCloser = resolve;
        this.maybeFinishClose();
      }).then(() => this.stopAll());
    }
    return this.closed;
  }

  /** Stop at once: queued and running tasks fail with POOL_CLOSED. */
  async terminate(): Promise<void> {
    this.state = 'closing';
    const closed = () => meridianError('POOL_CLOSED', `the ${this.name} pool was terminated`);
    this.failQueued(closed);
    for (const slot of this.slots) {
      const job = slot.job;
      if (job) this.settle(slot, job, () => job.reject(closed()));
    }
    await this.stopAll();
    this.wakeCloser?.();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) break;
      if (slot.state === 'idle') this.start(slot, this.queue.shift()!);
    }
    let starting = 0;
    for (const slot of this.slots) if (slot.state === 'starting') starting++;
    while (this.queue.length > starting && this.slots.size < this.size && this.state === 'open') {
      this.spawn();
      starting++;
    }
    while (this.roomWaiters.length > 0 && this.queue.length < this.maxQueued) this.roomWaiters.shift()!();
    this.maybeFinishClose();
  }

  private spawn(): void {
    const typescript = needsTypeScript(this.entry) || needsTypeScript(this.moduleUrl);
    const worker = new Worker(this.entry, {
      name: `${this.name}-${this.slots.size + 1}`,
      workerData: { moduleUrl: this.moduleUrl.href },
      ...(typescript ? { execArgv: [...typeScriptWorkerArgv()] } : {}),
    });
    const slot: Slot = { worker, state: 'starting' };
    this.slots.add(slot);
    worker.on('message', (message: FromWorker) => this.received(slot, message));
    worker.on('error', (error) => {
      slot.uncaught = error;
    });
    worker.on('exit', (code) => this.exited(slot, code));
  }

  private start(slot: Slot, job: Job): void {
    slot.state = 'busy';
    slot.job = job;
    slot.worker.ref();
    try {
      const message: ToWorker = { kind: 'run', id: job.id, task: job.task, input: job.input };
      slot.worker.postMessage(message, job.transfer as TransferListItem[]);
    } catch (err) {
      // An input that cannot be cloned (a function, a class with private state) never reaches the worker.
      this.settle(slot, job, () =>
        job.reject(
          meridianError(
            'INVALID_ARGUMENT',
            `the input of task ${job.task} cannot be sent to a worker thread: ${(err as Error).message}`,
            { task: job.task },
            err,
          ),
        ),
      );
      this.becomeIdle(slot);
    }
  }

  private received(slot: Slot, message: FromWorker): void {
    switch (message.kind) {
      case 'ready':
        this.becomeIdle(slot);
        this.dispatch();
        return;
      case 'load-failed':
        this.broken(
          meridianError(
            'TASK_FAILED',
            `cannot load the task module ${this.moduleUrl.href}: ${message.error.message}`,
            { module: this.moduleUrl.href, cause: message.error },
          ),
        );
        return;
      case 'done':
      case 'failed': {
        const job = slot.job;
        if (job && job.id === message.id) {
          if (message.kind === 'done') this.settle(slot, job, () => job.resolve(message.value));
          else this.settle(slot, job, () => job.reject(deserializeError(message.error, job.task)));
        } else if (slot.abandonedId !== message.id) {
          return;
        }
        clearTimeout(slot.graceTimer);
        slot.abandonedId = undefined;
        this.becomeIdle(slot);
        this.dispatch();
        return;
      }
    }
  }

  private abort(job: Job, signal: AbortSignal): void {
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      job.detach();
      job.reject(abortedError(`task ${job.task}`, signal));
      this.dispatch();
      return;
    }
    const slot = [...this.slots].find((s) => s.job === job);
    if (!slot) return;
    this.settle(slot, job, () => job.reject(abortedError(`task ${job.task}`, signal)));
    slot.abandonedId = job.id;
    slot.worker.postMessage({ kind: 'abort', id: job.id } satisfies ToWorker);
    slot.graceTimer = setTimeout(() => this.stop(slot).then(() => this.dispatch()), this.abortGraceMs);
  }

  private exited(slot: Slot, code: number): void {
    const wasStarting = slot.state === 'starting';
    const expected = slot.state === 'stopping';
    clearTimeout(slot.graceTimer);
    this.slots.delete(slot);
    if (expected || this.state === 'closed') {
      this.dispatch();
      return;
    }
    const why = slot.uncaught ? `uncaught ${slot.uncaught.message}` : `exit code ${code}`;
    if (wasStarting) {
      // A thread that dies before loading the task module would die again: stop trying.
      this.broken(
        meridianError('WORKER_CRASHED', `a ${this.name} worker thread died while starting (${why})`, {
          module: this.moduleUrl.href,
          exitCode: code,
        }),
      );
      return;
    }
    const job = slot.job;
    if (job) {
      this.settle(slot, job, () =>
        job.reject(
          meridianError(
            'WORKER_CRASHED',
            `the worker thread running task ${job.task} died (${why})`,
            { task: job.task, exitCode: code },
            slot.uncaught,
          ),
        ),
      );
    }
    this.dispatch();
  }

  /** The task module cannot run: fail everything now and every later task too. */
  private broken(error: Error): void {
    this.loadError = error;
    this.failQueued(() => error);
    for (const slot of this.slots) {
      const job = slot.job;
      if (job) this.settle(slot, job, () => job.reject(error));
    }
    void this.stopAll().then(() => this.maybeFinishClose());
  }

  private settle(slot: Slot, job: Job, outcome: () => void): void {
    job.detach();
    if (slot.job === job) slot.job = undefined;
    outcome();
  }

  private becomeIdle(slot: Slot): void {
    if (slot.state === 'stopping') return;
    slot.state = 'idle';
    // An idle thread must not keep the process alive if its owner forgets to close the pool.
    slot.worker.unref();
  }

  private failQueued(error: () => Error): void {
    for (const job of this.queue.splice(0)) {
      job.detach();
      job.reject(error());
    }
    for (const wake of this.roomWaiters.splice(0)) wake();
  }

  private maybeFinishClose(): void {
    if (this.state !== 'closing' || !this.wakeCloser) return;
    for (const slot of this.slots) if (slot.state === 'busy' || slot.job) return;
    this.wakeCloser();
  }

  private async stop(slot: Slot): Promise<void> {
    slot.state = 'stopping';
    clearTimeout(slot.graceTimer);
    this.slots.delete(slot);
    await slot.worker.terminate();
  }

  private async stopAll(): Promise<void> {
    await Promise.all([...this.slots].map((slot) => this.stop(slot)));
    if (this.state === 'closing' && this.queue.length === 0) this.state = 'closed';
  }
}

/** A pool for the task module `M` (use `typeof import('./my-tasks.js')` to type task names, inputs and results). */
export function openWorkerPool<M extends object = Record<string, (input: any) => unknown>>(
  options: WorkerPoolOptions,
): WorkerPool<M> {
  return new WorkerPool<M>(options);
}
