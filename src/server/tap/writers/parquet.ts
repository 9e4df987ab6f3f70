/**
 * VOParquet results (IVOA Note "Parquet in the VO", VOParquet 1.0, 2025-01-16): a Parquet file whose file-level
 * key-value metadata carries `IVOA.VOTable-Parquet.version` = "1.0" and `IVOA.VOTable-Parquet.content`, a VOTable
 * document whose first TABLE has the FIELDs of the Parquet columns in order and no DATA. Rubin's TAP service offers
 * it for large results; astropy reads it as `format='parquet.votable'`.
 *
 * Parquet keeps its footer at the end, and our QUERY_STATUS (OK, OVERFLOW, or ERROR for a failure met while rows
 * were read) is known only then, so the rows are staged first: each batch is appended to a private DuckDB whose
 * memory is capped and which spills to a scratch directory, and at the end one `COPY … TO` writes the file (row
 * groups of DuckDB's default 122,880 rows), which is then streamed from disk and removed. Server memory stays
 * bounded whatever the row count; the cost is one pass over the rows on local disk.
 */

import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CellValue } from '../../../catalog/index.js';
import {
  copyToParquet,
  DuckDBSession,
  duckdbIdentifier,
  duckdbStringLiteral,
  type VOTableField,
  votableEnd,
  votableStart,
} from '../../../formats/index.js';
import type { ResultChunk, ResultEnd, ResultWriter, ResultWriterOptions } from './result-writer.js';

/** The two file-level metadata keys of VOParquet 1.0 (exact, case-sensitive). */
export const VOPARQUET_VERSION_KEY = 'IVOA.VOTable-Parquet.version';
export const VOPARQUET_CONTENT_KEY = 'IVOA.VOTable-Parquet.content';
export const VOPARQUET_VERSION = '1.0';

/**
 * DuckDB's memory cap while staging: what the server may spend on one Parquet result before DuckDB spills to the
 * scratch directory. Small, since many results may be written at once.
 */
const STAGING_MEMORY = '96MB';
const STAGED_TABLE = 'result';

const duckdbTypes: Readonly<Record<VOTableField['datatype'], string>> = {
  boolean: 'BOOLEAN',
  short: 'SMALLINT',
  int: 'INTEGER',
  long: 'BIGINT',
  float: 'FLOAT',
  double: 'DOUBLE',
  char: 'VARCHAR',
  unicodeChar: 'VARCHAR',
};

/**
 * The data-less VOTable of the file's metadata: the TAP result document with its DATA element left out, so its FIELDs
 * and INFOs are exactly those of the VOTable formats; QUERY_STATUS OVERFLOW or ERROR follows the TABLE as there.
 */
export function voparquetMetadata(fields: readonly VOTableField[], end: ResultEnd): string {
  const dataStart = '<DATA>\n<TABLEDATA>\n';
  const dataEnd = '</TABLEDATA>\n</DATA>\n';
  const head = votableStart(fields, { serialization: 'TABLEDATA' });
  const tail = votableEnd({ serialization: 'TABLEDATA', overflow: end.overflow, error: end.error });
  if (!head.endsWith(dataStart) || !tail.startsWith(dataEnd)) {
    throw new Error('the VOTable writer changed its DATA elements; update voparquetMetadata');
  }
  return head.slice(0, -dataStart.length) + tail.slice(dataEnd.length);
}

/** Parquet column names: the field names, with a suffix where a name repeats (Parquet needs them distinct). */
function columnNames(fields: readonly VOTableField[]): string[] {
  const seen = new Map<string, number>();
  return fields.map((f) => {
    const key = f.name.toLowerCase();
    const count = (seen.get(key) ?? 0) + 1;
    seen.set(key, count);
    return count === 1 ? f.name : `${f.name}_${count}`;
  });
}

type Appender = Awaited<ReturnType<DuckDBSession['connection']['createAppender']>>;

function appendCell(appender: Appender, datatype: VOTableField['datatype'], value: CellValue): void {
  if (value === null) {
    appender.appendNull();
    return;
  }
  switch (datatype) {
    case 'boolean':
      appender.appendBoolean(
        typeof value === 'boolean' ? value : value !== 0 && value !== 0n && value !== '0',
      );
      return;
    case 'short':
      appender.appendSmallInt(Number(value));
      return;
    case 'int':
      appender.appendInteger(Number(value));
      return;
    case 'long':
      appender.appendBigInt(typeof value === 'bigint' ? value : BigInt(value as number | string));
      return;
    case 'float':
      appender.appendFloat(Number(value));
      return;
    case 'double':
      appender.appendDouble(Number(value));
      return;
    default:
      appender.appendVarchar(String(value));
  }
}

/** Reads a file in chunks, then removes its directory (also when the reader stops early). */
async function* streamAndRemove(path: string, dir: string): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) yield chunk as Uint8Array;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function parquetWriter(
  fields: readonly VOTableField[],
  options: ResultWriterOptions = {},
): ResultWriter {
  let dir: string | null = null;
  let session: DuckDBSession | null = null;
  let appender: Appender | null = null;
  const release = () => {
    try {
      appender?.closeSync();
    } catch {
      // Closing flushes; after a failed append there may be nothing valid left to flush.
    }
    appender = null;
    session?.close();
    session = null;
  };
  return {
    async start(): Promise<ResultChunk> {
      dir = await mkdtemp(join(options.scratchDir ?? tmpdir(), 'voparquet-'));
      session = await DuckDBSession.open({ threads: 1, tempDirectory: join(dir, 'spill') });
      const connection = session.connection;
      await connection.run(`SET memory_limit = ${duckdbStringLiteral(STAGING_MEMORY)}`);
      const names = columnNames(fields);
      const columns = fields.map((f, i) => `${duckdbIdentifier(names[i])} ${duckdbTypes[f.datatype]}`);
      // A result without columns cannot be a Parquet file; it has no rows either, so one placeholder column does.
      await connection.run(
        `CREATE TABLE ${STAGED_TABLE} (${columns.length > 0 ? columns.join(', ') : '"_" BOOLEAN'})`,
      );
      appender = await connection.createAppender(STAGED_TABLE);
      return '';
    },
    rows(batch: readonly (readonly CellValue[])[]): ResultChunk {
      const target = appender as Appender;
      for (const row of batch) {
        for (let i = 0; i < fields.length; i++) appendCell(target, fields[i].datatype, row[i]);
        target.endRow();
      }
      target.flushSync();
      return '';
    },
    async end(end: ResultEnd): Promise<ResultChunk> {
      const scratch = dir as string;
      const path = join(scratch, 'result.parquet');
      try {
        appender?.closeSync();
        appender = null;
        await copyToParquet((session as DuckDBSession).connection, { table: STAGED_TABLE }, path, {
          keyValueMetadata: {
            [VOPARQUET_VERSION_KEY]: VOPARQUET_VERSION,
            [VOPARQUET_CONTENT_KEY]: voparquetMetadata(fields, end),
          },
        });
      } finally {
        release();
      }
      await rm(join(scratch, 'spill'), { recursive: true, force: true });
      // `dir` stays set: `close` removes the file too if the reader never starts or stops early.
      return streamAndRemove(path, scratch);
    },
    async close(): Promise<void> {
      release();
      if (dir !== null) await rm(dir, { recursive: true, force: true });
      dir = null;
    },
  };
}
