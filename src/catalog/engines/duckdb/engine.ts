/**
 * The embedded engine: every chunk in one DuckDB database (the czar's own file), one worker. Each logical table is
 * one physical table with `chunkId`/`subChunkId` columns, filled in (chunkId, subChunkId) order per transaction so
 * DuckDB's zone maps skip row groups of chunks a query does not touch (DESIGN.md: fragments, not chunks).
 */

import type { DuckDBConnection, DuckDBInstance, DuckDBResult, DuckDBType } from '@duckdb/node-api';
import { DuckDBResultReader, DuckDBTypeId } from '@duckdb/node-api';
import { meridianError } from '../../../errors.js';
import { duckdbDialect } from '../../adql/index.js';
import { quoteDuck as q } from '../../czar.js';
import type {
  CanonicalRow,
  CatalogEngine,
  CellValue,
  ChunkDigest,
  Fragment,
  ResultColumn,
  ResultDatatype,
  RowStream,
  StagedTable,
} from '../../engine.js';
import {
  hasOverlap,
  overlapTableName,
  physicalColumnDefinitions,
  TRANSACTION_COLUMN,
} from '../../physical.js';
import type { CatalogSchema, CatalogTable } from '../../schema.js';
import type { UploadedTable } from '../../upload.js';
import { engineAborted } from '../abort.js';
import { engineError } from '../classify.js';
import {
  type CanonicalSqlFlavour,
  canonicalRowsSql,
  chunkDigestSql,
  parseCanonicalRow,
  parseDigestRow,
} from '../row-digest.js';
import { loadDuckdbUploads } from './upload.js';

/** DuckDB spellings of the canonical row text (engines/row-digest.ts): `CAST(x AS BIT)` gives the IEEE bits. */
const duckdbCanonical: CanonicalSqlFlavour = {
  floatBits: (x, bits) => `CAST(CAST(${x} AS BIT) AS ${bits === 32 ? 'INTEGER' : 'BIGINT'})`,
  booleanAsInteger: (x) => `CAST(${x} AS INTEGER)`,
  timestampMicros: (x) => `epoch_us(${x})`,
  md5Prefix64: (text) => `CAST('0x' || substr(md5(${text}), 1, 16) AS UBIGINT)`,
  md5Prefix60: (text) => `CAST('0x' || substr(md5(${text}), 1, 15) AS BIGINT)`,
};

export function duckdbResultDatatype(type: DuckDBType): ResultDatatype {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return 'boolean';
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.UTINYINT:
      return 'short';
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.USMALLINT:
      return 'int';
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UBIGINT:
      return 'long';
    case DuckDBTypeId.FLOAT:
      return 'float';
    case DuckDBTypeId.DOUBLE:
    case DuckDBTypeId.DECIMAL:
      return 'double';
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
    case DuckDBTypeId.DATE:
      return 'timestamp';
    default:
      return 'string';
  }
}

/** DuckDB values as result cells: DECIMAL to number, HUGEINT stays bigint, dates and others as text. */
export function duckdbCell(value: unknown, datatype: ResultDatatype): CellValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'bigint') return datatype === 'double' ? Number(value) : value;
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

/**
 * What becomes of a query's connection when its stream ends: `true` closes it, `false` leaves it to the caller, a
 * function is handed the connection and whether it may run another statement (the result was read to its end, or
 * read whole before the first batch, with no abort or error), so a pool can keep it.
 */
export type ConnectionRelease = boolean | ((connection: DuckDBConnection, reusable: boolean) => void);

/**
 * Streams a DuckDB query as result batches; the connection is released (see ConnectionRelease) when the stream
 * ends or fails. An abort interrupts the running statement (DuckDB stops at its next check, and later chunks are
 * not pulled) and the stream fails with ABORTED.
 */
export async function streamDuckdb(
  connection: DuckDBConnection,
  sql: string,
  params: readonly unknown[],
  signal: AbortSignal,
  closeWhenDone: ConnectionRelease,
  materialize = false,
): Promise<RowStream> {
  const onAbort = () => connection.interrupt();
  signal.addEventListener('abort', onAbort, { once: true });
  let released = false;
  const done = (reusable = false) => {
    if (released) return;
    released = true;
    signal.removeEventListener('abort', onAbort);
    if (typeof closeWhenDone === 'function') closeWhenDone(connection, reusable && !signal.aborted);
    else if (closeWhenDone) connection.closeSync();
  };
  let result: DuckDBResult | DuckDBResultReader;
  try {
    if (signal.aborted) throw engineAborted(signal);
    // Without values DuckDB runs the text directly; with any (even none) the client extracts, prepares, binds and
    // destroys a statement on the main thread: 8% of a TAP server's main thread under load, in the profile.
    const values = params.length > 0 ? (params as never) : undefined;
    result = materialize ? await connection.runAndReadAll(sql, values) : await connection.stream(sql, values);
  } catch (err) {
    done();
    throw signal.aborted ? engineAborted(signal, err) : engineError(err, { what: 'the query' });
  }
  const source = result;
  const columns: ResultColumn[] = source
    .columnNames()
    .map((name, i) => ({ name, datatype: duckdbResultDatatype(source.columnType(i)) }));
  const convert = (batch: readonly (readonly unknown[])[]) =>
    batch.map((row) => row.map((v, i) => duckdbCell(v, columns[i].datatype)));
  async function* rows(): AsyncGenerator<CellValue[][]> {
    // A materialized result holds nothing on the connection; a streamed one does until it is read to its end.
    let reusable = false;
    try {
      if (source instanceof DuckDBResultReader) {
        const all = source.getRowsJS();
        reusable = true;
        if (all.length > 0) yield convert(all);
        return;
      }
      for await (const batch of source.yieldRowsJs()) {
        if (signal.aborted) throw engineAborted(signal);
        yield convert(batch);
      }
      reusable = true;
    } catch (err) {
      reusable = false;
      throw signal.aborted ? engineAborted(signal, err) : engineError(err, { what: 'the query' });
    } finally {
      done(reusable);
    }
  }
  return { columns, rows: rows() };
}

