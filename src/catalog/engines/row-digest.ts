/**
 * The SQL behind `CatalogEngine.chunkDigests` and `canonicalRows` (compare.ts), shared by every engine: each engine
 * supplies a small `CanonicalSqlFlavour` (how it spells the IEEE bits of a float, a timestamp as microseconds, a
 * 64-bit hash of a text), and the same canonical row text comes out of every engine for the same stored rows.
 *
 * Canonical text of a value (what makes a DuckDB row and a PostgreSQL row hash alike):
 * - NULL → `N`;
 * - integers (and booleans, which PostgreSQL stores as smallint 0/1) → decimal;
 * - REAL and DOUBLE → their IEEE 754 bits as a signed decimal integer (the engines print floats differently, but
 *   the bits are the value, exactly: −0.0 and NaN payloads included);
 * - strings → `<length>:<text>`, so no separator inside a string can make two rows alike;
 * - timestamps → microseconds since 1970 as a decimal integer.
 * A row's text is its schema columns' texts in schema order joined by `|`; partition and transaction columns are
 * left out (they depend on placement and ingest history, not on the data).
 *
 * Row hash: the first 16 hex digits of the md5 of the row text read as a 64-bit integer (both engines have md5).
 * DuckDB reads it unsigned, PostgreSQL signed: the two agree modulo 2⁶⁴, which is how digests are compared (the
 * engines sum exactly, in HUGEINT and numeric, and `parseDigest` reduces). The digest of a chunk is that sum: it
 * does not depend on row order, and a duplicated row changes it (an xor would cancel out).
 */

import type { CanonicalRow, ChunkDigest } from '../engine.js';
import { CHUNK_COLUMN, isPartitioned } from '../physical.js';
import type { CatalogTable, ColumnDatatype } from '../schema.js';

/** How one engine spells the few expressions whose SQL differs; `x` is a quoted column, `text` a text expression. */
export interface CanonicalSqlFlavour {
  /** The IEEE bits of a REAL (32) or DOUBLE (64) value as a signed integer expression. */
  floatBits(x: string, bits: 32 | 64): string;
  /** A boolean column as an integer 0/1 expression. */
  booleanAsInteger(x: string): string;
  /** A timestamp as integer microseconds since 1970-01-01. */
  timestampMicros(x: string): string;
  /** The first 16 hex digits of md5(text) as an integer (signed or unsigned: digests are compared mod 2⁶⁴). */
  md5Prefix64(text: string): string;
  /** The first 15 hex digits of md5(text) as a non-negative BIGINT, identical on every engine (an ordering). */
  md5Prefix60(text: string): string;
}

const integerTypes: ReadonlySet<ColumnDatatype> = new Set(['byte', 'short', 'int', 'long']);

function canonicalCell(x: string, datatype: ColumnDatatype, flavour: CanonicalSqlFlavour): string {
  const text = (e: string) => `CAST(${e} AS VARCHAR)`;
  switch (datatype) {
    case 'boolean':
      return text(flavour.booleanAsInteger(x));
    case 'float':
      return text(flavour.floatBits(x, 32));
    case 'double':
      return text(flavour.floatBits(x, 64));
    case 'timestamp':
      return text(flavour.timestampMicros(x));
    case 'char':
    case 'string':
    case 'text':
      return `${text(`length(${x})`)} || ':' || ${x}`;
    default:
      return text(x);
  }
}

/** The canonical text expression of each schema column, in schema order, NULL spelled `N`. */
function canonicalCells(table: CatalogTable, flavour: CanonicalSqlFlavour, id: (name: string) => string) {
  return table.columns.map((c) => `COALESCE(${canonicalCell(id(c.name), c.datatype, flavour)}, 'N')`);
}

/**
 * The row text: cells joined by `|`. One `concat_ws` call builds it in one allocation (a chain of `||` copies the
 * growing text once per column, twice as slow on DuckDB); PostgreSQL takes at most 100 arguments a call, so wide
 * tables nest calls of 50 cells (the text is the same). No cell is NULL, so concat_ws skips none.
 */
