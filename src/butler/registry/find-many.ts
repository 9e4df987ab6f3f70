import { toBigIntOrNull, toNumber } from '../../db/index.js';
import { meridianError } from '../../errors.js';
import type { DatasetRef } from '../core/dataset-type.js';
import type { DataIdValue } from '../dimensions/data-id.js';
import { Timespan } from '../time/index.js';
import type { CollectionRecord } from './collections.js';
import { datasetIdCodec } from './dataset-ids.js';
import type { DatasetTypeRecord } from './dataset-types.js';
import type { RegistryDatabase } from './open.js';

/** Data IDs per statement: small enough for every back end's parameter limit. */
const CHUNK = 500;

interface Candidate {
  readonly id: string;
  readonly rank: number;
  /** Null for a RUN/TAGGED membership (valid at every time). */
  readonly timespan: Timespan | null;
  readonly collection: CollectionRecord;
}

/**
 * Find-first lookup of one dataset type for many data IDs at once: the candidates of every data ID come from a
 * few statements per CHUNK data IDs (instead of one search per data ID), and the first collection in search order
 * that holds one wins. For a calibration type in CALIBRATION collections, `timespans[i]` selects the certification
 * valid at the i-th data ID's time; two valid ones in one collection are CALIBRATION_AMBIGUOUS, as in
 * `findDataset`. Returns the dataset IDs aligned with `dataIds` (null where nothing was found).
 */
export async function findDatasetIds(
  database: RegistryDatabase,
  rec: DatasetTypeRecord,
  dataIds: readonly Readonly<Record<string, DataIdValue>>[],
  collections: readonly CollectionRecord[],
  timespans: readonly (Timespan | null)[] | undefined,
): Promise<(string | null)[]> {
  const dims = rec.datasetType.dimensions.required;
  const rank = new Map(collections.map((c, i) => [c.id, i]));
  const tagged = collections.filter((c) => c.type === 'RUN' || c.type === 'TAGGED');
  const calibs = rec.datasetType.isCalibration ? collections.filter((c) => c.type === 'CALIBRATION') : [];
  const keyOf = (values: Readonly<Record<string, unknown>>) =>
    dims.map((d) => String(values[d])).join('\u0000');
  const unique = new Map<string, Readonly<Record<string, DataIdValue>>>();
  for (const d of dataIds) {
    for (const dim of dims) {
      if (d[dim] === undefined) {
        throw meridianError(
          'DATA_ID_INCOMPLETE',
          `a data ID has no '${dim}', required by ${rec.datasetType.name}`,
          {
            missing: dim,
          },
        );
      }
    }
    unique.set(keyOf(d), d);
  }
  if (unique.size === 0) return [];
  const candidates = new Map<string, Candidate[]>();
  const ids = datasetIdCodec(database.capabilities);
  const add = (row: Record<string, unknown>, timespan: Timespan | null) => {
    const collection = collections.find((c) => c.id === toNumber(row.collection_id))!;
    const k = keyOf(row);
    let list = candidates.get(k);
    if (list === undefined) candidates.set(k, (list = []));
    list.push({ id: ids.fromDb(row.dataset_id), rank: rank.get(collection.id)!, timespan, collection });
  };
  const all = [...unique.values()];
  for (const [table, colls] of [
    [rec.tagsTable, tagged],
    [rec.calibsTable, calibs],
  ] as const) {
    if (colls.length === 0) continue;
    const isCalib = table === rec.calibsTable;
    for (let i = 0; i < all.length; i += CHUNK) {
      const chunk = all.slice(i, i + CHUNK);
      let q = database
        .executor()
        .selectFrom(`${table} as t`)
        .selectAll()
        .where('t.dataset_type_id', '=', rec.id)
        .where(
          't.collection_id',
          'in',
          colls.map((c) => c.id),
        );
      if (dims.length > 0) {
        // All but the last dimension usually take one value (the instrument); filter on each one's values and
        // let the exact key match in JS drop cross-product rows.
        for (const d of dims) {
          q = q.where(`t.${d}`, 'in', [...new Set(chunk.map((v) => v[d]!))] as never);
        }
      }
      let rows: Record<string, unknown>[];
      try {
        rows = await q.execute();
      } catch (err) {
        throw database.translateError(err, 'find datasets');
      }
      for (const row of rows) {
        if (dims.length > 0 && !unique.has(keyOf(row))) continue;
        add(
          row,
          isCalib ? new Timespan(toBigIntOrNull(row.timespan_begin), toBigIntOrNull(row.timespan_end)) : null,
        );
      }
    }
  }
  return dataIds.map((d, i) => {
    const list = candidates.get(keyOf(d));
    if (list === undefined) return null;
    const timespan = timespans?.[i] ?? null;
    const valid = list.filter((c) => {
      if (c.timespan === null) return true;
      if (timespan === null) {
        throw meridianError(
          'CALIBRATION_TIMESPAN_REQUIRED',
          `looking up ${rec.datasetType.name} in CALIBRATION collection ${c.collection.name} needs a timespan for data ID ${JSON.stringify(d)}`,
        );
      }
      return c.timespan.overlaps(timespan);
    });
    if (valid.length === 0) return null;
    const best = Math.min(...valid.map((c) => c.rank));
    const winners = new Set(valid.filter((c) => c.rank === best).map((c) => c.id));
    if (winners.size > 1) {
      const coll = valid.find((c) => c.rank === best)!.collection;
      throw meridianError(
        'CALIBRATION_AMBIGUOUS',
        `${winners.size} ${rec.datasetType.name} calibrations in '${coll.name}' are valid during ${timespan} for ${JSON.stringify(d)}; narrow the timespan`,
        { collection: coll.name, ids: [...winners] },
      );
    }
    return [...winners][0]!;
  });
}

/** Refs for found IDs, aligned with `ids`. */
export async function refsForIds(
  ids: readonly (string | null)[],
  getByIds: (ids: readonly string[]) => Promise<Map<string, DatasetRef>>,
): Promise<(DatasetRef | null)[]> {
  const found = await getByIds([...new Set(ids.filter((i): i is string => i !== null))]);
  return ids.map((id) => (id === null ? null : (found.get(id.toLowerCase()) ?? null)));
}
