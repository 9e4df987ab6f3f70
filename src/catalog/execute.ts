/**
 * Running a plan: choose fragments, run them in parallel with a bounded pool, merge when there is more than one,
 * and enforce the row limit, timeout and cancellation. Merging runs in an in-process DuckDB over the fragments'
 * rows (DESIGN.md: merge steps apply only when there is more than one fragment).
 */

import { type DuckDBAppender, type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { meridianError } from '../errors.js';
import { duckdbDialect, toSql } from './adql/index.js';
import type {
  CatalogEngine,
  CellValue,
  Fragment,
  ResultColumn,
  ResultDatatype,
  RowStream,
} from './engine.js';
import { engineError } from './engines/classify.js';
import { streamDuckdb } from './engines/duckdb/engine.js';
import { compileFragment, type QueryPlan, splitPlan } from './planner/plan.js';
import { MERGE_TABLE } from './planner/split.js';

export interface QueryLimits {
  /** TAP MAXREC: at most this many rows are returned and `overflow` says whether more existed. */
  readonly maxRows?: number;
  /** Hard limit: a result with more rows fails with QUERY_LIMIT. */
  readonly rowLimit?: number;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Fragments run at the same time (default 4). */
  readonly concurrency?: number;
}

export interface QueryResult {
  readonly columns: readonly ResultColumn[];
  readonly rows: readonly (readonly CellValue[])[];
  readonly overflow: boolean;
  readonly fragments: number;
  readonly chunks: number | null;
}

/** Chunk sets this small give results small enough to read whole (one lookup, a light curve, a small cone). */
const BOUNDED_CHUNKS = 2;

function isBounded(chunks: readonly number[] | null): boolean {
  return chunks !== null && chunks.length <= BOUNDED_CHUNKS;
}

/** Fragments for a plan: per worker, the chunks it holds among those the plan touches. */
export function fragmentsFor(
  plan: QueryPlan,
  placement: ReadonlyMap<number, number>,
  workerCount: number,
  populatedChunks: readonly number[],
  splitInto: number,
): Fragment[] {
  if (!plan.partitioned) return [{ kind: 'fragment', worker: 0, chunks: null }];
  if (workerCount > 1) {
    if (plan.needsAllChunks !== null) {
      throw meridianError(
        'ADQL_UNSUPPORTED',
        `${plan.needsAllChunks} need every chunk on one worker; this catalog spreads chunks over ${workerCount} workers`,
        { reason: plan.needsAllChunks },
      );
    }
    const byWorker = new Map<number, number[]>();
    for (const chunk of plan.chunks ?? populatedChunks) {
      const worker = placement.get(chunk);
      if (worker === undefined) continue;
      byWorker.set(worker, [...(byWorker.get(worker) ?? []), chunk]);
    }
    if (byWorker.size === 0) return [{ kind: 'fragment', worker: 0, chunks: [] }];
    return [...byWorker].map(([worker, chunks]) => ({
      kind: 'fragment',
      worker,
      chunks: plan.chunks === null ? null : chunks,
      bounded: plan.chunks !== null && isBounded(chunks),
    }));
  }
  if (splitInto <= 1 || plan.needsAllChunks !== null || splitPlan(plan).kind === 'unsplittable') {
    return [{ kind: 'fragment', worker: 0, chunks: plan.chunks, bounded: isBounded(plan.chunks) }];
  }
  // One worker asked to split (tests of the merge path): chunk groups round-robin.
  const chunks = plan.chunks ?? populatedChunks;
  const groups: number[][] = Array.from(
    { length: Math.min(splitInto, Math.max(1, chunks.length)) },
    () => [],
  );
  for (const [i, c] of chunks.entries()) groups[i % groups.length].push(c);
  return groups.map((g) => ({ kind: 'fragment', worker: 0, chunks: g }));
}

/** DuckDB types for result columns held by the czar (merge tables, composed parts). */
export const mergeTypes: Readonly<Record<ResultDatatype, string>> = {
  boolean: 'BOOLEAN',
  short: 'SMALLINT',
  int: 'INTEGER',
  long: 'BIGINT',
  float: 'REAL',
  double: 'DOUBLE',
  string: 'VARCHAR',
  timestamp: 'VARCHAR',
};

export function appendCell(appender: DuckDBAppender, value: CellValue, datatype: ResultDatatype): void {
  if (value === null) appender.appendNull();
  else if (datatype === 'boolean') appender.appendBoolean(Boolean(value));
  else if (datatype === 'short') appender.appendSmallInt(Number(value));
  else if (datatype === 'int') appender.appendInteger(Number(value));
  else if (datatype === 'long') appender.appendBigInt(BigInt(value));
  else if (datatype === 'float') appender.appendFloat(Number(value));
  else if (datatype === 'double') appender.appendDouble(Number(value));
  else appender.appendVarchar(String(value));
}

/** Bounded parallel map that stops starting new work once one task fails. */
async function inPool<T>(items: readonly T[], size: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const runner = async () => {
    while (!failed && next < items.length) {
      const item = items[next++];
      try {
        await task(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, runner));
}

export class QueryRunner {
  private mergeInstance: DuckDBInstance | null = null;
  private mergeCounter = 0;

  constructor(private readonly engine: CatalogEngine) {}

  /** A connection to the czar's in-memory DuckDB (merges and composed queries); the caller closes it. */
  async mergeConnection(): Promise<DuckDBConnection> {
    this.mergeInstance ??= await DuckDBInstance.create(':memory:');
    return this.mergeInstance.connect();
  }

  /** Streams the result of a plan over the given fragments; `signal` interrupts every running fragment. */
  async stream(
    plan: QueryPlan,
    fragments: readonly Fragment[],
    signal: AbortSignal,
    concurrency: number,
  ): Promise<RowStream> {
    if (fragments.length === 1) {
      const { sql, params } = compileFragment(
        plan,
        plan.tree,
        fragments[0].chunks,
        this.engine.dialect,
        this.engine.workerCount === 1,
      );
      return this.engine.runFragment(fragments[0], sql, params, signal, plan.uploads);
    }
    const split = splitPlan(plan);
    if (split.kind === 'unsplittable') {
      throw meridianError(
        'ADQL_UNSUPPORTED',
        `this query touches ${fragments.length} fragments and cannot be merged: ${split.reason} are not supported across workers`,
        { reason: split.reason },
      );
    }
    const connection = await this.mergeConnection();
    const table = `${MERGE_TABLE}_${++this.mergeCounter}`;
    let columns: readonly ResultColumn[] | null = null;
    let appender: DuckDBAppender | null = null;
    let tableReady: Promise<void> | null = null;
    try {
      await inPool(fragments, concurrency, async (fragment) => {
        const { sql, params } = compileFragment(
          plan,
          split.worker,
          fragment.chunks,
          this.engine.dialect,
          this.engine.workerCount === 1,
        );
        const part = await this.engine.runFragment(fragment, sql, params, signal, plan.uploads);
        // The first fragment to answer fixes the column types and creates the merge table; the others wait.
        tableReady ??= (async () => {
          columns = part.columns;
          const defs = part.columns.map((c, i) => `c${i} ${mergeTypes[c.datatype]}`).join(', ');
          await connection.run(`CREATE TABLE ${table} (${defs})`);
          appender = await connection.createAppender(table);
        })();
        await tableReady;
        const types = (columns as readonly ResultColumn[]).map((c) => c.datatype);
        for await (const batch of part.rows) {
          for (const row of batch) {
            for (let i = 0; i < row.length; i++) appendCell(appender as DuckDBAppender, row[i], types[i]);
            (appender as DuckDBAppender).endRow();
          }
        }
      });
      (appender as DuckDBAppender | null)?.closeSync();
      appender = null;
      const { sql, params } = toSql(split.merge, duckdbDialect, { tableName: () => table });
      return await streamDuckdb(connection, sql, params, signal, false).then((s) => ({
        columns: s.columns,
        rows: dropAfter(s.rows, async () => {
          await connection.run(`DROP TABLE IF EXISTS ${table}`);
          connection.closeSync();
        }),
      }));
    } catch (err) {
      (appender as DuckDBAppender | null)?.closeSync();
      await connection.run(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      connection.closeSync();
      throw err;
    }
  }

  async run(plan: QueryPlan, fragments: readonly Fragment[], limits: QueryLimits): Promise<QueryResult> {
    return this.collect((signal) => this.stream(plan, fragments, signal, limits.concurrency ?? 4), limits, {
      fragments: fragments.length,
      chunks: plan.chunks === null ? null : plan.chunks.length,
    });
  }

  /** Reads a result whole under the row limits, timeout and cancellation of `limits`. */
  async collect(
    open: (signal: AbortSignal) => Promise<RowStream>,
    limits: QueryLimits,
    shape: { readonly fragments: number; readonly chunks: number | null },
  ): Promise<QueryResult> {
    const controller = new AbortController();
    let reason: 'timeout' | 'cancel' | null = null;
    const onCancel = () => {
      reason ??= 'cancel';
      controller.abort();
    };
    if (limits.signal?.aborted) onCancel();
    limits.signal?.addEventListener('abort', onCancel, { once: true });
    const timer =
      limits.timeoutMs === undefined
        ? null
        : setTimeout(() => {
            reason ??= 'timeout';
            controller.abort();
          }, limits.timeoutMs);
    const rows: CellValue[][] = [];
    let overflow = false;
    try {
      if (controller.signal.aborted) throw new Error('cancelled before start');
      const stream = await open(controller.signal);
      const iterator = stream.rows[Symbol.asyncIterator]();
      try {
        for (;;) {
          const next = await iterator.next();
          if (next.done) break;
          for (const row of next.value) {
            if (limits.rowLimit !== undefined && rows.length >= limits.rowLimit) {
              throw meridianError('QUERY_LIMIT', `the result has more than ${limits.rowLimit} rows`, {
                rowLimit: limits.rowLimit,
              });
            }
            if (limits.maxRows !== undefined && rows.length >= limits.maxRows) {
              overflow = true;
              break;
            }
            rows.push(row);
          }
          if (overflow) break;
          if (controller.signal.aborted) throw new Error('aborted');
        }
      } finally {
        await iterator.return?.();
      }
      return {
        columns: stream.columns,
        rows,
        overflow,
        fragments: shape.fragments,
        chunks: shape.chunks,
      };
    } catch (err) {
      if (reason === 'timeout') {
        throw meridianError(
          'QUERY_TIMEOUT',
          `the query ran longer than ${limits.timeoutMs} ms and was cancelled`,
          {
            timeoutMs: limits.timeoutMs,
          },
        );
      }
      if (reason === 'cancel') throw meridianError('QUERY_CANCELLED', 'the query was cancelled');
      // Engines classify their own failures; a merge step's DuckDB failure is classified here.
      throw engineError(err, { what: 'the query' });
    } finally {
      if (timer) clearTimeout(timer);
      limits.signal?.removeEventListener('abort', onCancel);
    }
  }

  close(): void {
    this.mergeInstance?.closeSync();
    this.mergeInstance = null;
  }
}

async function* dropAfter<T>(rows: AsyncIterable<T>, cleanup: () => Promise<void>): AsyncGenerator<T> {
  try {
    yield* rows;
  } finally {
    await cleanup();
  }
}