function joinCells(cells: readonly string[]): string {
  const groupSize = 50;
  if (cells.length <= groupSize) return `concat_ws('|', ${cells.join(', ')})`;
  const groups: string[] = [];
  for (let i = 0; i < cells.length; i += groupSize) groups.push(joinCells(cells.slice(i, i + groupSize)));
  return joinCells(groups);
}

/**
 * The value rows are ordered by when differing chunks are read: the key itself when it is one integer column
 * (ordered the same on every engine), else the 60-bit md5 prefix of the key's (or, without a key, the row's)
 * canonical text. NULLs come first on every engine.
 */
function orderExpression(table: CatalogTable, flavour: CanonicalSqlFlavour, id: (name: string) => string) {
  const key = table.primaryKey.map((name) => table.columns.find((c) => c.name === name));
  if (key.length === 1 && key[0] && integerTypes.has(key[0].datatype)) {
    return `CAST(${id(key[0].name)} AS BIGINT)`;
  }
  const cells = canonicalCells(table, flavour, id);
  const keyCells =
    key.length > 0 ? table.primaryKey.map((k) => cells[table.columns.findIndex((c) => c.name === k)]) : cells;
  return flavour.md5Prefix60(joinCells(keyCells));
}

/** Where clause restricting a table to one chunk (null: every row the worker holds). */
function chunkRestriction(table: CatalogTable, chunkId: number | null, id: (name: string) => string): string {
  if (chunkId === null || !isPartitioned(table)) return '';
  return ` WHERE ${id(CHUNK_COLUMN)} = ${Math.trunc(chunkId)}`;
}

/**
 * One query per table: per chunk (or for the whole table, as chunk −1, when `byChunk` is false or the table is
 * regular) the row count and the exact sum of the row hashes as text.
 */
export function chunkDigestSql(
  table: CatalogTable,
  byChunk: boolean,
  flavour: CanonicalSqlFlavour,
  id: (name: string) => string,
): string {
  const chunk =
    byChunk && isPartitioned(table) ? `CAST(${id(CHUNK_COLUMN)} AS BIGINT)` : 'CAST(-1 AS BIGINT)';
  const hash = flavour.md5Prefix64(joinCells(canonicalCells(table, flavour, id)));
  return (
    `SELECT ${chunk} AS chunk, COUNT(*) AS n, CAST(SUM(${hash}) AS VARCHAR) AS digest ` +
    `FROM ${id(table.name)} GROUP BY 1`
  );
}

/** The canonical rows of one chunk (null: the whole table on that worker) in `orderExpression` order. */
export function canonicalRowsSql(
  table: CatalogTable,
  chunkId: number | null,
  flavour: CanonicalSqlFlavour,
  id: (name: string) => string,
): string {
  const cells = canonicalCells(table, flavour, id);
  return (
    `SELECT ${orderExpression(table, flavour, id)} AS row_order, ${cells.join(', ')} ` +
    `FROM ${id(table.name)}${chunkRestriction(table, chunkId, id)} ORDER BY 1 NULLS FIRST`
  );
}

const MOD64 = 1n << 64n;

/** A `chunkDigestSql` result row as a ChunkDigest: the exact sum reduced modulo 2⁶⁴. */
export function parseDigestRow(worker: number, row: readonly unknown[]): ChunkDigest {
  const sum = BigInt(String(row[2] ?? '0'));
  return Object.freeze({
    worker,
    chunkId: Number(row[0]),
    rows: Number(row[1]),
    digest: ((sum % MOD64) + MOD64) % MOD64,
  });
}

/** A `canonicalRowsSql` result row as a CanonicalRow. */
export function parseCanonicalRow(row: readonly unknown[]): CanonicalRow {
  const order = row[0];
  return {
    order: order === null || order === undefined ? null : BigInt(order as bigint | number | string),
    cells: row.slice(1).map(String),
  };
}
