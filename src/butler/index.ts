export {
  Butler,
  type ButlerCreateOptions,
  type ButlerOpenOptions,
  type FileDataset,
  type GetOptions,
  type IngestOptions,
} from './butler.js';
export { type CleanupOptions, type CleanupReport, cleanupRepository } from './cleanup.js';
export { BUTLER_CONFIG_FILE, type ButlerConfig, readButlerConfig } from './config.js';
export {
  type DatasetRef,
  type DatasetRefJSON,
  DatasetType,
  type DatasetTypeJSON,
  REF_JSON_VERSION,
  refFromJSON,
  refToJSON,
  splitComponentName,
} from './core/dataset-type.js';
export {
  DATASET_ID_NAMESPACE,
  deterministicDatasetId,
  deterministicDatasetIdMaker,
  type IdGenerationMode,
  uuidv5,
  uuidv5Maker,
  uuidv7,
} from './core/ids.js';
export {
  type Datastore,
  type DatastoreConfig,
  type DatastoreGetOptions,
  type DatastoreRef,
  FileDatastore,
  type FileDatastoreHooks,
  FileTemplates,
  type OpenDatastoreOptions,
  openFileDatastore,
  type RetrieveMode,
  type StoredFileInfo,
  TRANSFER_MODES,
  type TransferMode,
  toDatastoreRef,
  type VerifyResult,
} from './datastore/index.js';
export {
  DataCoordinate,
  type DataIdInput,
  type DataIdValue,
  type DimensionRecord,
} from './dimensions/data-id.js';
export {
  DATA_ID_JSON_VERSION,
  type DataIdJSON,
  type DimensionRecordJSON,
  dataIdFromJSON,
  dataIdToJSON,
  dimensionRecordFromJSON,
  dimensionRecordToJSON,
} from './dimensions/data-id-json.js';
export { DimensionElement, DimensionGroup, DimensionUniverse } from './dimensions/universe.js';
export { type FormatterPlugin, meridianFormatterPlugin, standardFormatters } from './formatters/standard.js';
export { type ContainmentOptions, fileSystemError, isContained, resolveInside } from './paths.js';
export * from './registry/index.js';
export {
  type ButlerReader,
  RemoteButler,
  type RemoteButlerOptions,
  type RemoteCollection,
  type StoredFileJSON,
} from './remote/index.js';
export { type Formatter, FormatterRegistry } from './storage/formatter.js';
export { StorageClass, StorageClassRegistry } from './storage/storage-class.js';
export { formatTai, parseTimeLiteral, Timespan } from './time/index.js';
export {
  collectDimensionRecords,
  EXPORT_FORMAT_VERSION,
  type ExportOptions,
  exportDatasets,
  type ImportOptions,
  importDatasets,
  type TransferOptions,
  transferFrom,
} from './transfer.js';
export { type VerifyProblem, type VerifyReport, verifyRepository } from './verify.js';
