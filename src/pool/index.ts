/**
 * A bounded pool of worker threads for CPU-bound work, shared by the simulator, the catalog and the pipeline
 * executor. Task modules export plain functions `(input, context) => result`; see docs/pool.md.
 */
export {
  abortedError,
  openWorkerPool,
  type PoolStats,
  type RunOptions,
  WorkerPool,
  type WorkerPoolOptions,
} from './pool.js';
export {
  type TaskContext,
  type TaskFunction,
  type TaskResult,
  type Transferred,
  withTransfer,
} from './protocol.js';
export { existingModuleUrl, needsTypeScript, typeScriptWorkerArgv } from './typescript-loader.js';
