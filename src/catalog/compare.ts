/**
 * Consistency across instances (qserv_tap.md §3.3): compare two catalog databases on any engines. Per table and
 * per chunk: row counts and an order-independent content digest (sum mod 2^64 of a 64-bit hash of each row's
 * canonical text), computed from the stored rows, not from bookkeeping. In chunks whose digests differ, rows are
 * matched by primary key (the whole row when a table has none) and each difference is reported: rows missing on
 * one side, keys present a different number of times (duplicated ingest), and changed values with their columns.
 * When the two databases are partitioned differently, each table is compared as one chunk (-1).
 */

import { createHash } from 'node:crypto';
import { isMeridianError, meridianError } from '../errors.js';
import type { Catalog } from './catalog.js';
import type { CellValue } from './engine.js';
import type { CatalogTable, ColumnDatatype } from './schema.js';

export type RowDifferenceKind = 'missing-in-a' | 'missing-in-b' | 'count' | 'changed';

export interface RowDifference {
  readonly kind: RowDifferenceKind;
  /** Primary-key values as text (or the whole row's canonical text for tables without a key). */
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
  readonly differences: readonly RowDifference[];
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

/** Engine-independent text of a value: booleans 0/1 (PostgreSQL stores them as smallint), REAL at float precision. */
function canonical(value: CellValue, datatype: ColumnDatatype): string {
  if (value === null) return '\\N';
  if (datatype === 'boolean') return Number(value) ? '1' : '0';
  if (datatype === 'float') return String(Math.fround(Number(value)));
  if (datatype === 'double') return String(Number(value));
  return String(value);
}

const MASK64 = (1n << 64n) - 1n;

function rowHash(text: string): bigint {
  return createHash('sha256').update(text).digest().readBigUInt64BE(0);
}

interface ChunkRows {
  count: number;
  digest: bigint;
  /** key → canonical row texts (kept only to pinpoint differences). */
  rows: Map<string, string[][]>;
}

async function collect(
  catalog: Catalog,
  table: CatalogTable,
  byChunk: boolean,
  signal: AbortSignal | undefined,
): Promise<Map<number, ChunkRows>> {
  const keyIndexes = table.primaryKey.map((k) => table.columns.findIndex((c) => c.name === k));
  const chunks = new Map<number, ChunkRows>();
  for await (const { chunkId, row } of catalog.scanTable(table.name, { signal })) {
    const cells = row.map((v, i) => canonical(v, table.columns[i].datatype));
    const chunk = byChunk ? chunkId : -1;
    let entry = chunks.get(chunk);
    if (!entry) {
      entry = { count: 0, digest: 0n, rows: new Map() };
      chunks.set(chunk, entry);
    }
    const text = cells.join('\t');
    entry.count++;
    entry.digest = (entry.digest + rowHash(text)) & MASK64;
    const key = keyIndexes.length > 0 ? keyIndexes.map((i) => cells[i]).join(',') : text;
    entry.rows.set(key, [...(entry.rows.get(key) ?? []), cells]);
  }
  return chunks;
}

function rowDifferences(
  table: CatalogTable,
  a: ChunkRows | undefined,
  b: ChunkRows | undefined,
): RowDifference[] {
  const out: RowDifference[] = [];
  const keys = new Set([...(a?.rows.keys() ?? []), ...(b?.rows.keys() ?? [])]);
  for (const key of [...keys].sort()) {
    const ra = a?.rows.get(key) ?? [];
    const rb = b?.rows.get(key) ?? [];
    if (ra.length === 0 || rb.length === 0 || ra.length !== rb.length) {
      const kind: RowDifferenceKind =
        ra.length === 0 ? 'missing-in-a' : rb.length === 0 ? 'missing-in-b' : 'count';
      out.push({ kind, key, countA: ra.length, countB: rb.length, columns: [] });
      continue;
    }
    const sa = ra.map((r) => r.join('\t')).sort();
    const sb = rb.map((r) => r.join('\t')).sort();
    if (sa.every((text, i) => text === sb[i])) continue;
    const columns = table.columns
      .filter((_, i) => ra.some((row, j) => row[i] !== rb[j]?.[i]))
      .map((c) => c.name);
    out.push({ kind: 'changed', key, countA: ra.length, countB: rb.length, columns });
  }
  return out;
}

function comparisonAborted(signal: AbortSignal, cause?: unknown): Error {
  return meridianError('ABORTED', 'the catalog comparison was cancelled', {}, cause ?? signal.reason);
}

/** Compares two catalogs; `options.signal` cancels the scans (engine statements included) with ABORTED. */
export async function compareCatalogs(
  a: Catalog,
  b: Catalog,
  options: { readonly signal?: AbortSignal } = {},
): Promise<CatalogComparison> {
  const { signal } = options;
  const pa = a.config.partitioning;
  const pb = b.config.partitioning;
  const samePartitioning =
    pa.numStripes === pb.numStripes &&
    pa.numSubStripesPerStripe === pb.numSubStripesPerStripe &&
    pa.overlapDeg === pb.overlapDeg;
  const namesB = new Set(b.schema.tables.map((t) => t.name));
  const unmatchedTables = [
    ...a.schema.tables.filter((t) => !namesB.has(t.name)).map((t) => t.name),
    ...b.schema.tables.filter((t) => !a.schema.tables.some((s) => s.name === t.name)).map((t) => t.name),
  ];
  const tables: TableComparison[] = [];
  for (const table of a.schema.tables.filter((t) => namesB.has(t.name))) {
    let rowsA: Map<number, ChunkRows>;
    let rowsB: Map<number, ChunkRows>;
    try {
      if (signal?.aborted) throw comparisonAborted(signal);
      rowsA = await collect(a, table, samePartitioning, signal);
      rowsB = await collect(b, table, samePartitioning, signal);
    } catch (err) {
      throw signal?.aborted && !isMeridianError(err, 'ABORTED') ? comparisonAborted(signal, err) : err;
    }
    const chunkIds = [...new Set([...rowsA.keys(), ...rowsB.keys()])].sort((x, y) => x - y);
    const chunks: ChunkComparison[] = [];
    for (const chunkId of chunkIds) {
      const ca = rowsA.get(chunkId);
      const cb = rowsB.get(chunkId);
      if (ca && cb && ca.count === cb.count && ca.digest === cb.digest) continue;
      chunks.push({
        chunkId,
        rowsA: ca?.count ?? 0,
        rowsB: cb?.count ?? 0,
        digestA: (ca?.digest ?? 0n).toString(16).padStart(16, '0'),
        digestB: (cb?.digest ?? 0n).toString(16).padStart(16, '0'),
        differences: rowDifferences(table, ca, cb),
      });
    }
    const total = (m: Map<number, ChunkRows>) => [...m.values()].reduce((n, c) => n + c.count, 0);
    tables.push({
      table: table.name,
      equal: chunks.length === 0,
      rowsA: total(rowsA),
      rowsB: total(rowsB),
      chunks,
    });
  }
  return {
    kind: 'catalogComparison',
    equal: unmatchedTables.length === 0 && tables.every((t) => t.equal),
    samePartitioning,
    tables,
    unmatchedTables,
  };
}
