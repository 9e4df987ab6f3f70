/**
 * Which failures of an engine are the user's and which are the engine's. A binder or parser error about names and
 * types is the query's fault (ADQL_SEMANTIC); an internal fault or an I/O error is the engine's (CATALOG_ENGINE); a
 * lock or write conflict means "try again" (CATALOG_BUSY); memory, disk and depth limits are RESOURCE_LIMIT; a
 * PostgreSQL worker that cannot be reached or drops its connection is CATALOG_WORKER_UNAVAILABLE, naming it.
 *
 * DuckDB reports its exception type as the prefix of the message ("Binder Error: …"); PostgreSQL reports a SQLSTATE
 * in `code` (class 42 names and syntax, 22 data, 40 and 55 locks, 53 and 54 limits, 08 and 57P connections); node-pg
 * and the socket layer report a dropped or refused connection as a system error code or a "Connection terminated"
 * message. The error built here keeps the engine's error itself as its `cause`.
 */

import { type ErrorCode, isMeridianError, type MeridianError, meridianError } from '../../errors.js';

export type EngineFailureKind =
  | 'query'
  | 'unsupported'
  | 'busy'
  | 'resource'
  | 'unavailable'
  | 'timeout'
  | 'engine';

const kindCodes: Readonly<Record<EngineFailureKind, ErrorCode>> = {
  query: 'ADQL_SEMANTIC',
  unsupported: 'ADQL_UNSUPPORTED',
  busy: 'CATALOG_BUSY',
  resource: 'RESOURCE_LIMIT',
  unavailable: 'CATALOG_WORKER_UNAVAILABLE',
  timeout: 'QUERY_TIMEOUT',
  engine: 'CATALOG_ENGINE',
};

/** DuckDB exception types (the message prefix) that describe a fault of the statement, not of the engine. */
const duckdbStatementFaults = new Set([
  'Parser',
  'Syntax',
  'Binder',
  'Catalog',
  'Conversion',
  'Out of Range',
  'Invalid Input',
  'Mismatch Type',
  'Divide by Zero',
  'Expression',
  'Constraint',
  'Invalid type',
  'Decimal',
  'Parameter Not Resolved',
  'Parameter Not Allowed',
]);

/** Size, depth and space limits, whatever the engine calls them. */
const limitMessage =
  /max(imum)? expression depth|recursion depth|stack depth limit|statement is too (large|complex)|no space left on device|disk is full|could not extend file|out of memory|memory exhausted/i;

const connectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function duckdbKind(message: string): EngineFailureKind | null {
  const match = /^([A-Za-z_ ]+?) Error: /.exec(message);
  if (!match) return null;
  const type = match[1];
  if (type === 'Out of Memory' || limitMessage.test(message)) return 'resource';
  if (/could not set lock|conflicting lock|write-write conflict|conflict on (key|tuple)/i.test(message))
    return 'busy';
  if (type === 'TransactionContext' && /conflict/i.test(message)) return 'busy';
  if (type === 'Not implemented') return 'unsupported';
  if (duckdbStatementFaults.has(type)) return 'query';
  return 'engine';
}

function postgresKind(sqlstate: string, message: string): EngineFailureKind {
  const cls = sqlstate.slice(0, 2);
  if (sqlstate === '53300') return 'busy'; // too_many_connections: the server is full, not gone
  // object_not_in_prerequisite_state, as a database closed to connections (ALLOW_CONNECTIONS false) reports it
  if (sqlstate === '55000' && /not currently accepting connections/i.test(message)) return 'unavailable';
  if (limitMessage.test(message)) return 'resource'; // the parser's "memory exhausted" is class 42
  if (cls === '08' || cls === '28' || sqlstate === '3D000' || /^57P0[1-4]$/.test(sqlstate))
    return 'unavailable';
  if (sqlstate === '40001' || sqlstate === '40P01' || sqlstate === '55P03' || sqlstate === '55006')
    return 'busy';
  if (cls === '53' || cls === '54') return 'resource';
  if (sqlstate === '57014') return /statement timeout/i.test(message) ? 'timeout' : 'engine';
  if (sqlstate === '0A000') return 'unsupported';
  if (sqlstate === '42501') return 'engine'; // insufficient_privilege: the worker's set-up, not the query
  if (cls === '42' || cls === '22' || cls === '21' || cls === '23') return 'query';
  return 'engine';
}

