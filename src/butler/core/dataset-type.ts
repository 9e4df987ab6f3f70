import { meridianError } from '../../errors.js';
import type { DataCoordinate } from '../dimensions/data-id.js';
import type { DimensionGroup } from '../dimensions/universe.js';

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

export function refToJSON(ref: DatasetRef): Record<string, unknown> {
  return {
    id: ref.id,
    datasetType: ref.datasetType.name,
    run: ref.run,
    dataId: ref.dataId.toJSON(),
  };
}
