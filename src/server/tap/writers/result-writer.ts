/**
 * One result writer per output format: a query's rows are written as they are read, so a writer turns the field
 * list, each batch of rows and the final status into text, and never holds the whole result. A new format (VOParquet,
 * FITS) is a new writer plus an entry in `formats.ts`.
 */

import type { FileHandle } from 'node:fs/promises';
import type { CellValue } from '../../../catalog/index.js';
import type { VOTableField } from '../../../formats/index.js';

export interface ResultEnd {
  /** MAXREC cut the result (QUERY_STATUS = OVERFLOW). */
  readonly overflow: boolean;
  /** An error met after the first bytes were sent; the writer reports it in-band if its format can. */
  readonly error?: string;
}

/**
 * A piece of a result: text, bytes, or bytes produced as they are sent (a binary format that can only be finished
 * at the end, such as Parquet, streams its file from disk).
 */
export type ResultChunk = string | Uint8Array | AsyncIterable<Uint8Array>;

export interface ResultWriter {
  /** Everything before the first row. */
  start(): ResultChunk | Promise<ResultChunk>;
  /** One batch of rows (may be empty while a writer buffers). */
  rows(batch: readonly (readonly CellValue[])[]): ResultChunk | Promise<ResultChunk>;
  /**
   * Everything after the last row; null when the format cannot carry `end.error`, and the response must then be cut
   * off so that the client sees an incomplete transfer rather than a short but valid-looking file.
   */
  end(end: ResultEnd): ResultChunk | null | Promise<ResultChunk | null>;
  /** Releases what the writer holds (temporary files); called once the result is sent or abandoned. */
  close?(): Promise<void>;
}

export interface ResultWriterOptions {
  /** Where a writer that stages its output may put temporary files (default: the system's temporary directory). */
  readonly scratchDir?: string;
}

/** The pieces of a chunk, for a response stream. */
export async function* chunkPieces(chunk: ResultChunk): AsyncGenerator<string | Uint8Array> {
  if (typeof chunk === 'string' || chunk instanceof Uint8Array) {
    if (chunk.length > 0) yield chunk;
    return;
  }
  yield* chunk;
}

/** Appends a chunk to an open file. */
export async function writeChunk(file: FileHandle, chunk: ResultChunk): Promise<void> {
  for await (const piece of chunkPieces(chunk)) {
    if (typeof piece === 'string') await file.write(piece);
    else await file.write(piece);
  }
}

export interface ResultFormat {
  /** Short name used in docs and logs. */
  readonly id: string;
  /** The Content-Type of the response (TAPRegExt outputFormat mime). */
  readonly mime: string;
  /** Further RESPONSEFORMAT values that select this format (matched case-insensitively). */
  readonly aliases: readonly string[];
  /** TAPRegExt standard output-format id, when there is one. */
  readonly ivoId?: string;
  readonly description: string;
  create(fields: readonly VOTableField[], options?: ResultWriterOptions): ResultWriter;
}
