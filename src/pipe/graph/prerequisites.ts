/**
 * Prerequisite inputs, looked up per task for all its quanta at once (one batched registry lookup per connection,
 * never one query per quantum):
 *   - calibration: certified in a CALIBRATION collection, valid at the quantum's exposure/visit/day timespan;
 *   - region: reference-catalog shards ({htmN}) whose trixels overlap the quantum's region (the detector's region
 *     in a visit, else the patch, visit or tract region);
 *   - dataId: find-first with the quantum's data ID projected onto the connection's dimensions.
 * A quantum with fewer than `minimum` is PREREQUISITE_MISSING naming the type, the data ID and the collections.
 */
import type { Butler, DatasetRef, DimensionGroup, Timespan } from '../../butler/index.js';
import { isMeridianError, meridianError } from '../../errors.js';
import { HtmPixelization, type Region } from '../../sphere/index.js';
import type { ResolvedConnection } from '../model.js';
import type { RecordStore, Values } from './data-ids.js';

/** One quantum as the lookups see it: its key and full data ID values. */
export interface QuantumSlot {
  readonly key: string;
  readonly values: Values;
}

export interface FoundPrerequisite {
  readonly ref: DatasetRef;
  /** Full values of the ref's data ID (for expansion with the record store). */
  readonly values: Values;
}

/** Elements whose region stands for a quantum's, most specific first. */
const REGION_ELEMENTS = ['visit_detector_region', 'patch', 'visit', 'tract'] as const;
const TEMPORAL_ELEMENTS = ['exposure', 'visit', 'day_obs'] as const;

export function regionOf(store: RecordStore, group: DimensionGroup, values: Values): Region | null {
  // An exposure's region is that of its visit: the rows carry the visit when the plan asked for it.
  const dims = new Set(group.names);
  if (group.has('exposure') && values.visit !== undefined) dims.add('visit');
  for (const name of REGION_ELEMENTS) {
    const el = group.universe.has(name) ? group.universe.element(name) : undefined;
    if (el === undefined) continue;
    const present = el.isDimension ? dims.has(name) : el.requires.every((r) => dims.has(r));
    if (!present) continue;
    const region = store.record(name, values)?.region;
    if (region) return region;
  }
  return null;
}

export function timespanOf(store: RecordStore, group: DimensionGroup, values: Values): Timespan | null {
  for (const name of TEMPORAL_ELEMENTS) {
    if (!group.has(name)) continue;
    const ts = store.record(name, values)?.timespan;
    if (ts) return ts;
  }
  return null;
}

/** Whether a lookup needs visit_detector_region records (loaded only then: they carry a region each). */
export function needsDetectorRegions(conn: ResolvedConnection): boolean {
  return conn.lookup?.kind === 'region';
}

