/**
 * TAP-sync (TAP 1.1 §2.2.1): run the query and stream its rows in the chosen format as the catalog reads them.
 *
 * Order of events, and why:
 * 1. parameters and format are checked, then the catalog parses, plans and opens the query, and the first batch is
 *    read, all before a byte is sent: every user error (syntax, unknown table, bad MAXREC) still gets its 4xx
 *    status and a VOTable error document;
 * 2. rows are written batch by batch with backpressure (a slow client slows the read, memory stays bounded);
 * 3. at MAXREC the query is stopped and QUERY_STATUS=OVERFLOW follows the table;
 * 4. a closed client connection, the sync timeout or server shutdown aborts the query's signal: engine statements
 *    are interrupted and connections released.
 */

import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CellValue, QueryUpload, RowStream } from '../../catalog/index.js';
import { isMeridianError, meridianError } from '../../errors.js';
import { publicError } from '../http-errors.js';
import type { TapContext } from './context.js';
import { resultFormatFor } from './formats.js';
import { syncQueryParameters } from './params.js';
import { resultShape } from './result-fields.js';
import { chunkPieces } from './writers/result-writer.js';

type Batch = readonly CellValue[][];

/** What a refused (SERVER_BUSY) client is told to wait, in seconds. */
export const RETRY_AFTER_SECONDS = 5;

export async function runSyncQuery(
  context: TapContext,
  params: ReadonlyMap<string, string>,
  request: FastifyRequest,
  reply: FastifyReply,
  uploads: readonly QueryUpload[] = [],
): Promise<FastifyReply> {
  const { query, responseFormat, maxrec } = syncQueryParameters(params, context.limits);
  const format = resultFormatFor(responseFormat);
  if (context.running.size >= context.limits.maxConcurrentQueries) {
    throw meridianError(
      'SERVER_BUSY',
      `the service is running its limit of ${context.limits.maxConcurrentQueries} queries; retry in a few seconds`,
      { retryAfterSeconds: RETRY_AFTER_SECONDS },
    );
  }

  const controller = new AbortController();
  let stopReason: 'timeout' | 'client' | 'done' | null = null;
  const stop = (reason: 'timeout' | 'client' | 'done') => {
    stopReason ??= reason;
    controller.abort(new Error(`sync query stopped: ${reason}`));
  };
  const onClientClose = () => {
    if (reply.raw.writableFinished) return;
    stop('client');
    // The body may never start (the client left during planning): release the query here too.
    void finish();
  };
  reply.raw.on('close', onClientClose);
  const timer = setTimeout(() => stop('timeout'), context.limits.syncTimeoutSeconds * 1000);
  timer.unref();
  context.running.add(controller);
  let iterator: AsyncIterator<Batch> | null = null;
  let finished = false;
  const finish = async () => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    reply.raw.off('close', onClientClose);
    context.running.delete(controller);
    if (!controller.signal.aborted) stop('done');
    try {
      await iterator?.return?.();
    } catch {
      // The stream already failed or was cancelled; nothing is left to release.
    }
  };
  const failure = (err: unknown) =>
    stopReason === 'timeout' && (isMeridianError(err, 'QUERY_CANCELLED') || isMeridianError(err, 'ABORTED'))
      ? meridianError(
          'QUERY_TIMEOUT',
          `the query ran longer than the sync limit of ${context.limits.syncTimeoutSeconds} s and was cancelled; add a spatial constraint or TOP, or use a smaller MAXREC`,
          { timeoutSeconds: context.limits.syncTimeoutSeconds },
          err,
        )
      : err;

  let stream: RowStream;
  let first: IteratorResult<Batch> | null = null;
  try {
    stream = await context.catalog.stream(query, { signal: controller.signal, uploads });
    iterator = stream.rows[Symbol.asyncIterator]();
    if (maxrec > 0) first = await iterator.next();
  } catch (err) {
    await finish();
    throw failure(err);
  }
  const { fields, normalize } = resultShape(
    stream.columns,
    context.publishedColumns,
    context.publishedColumns.tablesOf(query),
  );
  const writer = format.create(fields);
  const rowsIterator = iterator;

  async function* body(): AsyncGenerator<string | Uint8Array> {
    try {
      yield* written();
    } finally {
      await writer.close?.();
    }
  }

  async function* written(): AsyncGenerator<string | Uint8Array> {
    let sent = 0;
    let overflow = false;
    let error: unknown = null;
    try {
      yield* chunkPieces(await writer.start());
      let batch = first;
      while (batch !== null && !batch.done) {
        const rows = batch.value;
        normalize?.(rows);
        const room = maxrec - sent;
        if (rows.length > room) {
          if (room > 0) yield* chunkPieces(await writer.rows(rows.slice(0, room)));
          sent = maxrec;
          overflow = true;
          break;
        }
        if (rows.length > 0) yield* chunkPieces(await writer.rows(rows));
        sent += rows.length;
        if (sent === maxrec) {
          // Exactly MAXREC rows so far: overflow only if another row exists.
          let next = await rowsIterator.next();
          while (!next.done && next.value.length === 0) next = await rowsIterator.next();
          overflow = !next.done;
          break;
        }
        batch = await rowsIterator.next();
      }
    } catch (err) {
      error = failure(err);
    } finally {
      await finish();
    }
    if (error === null) {
      yield* chunkPieces((await writer.end({ overflow })) ?? '');
      return;
    }
    const shown = publicError(error, request.id);
    if (shown.status >= 500) request.log.error({ err: error }, 'sync query failed while streaming');
    else request.log.info({ code: shown.code }, 'sync query stopped while streaming');
    const tail = await writer.end({ overflow: false, error: shown.message });
    // A format that cannot say "error" in-band must not end like a complete result.
    if (tail === null) throw error;
    yield* chunkPieces(tail);
  }

  return reply
    .header('content-type', format.mime)
    .header(
      'content-disposition',
      `inline; filename="result.${format.id.startsWith('votable') ? 'xml' : format.id}"`,
    )
    .send(Readable.from(body(), { objectMode: false }));
}
