/**
 * Init quanta, one per task: its init-outputs (schemas and `<label>_config`) predicted in the output run with
 * deterministic IDs, and its init-inputs taken from another task's init-output or found in the input collections
 * (with their datastore records); a missing one is PREREQUISITE_MISSING.
 */
import {
  type Butler,
  type DatasetRef,
  DatasetType,
  deterministicDatasetId,
  type StoredFileInfo,
} from '../../butler/index.js';
import { isMeridianError, meridianError } from '../../errors.js';
import type { PredictedInitQuantum, ResolvedConnection, ResolvedPipeline } from '../model.js';
import { RecordStore } from './data-ids.js';

export async function buildInitQuanta(
  butler: Butler,
  pipeline: ResolvedPipeline,
  registered: ReadonlyMap<string, DatasetType>,
  collections: readonly string[],
  run: string,
  stored: Map<string, readonly StoredFileInfo[]>,
): Promise<PredictedInitQuantum[]> {
  const universe = butler.universe;
  const empty = new RecordStore(universe).coordinate(universe.empty, {});
  const typeOf = (c: ResolvedConnection) =>
    registered.get(c.datasetType) ?? new DatasetType(c.datasetType, universe.empty, c.storageClass);
  const predicted = new Map<string, DatasetRef>();
  for (const t of pipeline.tasks) {
    for (const c of t.connections) {
      if (c.kind !== 'initOutput') continue;
      predicted.set(c.datasetType, {
        id: deterministicDatasetId(c.datasetType, {}, run, 'DATAID_TYPE_RUN'),
        datasetType: typeOf(c),
        dataId: empty,
        run,
      });
    }
  }
  const out: PredictedInitQuantum[] = [];
  for (const t of pipeline.tasks) {
    const initInputs: Record<string, DatasetRef[]> = {};
    const initOutputs: Record<string, DatasetRef[]> = {};
    const records: StoredFileInfo[] = [];
    for (const c of t.connections) {
      if (c.kind === 'initOutput') initOutputs[c.attr] = [predicted.get(c.datasetType)!];
      if (c.kind !== 'initInput') continue;
      const produced = predicted.get(c.datasetType);
      if (produced !== undefined) {
        initInputs[c.attr] = [produced];
        continue;
      }
      let ref: DatasetRef | null = null;
      try {
        [ref = null] = await butler.registry.findDatasets(c.datasetType, [{}], { collections });
      } catch (err) {
        if (!isMeridianError(err, 'DATASET_TYPE_UNKNOWN')) throw err;
      }
      if (ref === null) {
        throw meridianError(
          'PREREQUISITE_MISSING',
          `${t.label}: the init-input ${c.datasetType} is neither written by a task of the pipeline nor found in the collections ${collections.join(', ')}`,
          { label: t.label, datasetType: c.datasetType, collections: [...collections] },
        );
      }
      initInputs[c.attr] = [{ ...ref, dataId: empty }];
      await loadStored(butler, [ref.id], stored);
      records.push(...(stored.get(ref.id) ?? []));
    }
    out.push(Object.freeze({ label: t.label, initInputs, initOutputs, datastoreRecords: records }));
  }
  return out;
}

/** Datastore records of datasets that exist before the graph runs, fetched once per ID. */
export async function loadStored(
  butler: Butler,
  ids: readonly string[],
  into: Map<string, readonly StoredFileInfo[]>,
): Promise<void> {
  const missing = ids.filter((id) => !into.has(id));
  if (missing.length === 0) return;
  const found = await butler.registry.stored.get(missing);
  for (const id of missing) into.set(id, Object.freeze(found.get(id) ?? []));
}
