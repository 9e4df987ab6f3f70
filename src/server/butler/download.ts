/**
 * Sending a dataset's bytes over HTTP: Content-Type from the file's extension, a strong ETag (datasets are
 * immutable: an id names one file for ever, so id, size and modification time identify the bytes), conditional
 * requests (If-None-Match → 304, If-Range), and one byte range (RFC 9110 §14: 206 with Content-Range, 416 with
 * `Content-Range: bytes * /size` when the range starts past the end). A request for several ranges gets the whole
 * file (200), which RFC 9110 allows and which every client handles.
 */

import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { meridianError } from '../../errors.js';

const CONTENT_TYPES: readonly (readonly [RegExp, string])[] = [
  [/\.(fits|fit|fts)(\.fz|\.gz)?$/i, 'application/fits'],
  [/\.parquet$/i, 'application/vnd.apache.parquet'],
  [/\.json$/i, 'application/json'],
  [/\.ya?ml$/i, 'application/yaml'],
  [/\.xml$/i, 'application/xml'],
  [/\.(txt|log)$/i, 'text/plain; charset=utf-8'],
];

export function contentTypeOf(filename: string): string {
  return CONTENT_TYPES.find(([pattern]) => pattern.test(filename))?.[1] ?? 'application/octet-stream';
}

/** A closed byte interval [start, end] of a file. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * The single range a `Range` header asks for; null for no header, a header that is not one `bytes=` range (then
 * the whole file is sent), or an empty file; 'unsatisfiable' when it starts at or beyond `size`.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | null | 'unsatisfiable' {
  if (header === undefined) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null) return null;
  const [, first, last] = match;
  if (first === '' && last === '') return null;
  if (first === '') {
    // A suffix range: the last N bytes.
    const length = Number(last);
    if (length === 0) return 'unsatisfiable';
    return size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return null; // invalid: ignored, as RFC 9110 says
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}

export interface DownloadSource {
  readonly size: number;
  readonly etag: string;
  readonly contentType: string;
  readonly filename: string;
  /** The bytes [start, end] (inclusive) as a stream or a buffer. */
  body(range: ByteRange | null): NodeJS.ReadableStream | Uint8Array;
}

export function fileSource(
  path: string,
  size: number,
  etag: string,
  filename: string,
  contentType = contentTypeOf(filename),
): DownloadSource {
  return {
    size,
    etag,
    contentType,
    filename,
    body: (range) => createReadStream(path, range === null ? {} : { start: range.start, end: range.end }),
  };
}

export function bytesSource(
  bytes: Uint8Array,
  etag: string,
  filename: string,
  contentType: string,
): DownloadSource {
  return {
    size: bytes.byteLength,
    etag,
    contentType,
    filename,
    body: (range) => (range === null ? bytes : bytes.subarray(range.start, range.end + 1)),
  };
}

/** A name for Content-Disposition: plain ASCII without quotes or separators (our file names are already). */
function safeFilename(name: string): string {
  return name.replace(/[^\w.+-]/g, '_').slice(0, 200) || 'dataset';
}

export function sendDownload(request: FastifyRequest, reply: FastifyReply, source: DownloadSource) {
  reply
    .header('etag', source.etag)
    .header('accept-ranges', 'bytes')
    .header('cache-control', 'private, max-age=3600')
    .header('content-disposition', `attachment; filename="${safeFilename(source.filename)}"`);
  if (etagMatches(request.headers['if-none-match'], source.etag)) {
    return reply.status(304).send();
  }
  const ifRange = request.headers['if-range'];
  const rangeHeader = ifRange === undefined || ifRange === source.etag ? request.headers.range : undefined;
  const range = parseRange(rangeHeader, source.size);
  if (range === 'unsatisfiable') {
    reply.header('content-range', `bytes */${source.size}`);
    throw meridianError(
      'RANGE_NOT_SATISFIABLE',
      `the range ${String(rangeHeader).slice(0, 100)} starts beyond the end of the ${source.size}-byte file`,
      { size: source.size },
    );
  }
  reply.header('content-type', source.contentType);
  // HEAD answers the headers only: opening a file stream that nobody reads would hold a descriptor until GC. An
  // empty stream (not an empty body) keeps Fastify from rewriting Content-Length to 0.
  const head = request.method === 'HEAD';
  const nothing = () => Readable.from([]);
  if (range === null) {
    reply.header('content-length', String(source.size));
    return reply.status(200).send(head ? nothing() : source.body(null));
  }
  reply
    .header('content-range', `bytes ${range.start}-${range.end}/${source.size}`)
    .header('content-length', String(range.end - range.start + 1));
  return reply.status(206).send(head ? nothing() : source.body(range));
}
