/**
 * Parquet through an in-process DuckDB: tables written zstd-compressed and read back with bound filters, footers
 * (schema, row count), a staging area for large outputs, and the DuckDB SQL quoting every caller shares.
 */
export {
  copyToParquet,
  DuckDBSession,
  type DuckDBSessionOptions,
  PARQUET_COMPRESSION,
  type ParquetCopyOptions,
  type ParquetCopySource,
  parquetScan,
} from './duckdb.js';
export { duckdbIdentifier, duckdbStringLiteral } from './duckdb-sql.js';
export type { FilterOperator, TableFilter } from './filters.js';
export { readParquetRowCount, readParquetSchema, readParquetTable, type TableReadOptions } from './read.js';
export {
  columnTypeOf,
  isTable,
  makeTable,
  type ParquetColumn,
  type ParquetColumnType,
  type Table,
  type TableColumnSchema,
  type TableColumnValues,
} from './table.js';
export { ParquetStage, type StagedSelection, writeParquetTable } from './write.js';
