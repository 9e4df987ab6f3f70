/**
 * What an error looks like to an HTTP client: the status from the code's entry in src/errors.ts, the code, the
 * message and the hint. Errors without a Meridian code are faults: the client gets 500 and the request id, the log
 * gets the error (no stack trace, SQL or path crosses HTTP).
 */

import { ERROR_CODES, type ErrorCode, isMeridianError } from '../errors.js';

export interface PublicError {
  readonly status: number;
  /** Seconds for a Retry-After header (SERVER_BUSY). */
  readonly retryAfterSeconds?: number;
  readonly code: ErrorCode;
  readonly message: string;
  readonly hint: string;
}

/** Fastify's own request errors (body too large, bad content type, malformed body) carry a 4xx statusCode. */
function clientStatus(err: unknown): number | null {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : null;
}

export function publicError(err: unknown, requestId: string): PublicError {
  if (isMeridianError(err)) {
    const info = ERROR_CODES[err.code];
    const retryAfter = err.details.retryAfterSeconds;
    return {
      status: info.http,
      code: err.code,
      message: err.message,
      hint: info.hint,
      ...(typeof retryAfter === 'number' ? { retryAfterSeconds: retryAfter } : {}),
    };
  }
  const status = clientStatus(err);
  if (status !== null) {
    const message = err instanceof Error ? err.message : 'bad request';
    return {
      status,
      code: 'INVALID_ARGUMENT',
      message:
        status === 415
          ? `${message}: send parameters in the URL query string or as an application/x-www-form-urlencoded body (Content-Type)`
          : message,
      hint: ERROR_CODES.INVALID_ARGUMENT.hint,
    };
  }
  return {
    status: 500,
    code: 'INTERNAL',
    message: `internal error; the server log has the details under request id ${requestId}`,
    hint: ERROR_CODES.INTERNAL.hint,
  };
}
