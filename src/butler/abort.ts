import { meridianError } from '../errors.js';

/**
 * Cancellation of long butler calls. Each call checks its `AbortSignal` before it starts and between batches or
 * rows; a cancelled write throws inside its registry transaction, so the transaction rolls back and the files it
 * placed are removed by the same path as any other failure.
 */

/** ABORTED if `signal` has fired; `what` names the cancelled call for the message ('queryDatasets', 'ingest'). */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted !== true) return;
  throw meridianError(
    'ABORTED',
    `${what} was cancelled by its caller before it finished`,
    { operation: what },
    signal.reason,
  );
}
