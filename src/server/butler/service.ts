/**
 * What the Butler API routes hold: the repository path, a worker pool whose threads each open the repository
 * read-only (registry-tasks.ts), and the API's limits. The pool is the reason a 2-second registry query does not
 * stall TAP requests: the server's own thread only parses, validates and streams.
 */

import { resolve } from 'node:path';
import { z } from 'zod';
import { meridianError } from '../../errors.js';
import { openWorkerPool, type WorkerPool } from '../../pool/index.js';

export const butlerApiOptionsSchema = z
  .object({
    /** Rows a query returns at most; a larger `limit` is cut to it and the answer says `truncated`. */
    maxRows: z.number().int().positive().default(10_000),
    /** Worker threads running registry work (each holds one read-only registry connection). */
    workers: z.number().int().positive().default(2),
  })
  .strict();

export type ButlerApiOptions = z.output<typeof butlerApiOptionsSchema>;
export type ButlerApiOptionsInput = z.input<typeof butlerApiOptionsSchema>;

export type RegistryTasks = typeof import('./registry-tasks.js');

export class ButlerService implements AsyncDisposable {
  readonly repo: string;
  readonly options: ButlerApiOptions;
  readonly pool: WorkerPool<RegistryTasks>;

  constructor(repo: string, options: ButlerApiOptionsInput = {}) {
    const parsed = butlerApiOptionsSchema.safeParse(options);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw meridianError('CONFIG_INVALID', `butler API options: ${issue.path.join('.')}: ${issue.message}`);
    }
    this.repo = resolve(repo);
    this.options = parsed.data;
    this.pool = openWorkerPool<RegistryTasks>({
      module: new URL('./registry-tasks.js', import.meta.url),
      size: this.options.workers,
      name: 'butler-api',
      // Queries check their signal between statements; a thread stuck in one long statement is replaced.
      abortGraceMs: 2000,
    });
  }

  /** Opens the repository in one thread now, so that a bad path fails at startup rather than on the first request. */
  async check(): Promise<void> {
    await this.pool.run('repositoryInfo', { repo: this.repo });
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
