/**
 * PostgreSQL workers: one or more servers, chunks spread over them (placement kept by the czar). Each worker has
 * one table per logical table with `chunkId`/`subChunkId`, a q3c index on director positions and indexes on the
 * chunk and key columns; JIT is switched off on every connection (feasibility.md §2: JIT planning cost dominated
 * small distributed queries). Rows are published with `COPY … FROM STDIN` over the worker connection (`copy-rows.ts`),
 * so a worker needs nothing of the czar's disk: it may run on another host.
 */

import type { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { type ErrorCode, meridianError } from '../../../errors.js';
import { postgresDialect } from '../../adql/index.js';
import type { TransactionVisibility } from '../../czar.js';
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
  CHUNK_COLUMN,
  hasOverlap,
  overlapTableName,
  physicalColumnDefinitions,
  TRANSACTION_COLUMN,
} from '../../physical.js';
import type { CatalogSchema, CatalogTable } from '../../schema.js';
import type { UploadedTable } from '../../upload.js';
import { engineAborted } from '../abort.js';
import { engineError, workerName } from '../classify.js';
import {
  type CanonicalSqlFlavour,
  canonicalRowsSql,
  chunkDigestSql,
  parseCanonicalRow,
  parseDigestRow,
} from '../row-digest.js';
import { type CopySource, copyStagedRows } from './copy-rows.js';
import { loadPostgresUploads } from './upload.js';

const { Pool, types } = pg;

/** 64-bit integers as bigint (exact ids), numeric as number, timestamps as text. */
const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (value: string) => BigInt(value);
    if (oid === 1700) return (value: string) => Number(value);
    if (oid === 1114 || oid === 1184) return (value: string) => value;
    return types.getTypeParser(oid, format);
  },
} as unknown as pg.CustomTypesConfig;

function resultDatatype(oid: number): ResultDatatype {
  switch (oid) {
    case 16:
      return 'boolean';
    case 21:
      return 'short';
    case 23:
      return 'int';
    case 20:
      return 'long';
    case 700:
      return 'float';
    case 701:
    case 1700:
      return 'double';
    case 1114:
    case 1184:
      return 'timestamp';
    default:
      return 'string';
  }
}

const id = (name: string) => postgresDialect.regularIdentifier(name);

/**
 * PostgreSQL spellings of the canonical row text (engines/row-digest.ts): `float4send`/`float8send` give the IEEE
 * bits big-endian, read back as an integer through a bit string.
 */
const postgresCanonical: CanonicalSqlFlavour = {
  floatBits: (x, bits) =>
    `CAST(CAST('x' || encode(float${bits / 8}send(${x}), 'hex') AS bit(${bits})) AS ${bits === 32 ? 'integer' : 'bigint'})`,
  // Booleans are stored as smallint 0/1 already.
  booleanAsInteger: (x) => x,
  timestampMicros: (x) => `CAST(extract(epoch FROM ${x}) * 1000000 AS bigint)`,
  md5Prefix64: (text) => `CAST(CAST('x' || substr(md5(${text}), 1, 16) AS bit(64)) AS bigint)`,
  md5Prefix60: (text) => `CAST(CAST('x' || substr(md5(${text}), 1, 15) AS bit(60)) AS bigint)`,
};

/** Rows fetched per round trip when a cursor streams canonical rows: bounds the memory a chunk read takes. */
const CURSOR_FETCH_ROWS = 5000;

/**
 * Cancels the statement running on backend `pid` with `pg_cancel_backend`, over a connection of its own: taking one
 * from the pool could wait behind the very statements being cancelled.
 */
