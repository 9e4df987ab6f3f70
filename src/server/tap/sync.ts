/**
 * TAP-sync (TAP 1.1 §2.2.1): run the query and stream its rows in the chosen format as the catalog reads them.
 *
 * Order of events, and why:
 * 1. parameters and format are checked, then the catalog parses, plans and opens the query, and the first batch is
 *    read, all before a byte is sent: every user error (syntax, unknown table, bad MAXREC) still gets its 4xx
 *    status and a VOTable error document;
 * 2. one more batch is read ahead: when the result ends there (cone searches, lookups: most sync queries) or passes
 *    MAXREC, the whole document is sent as one string with a Content-Length, without a stream and the turns of the
 *    event loop each streamed chunk costs (measured: docs/benchmarks.md, "TAP server"); a failure met in that
 *    read-ahead is reported in-band after the first batch, as if met while streaming;
 * 3. otherwise rows are written batch by batch with backpressure (a slow client slows the read, memory stays
 *    bounded);
 * 4. at MAXREC the query is stopped and QUERY_STATUS=OVERFLOW follows the table;
 * 5. a closed client connection, the sync timeout or server shutdown aborts the query's signal: engine statements
 *    are interrupted and connections released.
 */

import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type CellValue, parseAdql, type QueryUpload, type RowStream } from '../../catalog/index.js';
import { isMeridianError, meridianError } from '../../errors.js';
import { publicError } from '../http-errors.js';
import type { TapContext } from './context.js';
import { resultFormatFor } from './formats.js';
import { syncQueryParameters } from './params.js';
import { resultShape } from './result-fields.js';
import { chunkPieces, type ResultChunk } from './writers/result-writer.js';

type Batch = readonly CellValue[][];

const QUERY_DONE = new Error('sync query stopped: done');

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
    // Every query ends with a 'done' abort (it releases whatever still listens); an Error made for each one was
    // 1.6% of the server's main thread under load (its stack trace), so that one reason is made once.
    controller.abort(reason === 'done' ? QUERY_DONE : new Error(`sync query stopped: ${reason}`));
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
  // Batches read before the response starts; `ended` once the stream has none left.
  const readAhead: Batch[] = [];
  let ended = maxrec === 0;
  let readAheadError: unknown = null;
  let tree: ReturnType<typeof parseAdql>;
  try {
    // Parsed here once: the catalog plans this tree and the result fields come from its tables.
    tree = parseAdql(query);
    stream = await context.catalog.stream(tree, { signal: controller.signal, uploads });
    iterator = stream.rows[Symbol.asyncIterator]();
    if (!ended) {
      const first = await iterator.next();
      if (first.done) ended = true;
      else readAhead.push(first.value);
    }
  } catch (err) {
    await finish();
    throw failure(err);
  }
  const rowsIterator = iterator;
  if (!ended && readAhead[0]!.length <= maxrec) {
    try {
      const next = await rowsIterator.next();
      if (next.done) ended = true;
      else readAhead.push(next.value);
    } catch (err) {
      readAheadError = err;
    }
  }
  const { fields, normalize } = resultShape(
    stream.columns,
    context.publishedColumns,
    context.publishedColumns.tablesOf(tree),
  );
  const writer = format.create(fields);
  const readRows = readAhead.reduce((n, batch) => n + batch.length, 0);
  reply
    .header('content-type', format.mime)
    .header(
      'content-disposition',
      `inline; filename="result.${format.id.startsWith('votable') ? 'xml' : format.id}"`,
    );

  if (readAheadError === null && (ended || readRows > maxrec)) {
    // The whole result (up to MAXREC) is in hand: one document with a Content-Length when the format writes text or
    // bytes; a format that stages its output (Parquet) streams what it made.
    await finish();
    const pieces: ResultChunk[] = [await writer.start()];
    let sent = 0;
    for (const rows of readAhead) {
      normalize?.(rows);
      const room = maxrec - sent;
      pieces.push(await writer.rows(rows.length > room ? rows.slice(0, room) : rows));
      sent += Math.min(room, rows.length);
      if (sent === maxrec) break;
    }
    pieces.push((await writer.end({ overflow: readRows > maxrec })) ?? '');
    if (pieces.every((piece) => typeof piece === 'string' || piece instanceof Uint8Array)) {
      await writer.close?.();
      // A Buffer, not a string: Fastify would append a charset to the format's Content-Type.
      return reply.send(
        Buffer.concat(pieces.map((piece) => (typeof piece === 'string' ? Buffer.from(piece) : piece))),
      );
    }
    const staged = async function* (): AsyncGenerator<string | Uint8Array> {
      try {
        for (const piece of pieces) yield* chunkPieces(piece);
      } finally {
        await writer.close?.();
      }
    };
    return reply.send(Readable.from(staged(), { objectMode: false }));
  }

  const nextBatch = async (): Promise<IteratorResult<Batch>> => {
    const batch = readAhead.shift();
    if (batch !== undefined) return { done: false, value: batch };
    if (readAheadError !== null) throw readAheadError;
    return ended ? { done: true, value: undefined } : rowsIterator.next();
  };

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
      let batch = await nextBatch();
      while (!batch.done) {
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
          let next = await nextBatch();
          while (!next.done && next.value.length === 0) next = await nextBatch();
          overflow = !next.done;
          break;
        }
        batch = await nextBatch();
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

  return reply.send(Readable.from(body(), { objectMode: false }));
}
