/**
 * Worker-thread entry point: renders and writes raws sent by the pool in workers.ts. It must stay tiny and import
 * only plain modules, because it runs from the compiled dist/ tree.
 */

import { parentPort } from 'node:worker_threads';
import { type RawFileTask, writeRaw } from './raw.js';

export interface WorkerRequest {
  readonly id: number;
  readonly task: RawFileTask;
}

export type WorkerResponse =
  | { readonly id: number; readonly ok: true; readonly summary: Awaited<ReturnType<typeof writeRaw>> }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly code?: string };

parentPort?.on('message', (request: WorkerRequest) => {
  writeRaw(request.task).then(
    (summary) => parentPort?.postMessage({ id: request.id, ok: true, summary } satisfies WorkerResponse),
    (err: unknown) => {
      const error = err as { message?: string; code?: string };
      parentPort?.postMessage({
        id: request.id,
        ok: false,
        message: error.message ?? String(err),
        ...(typeof error.code === 'string' ? { code: error.code } : {}),
      } satisfies WorkerResponse);
    },
  );
});
