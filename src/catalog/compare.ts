/**
 * Consistency across instances (qserv_tap.md §3.3): compare two catalog databases on any engines, at survey scale.
 *
 * 1. Digests, inside the engines: per table, one query per worker computes, per chunk, the row count and an
 *    order-independent digest of the rows (sum mod 2⁶⁴ of a 64-bit hash of each row's canonical text; the text and
 *    the hash are defined once for every engine in engines/row-digest.ts). Nothing but one small row per chunk
 *    reaches this process, so the cost is about one scan of each side and memory does not grow with the catalog.
 * 2. Rows, only where digests differ: both sides stream the chunk's canonical rows ordered by key (the integer key,
 *    or a hash of the key) and are merged; rows missing on one side, keys present a different number of times
 *    (duplicated ingest) and changed values (with their columns) are reported by primary key (the whole row when a
 *    table has none). At most `maxDifferencesPerChunk` are kept per chunk; the rest are counted.
 * When the two databases are partitioned differently, each table is compared as one chunk (−1).
 */

import { isMeridianError, meridianError } from '../errors.js';
import type { Catalog } from './catalog.js';
import type { CanonicalRow, ChunkDigest } from './engine.js';
import type { CatalogTable, ColumnDatatype } from './schema.js';

export type RowDifferenceKind = 'missing-in-a' | 'missing-in-b' | 'count' | 'changed';

export interface RowDifference {
  readonly kind: RowDifferenceKind;
  /** Primary-key values as text (or the whole row's text for tables without a key). */
  readonly key: string;
  readonly countA: number;
  readonly countB: number;
  /** For `changed`: the columns whose values differ. */
  readonly columns: readonly string[];
}

export interface ChunkComparison {
  readonly chunkId: number;
  readonly rowsA: number;
  readonly rowsB: number;
  readonly digestA: string;
  readonly digestB: string;
  /** The first `maxDifferencesPerChunk` differences in key order. */
  readonly differences: readonly RowDifference[];
  /** Differences found beyond `maxDifferencesPerChunk` (counted, not listed). */
  readonly omittedDifferences: number;
}

export interface TableComparison {
  readonly table: string;
  readonly equal: boolean;
  readonly rowsA: number;
  readonly rowsB: number;
  /** Only the chunks that differ. */
  readonly chunks: readonly ChunkComparison[];
}

export interface CatalogComparison {
  readonly kind: 'catalogComparison';
  readonly equal: boolean;
  readonly samePartitioning: boolean;
  readonly tables: readonly TableComparison[];
  /** Tables present in only one of the two schemas. */
  readonly unmatchedTables: readonly string[];
}

/** Where a comparison is: digesting a table, or reading the rows of one of its differing chunks. */
export interface CompareProgress {
  readonly phase: 'digests' | 'rows';
  readonly table: string;
  /** 1-based position of the table among the tables compared. */
  readonly tableIndex: number;
  readonly tableCount: number;
  /** For `rows`: the chunk being read and how many differing chunks the table has. */
  readonly chunkId?: number;
  readonly chunkIndex?: number;
  readonly chunkCount?: number;
}

export interface CompareOptions {
  /** Cancels the comparison (engine statements included) with ABORTED. */
  readonly signal?: AbortSignal;
  /** Differences listed per chunk (10,000 by default); the rest are counted in `omittedDifferences`. */
  readonly maxDifferencesPerChunk?: number;
  /**
   * Differences listed in the whole report (100,000 by default), so that two very different catalogs still give a
   * report of bounded size; beyond it differences are only counted.
   */
  readonly maxDifferences?: number;
  readonly onProgress?: (progress: CompareProgress) => void;
}

const DEFAULT_MAX_DIFFERENCES_PER_CHUNK = 10_000;
const DEFAULT_MAX_DIFFERENCES = 100_000;

/** Per chunk, the workers holding rows of it, the rows and the digest summed over them (mod 2⁶⁴). */
interface ChunkSummary {
  readonly workers: number[];
  rows: number;
  digest: bigint;
}

