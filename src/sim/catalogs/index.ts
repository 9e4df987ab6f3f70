/** `meridian sim catalogs`: DP0.2-shaped Parquet catalogs derived from a simulated truth and cadence, at scale. */
export {
  ALL_BANDS,
  type BandName,
  OUTPUT_COLUMNS,
  type OutputColumn,
  TABLE_NAMES,
  type TableName,
} from './columns.js';
export {
  BAND_MODELS,
  FOCAL_PLANE,
  focalPlaneDetectors,
  MEASUREMENT,
  OBSERVING,
  POPULATION,
} from './model.js';
export {
  CATALOG_DEFAULTS,
  type CatalogSimulationInput,
  type CatalogSimulationOptions,
  resolveCatalogOptions,
} from './options.js';
export {
  CATALOG_MANIFEST_VERSION,
  type CatalogManifest,
  type CatalogTableOutput,
  MANIFEST_FILE,
  simulateCatalogs,
} from './simulate.js';
export { DC2_SKYMAP_CONFIG } from './sky-sql.js';
