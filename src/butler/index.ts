export {
  Butler,
  type ButlerCreateOptions,
  type ButlerOpenOptions,
  type FileDataset,
  type FormatterPlugin,
  type GetOptions,
  type IngestOptions,
  registerFormatterPlugin,
} from './butler.js';
export { BUTLER_CONFIG_FILE, type ButlerConfig, readButlerConfig } from './config.js';
export { type DatasetRef, DatasetType, refToJSON, splitComponentName } from './core/dataset-type.js';
export {
  DATASET_ID_NAMESPACE,
  deterministicDatasetId,
  type IdGenerationMode,
  uuidv5,
  uuidv7,
} from './core/ids.js';
export { FileTemplates } from './datastore/file-template.js';
export {
  type DatastoreRef,
  type StoredFileInfo,
  TRANSFER_MODES,
  type TransferMode,
} from './datastore/types.js';
export {
  DataCoordinate,
  type DataIdInput,
  type DataIdValue,
  type DimensionRecord,
} from './dimensions/data-id.js';
export { DimensionElement, DimensionGroup, DimensionUniverse } from './dimensions/universe.js';
export * from './registry/index.js';
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