/** What kind of failure an error thrown by DuckDB, node-pg or a PostgreSQL server is. */
export function engineFailureKind(err: unknown): EngineFailureKind {
  const message = messageOf(err);
  const e = err as { code?: unknown; severity?: unknown };
  if (typeof e?.code === 'string') {
    if (connectionCodes.has(e.code)) return 'unavailable';
    if (e.code === 'ENOSPC') return 'resource';
    if (/^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === 'string') return postgresKind(e.code, message);
  }
  if (
    /connection terminated|connection (was )?closed|server closed the connection|client has encountered a connection error/i.test(
      message,
    )
  )
    return 'unavailable';
  return duckdbKind(message) ?? 'engine';
}

export interface EngineErrorContext {
  /** What failed, as the start of the message ("the query", "ingest of x.csv into Object"). */
  readonly what: string;
  /** The PostgreSQL worker the error came from, when there is one: it is named in the message and details. */
  readonly worker?: { readonly index: number; readonly name: string };
  readonly details?: Record<string, unknown>;
  /**
   * The code of a statement fault when the statement is not the user's query: rows a worker refuses while a commit
   * loads them are the input's fault (CATALOG_INGEST), not the ADQL's. Default: ADQL_SEMANTIC / ADQL_UNSUPPORTED.
   */
  readonly statementFault?: ErrorCode;
}

/**
 * Seconds a client should wait before retrying a worker that is unavailable (HTTP 503 Retry-After): about the time
 * a PostgreSQL server takes to restart or a pooled connection to be replaced.
 */
export const WORKER_RETRY_AFTER_SECONDS = 5;

/**
 * A coded error for a failure inside an engine; Meridian errors pass through unchanged. The original error is the
 * `cause`, unwrapped.
 */
export function engineError(err: unknown, context: EngineErrorContext): MeridianError {
  if (isMeridianError(err)) return err;
  const kind = engineFailureKind(err);
  const worker = context.worker;
  const where = worker ? ` on PostgreSQL worker ${worker.index} (${worker.name})` : '';
  const details = {
    ...context.details,
    ...(worker ? { worker: worker.index, workerName: worker.name } : {}),
  };
  const message = messageOf(err);
  const text: Record<EngineFailureKind, string> = {
    query: `${context.what} failed in the engine${where}: ${message}`,
    unsupported: `${context.what} uses something the engine${where} does not support: ${message}`,
    busy: `${context.what} met a lock held by another process or transaction${where}: ${message}`,
    resource: `${context.what} exceeded a resource limit${where}: ${message}`,
    unavailable: `${context.what} failed: PostgreSQL worker ${worker?.index ?? '?'}${worker ? ` (${worker.name})` : ''} is unavailable: ${message}`,
    timeout: `${context.what} ran longer than the statement timeout${where}: ${message}`,
    engine: `${context.what} failed inside the engine${where} (not a fault of the query): ${message}`,
  };
  const code =
    context.statementFault !== undefined && (kind === 'query' || kind === 'unsupported')
      ? context.statementFault
      : kindCodes[kind];
  const retry = kind === 'unavailable' ? { retryAfterSeconds: WORKER_RETRY_AFTER_SECONDS } : {};
  return meridianError(code, text[kind], { ...details, engineFailure: kind, ...retry }, err);
}

/** A worker's name for messages: host, port and database of its URL, never its password. */
export function workerName(url: string | undefined): string {
  if (!url) return 'unknown';
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'unparsable URL';
  }
}