function summarise(digests: readonly ChunkDigest[]): Map<number, ChunkSummary> {
  const chunks = new Map<number, ChunkSummary>();
  for (const d of digests) {
    const entry = chunks.get(d.chunkId) ?? { workers: [], rows: 0, digest: 0n };
    entry.workers.push(d.worker);
    entry.rows += d.rows;
    entry.digest = BigInt.asUintN(64, entry.digest + d.digest);
    chunks.set(d.chunkId, entry);
  }
  return chunks;
}

/** Reads a stream of canonical-row batches one key group (rows with the same `order`) at a time. */
class OrderedRows {
  private batch: readonly CanonicalRow[] = [];
  private index = 0;
  private finished = false;

  constructor(private readonly source: AsyncIterator<readonly CanonicalRow[]>) {}

  async peek(): Promise<CanonicalRow | null> {
    while (this.index >= this.batch.length) {
      if (this.finished) return null;
      const next = await this.source.next();
      if (next.done) {
        this.finished = true;
        return null;
      }
      this.batch = next.value;
      this.index = 0;
    }
    return this.batch[this.index] ?? null;
  }

  /** Takes the rows at the head whose order equals `order`. */
  async takeGroup(order: bigint | null, into: CanonicalRow[]): Promise<void> {
    for (let row = await this.peek(); row && row.order === order; row = await this.peek()) {
      into.push(row);
      this.index++;
    }
  }

  async close(): Promise<void> {
    await this.source.return?.();
  }
}

/** Null sorts first, as the engines' `ORDER BY … NULLS FIRST`. */
function compareOrder(x: bigint | null, y: bigint | null): number {
  if (x === y) return 0;
  if (x === null) return -1;
  if (y === null) return 1;
  return x < y ? -1 : 1;
}

/** The rows of one side of a chunk: one ordered stream per worker holding rows of it, merged group by group. */
class MergedSide {
  private constructor(private readonly streams: readonly OrderedRows[]) {}

  static open(
    catalog: Catalog,
    table: CatalogTable,
    workers: readonly number[],
    chunkId: number | null,
    signal: AbortSignal,
  ) {
    return new MergedSide(
      workers.map(
        (worker) =>
          new OrderedRows(
            catalog.engine.canonicalRows(table, worker, chunkId, signal)[Symbol.asyncIterator](),
          ),
      ),
    );
  }

  /** The smallest order at the head of any stream; undefined when every stream is exhausted. */
  async headOrder(): Promise<bigint | null | undefined> {
    let head: bigint | null | undefined;
    for (const stream of this.streams) {
      const row = await stream.peek();
      if (row && (head === undefined || compareOrder(row.order, head) < 0)) head = row.order;
    }
    return head;
  }

  async takeGroup(order: bigint | null): Promise<CanonicalRow[]> {
    const rows: CanonicalRow[] = [];
    for (const stream of this.streams) await stream.takeGroup(order, rows);
    return rows;
  }

  async close(): Promise<void> {
    await Promise.all(this.streams.map((s) => s.close()));
  }
}

/** A canonical cell as a person reads it: float bits back to the number, strings without their length prefix. */
function displayCell(cell: string, datatype: ColumnDatatype): string {
  if (cell === 'N') return 'NULL';
  switch (datatype) {
    case 'float':
    case 'double': {
      const view = new DataView(new ArrayBuffer(8));
      if (datatype === 'float') {
        view.setInt32(0, Number(cell));
        return String(view.getFloat32(0));
      }
      view.setBigInt64(0, BigInt(cell));
      return String(view.getFloat64(0));
    }
    case 'char':
    case 'string':
    case 'text':
      return cell.slice(cell.indexOf(':') + 1);
    default:
      return cell;
  }
}

/** How many more differences the whole report may list. */
interface DifferenceBudget {
  remaining: number;
}

/** Collects the differences of one chunk, keeping the first `limit` (within the report's budget), counting the rest. */
class DifferenceList {
  readonly listed: RowDifference[] = [];
  omitted = 0;

  constructor(
    private readonly limit: number,
    private readonly budget: DifferenceBudget,
  ) {}

  add(difference: RowDifference): void {
    if (this.listed.length < this.limit && this.budget.remaining > 0) {
      this.listed.push(Object.freeze(difference));
      this.budget.remaining--;
    } else {
      this.omitted++;
    }
  }
}

