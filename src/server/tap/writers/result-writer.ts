/**
 * One result writer per output format: a query's rows are written as they are read, so a writer turns the field
 * list, each batch of rows and the final status into text, and never holds the whole result. A new format (VOParquet,
 * FITS) is a new writer plus an entry in `formats.ts`.
 */

import type { CellValue } from '../../../catalog/index.js';
import type { VOTableField } from '../../../formats/index.js';

export interface ResultEnd {
  /** MAXREC cut the result (QUERY_STATUS = OVERFLOW). */
  readonly overflow: boolean;
  /** An error met after the first bytes were sent; the writer reports it in-band if its format can. */
  readonly error?: string;
}

export interface ResultWriter {
  /** Everything before the first row. */
  start(): string;
  /** The text of one batch of rows (may be empty while a writer buffers). */
  rows(batch: readonly (readonly CellValue[])[]): string;
  /**
   * Everything after the last row; null when the format cannot carry `end.error`, and the response must then be cut
   * off so that the client sees an incomplete transfer rather than a short but valid-looking file.
   */
  end(end: ResultEnd): string | null;
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
  create(fields: readonly VOTableField[]): ResultWriter;
}
