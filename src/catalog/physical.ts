/**
 * Names and SQL types of the physical tables, shared by every engine. Names go through the dialect's
 * `regularIdentifier`, exactly as the ADQL compiler spells a regular identifier, so compiled queries and the tables
 * agree on case (DuckDB keeps the schema spelling; PostgreSQL folds to lower case).
 */

import type { SqlDialect } from './adql/index.js';
import type { CatalogTable, ColumnDatatype } from './schema.js';

/** Partition columns added to every partitioned table (names as in Qserv). */
export const CHUNK_COLUMN = 'chunkId';
export const SUB_CHUNK_COLUMN = 'subChunkId';
/** Qserv's per-row transaction column, on every table, so rows of a failed ingest can be found and removed. */
export const TRANSACTION_COLUMN = 'qserv_trans_id';

/**
 * On match tables: which copy a row is (Qserv's `flag` of sph-partition-matches, our own bits). A match row is stored
 * in the chunk of its first director row (bit 1) and in that of its second (bit 2), once if they share a chunk
 * (bits 1|2); bit 4 marks the one canonical copy (the first director's, or the second's when there is no first);
 * bit 8 marks a row with only one of its two director rows loaded (DP0.2's −1 for "no match").
 */
export const MATCH_FLAG_COLUMN = 'qserv_match_flag';
export const MATCH_IN_FIRST = 1;
export const MATCH_IN_SECOND = 2;
export const MATCH_CANONICAL = 4;
export const MATCH_ONE_SIDED = 8;

export const overlapTableName = (table: CatalogTable): string => `${table.name}FullOverlap`;

export function isPartitioned(table: CatalogTable): boolean {
  return table.partitioning.role !== 'regular';
}

export function hasOverlap(table: CatalogTable): boolean {
  return table.partitioning.role === 'director';
}

const duckdbTypes: Readonly<Record<ColumnDatatype, string>> = {
  boolean: 'BOOLEAN',
  byte: 'TINYINT',
  short: 'SMALLINT',
  int: 'INTEGER',
  long: 'BIGINT',
  float: 'REAL',
  double: 'DOUBLE',
  char: 'VARCHAR',
  string: 'VARCHAR',
  text: 'VARCHAR',
  timestamp: 'TIMESTAMP',
};

/** Booleans are smallint 0/1 on PostgreSQL, as Qserv's MySQL TINYINT: ADQL has no boolean literal, and DP0.2
 * queries write `detect_isPrimary = 1`. */
const postgresTypes: Readonly<Record<ColumnDatatype, string>> = {
  boolean: 'smallint',
  byte: 'smallint',
  short: 'smallint',
  int: 'integer',
  long: 'bigint',
  float: 'real',
  double: 'double precision',
  char: 'text',
  string: 'text',
  text: 'text',
  timestamp: 'timestamp',
};

export type SqlTypeFamily = 'duckdb' | 'postgres';

export function sqlType(datatype: ColumnDatatype, family: SqlTypeFamily): string {
  return (family === 'duckdb' ? duckdbTypes : postgresTypes)[datatype];
}

/** Column definitions of a physical table: schema columns, then partition and transaction columns. */
export function physicalColumnDefinitions(
  table: CatalogTable,
  dialect: SqlDialect,
  family: SqlTypeFamily,
): string[] {
  const q = (name: string) => dialect.regularIdentifier(name);
  const integer = family === 'duckdb' ? 'INTEGER' : 'integer';
  const defs = table.columns.map((c) => `${q(c.name)} ${sqlType(c.datatype, family)}`);
  if (isPartitioned(table)) defs.push(`${q(CHUNK_COLUMN)} ${integer}`, `${q(SUB_CHUNK_COLUMN)} ${integer}`);
  if (table.partitioning.role === 'match') defs.push(`${q(MATCH_FLAG_COLUMN)} ${integer}`);
  defs.push(`${q(TRANSACTION_COLUMN)} ${integer}`);
  return defs;
}

/** The physical column names in table order (as in `physicalColumnDefinitions`), unquoted. */
export function physicalColumnNames(table: CatalogTable): string[] {
  const names = table.columns.map((c) => c.name);
  if (isPartitioned(table)) names.push(CHUNK_COLUMN, SUB_CHUNK_COLUMN);
  if (table.partitioning.role === 'match') names.push(MATCH_FLAG_COLUMN);
  names.push(TRANSACTION_COLUMN);
  return names;
}
