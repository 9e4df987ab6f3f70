/**
 * What a dataset lookup by type and data ID says, the same for the local `Butler` and `RemoteButler`: which
 * collections it searches, and the error when nothing is found there.
 */

import { type MeridianError, meridianError } from '../errors.js';
import type { DataIdInput } from './dimensions/data-id.js';

/** The call's collections, else the butler's defaults; a lookup with none to search is INVALID_ARGUMENT. */
export function collectionsToSearch(
  given: readonly string[] | undefined,
  defaults: readonly string[],
): readonly string[] {
  const collections = given ?? defaults;
  if (collections.length === 0) {
    throw meridianError(
      'INVALID_ARGUMENT',
      'no collections to search: pass { collections } or open the butler with some',
    );
  }
  return collections;
}

export function datasetNotFound(
  datasetType: string,
  dataId: DataIdInput,
  collections: readonly string[],
): MeridianError {
  return meridianError(
    'DATASET_NOT_FOUND',
    `no ${datasetType} dataset for ${JSON.stringify(dataId)} in collections [${collections.join(', ')}]`,
    { datasetType, dataId: { ...dataId } },
  );
}
