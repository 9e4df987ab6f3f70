/**
 * Rendering raws on several cores. Worker threads load the compiled `render-worker.js` next to this module; when the
 * code runs from TypeScript sources (tests under Vitest) there is no such file, and rendering happens in the calling
 * thread instead. Both paths run the same `writeRaw`, and every random stream is named by (seed, exposure,
 * detector), so the files are byte-identical whichever path and thread order is used.
 */

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { meridianError } from '../errors.js';
import { type RawFileSummary, type RawFileTask, writeRaw } from './raw.js';
import type { WorkerRequest, WorkerResponse } from './render-worker.js';

export interface RawWriter {
  /** 'threads' when worker threads render, 'in-process' when the calling thread does. */
  readonly mode: 'threads' | 'in-process';
  write(task: RawFileTask): Promise<RawFileSummary>;
  close(): Promise<void>;
}

/** The compiled worker module, if this code runs from compiled JavaScript. */
export function compiledWorkerPath(): string | undefined {
  const url = new URL('./render-worker.js', import.meta.url);
  if (!import.meta.url.endsWith('.js') || url.protocol !== 'file:') return undefined;
  const path = fileURLToPath(url);
  return existsSync(path) ? path : undefined;
}

class InProcessWriter implements RawWriter {
  readonly mode = 'in-process';
  private queue: Promise<unknown> = Promise.resolve();

  /** One raw at a time: rendering is CPU-bound, so interleaving would only add peak memory. */
  write(task: RawFileTask): Promise<RawFileSummary> {
    const next = this.queue.then(() => writeRaw(task));
    this.queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.queue;
  }
}

interface Pending {
  readonly request: WorkerRequest;
  readonly resolve: (summary: RawFileSummary) => void;
  readonly reject: (error: Error) => void;
}

class ThreadPoolWriter implements RawWriter {
  readonly mode = 'threads';
  private readonly idle: Worker[] = [];
  private readonly waiting: Pending[] = [];
  private readonly running = new Map<Worker, Pending>();
  private nextId = 1;
  private closing = false;

  constructor(path: string, size: number) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(path);
      worker.on('message', (response: WorkerResponse) => this.finished(worker, response));
      worker.on('error', (error) => this.failed(worker, error));
      worker.on('exit', (code) => {
        if (!this.closing) this.failed(worker, new Error(`render worker exited with code ${code}`));
      });
      this.idle.push(worker);
    }
  }

  write(task: RawFileTask): Promise<RawFileSummary> {
    return new Promise((resolve, reject) => {
      if (this.idle.length === 0 && this.running.size === 0) {
        reject(meridianError('INTERNAL', 'no render worker left', { path: task.path }));
        return;
      }
      this.waiting.push({ request: { id: this.nextId++, task }, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.waiting.length > 0) {
      const worker = this.idle.pop()!;
      const pending = this.waiting.shift()!;
      this.running.set(worker, pending);
      worker.postMessage(pending.request);
    }
  }

  private finished(worker: Worker, response: WorkerResponse): void {
    const pending = this.running.get(worker);
    this.running.delete(worker);
    this.idle.push(worker);
    if (pending) {
      if (response.ok) pending.resolve(response.summary);
      else {
        pending.reject(
          meridianError('INTERNAL', `rendering ${pending.request.task.path} failed: ${response.message}`, {
            path: pending.request.task.path,
            code: response.code,
          }),
        );
      }
    }
    this.dispatch();
  }

  /**
   * A worker that errs or exits is dropped: it fails its own task and the pool carries on with the others; when none
   * is left, every waiting task fails too (rather than waiting for ever).
   */
  private failed(worker: Worker, error: Error): void {
    const idleIndex = this.idle.indexOf(worker);
    if (idleIndex >= 0) this.idle.splice(idleIndex, 1);
    const pending = this.running.get(worker);
    this.running.delete(worker);
    pending?.reject(
      meridianError(
        'INTERNAL',
        `render worker failed: ${error.message}`,
        { path: pending.request.task.path },
        error,
      ),
    );
    if (this.idle.length === 0 && this.running.size === 0) {
      for (const p of this.waiting.splice(0)) {
        p.reject(meridianError('INTERNAL', `no render worker left: ${error.message}`, {}, error));
      }
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    const workers = [...this.idle, ...this.running.keys()];
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * A writer with `threads` worker threads when the compiled worker exists and more than one thread is asked for;
 * otherwise an in-process writer.
 */
export function openRawWriter(threads: number): RawWriter {
  const path = compiledWorkerPath();
  return path && threads > 1 ? new ThreadPoolWriter(path, threads) : new InProcessWriter();
}
