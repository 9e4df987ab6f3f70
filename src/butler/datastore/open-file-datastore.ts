import { resolve } from 'node:path';
import { type ButlerConfig, readButlerConfig } from '../config.js';
import { type FormatterPlugin, standardFormatters } from '../formatters/standard.js';
import { FileDatastore } from './file-datastore.js';

export interface OpenDatastoreOptions {
  /** The repository's configuration; read from `<root>/butler.yaml` when absent. */
  readonly config?: ButlerConfig;
  /** Formatters beyond the standard ones (applied in order, to this datastore only). */
  readonly formatters?: readonly FormatterPlugin[];
}

/**
 * The file datastore of a butler repository, without opening its registry: the same root, templates, checksum
 * setting and formatters a `Butler.open` of that repository would use, so a file written here lands where the
 * Butler looks for it. This is what a pipeline job uses where no registry is reachable: it writes outputs from the
 * refs in its quantum and keeps the returned `StoredFileInfo` records for a later merge into the registry.
 */
export function openFileDatastore(root: string, options: OpenDatastoreOptions = {}): FileDatastore {
  const abs = resolve(root);
  const config = options.config ?? readButlerConfig(abs);
  const { storageClasses, formatters } = standardFormatters(options.formatters);
  return new FileDatastore(
    { root: abs, templates: config.datastore.templates, checksum: config.datastore.checksum },
    storageClasses,
    formatters,
  );
}
