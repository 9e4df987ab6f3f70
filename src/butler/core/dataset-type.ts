import { z } from 'zod';
import { meridianError } from '../../errors.js';
import type { DataCoordinate } from '../dimensions/data-id.js';
import { type DataIdJSON, dataIdFromJSON, dataIdToJSON, parseVersioned } from '../dimensions/data-id-json.js';
import type { DimensionGroup, DimensionUniverse } from '../dimensions/universe.js';

/** daf_butler's dataset type name rule; a dot separates a component (`calexp.wcs`). */
const NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*(\.[a-zA-Z_][a-zA-Z0-9_]*)*$/;
export const DATASET_TYPE_NAME_MAX = 128;

export function splitComponentName(name: string): { parent: string; component: string | null } {
  const i = name.indexOf('.');
  return i < 0
    ? { parent: name, component: null }
    : { parent: name.slice(0, i), component: name.slice(i + 1) };
}

export function validateDatasetTypeName(name: string): void {
  if (!NAME_RE.test(name) || name.length > DATASET_TYPE_NAME_MAX) {
    throw meridianError(
      'DATASET_TYPE_NAME_INVALID',
      `invalid dataset type name '${name}': use letters, digits and underscores (a dot separates a component), at most ${DATASET_TYPE_NAME_MAX} characters`,
      { name },
    );
  }
}

export class DatasetType {
  readonly name: string;
  readonly dimensions: DimensionGroup;
  readonly storageClass: string;
  readonly isCalibration: boolean;
  /** Storage class of the parent composite when this is a component dataset type. */
  readonly parentStorageClass: string | null;

  constructor(
    name: string,
    dimensions: DimensionGroup,
    storageClass: string,
    options: { isCalibration?: boolean; parentStorageClass?: string | null } = {},
  ) {
    validateDatasetTypeName(name);
    this.name = name;
    this.dimensions = dimensions;
    this.storageClass = storageClass;
    this.isCalibration = options.isCalibration ?? false;
    this.parentStorageClass = options.parentStorageClass ?? null;
  }

  get component(): string | null {
    return splitComponentName(this.name).component;
  }

  get parentName(): string {
    return splitComponentName(this.name).parent;
  }

  isComponent(): boolean {
    return this.component !== null;
  }

  makeComponent(component: string, componentStorageClass: string): DatasetType {
    return new DatasetType(`${this.name}.${component}`, this.dimensions, componentStorageClass, {
      isCalibration: this.isCalibration,
      parentStorageClass: this.storageClass,
    });
  }

  /** Same definition (name, dimensions, storage class, calibration flag). */
  equals(other: DatasetType): boolean {
    return (
      this.name === other.name &&
      this.dimensions.equals(other.dimensions) &&
      this.storageClass === other.storageClass &&
      this.isCalibration === other.isCalibration
    );
  }

  toJSON(): { name: string; dimensions: string[]; storageClass: string; isCalibration: boolean } {
    return {
      name: this.name,
      dimensions: [...this.dimensions.names],
      storageClass: this.storageClass,
      isCalibration: this.isCalibration,
    };
  }

  toString(): string {
    return `DatasetType(${this.name}, ${this.dimensions}, ${this.storageClass}${this.isCalibration ? ', calibration' : ''})`;
  }
}

/** A resolved reference to one dataset: its type, data ID, RUN and UUID. */
export interface DatasetRef {
  readonly id: string;
  readonly datasetType: DatasetType;
  readonly dataId: DataCoordinate;
  readonly run: string;
}

/**
 * The JSON form of a resolved ref, carrying everything a datastore needs without a registry: the full dataset type
 * definition and the data ID with its dimension records (when it was expanded).
 *
 * Version history: 1 — first version (earlier `refToJSON` output had no version and was never read back).
 */
export const REF_JSON_VERSION = 1;

export interface DatasetTypeJSON {
  readonly name: string;
  readonly dimensions: readonly string[];
  readonly storageClass: string;
  readonly isCalibration: boolean;
  /** Storage class of the parent composite, for a component dataset type (`calexp.wcs`). */
  readonly parentStorageClass: string | null;
}

export interface DatasetRefJSON {
  readonly version: number;
  readonly id: string;
  readonly run: string;
  readonly datasetType: DatasetTypeJSON;
  readonly dataId: DataIdJSON;
}

const refSchema = z
  .object({
    version: z.number().int().positive(),
    id: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i),
    run: z.string().min(1),
    datasetType: z
      .object({
        name: z.string(),
        dimensions: z.array(z.string()),
        storageClass: z.string().min(1),
        isCalibration: z.boolean(),
        parentStorageClass: z.string().nullable(),
      })
      .strict(),
    // Validated by dataIdFromJSON, which knows the universe.
    dataId: z.unknown(),
  })
  .strict();

export function refToJSON(ref: DatasetRef): DatasetRefJSON {
  const dt = ref.datasetType;
  return {
    version: REF_JSON_VERSION,
    id: ref.id,
    run: ref.run,
    datasetType: {
      name: dt.name,
      dimensions: [...dt.dimensions.names],
      storageClass: dt.storageClass,
      isCalibration: dt.isCalibration,
      parentStorageClass: dt.parentStorageClass,
    },
    dataId: dataIdToJSON(ref.dataId),
  };
}

/** Rebuilds a ref written by `refToJSON` (e.g. after JSON.stringify and JSON.parse) in the given universe. */
export function refFromJSON(json: unknown, universe: DimensionUniverse): DatasetRef {
  const parsed = parseVersioned(refSchema, json, 'dataset ref', REF_JSON_VERSION);
  const dt = parsed.datasetType;
  const datasetType = new DatasetType(dt.name, universe.group(dt.dimensions), dt.storageClass, {
    isCalibration: dt.isCalibration,
    parentStorageClass: dt.parentStorageClass,
  });
  const dataId = dataIdFromJSON(parsed.dataId, universe);
  if (!dataId.group.equals(datasetType.dimensions)) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `dataset ref JSON: data ID dimensions ${dataId.group} differ from those of ${datasetType}`,
      { id: parsed.id },
    );
  }
  return Object.freeze({ id: parsed.id, datasetType, dataId, run: parsed.run });
}
