/**
 * What the pool and its worker threads say to each other, and the two helpers both sides share: marking a result for
 * transfer, and carrying an error across the thread boundary with its code intact. Everything here is plain data so
 * that it survives `postMessage` (structured clone).
 */

import type { TransferListItem } from 'node:worker_threads';
import { ERROR_CODES, type ErrorCode, meridianError } from '../errors.js';

/** What a task function receives besides its input. */
export interface TaskContext {
  /** Fires when the caller aborts this task; a long task should check it between steps and stop early. */
  readonly signal: AbortSignal;
  /** `worker_threads.threadId` of the thread running the task. */
  readonly threadId: number;
}

/** A function a task module exports: input in, result (or its promise) out. */
export type TaskFunction = (input: any, context: TaskContext) => unknown;

const TRANSFER = Symbol.for('meridian.pool.transfer');

/** A result that moves some of its buffers to the calling thread instead of copying them. */
export interface Transferred<T> {
  readonly [TRANSFER]: true;
  readonly value: T;
  readonly transfer: readonly TransferListItem[];
}

/**
 * Return `withTransfer(value, [array.buffer])` from a task to hand the buffers over without a copy (they become
 * unusable in the worker). Only transfer buffers the task created for this result.
 */
export function withTransfer<T>(value: T, transfer: readonly TransferListItem[]): Transferred<T> {
  return { [TRANSFER]: true, value, transfer };
}

export function isTransferred(value: unknown): value is Transferred<unknown> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TRANSFER] === true;
}

/** The value a caller sees for a task that returns `R` (a `Transferred<V>` arrives as `V`). */
export type TaskResult<R> = Awaited<R> extends Transferred<infer V> ? V : Awaited<R>;

export interface SerializedError {
  readonly message: string;
  readonly name: string;
  readonly code?: string;
  readonly details?: Record<string, unknown>;
  readonly stack?: string;
}

export type ToWorker =
  | { readonly kind: 'run'; readonly id: number; readonly task: string; readonly input: unknown }
  | { readonly kind: 'abort'; readonly id: number };

export type FromWorker =
  | { readonly kind: 'ready' }
  | { readonly kind: 'load-failed'; readonly error: SerializedError }
  | { readonly kind: 'done'; readonly id: number; readonly value: unknown }
  | { readonly kind: 'failed'; readonly id: number; readonly error: SerializedError };

/** Reduce any thrown value to plain data; details pass through JSON so that nothing uncloneable is posted. */
export function serializeError(err: unknown): SerializedError {
  if (typeof err !== 'object' || err === null) return { message: String(err), name: 'Error' };
  const e = err as { message?: unknown; name?: unknown; code?: unknown; details?: unknown; stack?: unknown };
  let details: Record<string, unknown> | undefined;
  if (typeof e.details === 'object' && e.details !== null) {
    try {
      details = JSON.parse(JSON.stringify(e.details)) as Record<string, unknown>;
    } catch {
      details = undefined;
    }
  }
  return {
    message: typeof e.message === 'string' ? e.message : String(err),
    name: typeof e.name === 'string' ? e.name : 'Error',
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(details ? { details } : {}),
    ...(typeof e.stack === 'string' ? { stack: e.stack } : {}),
  };
}

/**
 * The error the caller sees: a Meridian-coded error comes back with the same code, message and details; anything
 * else becomes TASK_FAILED with the original message, and its name and code (e.g. ENOENT) in the details.
 */
export function deserializeError(error: SerializedError, task: string): Error {
  if (error.code !== undefined && error.code in ERROR_CODES) {
    const rebuilt = meridianError(error.code as ErrorCode, error.message, error.details ?? {});
    if (error.stack) rebuilt.stack = `${rebuilt.stack}\n    --- in worker thread ---\n${error.stack}`;
    return rebuilt;
  }
  return meridianError('TASK_FAILED', `task ${task} failed: ${error.message}`, {
    task,
    cause: { name: error.name, message: error.message, ...(error.code ? { code: error.code } : {}) },
    ...(error.stack ? { stack: error.stack } : {}),
  });
}
