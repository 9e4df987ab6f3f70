export {
  COLLECTION_TYPES,
  type CollectionRecord,
  type CollectionType,
  parseCollectionType,
} from './collections.js';
export type { DatabaseCapabilities, OpenOptions, RegistryDatabase } from './database.js';
export type { DatasetAssociation } from './datasets.js';
export { openRegistryDatabase, type RegistryLocation } from './open.js';
export { type DataIdQueryOptions, type DatasetQueryOptions, Registry, temporalSpan } from './registry.js';
