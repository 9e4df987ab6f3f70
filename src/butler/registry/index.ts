export {
  COLLECTION_TYPES,
  type CollectionRecord,
  type CollectionType,
  parseCollectionType,
} from './collections.js';
export type { DatasetAssociation } from './datasets.js';
export { migrateRepository } from './migrate.js';
export {
  openRegistryDatabase,
  type RegistryDatabase,
  type RegistryLocation,
  registryLocation,
} from './open.js';
export { type DataIdQueryOptions, type DatasetQueryOptions, Registry, temporalSpan } from './registry.js';
