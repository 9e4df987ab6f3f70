export {
  type Datastore,
  type DatastoreGetOptions,
  type RetrieveMode,
  toDatastoreRef,
  type VerifyResult,
} from './datastore.js';
export { FileDatastore, type FileDatastoreHooks } from './file-datastore.js';
export { FileTemplate, FileTemplates } from './file-template.js';
export { type OpenDatastoreOptions, openFileDatastore } from './open-file-datastore.js';
export {
  type DatastoreConfig,
  type DatastoreRef,
  type StoredFileInfo,
  TRANSFER_MODES,
  type TransferMode,
} from './types.js';