async function cancelBackend(pool: pg.Pool, pid: number): Promise<void> {
  const client = new pg.Client(pool.options);
  try {
    await client.connect();
    await client.query('SELECT pg_cancel_backend($1)', [pid]);
  } catch {
    // Nothing more to do: the statement then runs to its end and its result is dropped.
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Session statements that hide, from one connection, the rows of transactions a reader must not see: a temporary
 * view per physical table, named like it. PostgreSQL looks in the session's temporary schema first for an
 * unqualified name, so the queries compiled for the tables read the views; a view is expanded into the query, so
 * the q3c and B-tree indexes of the table still serve it. Each view was bound to its table when it was created.
 */
export function readerViews(schema: CatalogSchema, visibility: TransactionVisibility): string[] {
  const transaction = id(TRANSACTION_COLUMN);
  const hidden =
    visibility.uncommitted.length > 0
      ? ` AND ${transaction} NOT IN (${visibility.uncommitted.join(', ')})`
      : '';
  return schema.tables.flatMap((table) =>
    (hasOverlap(table) ? [table.name, overlapTableName(table)] : [table.name]).map(
      (name) =>
        `CREATE TEMPORARY VIEW ${id(name)} AS SELECT * FROM ${id(name)} WHERE ${transaction} <= ${visibility.latestCommitted}${hidden}`,
    ),
  );
}

/** Each pooled connection's session set-up (`SET jit`, a reader's views), awaited before the connection is used. */
const sessionSetups = new WeakMap<pg.ClientBase, Promise<void>>();

/** Takes a connection from `pool` once its session is set up; a connection whose set-up failed is dropped. */
async function sessionClient(pool: pg.Pool): Promise<pg.PoolClient> {
  const client = await pool.connect();
  try {
    await sessionSetups.get(client);
  } catch (err) {
    client.release(true);
    throw err;
  }
  return client;
}

export class PostgresEngine implements CatalogEngine {
  readonly dialect = postgresDialect;
  readonly capabilities;
  readonly workerCount: number;

  private constructor(
    private readonly pools: readonly pg.Pool[],
    private readonly czar: DuckDBInstance,
  ) {
    this.workerCount = pools.length;
    this.capabilities = { multipleWorkers: pools.length > 1, spatialIndex: true } as const;
  }

  /**
   * `czar` is the czar store's DuckDB: publishing streams staged rows from it over connections of their own.
   * `reader` (read-only opens) limits every query to the rows of the transactions its czar store counts as
   * committed (`readerViews`), so that a commit another process is loading onto the workers stays invisible.
   */
  static connect(
    urls: readonly string[],
    czar: DuckDBInstance,
    reader?: { readonly schema: CatalogSchema; readonly visibility: TransactionVisibility },
  ): PostgresEngine {
    const session = ['SET jit = off', ...(reader ? readerViews(reader.schema, reader.visibility) : [])];
    const pools = urls.map((connectionString) => {
      const pool = new Pool({ connectionString, max: 4, types: typeParsers });
      pool.on('connect', (client) => {
        // A connection the server drops while it is checked out emits 'error' besides failing its query; the pool
        // listens only while it is idle, and an unheard 'error' would end the process. The failed query reports it.
        client.on('error', () => undefined);
        // Queued before any query of the pool's user (node-pg runs a client's queries in order), and awaited by
        // each user: a reader's query must fail rather than run without its views.
        const setup = client.query(session.join('; ')).then(() => undefined);
        setup.catch(() => undefined);
        sessionSetups.set(client, setup);
      });
      // An idle connection the server dropped (restart, pg_terminate_backend) is removed by the pool, which then
      // emits 'error': without a listener that would end the process. The next query opens a new connection, or
      // fails with CATALOG_WORKER_UNAVAILABLE naming the worker.
      pool.on('error', () => undefined);
      return pool;
    });
    return new PostgresEngine(pools, czar);
  }

  /** Worker `index` as errors name it. */
  private worker(index: number): { index: number; name: string } {
    return { index, name: workerName(this.pools[index]?.options.connectionString) };
  }

  /**
   * Runs `task` on every worker at once and returns when every one has ended, so that a caller cleaning up after a
   * failure (`discard`) never races a worker still committing. Rejects with the first failure; `statementFault` as
   * in `engineError`. A connection whose task failed is dropped, not pooled.
   */
  private async onEveryWorker(
    what: string,
    task: (client: pg.PoolClient, worker: number) => Promise<void>,
    statementFault?: ErrorCode,
  ): Promise<void> {
    let first: unknown = null;
    await Promise.allSettled(
      this.pools.map(async (pool, worker) => {
        try {
          const client = await sessionClient(pool);
          let failed = true;
          try {
            await task(client, worker);
            failed = false;
          } finally {
            client.release(failed);
          }
        } catch (err) {
          first ??= engineError(err, { what, worker: this.worker(worker), statementFault });
        }
      }),
    );
    if (first !== null) throw first;
  }

  async createTables(schema: CatalogSchema): Promise<void> {
    await this.onEveryWorker('creating the tables', async (client) => {
      await client.query('CREATE EXTENSION IF NOT EXISTS q3c');
      for (const table of schema.tables) {
        const columns = physicalColumnDefinitions(table, this.dialect, 'postgres').join(', ');
        const names = hasOverlap(table) ? [table.name, overlapTableName(table)] : [table.name];
        for (const name of names) {
          await client.query(`CREATE TABLE IF NOT EXISTS ${id(name)} (${columns})`);
          await client.query(
            `CREATE INDEX IF NOT EXISTS ${id(`${name}_trans`)} ON ${id(name)} (${id(TRANSACTION_COLUMN)})`,
          );
          const p = table.partitioning;
          if (p.role === 'regular') continue;
          await client.query(
            `CREATE INDEX IF NOT EXISTS ${id(`${name}_chunk`)} ON ${id(name)} (${id(CHUNK_COLUMN)})`,
          );
          await client.query(`CREATE INDEX IF NOT EXISTS ${id(`${name}_key`)} ON ${id(name)} (${id(p.key)})`);
          if (p.role === 'match') {
            await client.query(
              `CREATE INDEX IF NOT EXISTS ${id(`${name}_key2`)} ON ${id(name)} (${id(p.key2)})`,
            );
          }
          if (p.role === 'director') {
            await client.query(
              `CREATE INDEX IF NOT EXISTS ${id(`${name}_q3c`)} ON ${id(name)} (q3c_ang2ipix(${id(p.ra)}, ${id(p.dec)}))`,
            );
          }
        }
      }
    });
  }

  async publish(
    transactionId: number,
    staged: readonly StagedTable[],
    placement: ReadonlyMap<number, number>,
  ): Promise<void> {
    const chunksOf = (worker: number) => [...placement].filter(([, w]) => w === worker).map(([c]) => c);
    // One worker's failure stops the copies still streaming to the others (CopyFail rolls each back); the caller
    // then removes what the workers that finished committed (`discard`).
    const failed = new AbortController();
    await this.onEveryWorker(
      `publishing transaction ${transactionId}`,
      async (client, worker) => {
        let clean = false;
        try {
          await client.query('BEGIN');
          for (const s of staged) {
            const copies: CopySource[] = [
              { source: s.stagingTable, target: s.table, chunks: s.partitioned ? chunksOf(worker) : null },
            ];
            if (s.stagingOverlapTable) {
              copies.push({
                source: s.stagingOverlapTable,
                target: `${s.table}FullOverlap`,
                chunks: chunksOf(worker),
              });
            }
            for (const copy of copies) await copyStagedRows(this.czar, client, copy, failed.signal);
          }
          await client.query('COMMIT');
          clean = true;
          for (const s of staged) await client.query(`ANALYZE ${id(s.table)}`);
        } catch (err) {
          // The first failure is the one reported (Promise.all); the copies it stops fail after it.
          failed.abort(err);
          // After a CopyFail the connection is ready for the ROLLBACK; one the worker dropped fails it, and the
          // worker has rolled back already.
          if (!clean) await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
      },
      'CATALOG_INGEST',
    );
  }

  async discard(transactionId: number, schema: CatalogSchema): Promise<void> {
    await this.onEveryWorker(`removing the rows of transaction ${transactionId}`, async (client) => {
      for (const table of schema.tables) {
        const names = hasOverlap(table) ? [table.name, overlapTableName(table)] : [table.name];
        for (const name of names) {
          await client.query(`DELETE FROM ${id(name)} WHERE ${id(TRANSACTION_COLUMN)} = $1`, [transactionId]);
        }
      }
    });
  }

  async runFragment(
    fragment: Fragment,
    sql: string,
    params: readonly unknown[],
    signal: AbortSignal,
    uploads: readonly UploadedTable[] = [],
  ): Promise<RowStream> {
    const pool = this.pools[fragment.worker];
    if (!pool) throw meridianError('INTERNAL', `no PostgreSQL worker ${fragment.worker}`);
    if (signal.aborted) throw engineAborted(signal);
    const client = await sessionClient(pool).catch((err: unknown) => {
      throw signal.aborted
        ? engineAborted(signal, err)
        : engineError(err, { what: 'the query', worker: this.worker(fragment.worker) });
    });
    if (signal.aborted) {
      client.release();
      throw engineAborted(signal);
    }
    const pid = (client as unknown as { processID: number }).processID;
    let cancelled: Promise<void> | null = null;
    const cancel = () => {
      cancelled = cancelBackend(pool, pid);
    };
    signal.addEventListener('abort', cancel, { once: true });
    // Uploads live in temporary tables dropped at COMMIT; a failure drops the connection (and its session) instead,
    // and so does a worker fault (a connection the worker dropped would fail the next query too).
    let dropConnection = false;
    try {
      if (uploads.length > 0) {
        dropConnection = true;
        await loadPostgresUploads(client, uploads);
      }
      // Without parameters the simple query protocol saves a round of Parse/Bind messages (~0.2 ms a lookup).
      const result = await client.query(
        params.length > 0
          ? { text: sql, values: [...params], rowMode: 'array' }
          : { text: sql, rowMode: 'array' },
      );
      const columns: ResultColumn[] = result.fields.map((f) => ({
        name: f.name,
        datatype: resultDatatype(f.dataTypeID),
      }));
      const rows = result.rows as CellValue[][];
      if (uploads.length > 0) {
        await client.query('COMMIT');
        dropConnection = false;
      }
      async function* batches(): AsyncGenerator<CellValue[][]> {
        if (rows.length > 0) yield rows;
      }
      return { columns, rows: batches() };
    } catch (err) {
      if (signal.aborted) throw engineAborted(signal, err);
      const failure = engineError(err, { what: 'the query', worker: this.worker(fragment.worker) });
      // The server may report the termination before the socket closes: pooled again, the connection would fail
      // the next query (the retry) too.
      if (failure.code === 'CATALOG_WORKER_UNAVAILABLE') dropConnection = true;
      throw failure;
    } finally {
      signal.removeEventListener('abort', cancel);
      if (cancelled) {
        // The cancel request may land after the statement ended: wait for it and drop the connection, so that it
        // can never cancel the next statement run on this backend.
        await (cancelled as Promise<void>);
        client.release(true);
      } else {
        client.release(dropConnection);
      }
    }
  }

  async chunkDigests(
    table: CatalogTable,
    options: { readonly byChunk: boolean; readonly signal: AbortSignal },
  ): Promise<ChunkDigest[]> {
    const sql = chunkDigestSql(table, options.byChunk, postgresCanonical, id);
    // Regular tables are copied to every worker; worker 0's copy stands for them (as in Catalog.scanTable).
    const workers = table.partitioning.role === 'regular' ? 1 : this.pools.length;
    const perWorker = await Promise.all(
      Array.from({ length: workers }, async (_, worker) => {
        const stream = await this.runFragment(
          { kind: 'fragment', worker, chunks: null },
          sql,
          [],
          options.signal,
        );
        const digests: ChunkDigest[] = [];
        for await (const batch of stream.rows)
          for (const row of batch) digests.push(parseDigestRow(worker, row));
        return digests;
      }),
    );
    return perWorker.flat();
  }

  /**
   * Streams through a server-side cursor (runFragment reads a whole result): memory stays at one fetch of rows.
   * An abort cancels the running FETCH; a reader that stops early drops the connection with its transaction.
   */
  async *canonicalRows(
    table: CatalogTable,
    worker: number,
    chunkId: number | null,
    signal: AbortSignal,
  ): AsyncGenerator<readonly CanonicalRow[]> {
    const pool = this.pools[worker];
    if (!pool) throw meridianError('INTERNAL', `no PostgreSQL worker ${worker}`);
    if (signal.aborted) throw engineAborted(signal);
    const client = await sessionClient(pool);
    const pid = (client as unknown as { processID: number }).processID;
    let cancelled: Promise<void> | null = null;
    const cancel = () => {
      cancelled = cancelBackend(pool, pid);
    };
    signal.addEventListener('abort', cancel, { once: true });
    let finished = false;
    try {
      await client.query('BEGIN READ ONLY');
      await client.query(
        `DECLARE meridian_canonical_rows NO SCROLL CURSOR FOR ${canonicalRowsSql(table, chunkId, postgresCanonical, id)}`,
      );
      for (;;) {
        if (signal.aborted) throw engineAborted(signal);
        const result = await client.query({
          text: `FETCH FORWARD ${CURSOR_FETCH_ROWS} FROM meridian_canonical_rows`,
          rowMode: 'array',
        });
        if (result.rows.length === 0) break;
        yield (result.rows as unknown[][]).map(parseCanonicalRow);
      }
      await client.query('COMMIT');
      finished = true;
    } catch (err) {
      throw signal.aborted ? engineAborted(signal, err) : err;
    } finally {
      signal.removeEventListener('abort', cancel);
      if (cancelled) await (cancelled as Promise<void>);
      // Unfinished (failed, cancelled or abandoned by the reader): the connection still holds the transaction.
      client.release(!finished || cancelled !== null);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map((p) => p.end()));
  }
}
