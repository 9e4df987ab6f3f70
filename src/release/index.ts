/**
 * The processed data release into the catalog database: the bridge between the butler (which finds the pipeline's
 * outputs) and the catalog (which partitions and serves them). See docs/catalog.md, "ingest-butler".
 */
export {
  DRP_SCHEMA_PATH,
  type IngestButlerOptions,
  type IngestButlerReport,
  type IngestProgress,
  ingestButlerCatalogs,
  type TableLoad,
  type TableLoadStatus,
} from './ingest-butler.js';