/**
 * Idle query connections kept for reuse. Opening a DuckDB connection cost about 0.6 ms per query in the TAP sync
 * profile (a third of an objectId lookup); this many cover the TAP server's default limit of 64 concurrent
 * queries (an idle connection holds little memory), more are closed.
 */
const IDLE_CONNECTIONS = 64;

export class DuckdbEngine implements CatalogEngine {
  readonly capabilities = { multipleWorkers: false, spatialIndex: false } as const;
  readonly dialect = duckdbDialect;
  readonly workerCount = 1;
  private readonly idle: DuckDBConnection[] = [];
  private closed = false;
  private readonly release = (connection: DuckDBConnection, reusable: boolean) => {
    if (reusable && !this.closed && this.idle.length < IDLE_CONNECTIONS) this.idle.push(connection);
    else connection.closeSync();
  };

  /** `connection` is the czar's: publishing through it joins the czar's commit transaction. */
  constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  async createTables(schema: CatalogSchema): Promise<void> {
    for (const table of schema.tables) {
      const columns = physicalColumnDefinitions(table, this.dialect, 'duckdb').join(', ');
      await this.connection.run(`CREATE TABLE IF NOT EXISTS ${q(table.name)} (${columns})`);
      if (hasOverlap(table)) {
        await this.connection.run(`CREATE TABLE IF NOT EXISTS ${q(overlapTableName(table))} (${columns})`);
      }
    }
  }

  async publish(_transactionId: number, staged: readonly StagedTable[]): Promise<void> {
    // Staged partitioned rows were written ordered by (chunkId, subChunkId) and DuckDB keeps insertion order, so
    // each contribution lands as one run clustered by chunk (what lets zone maps skip the other chunks) without a
    // second sort.
    for (const s of staged) {
      await this.connection.run(`INSERT INTO ${q(s.table)} SELECT * FROM ${q(s.stagingTable)}`);
      if (s.stagingOverlapTable) {
        await this.connection.run(
          `INSERT INTO ${q(`${s.table}FullOverlap`)} SELECT * FROM ${q(s.stagingOverlapTable)}`,
        );
      }
    }
  }

  async discard(transactionId: number, schema: CatalogSchema): Promise<void> {
    // Publishing is atomic with the czar commit here, so only a half-written table from outside a transaction
    // could hold such rows; deleting them keeps the contract anyway.
    for (const table of schema.tables) {
      await this.connection.run(`DELETE FROM ${q(table.name)} WHERE ${q(TRANSACTION_COLUMN)} = ?`, [
        transactionId,
      ]);
      if (hasOverlap(table)) {
        await this.connection.run(
          `DELETE FROM ${q(overlapTableName(table))} WHERE ${q(TRANSACTION_COLUMN)} = ?`,
          [transactionId],
        );
      }
    }
  }

  async runFragment(
    fragment: Fragment,
    sql: string,
    params: readonly unknown[],
    signal: AbortSignal,
    uploads: readonly UploadedTable[] = [],
  ): Promise<RowStream> {
    if (fragment.worker !== 0) {
      throw meridianError('INTERNAL', `the DuckDB engine has one worker, not worker ${fragment.worker}`);
    }
    if (uploads.length > 0) {
      // Temporary tables belong to the connection: a fresh one, closed when the stream ends, so that no uploaded
      // table outlives the query or reaches a later query through the idle connections.
      const connection = await this.instance.connect().catch((err: unknown) => {
        throw engineError(err, { what: 'the query' });
      });
      try {
        await loadDuckdbUploads(connection, uploads, signal);
      } catch (err) {
        connection.closeSync();
        throw signal.aborted
          ? engineAborted(signal, err)
          : engineError(err, { what: 'loading the uploaded tables' });
      }
      return streamDuckdb(connection, sql, params, signal, true, fragment.bounded === true);
    }
    const connection =
      this.idle.pop() ??
      (await this.instance.connect().catch((err: unknown) => {
        throw engineError(err, { what: 'the query' });
      }));
    return streamDuckdb(connection, sql, params, signal, this.release, fragment.bounded === true);
  }

  async chunkDigests(
    table: CatalogTable,
    options: { readonly byChunk: boolean; readonly signal: AbortSignal },
  ): Promise<ChunkDigest[]> {
    const sql = chunkDigestSql(table, options.byChunk, duckdbCanonical, (n) =>
      this.dialect.regularIdentifier(n),
    );
    const stream = await streamDuckdb(await this.instance.connect(), sql, [], options.signal, true, true);
    const digests: ChunkDigest[] = [];
    for await (const batch of stream.rows) for (const row of batch) digests.push(parseDigestRow(0, row));
    return digests;
  }

  async *canonicalRows(
    table: CatalogTable,
    worker: number,
    chunkId: number | null,
    signal: AbortSignal,
  ): AsyncGenerator<readonly CanonicalRow[]> {
    if (worker !== 0)
      throw meridianError('INTERNAL', `the DuckDB engine has one worker, not worker ${worker}`);
    const sql = canonicalRowsSql(table, chunkId, duckdbCanonical, (n) => this.dialect.regularIdentifier(n));
    // Streamed: DuckDB sorts (spilling to disk if it must) and hands over one vector of rows at a time.
    const stream = await streamDuckdb(await this.instance.connect(), sql, [], signal, true);
    for await (const batch of stream.rows) yield batch.map(parseCanonicalRow);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const connection of this.idle.splice(0)) connection.closeSync();
  }
}
