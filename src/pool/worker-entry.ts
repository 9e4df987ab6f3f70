/**
 * Worker-thread entry point of every pool: import the task module named in `workerData.moduleUrl`, say `ready`, then
 * run one named export per `run` message and answer `done` or `failed`. An `abort` message fires the running task's
 * signal; the pool terminates the thread if the task does not stop soon enough.
 */

import { parentPort, type TransferListItem, threadId, workerData } from 'node:worker_threads';
import {
  type FromWorker,
  isTransferred,
  serializeError,
  type TaskFunction,
  type ToWorker,
} from './protocol.js';

const port = parentPort;
if (!port) throw new Error('worker-entry.ts runs only as a worker thread');
const post = (message: FromWorker, transfer: readonly TransferListItem[] = []): void =>
  port.postMessage(message, transfer as TransferListItem[]);

let taskModule: Record<string, unknown>;
try {
  taskModule = (await import((workerData as { moduleUrl: string }).moduleUrl)) as Record<string, unknown>;
} catch (err) {
  post({ kind: 'load-failed', error: serializeError(err) });
  // Leave the thread idle: the pool terminates it and fails every task (loading again would fail the same way).
  await new Promise(() => undefined);
}

const running = new Map<number, AbortController>();

async function run(id: number, task: string, input: unknown): Promise<void> {
  const controller = new AbortController();
  running.set(id, controller);
  try {
    const fn = taskModule[task];
    if (typeof fn !== 'function') {
      const exported = Object.keys(taskModule).filter((k) => typeof taskModule[k] === 'function');
      throw Object.assign(
        new Error(`the task module exports no function ${task} (it has ${exported.join(', ')})`),
        {
          code: 'INVALID_ARGUMENT',
          details: { task, exported },
        },
      );
    }
    const result = await (fn as TaskFunction)(input, { signal: controller.signal, threadId });
    if (isTransferred(result)) post({ kind: 'done', id, value: result.value }, result.transfer);
    else post({ kind: 'done', id, value: result });
  } catch (err) {
    post({ kind: 'failed', id, error: serializeError(err) });
  } finally {
    running.delete(id);
  }
}

port.on('message', (message: ToWorker) => {
  if (message.kind === 'run') void run(message.id, message.task, message.input);
  else running.get(message.id)?.abort();
});
post({ kind: 'ready' });
