import type { DatastoreRef } from '../../../src/butler/datastore/index.js';

let next = 0;

/** A dataset ref for tests; dimensions default to the data ID keys. */
export function makeRef(
  datasetTypeName: string,
  dataId: Record<string, string | number>,
  options: {
    storageClass?: string;
    run?: string;
    id?: string;
    dimensions?: string[];
    recordValues?: Record<string, string | number>;
    component?: string | null;
  } = {},
): DatastoreRef {
  return {
    id: options.id ?? `00000000-0000-7000-8000-${String(next++).padStart(12, '0')}`,
    datasetType: {
      name: datasetTypeName,
      storageClass: options.storageClass ?? 'StructuredDataDict',
      dimensions: options.dimensions ?? Object.keys(dataId),
    },
    run: options.run ?? 'run2',
    dataId,
    recordValues: options.recordValues,
    component: options.component,
  };
}
