/**
 * Meridian's file formatters for images and tables, added to every Butler as a formatter plugin:
 * Exposure (multi-extension FITS), camera raws and single-image calibrations (FITS), tables and catalogs
 * (Parquet through DuckDB), and the SkyMap storage class (JSON).
 */

import { type FormatterPlugin, registerFormatterPlugin } from '../butler.js';
import type { FormatterRegistry } from '../storage/formatter.js';
import type { StorageClassRegistry } from '../storage/storage-class.js';
import { ExposureFormatter, FitsImageFormatter, RawFormatter } from './exposure-formatter.js';
import { ParquetFormatter } from './parquet-formatter.js';

export {
  ExposureFormatter,
  FitsImageFormatter,
  RawFormatter,
  visitInfoFromRawHeader,
} from './exposure-formatter.js';
export {
  type FilterOperator,
  ParquetFormatter,
  readParquetRowCount,
  readParquetSchema,
  readParquetTable,
  type TableFilter,
  type TableReadOptions,
  writeParquetTable,
} from './parquet-formatter.js';
export { isTable, makeTable, type Table, type TableColumnSchema, type TableColumnValues } from './table.js';

/** Formatters are stateless, so one instance of each serves every Butler. */
const EXPOSURE_FORMATTER = new ExposureFormatter();
const RAW_FORMATTER = new RawFormatter();
const FITS_IMAGE_FORMATTER = new FitsImageFormatter();
const PARQUET_FORMATTER = new ParquetFormatter();

/** Storage classes the Parquet formatter serves (the catalog classes inherit from Catalog). */
export const TABLE_STORAGE_CLASSES = ['DataFrame', 'ArrowTable', 'ArrowAstropy', 'Catalog'];

/** Adds the image and table formatters to one butler's registries (safe to call more than once). */
export const meridianFormatterPlugin: FormatterPlugin = (
  _storageClasses: StorageClassRegistry,
  formatters: FormatterRegistry,
) => {
  formatters.register(EXPOSURE_FORMATTER, ['Exposure']);
  formatters.register(RAW_FORMATTER, []);
  formatters.register(FITS_IMAGE_FORMATTER, []);
  formatters.register(PARQUET_FORMATTER, TABLE_STORAGE_CLASSES);
  // A SkyMap dataset is its plain configuration ({ kind: 'ringsSkyMap', name, config }), stored as JSON.
  formatters.register(formatters.byName('meridian.JsonFormatter'), ['SkyMap']);
};

let installed = false;

/** Make every Butler opened from now on know these formatters (idempotent). */
export function installMeridianFormatters(): void {
  if (installed) return;
  registerFormatterPlugin(meridianFormatterPlugin);
  installed = true;
}

/** Add the formatters to a Butler that is already open (e.g. one opened before `installMeridianFormatters`). */
export function addMeridianFormatters(butler: {
  storageClasses: StorageClassRegistry;
  formatters: FormatterRegistry;
}): void {
  meridianFormatterPlugin(butler.storageClasses, butler.formatters);
}
