/**
 * The worker pool, run from TypeScript sources as Vitest runs them: the task module (tasks.ts) and the worker entry
 * are `.ts` files, so every test here also proves the TypeScript loader.
 */

import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { openWorkerPool, type WorkerPool } from '../../src/pool/index.js';
import type * as Tasks from './tasks.js';

const MODULE = new URL('./tasks.js', import.meta.url);
const pools: WorkerPool<typeof Tasks>[] = [];

function pool(size = 2, extra: { abortGraceMs?: number; maxQueued?: number } = {}): WorkerPool<typeof Tasks> {
  const p = openWorkerPool<typeof Tasks>({ module: MODULE, size, name: 'test-pool', ...extra });
  pools.push(p);
  return p;
}

/** Wait until the pool's threads have started (starting a thread with the TypeScript loader takes a while). */
async function warm(p: WorkerPool<typeof Tasks>): Promise<void> {
  await Promise.all(Array.from({ length: p.size }, () => p.run('spin', 50)));
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.terminate()));
});

describe('WorkerPool', () => {
  it('loads a .ts task module (the missing tasks.js falls back to tasks.ts) and sizes itself by default', async () => {
    await using p = openWorkerPool<typeof Tasks>({ module: MODULE });
    expect(p.moduleUrl.pathname.endsWith('/tasks.ts')).toBe(true);
    expect(p.size).toBe(availableParallelism());
    expect(await p.run('square', 7)).toBe(49);
  });

  it('runs tasks on more than one thread at once', async () => {
    const p = pool(2);
    const threads = await Promise.all([1, 2, 3, 4].map(() => p.run('spin', 300)));
    expect(new Set(threads).size).toBe(2);
    expect(threads).not.toContain(0); // 0 is the main thread
    // Two tasks that each wait for the other to be running can only both succeed in parallel (no timing bound:
    // the wait is long enough for any machine load, and a serial pool would time out and return false).
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const met = await Promise.all(
      [1, 2].map(() => p.run('rendezvous', { counter, expected: 2, timeoutMs: 60_000 })),
    );
    expect(met).toEqual([true, true]);
    expect(p.stats).toEqual({ threads: 2, running: 0, queued: 0 });
  });

  it('returns each result to its own caller, and map keeps input order', async () => {
    const p = pool(3);
    const inputs = Array.from({ length: 20 }, (_, i) => i);
    expect(await p.map('slowSquare', inputs)).toEqual(inputs.map((i) => i * i));
    const single = await Promise.all(inputs.map((i) => p.run('slowSquare', i)));
    expect(single).toEqual(inputs.map((i) => i * i));
  });

  it('transfers typed arrays both ways', async () => {
    const p = pool(1);
    const values = Float64Array.from([1, 2, 3]);
    const out = await p.run('doubled', values);
    expect(out).toBeInstanceOf(Float64Array);
    expect([...out]).toEqual([2, 4, 6]);
    expect(values.byteLength).toBe(24); // copied, not moved
    const moved = Float64Array.from([1, 2]);
    expect(await p.run('byteLength', moved, { transfer: [moved.buffer] })).toBe(16);
    expect(moved.byteLength).toBe(0); // moved to the worker
  });

  it('keeps the code, message and details of a coded task error', async () => {
    const p = pool(1);
    await expect(p.run('failCoded', 'calexp')).rejects.toMatchObject({
      code: 'DATASET_NOT_FOUND',
      message: 'no dataset calexp',
      details: { dataset: 'calexp' },
    });
    await expect(p.run('failPlain', 'gone')).rejects.toMatchObject({
      code: 'TASK_FAILED',
      message: 'task failPlain failed: gone',
      details: { task: 'failPlain', cause: { code: 'ENOENT', message: 'gone' } },
    });
    // The thread survived both errors.
    expect(p.stats.threads).toBe(1);
    expect(await p.run('square', 3)).toBe(9);
  });

  it('rejects an unknown task name with INVALID_ARGUMENT', async () => {
    const p = pool(1);
    // @ts-expect-error: not a task of the module
    await expect(p.run('nope', 1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('fails the task of a crashed thread with WORKER_CRASHED and replaces the thread', async () => {
    const p = pool(1);
    const first = await p.run('threadIdOf', undefined);
    await expect(p.run('crash', 3)).rejects.toMatchObject({
      code: 'WORKER_CRASHED',
      details: { exitCode: 3 },
    });
    await expect(p.run('throwUncaught', 'boom')).rejects.toMatchObject({
      code: 'WORKER_CRASHED',
      message: expect.stringContaining('boom'),
    });
    const replacement = await p.run('threadIdOf', undefined);
    expect(replacement).not.toBe(first);
    expect(await p.run('square', 5)).toBe(25);
  });

  it('cancels queued tasks and stops running ones on abort', async () => {
    const p = pool(1, { abortGraceMs: 200 });
    await warm(p);
    const controller = new AbortController();
    const running = p.run('untilAborted', undefined, { signal: controller.signal });
    const queued = p.run('square', 4, { signal: controller.signal });
    const other = p.run('square', 6);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(p.stats).toMatchObject({ running: 1, queued: 2 });
    controller.abort();
    await expect(running).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(queued).rejects.toMatchObject({ code: 'ABORTED' });
    expect(await other).toBe(36);

    const already = AbortSignal.abort();
    await expect(p.run('square', 1, { signal: already })).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('terminates and replaces a thread whose task ignores the abort', async () => {
    const p = pool(1, { abortGraceMs: 100 });
    const before = await p.run('threadIdOf', undefined);
    const controller = new AbortController();
    const stuck = p.run('spinForever', undefined, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('user pressed stop')), 200);
    await expect(stuck).rejects.toMatchObject({ code: 'ABORTED', cause: { message: 'user pressed stop' } });
    const after = await p.run('threadIdOf', undefined);
    expect(after).not.toBe(before);
  });

  it('close fails queued tasks with POOL_CLOSED, lets running ones finish, then refuses new ones', async () => {
    const p = pool(1);
    await warm(p);
    const running = p.run('spin', 300);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const queued = p.run('square', 2);
    const closing = p.close();
    await expect(queued).rejects.toMatchObject({ code: 'POOL_CLOSED' });
    expect(typeof (await running)).toBe('number');
    await closing;
    expect(p.stats).toEqual({ threads: 0, running: 0, queued: 0 });
    await expect(p.run('square', 2)).rejects.toMatchObject({ code: 'POOL_CLOSED' });
  });

  it('terminate fails running tasks too', async () => {
    const p = pool(1);
    await warm(p);
    const running = p.run('spinForever', undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const outcome = running.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await p.terminate();
    expect(await outcome).toMatchObject({ code: 'POOL_CLOSED' });
  });

  it('waitForRoom applies back-pressure at maxQueued', async () => {
    const p = pool(1, { maxQueued: 2 });
    await warm(p);
    const results = [p.run('spin', 200), p.run('spin', 10), p.run('spin', 10), p.run('spin', 10)];
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(p.stats).toMatchObject({ running: 1, queued: 3 }); // over its limit of 2
    let roomAt = -1;
    await p.waitForRoom().then(() => {
      roomAt = p.stats.queued;
    });
    expect(roomAt).toBeLessThan(2);
    await Promise.all(results);
  });

  it('fails every task when the task module cannot be loaded', async () => {
    const p = openWorkerPool<typeof Tasks>({
      module: new URL('./no-such-tasks.js', import.meta.url),
      size: 2,
    });
    pools.push(p);
    await expect(p.run('square', 1)).rejects.toMatchObject({ code: 'TASK_FAILED' });
    await expect(p.run('square', 2)).rejects.toMatchObject({ code: 'TASK_FAILED' });
  });
});
