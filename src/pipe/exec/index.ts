/**
 * Execution of quantum graphs (see docs/pipelines.md, "Running pipelines"): the quantum-backed butler, the
 * single-quantum executor with provenance, the multi-process graph executor, the merge into the registry and the
 * report. Jobs never write the registry; `aggregateGraph` does, once, from the receipts the jobs left.
 */
export { type AggregateOptions, type AggregateSummary, aggregateGraph } from './aggregate.js';
export { type LogRecord, makeQuantumContext, QuantumLog } from './context.js';
export {
  type ExecuteGraphOptions,
  type ExecutionProgress,
  executeGraph,
  executionSummaryLine,
  formatDataId,
  type GraphExecutionSummary,
  type QuantumResult,
} from './graph-executor.js';
export { predictedFileInfo, QuantumBackedButler, type QuantumBackedButlerOptions } from './qbb.js';
export {
  isSuccess,
  type QuantumReceipt,
  RECEIPT_FORMAT_VERSION,
  type ReceiptStatus,
  ReceiptStore,
  readReceipt,
  receiptDirectory,
} from './receipts.js';
export { formatReport, type GraphReport, reportGraph, type TaskReport } from './report.js';
export {
  type QuantumExecutionOptions,
  QuantumExecutor,
  type QuantumExecutorEnv,
  type QuantumOutcome,
  SOFTWARE_VERSION,
} from './single-quantum.js';
export { formatBytes } from './worker-process.js';
