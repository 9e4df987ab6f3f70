/** What every engine throws when the signal of a statement it runs fires (the caller may replace it by its own code). */

import { meridianError } from '../../errors.js';

export function engineAborted(signal: AbortSignal, cause?: unknown): Error {
  return meridianError('ABORTED', 'the catalog query was cancelled', {}, cause ?? signal.reason);
}
