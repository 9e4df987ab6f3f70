/** A task module for the pool tests: loaded by worker threads from this TypeScript source. */

import { meridianError } from '../../src/errors.js';
import { type TaskContext, withTransfer } from '../../src/pool/index.js';

function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // CPU-bound on purpose: the point is to occupy the thread.
  }
}

export function square(n: number): number {
  return n * n;
}

/** Sleeps a little (longer for small n), so that completion order differs from submission order. */
export async function slowSquare(n: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 5 * (10 - (n % 10))));
  return n * n;
}

export function spin(ms: number, context: TaskContext): number {
  busyWait(ms);
  return context.threadId;
}

/**
 * Meets the other tasks of a rendezvous: counts itself in the shared counter, then waits (up to `timeoutMs`) until
 * `expected` tasks are in at once. Returns whether they all met, which can only happen when they run in parallel.
 */
export function rendezvous(input: { counter: Int32Array; expected: number; timeoutMs: number }): boolean {
  const { counter, expected, timeoutMs } = input;
  Atomics.add(counter, 0, 1);
  Atomics.notify(counter, 0);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = Atomics.load(counter, 0);
    if (seen >= expected) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    Atomics.wait(counter, 0, seen, left);
  }
}

export function threadIdOf(_input: undefined, context: TaskContext): number {
  return context.threadId;
}

export function failCoded(dataset: string): never {
  throw meridianError('DATASET_NOT_FOUND', `no dataset ${dataset}`, { dataset });
}

export function failPlain(message: string): never {
  throw Object.assign(new Error(message), { code: 'ENOENT' });
}

export function crash(exitCode: number): never {
  process.exit(exitCode);
}

export function throwUncaught(message: string): Promise<never> {
  setTimeout(() => {
    throw new Error(message);
  }, 0);
  return new Promise(() => undefined);
}

/** Waits until told to stop, then reports it (a cooperative task). */
export function untilAborted(_input: undefined, context: TaskContext): Promise<string> {
  return new Promise((resolve) => context.signal.addEventListener('abort', () => resolve('stopped')));
}

/** Ignores its signal: only terminating the thread stops it. */
export function spinForever(): never {
  for (;;) busyWait(1000);
}

/** Doubles every value into a new array that is moved, not copied, back to the caller. */
export function doubled(values: Float64Array): ReturnType<typeof withTransfer<Float64Array>> {
  const out = values.map((v) => 2 * v);
  return withTransfer(out, [out.buffer]);
}

export function byteLength(values: Float64Array): number {
  return values.byteLength;
}