export async function lookupPrerequisite(
  butler: Butler,
  store: RecordStore,
  label: string,
  quantumGroup: DimensionGroup,
  conn: ResolvedConnection,
  quanta: readonly QuantumSlot[],
  collections: readonly string[],
): Promise<FoundPrerequisite[][]> {
  const universe = butler.universe;
  const connGroup = universe.group(conn.dimensions);
  const lookupKind = conn.lookup?.kind ?? 'dataId';
  const missingType = (err: unknown) =>
    isMeridianError(err, 'DATASET_TYPE_UNKNOWN')
      ? meridianError(
          'PREREQUISITE_MISSING',
          `${label}: the prerequisite dataset type ${conn.datasetType} is not registered in the repository`,
          { label, datasetType: conn.datasetType },
        )
      : err;
  let found: FoundPrerequisite[][];
  if (lookupKind === 'region') {
    if (connGroup.required.length !== 1 || !universe.element(connGroup.required[0]!).isSkypix) {
      throw meridianError(
        'PIPELINE_INVALID',
        `${label}.${conn.attr}: a region lookup needs a single sky-pixel dimension, not ${connGroup}`,
      );
    }
    const skypix = connGroup.required[0]!;
    const htm = new HtmPixelization(universe.element(skypix).skypixLevel!);
    const perQuantum: number[][] = [];
    const all = new Set<number>();
    for (const q of quanta) {
      const region = regionOf(store, quantumGroup, q.values);
      if (region === null) {
        throw meridianError(
          'PREREQUISITE_MISSING',
          `${label}: cannot look up ${conn.datasetType} by region: the quantum ${formatValues(q.values, quantumGroup)} has no region (no visit_detector_region, patch, visit or tract record with one)`,
          { label, datasetType: conn.datasetType },
        );
      }
      const pixels: number[] = [];
      for (const r of htm.envelope(region)) for (let p = r.begin; p < r.end; p++) pixels.push(p);
      perQuantum.push(pixels);
      for (const p of pixels) all.add(p);
    }
    const pixelList = [...all];
    const refs = await butler.registry
      .findDatasets(
        conn.datasetType,
        pixelList.map((p) => ({ [skypix]: p })),
        { collections },
      )
      .catch((err) => {
        throw missingType(err);
      });
    const byPixel = new Map<number, DatasetRef>();
    pixelList.forEach((p, i) => {
      const ref = refs[i];
      if (ref) byPixel.set(p, ref);
    });
    found = perQuantum.map((pixels) =>
      pixels.flatMap((p) => {
        const ref = byPixel.get(p);
        return ref === undefined ? [] : [{ ref, values: { [skypix]: p } }];
      }),
    );
  } else {
    if (!quantumGroup.issuperset(connGroup)) {
      throw meridianError(
        'PIPELINE_INVALID',
        `${label}.${conn.attr}: prerequisite dimensions ${connGroup} are not a subset of the task's ${quantumGroup}`,
      );
    }
    const timespans =
      lookupKind === 'calibration' ? quanta.map((q) => timespanOf(store, quantumGroup, q.values)) : undefined;
    if (timespans !== undefined) {
      const i = timespans.indexOf(null);
      if (i >= 0) {
        throw meridianError(
          'PREREQUISITE_MISSING',
          `${label}: cannot look up the calibration ${conn.datasetType} for ${formatValues(quanta[i]!.values, quantumGroup)}: the quantum has no exposure, visit or day_obs timespan`,
          { label, datasetType: conn.datasetType },
        );
      }
    }
    // One lookup per distinct (data ID, timespan) pair: detectors of one exposure share a calibration search.
    const refs = await butler.registry
      .findDatasets(
        conn.datasetType,
        quanta.map((q) => q.values),
        { collections, timespans },
      )
      .catch((err) => {
        throw missingType(err);
      });
    found = quanta.map((q, i) => {
      const ref = refs[i];
      return ref ? [{ ref, values: q.values }] : [];
    });
  }
  found.forEach((list, i) => {
    if (list.length >= conn.minimum) return;
    const q = quanta[i]!;
    const when =
      lookupKind === 'calibration'
        ? ` valid at ${timespanOf(store, quantumGroup, q.values)}`
        : lookupKind === 'region'
          ? ' overlapping its region'
          : '';
    throw meridianError(
      'PREREQUISITE_MISSING',
      `${label}: ${list.length === 0 ? 'no' : `only ${list.length} of the ${conn.minimum} needed`} ${conn.datasetType} dataset${conn.minimum > 1 ? 's' : ''}${when} for ${formatValues(q.values, lookupKind === 'region' ? quantumGroup : connGroup)} in the collections ${collections.join(', ')}`,
      {
        label,
        datasetType: conn.datasetType,
        dataId: Object.fromEntries(quantumGroup.required.map((d) => [d, q.values[d]])),
        collections: [...collections],
      },
    );
  });
  return found;
}

export function formatValues(values: Values, group: DimensionGroup): string {
  return `{${group.required.map((d) => `${d}: ${typeof values[d] === 'string' ? `'${values[d]}'` : values[d]}`).join(', ')}}`;
}
