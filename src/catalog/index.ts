/** Meridian's Qserv-style partitioned catalog database and its ADQL parser. See docs/catalog.md, docs/adql.md. */
export * from './adql/index.js';

export {
  Catalog,
  type CatalogStats,
  type CreateCatalogOptions,
  createCatalog,
  type IngestFilesResult,
  type OpenCatalogOptions,
  type QueryUploads,
  type TableStats,
} from './catalog.js';
export {
  type CatalogConfig,
  type EngineConfig,
  type PartitioningParams,
  readCatalogConfig,
  testPartitioning,
} from './catalog-config.js';
export {
  type CatalogComparison,
  type ChunkComparison,
  type CompareOptions,
  type CompareProgress,
  compareCatalogs,
  type RowDifference,
  type RowDifferenceKind,
  type TableComparison,
} from './compare.js';
export type { ChunkCount, TransactionInfo, TransactionState } from './czar.js';
export type {
  CanonicalRow,
  CatalogEngine,
  CellValue,
  ChunkDigest,
  EngineCapabilities,
  Fragment,
  ResultColumn,
  ResultDatatype,
  RowStream,
} from './engine.js';
export type { QueryLimits, QueryResult } from './execute.js';
export {
  checkFileColumns,
  type FileColumnCheckOptions,
  type FileColumnProblems,
  fileColumnProblems,
} from './file-columns.js';
export type { ContributionResult, IngestProgress } from './ingest.js';
export {
  type DirectoryIngest,
  ingestDirectory,
  resolveInsideDirectory,
  tableFiles,
} from './ingest-directory.js';
export { type CatalogReader, LiveCatalog, openCatalogForServing } from './live.js';
export { formatResult, type OutputFormat, outputFormats, VOTABLE_DATATYPES } from './output.js';
export type { QueryPlan } from './planner/plan.js';
export {
  type CatalogColumn,
  type CatalogSchema,
  type CatalogTable,
  type ColumnDatatype,
  catalogSchemaFromObject,
  findTable,
  loadCatalogSchema,
  parseCatalogSchema,
  type TablePartitioning,
} from './schema.js';
export { type TapSchemaRows, tapSchemaRows } from './tap-schema.js';
export { publishedTapSchemaRows, TAP_SCHEMA_NAME } from './tap-schema-query.js';
export { prepareUpload, type QueryUpload, UPLOAD_SCHEMA, type UploadedTable } from './upload.js';
