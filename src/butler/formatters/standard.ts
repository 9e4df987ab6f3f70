/**
 * The storage classes and formatters every Butler and every stand-alone datastore knows, with no registration call:
 * the built-in JSON/YAML formatters, Exposure (multi-extension FITS), camera raws and single-image calibrations
 * (FITS), tables and catalogs (Parquet through DuckDB), and the SkyMap storage class (JSON). A caller adds its own
 * through `FormatterPlugin`s passed to `Butler.open`/`Butler.create`/`openFileDatastore`, per butler: there is no
 * process-wide list, so two butlers in one process never see each other's additions.
 */

import { FormatterRegistry } from '../storage/formatter.js';
import { StorageClassRegistry } from '../storage/storage-class.js';
import { ExposureFormatter, FitsImageFormatter, RawFormatter } from './exposure-formatter.js';
import { ParquetFormatter } from './parquet-formatter.js';

/** Adds storage classes and/or formatters to one butler's registries. */
export type FormatterPlugin = (storageClasses: StorageClassRegistry, formatters: FormatterRegistry) => void;

/** Formatters are stateless, so one instance of each serves every Butler. */
const EXPOSURE_FORMATTER = new ExposureFormatter();
const RAW_FORMATTER = new RawFormatter();
const FITS_IMAGE_FORMATTER = new FitsImageFormatter();
const PARQUET_FORMATTER = new ParquetFormatter();

/** Storage classes the Parquet formatter serves (the catalog classes inherit from Catalog). */
export const TABLE_STORAGE_CLASSES = ['DataFrame', 'ArrowTable', 'ArrowAstropy', 'Catalog'];

/** The image and table formatters (safe to apply more than once: registering again replaces the same entry). */
export const meridianFormatterPlugin: FormatterPlugin = (_storageClasses, formatters) => {
  formatters.register(EXPOSURE_FORMATTER, ['Exposure']);
  formatters.register(RAW_FORMATTER, []);
  formatters.register(FITS_IMAGE_FORMATTER, []);
  formatters.register(PARQUET_FORMATTER, TABLE_STORAGE_CLASSES);
  // A SkyMap dataset is its plain configuration ({ kind: 'ringsSkyMap', name, config }), stored as JSON.
  formatters.register(formatters.byName('meridian.JsonFormatter'), ['SkyMap']);
};

/** Fresh storage-class and formatter registries for one butler: the standard set, then `extra` in order. */
export function standardFormatters(extra: readonly FormatterPlugin[] = []): {
  storageClasses: StorageClassRegistry;
  formatters: FormatterRegistry;
} {
  const storageClasses = StorageClassRegistry.withDefaults();
  const formatters = FormatterRegistry.withDefaults();
  meridianFormatterPlugin(storageClasses, formatters);
  for (const plugin of extra) plugin(storageClasses, formatters);
  return { storageClasses, formatters };
}