/** Compares the rows of one key group (same `order` on both sides) and records what differs. */
function diffGroup(
  table: CatalogTable,
  rowsA: CanonicalRow[],
  rowsB: CanonicalRow[],
  out: DifferenceList,
): void {
  const keyIndexes = table.primaryKey.map((k) => table.columns.findIndex((c) => c.name === k));
  const keyOf = (row: CanonicalRow) =>
    keyIndexes.length > 0
      ? keyIndexes.map((i) => displayCell(row.cells[i] as string, table.columns[i]!.datatype)).join(',')
      : row.cells.map((cell, i) => displayCell(cell, table.columns[i]!.datatype)).join('\t');
  const byKey = new Map<string, { a: CanonicalRow[]; b: CanonicalRow[] }>();
  const entry = (key: string) => {
    let e = byKey.get(key);
    if (!e) byKey.set(key, (e = { a: [], b: [] }));
    return e;
  };
  for (const row of rowsA) entry(keyOf(row)).a.push(row);
  for (const row of rowsB) entry(keyOf(row)).b.push(row);
  for (const key of [...byKey.keys()].sort()) {
    const { a, b } = byKey.get(key) as { a: CanonicalRow[]; b: CanonicalRow[] };
    if (a.length !== b.length) {
      const kind: RowDifferenceKind =
        a.length === 0 ? 'missing-in-a' : b.length === 0 ? 'missing-in-b' : 'count';
      out.add({ kind, key, countA: a.length, countB: b.length, columns: [] });
      continue;
    }
    const text = (row: CanonicalRow) => row.cells.join('|');
    const sortedA = [...a].sort((x, y) => (text(x) < text(y) ? -1 : text(x) > text(y) ? 1 : 0));
    const sortedB = [...b].sort((x, y) => (text(x) < text(y) ? -1 : text(x) > text(y) ? 1 : 0));
    if (sortedA.every((row, j) => text(row) === text(sortedB[j] as CanonicalRow))) continue;
    const columns = table.columns
      .filter((_, i) => sortedA.some((row, j) => row.cells[i] !== sortedB[j]?.cells[i]))
      .map((c) => c.name);
    out.add({ kind: 'changed', key, countA: a.length, countB: b.length, columns });
  }
}

/** What every step of one comparison shares. */
interface ComparisonRun {
  readonly a: Catalog;
  readonly b: Catalog;
  /** Same partitioning on both sides: compare chunk by chunk (else each table as chunk −1). */
  readonly byChunk: boolean;
  readonly options: CompareOptions;
  readonly signal: AbortSignal;
  readonly budget: DifferenceBudget;
}

/** Streams both sides of one differing chunk, merged by key order, and lists what differs. */
async function diffChunk(
  run: ComparisonRun,
  table: CatalogTable,
  chunkId: number,
  workersA: readonly number[],
  workersB: readonly number[],
): Promise<DifferenceList> {
  const out = new DifferenceList(
    run.options.maxDifferencesPerChunk ?? DEFAULT_MAX_DIFFERENCES_PER_CHUNK,
    run.budget,
  );
  const readChunk = run.byChunk && table.partitioning.role !== 'regular' ? chunkId : null;
  const sideA = MergedSide.open(run.a, table, workersA, readChunk, run.signal);
  const sideB = MergedSide.open(run.b, table, workersB, readChunk, run.signal);
  try {
    for (;;) {
      const headA = await sideA.headOrder();
      const headB = await sideB.headOrder();
      if (headA === undefined && headB === undefined) break;
      let order = headA === undefined ? headB : headA;
      if (headA !== undefined && headB !== undefined && compareOrder(headB, headA) < 0) order = headB;
      diffGroup(table, await sideA.takeGroup(order ?? null), await sideB.takeGroup(order ?? null), out);
    }
  } finally {
    await Promise.all([sideA.close(), sideB.close()]);
  }
  return out;
}

const hex64 = (digest: bigint) => digest.toString(16).padStart(16, '0');

function comparisonAborted(signal: AbortSignal, cause?: unknown): Error {
  return meridianError('ABORTED', 'the catalog comparison was cancelled', {}, cause ?? signal.reason);
}

