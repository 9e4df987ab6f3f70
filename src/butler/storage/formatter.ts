import { meridianError } from '../../errors.js';
import { JsonFormatter } from './json-formatter.js';
import type { StorageClass } from './storage-class.js';
import { YamlFormatter } from './yaml-formatter.js';

export interface ReadOptions {
  /** Read only this component of a composite; null or absent reads the whole dataset. */
  component?: string | null;
  /** Read parameters; each must be one the storage class declares. */
  parameters?: Record<string, unknown>;
  /** The storage class of the file as written (the parent's, when a component is read). */
  storageClass: StorageClass;
}

/** Reads and writes one file format. A formatter is stateless; one instance serves every dataset. */
export interface Formatter {
  /** Stable identifier stored in the datastore record (e.g. 'meridian.JsonFormatter'); never rename one. */
  readonly name: string;
  /** File extension including the dot, e.g. '.json'. */
  readonly extension: string;
  /** Writes exactly `path` (the datastore passes a temporary path and renames it afterwards). */
  write(obj: unknown, path: string, storageClass: StorageClass): Promise<void>;
  /** Reads `path`, applying the component and parameters (e.g. read one key, slice a list). */
  read(path: string, options: ReadOptions): Promise<unknown>;
  /** Components this formatter can read from a whole-composite file without loading everything. */
  readonly readableComponents?: 'all' | readonly string[];
}

/**
 * Chooses the formatter for a dataset. Look-up order (daf_butler `configs/datastores/formatters.yaml` semantics):
 * the dataset type name, the parent dataset type name of a component, the storage class name, then each storage
 * class it inherits from.
 */
export class FormatterRegistry {
  readonly #byName = new Map<string, Formatter>();
  readonly #byStorageClass = new Map<string, Formatter>();
  readonly #byDatasetType = new Map<string, Formatter>();

  /** JsonFormatter for the structured-data and scalar classes, YamlFormatter for Config and PropertyList. */
  static withDefaults(): FormatterRegistry {
    const registry = new FormatterRegistry();
    registry.register(new JsonFormatter(), [
      'StructuredDataDict',
      'StructuredDataList',
      'Packages',
      'TaskMetadata',
      'int',
      'float',
      'string',
      'StructuredComposite',
    ]);
    registry.register(new YamlFormatter(), ['Config', 'PropertyList']);
    return registry;
  }

  /** Makes `formatter` known by its name and the default for the given storage classes (replacing earlier ones). */
  register(formatter: Formatter, storageClassNames: string[]): void {
    const known = this.#byName.get(formatter.name);
    if (known !== undefined && known !== formatter) {
      throw meridianError(
        'CONFIG_INVALID',
        `Another formatter is already registered as '${formatter.name}'`,
        {
          formatter: formatter.name,
        },
      );
    }
    this.#byName.set(formatter.name, formatter);
    for (const name of storageClassNames) this.#byStorageClass.set(name, formatter);
  }

  /** Overrides the formatter for one dataset type (and its components). */
  setForDatasetType(datasetTypeName: string, formatterName: string): void {
    this.#byDatasetType.set(datasetTypeName, this.byName(formatterName));
  }

  forDataset(datasetTypeName: string, sc: StorageClass): Formatter {
    const parentTypeName = datasetTypeName.split('.')[0];
    const found =
      this.#byDatasetType.get(datasetTypeName) ??
      this.#byDatasetType.get(parentTypeName) ??
      sc
        .lineage()
        .map((name) => this.#byStorageClass.get(name))
        .find((f) => f !== undefined);
    if (found === undefined) {
      throw meridianError(
        'FORMATTER_UNKNOWN',
        `No formatter for dataset type ${datasetTypeName} with storage class ${sc.name}`,
        { datasetType: datasetTypeName, storageClass: sc.name, searched: [datasetTypeName, ...sc.lineage()] },
      );
    }
    return found;
  }

  byName(name: string): Formatter {
    const formatter = this.#byName.get(name);
    if (formatter === undefined) {
      throw meridianError('FORMATTER_UNKNOWN', `Unknown formatter '${name}'`, {
        formatter: name,
        known: [...this.#byName.keys()],
      });
    }
    return formatter;
  }

  names(): string[] {
    return [...this.#byName.keys()];
  }
}
