/**
 * What an error looks like to an HTTP client: the status from the code's entry in src/errors.ts, the code, the
 * message and the hint. Errors without a Meridian code are faults: the client gets 500 and the request id, the log
 * gets the error (no stack trace, SQL or path crosses HTTP).
 */

import type { FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, type ErrorCode, isMeridianError } from '../errors.js';
import { writeVOTableError } from '../formats/index.js';

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

/**
 * A route's error as a VOTable error document (TAP 1.1 §4.9, also for UWS resources) with the status of its code:
 * faults are logged as errors, refused requests at info level, and a busy server says when to retry.
 */
export function votableErrorHandler(what: string) {
  return (err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const shown = publicError(err, request.id);
    if (shown.retryAfterSeconds !== undefined) reply.header('retry-after', String(shown.retryAfterSeconds));
    if (shown.status >= 500) request.log.error({ err }, `${what} failed`);
    else request.log.info({ code: shown.code, message: shown.message }, `${what} refused`);
    return reply
      .status(shown.status)
      .header('content-type', 'application/x-votable+xml')
      .send(
        writeVOTableError(shown.message, [
          { name: 'ERROR_CODE', value: shown.code },
          { name: 'HINT', value: shown.hint },
        ]),
      );
  };
}
