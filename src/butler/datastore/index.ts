export { FileDatastore, type RetrieveMode, type VerifyResult } from './file-datastore.js';
export { FileTemplate, FileTemplates } from './file-template.js';
export {
  type DatastoreConfig,
  type DatastoreRef,
  type StoredFileInfo,
  TRANSFER_MODES,
  type TransferMode,
} from './types.js';