async function compareTable(
  run: ComparisonRun,
  table: CatalogTable,
  position: { readonly tableIndex: number; readonly tableCount: number },
): Promise<TableComparison> {
  const { signal, byChunk } = run;
  const progress = { table: table.name, ...position };
  run.options.onProgress?.({ phase: 'digests', ...progress });
  // Both sides at once: each is one scan inside its own engine.
  const [digestsA, digestsB] = await Promise.all([
    run.a.engine.chunkDigests(table, { byChunk, signal }),
    run.b.engine.chunkDigests(table, { byChunk, signal }),
  ]);
  const chunksA = summarise(digestsA);
  const chunksB = summarise(digestsB);
  const differing = [...new Set([...chunksA.keys(), ...chunksB.keys()])]
    .sort((x, y) => x - y)
    .filter((chunkId) => {
      const ca = chunksA.get(chunkId);
      const cb = chunksB.get(chunkId);
      return !(ca && cb && ca.rows === cb.rows && ca.digest === cb.digest);
    });
  const chunks: ChunkComparison[] = [];
  for (const [i, chunkId] of differing.entries()) {
    if (signal.aborted) throw comparisonAborted(signal);
    run.options.onProgress?.({
      phase: 'rows',
      ...progress,
      chunkId,
      chunkIndex: i + 1,
      chunkCount: differing.length,
    });
    const ca = chunksA.get(chunkId);
    const cb = chunksB.get(chunkId);
    const found = await diffChunk(run, table, chunkId, ca?.workers ?? [], cb?.workers ?? []);
    chunks.push(
      Object.freeze({
        chunkId,
        rowsA: ca?.rows ?? 0,
        rowsB: cb?.rows ?? 0,
        digestA: hex64(ca?.digest ?? 0n),
        digestB: hex64(cb?.digest ?? 0n),
        differences: Object.freeze(found.listed),
        omittedDifferences: found.omitted,
      }),
    );
  }
  const total = (m: Map<number, ChunkSummary>) => [...m.values()].reduce((n, c) => n + c.rows, 0);
  return Object.freeze({
    table: table.name,
    equal: chunks.length === 0,
    rowsA: total(chunksA),
    rowsB: total(chunksB),
    chunks: Object.freeze(chunks),
  });
}

/**
 * Compares two catalogs: digests per table and chunk inside the engines, rows only of the chunks that differ.
 * `options.signal` cancels (engine statements included) with ABORTED; `options.onProgress` reports each step.
 */
export async function compareCatalogs(
  a: Catalog,
  b: Catalog,
  options: CompareOptions = {},
): Promise<CatalogComparison> {
  const signal = options.signal ?? new AbortController().signal;
  const pa = a.config.partitioning;
  const pb = b.config.partitioning;
  const samePartitioning =
    pa.numStripes === pb.numStripes &&
    pa.numSubStripesPerStripe === pb.numSubStripesPerStripe &&
    pa.overlapDeg === pb.overlapDeg;
  const namesA = new Set(a.schema.tables.map((t) => t.name));
  const namesB = new Set(b.schema.tables.map((t) => t.name));
  const unmatchedTables = [
    ...a.schema.tables.filter((t) => !namesB.has(t.name)).map((t) => t.name),
    ...b.schema.tables.filter((t) => !namesA.has(t.name)).map((t) => t.name),
  ];
  const common = a.schema.tables.filter((t) => namesB.has(t.name));
  const run: ComparisonRun = {
    a,
    b,
    byChunk: samePartitioning,
    options,
    signal,
    budget: { remaining: options.maxDifferences ?? DEFAULT_MAX_DIFFERENCES },
  };
  const tables: TableComparison[] = [];
  try {
    for (const [i, table] of common.entries()) {
      if (signal.aborted) throw comparisonAborted(signal);
      tables.push(await compareTable(run, table, { tableIndex: i + 1, tableCount: common.length }));
    }
  } catch (err) {
    throw signal.aborted && !isMeridianError(err, 'ABORTED') ? comparisonAborted(signal, err) : err;
  }
  return Object.freeze({
    kind: 'catalogComparison',
    equal: unmatchedTables.length === 0 && tables.every((t) => t.equal),
    samePartitioning,
    tables: Object.freeze(tables),
    unmatchedTables: Object.freeze(unmatchedTables),
  });
}
