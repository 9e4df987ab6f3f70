/**
 * Publishing staged rows to a PostgreSQL worker over its own connection: `COPY … FROM STDIN` fed from a DuckDB
 * stream of the czar's staging table (pg-copy-streams). Nothing touches a file, so a worker on another host, or one
 * whose server cannot read the czar's disk (or has no right to read server files at all), loads the same rows.
 *
 * DuckDB renders every value as text (`CAST … AS VARCHAR`: shortest round-trip doubles, ISO timestamps; booleans as
 * 0/1, the workers' smallint) and this file only quotes it as CSV: a quoted field is the value, an unquoted empty
 * field is NULL, so empty strings and NULLs stay apart. `pipeline` carries the back-pressure (the DuckDB stream is
 * pulled only as fast as the socket drains) and the abort: a failed or aborted copy sends CopyFail, so the worker
 * rolls the COPY back.
 */

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type DuckDBInstance, DuckDBTypeId } from '@duckdb/node-api';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { postgresDialect } from '../../adql/index.js';
import { quoteDuck } from '../../czar.js';
import { CHUNK_COLUMN } from '../../physical.js';

/** One staging table (or the part of it on one worker) and the worker table it is copied into. */
export interface CopySource {
  /** Staging table in the czar store. */
  readonly source: string;
  /** Physical table on the worker. */
  readonly target: string;
  /** Only the rows of these chunks (a partitioned table's share of one worker); null for every row. */
  readonly chunks: readonly number[] | null;
}

/** A CSV field from DuckDB's text of a value: quoted always, so that only NULL is an unquoted empty field. */
function csvField(text: string | null): string {
  return text === null ? '' : `"${text.replaceAll('"', '""')}"`;
}

async function* csvBatches(
  instance: DuckDBInstance,
  select: string,
  signal: AbortSignal,
): AsyncGenerator<string> {
  // A connection of its own: the czar's connection is inside the commit's transaction, and two streams on one
  // DuckDB connection would cut each other off. Staging tables were committed when their contribution ended.
  const connection = await instance.connect();
  try {
    const result = await connection.stream(select);
    for await (const rows of result.yieldRowsJs()) {
      if (signal.aborted) return;
      let text = '';
      for (const row of rows) text += `${row.map((v) => csvField(v as string | null)).join(',')}\n`;
      yield text;
    }
  } finally {
    connection.closeSync();
  }
}

/**
 * Copies the rows of `copy.source` into `copy.target` through `client` (inside the caller's worker transaction).
 * Rejects with the worker's or DuckDB's error; `signal` (another worker failed) stops the copy and rolls it back.
 * Returns the rows the worker reports copied.
 */
export async function copyStagedRows(
  instance: DuckDBInstance,
  client: pg.PoolClient,
  copy: CopySource,
  signal: AbortSignal,
): Promise<number> {
  const describe = await instance.connect();
  let columns: { name: string; boolean: boolean }[];
  try {
    const reader = await describe.runAndReadAll(`SELECT * FROM ${quoteDuck(copy.source)} LIMIT 0`);
    columns = reader.columnNames().map((name, i) => ({
      name,
      boolean: reader.columnTypeId(i) === DuckDBTypeId.BOOLEAN,
    }));
  } finally {
    describe.closeSync();
  }
  const where =
    copy.chunks === null
      ? ''
      : ` WHERE ${quoteDuck(CHUNK_COLUMN)} IN (${copy.chunks.length > 0 ? copy.chunks.join(', ') : '-1'})`;
  const select = `SELECT ${columns
    .map((c) =>
      c.boolean
        ? `CAST(CAST(${quoteDuck(c.name)} AS INTEGER) AS VARCHAR)`
        : `CAST(${quoteDuck(c.name)} AS VARCHAR)`,
    )
    .join(', ')} FROM ${quoteDuck(copy.source)}${where}`;
  // The worker's names as its tables were created.
  const id = (name: string) => postgresDialect.regularIdentifier(name);
  const target = id(copy.target);
  const list = columns.map((c) => id(c.name)).join(', ');
  const sink = client.query(copyFrom(`COPY ${target} (${list}) FROM STDIN WITH (FORMAT csv)`));
  await pipeline(Readable.from(csvBatches(instance, select, signal)), sink, { signal });
  return sink.rowCount;
}
