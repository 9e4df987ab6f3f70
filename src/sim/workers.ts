/**
 * Rendering raws on several cores, through the shared worker pool (src/pool), which starts worker threads from
 * compiled JavaScript and from TypeScript sources alike. With one worker the calling thread renders. Both paths run
 * the same `writeRaw`, and every random stream is named by (seed, exposure, detector), so the files are
 * byte-identical whichever path and thread order is used.
 */

import { openWorkerPool, type WorkerPool } from '../pool/index.js';
import { type RawFileSummary, type RawFileTask, writeRaw } from './raw.js';

export interface RawWriter {
  /** 'threads' when worker threads render, 'in-process' when the calling thread does. */
  readonly mode: 'threads' | 'in-process';
  write(task: RawFileTask): Promise<RawFileSummary>;
  /** Resolves when more raws may be submitted without piling up render inputs in memory. */
  waitForRoom(): Promise<void>;
  close(): Promise<void>;
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

  async waitForRoom(): Promise<void> {}

  async close(): Promise<void> {
    await this.queue;
  }
}

class PoolWriter implements RawWriter {
  readonly mode = 'threads';
  private readonly pool: WorkerPool<typeof import('./render-worker.js')>;

  constructor(threads: number) {
    this.pool = openWorkerPool({
      module: new URL('./render-worker.js', import.meta.url),
      size: threads,
      name: 'meridian-render',
    });
  }

  write(task: RawFileTask): Promise<RawFileSummary> {
    return this.pool.run('writeRaw', task);
  }

  waitForRoom(): Promise<void> {
    return this.pool.waitForRoom();
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** A writer with `threads` worker threads when more than one is asked for; otherwise an in-process writer. */
export function openRawWriter(threads: number): RawWriter {
  return threads > 1 ? new PoolWriter(threads) : new InProcessWriter();
}
