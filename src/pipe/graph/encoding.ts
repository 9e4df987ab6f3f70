/**
 * The compact per-quantum encoding inside a graph file's pages. A ref is a tuple of small table indices and its
 * data ID values (`[id, typeIndex, runIndex, flags, ...values]`); dimension records are not repeated per quantum
 * but looked up, on reading, in the file's deduplicated record table, so a ref comes back expanded from the file
 * alone. The tables (dataset types, runs, dimension groups) grow while quanta are written and are stored after
 * them; a reader loads them when it opens the file.
 */
import {
  DataCoordinate,
  type DataIdValue,
  type DatasetRef,
  DatasetType,
  type DimensionGroup,
  type DimensionRecord,
  type DimensionRecordJSON,
  type DimensionUniverse,
  dimensionRecordFromJSON,
  dimensionRecordToJSON,
  type StoredFileInfo,
} from '../../butler/index.js';
import { meridianError } from '../../errors.js';
import type { PredictedQuantum } from '../model.js';

/** A dataset type as the graph file stores it (the same fields as the butler's DatasetTypeJSON). */
export interface EncodedDatasetType {
  readonly name: string;
  readonly dimensions: readonly string[];
  readonly storageClass: string;
  readonly isCalibration: boolean;
  readonly parentStorageClass: string | null;
}

/** Bit 0: the values include the implied dimensions; bit 1: the data ID carried dimension records. */
const HAS_FULL = 1;
const EXPANDED = 2;

/** `[flags, ...values]` in the group's `names` (full) or `required` order. */
export type EncodedDataId = (number | string)[];
/** `[id, typeIndex, runIndex, flags, ...values]`. */
export type EncodedRef = (number | string)[];
/** `[datasetId, path, formatter, storageClass, component, checksum, fileSize]`. */
export type EncodedStoredFile = [string, string, string, string, string | null, string | null, number];

export interface EncodedQuantum {
  readonly id: string;
  readonly label: string;
  /** Index into the dimension-group table. */
  readonly group: number;
  readonly dataId: EncodedDataId;
  readonly inputs: Readonly<Record<string, readonly EncodedRef[]>>;
  readonly outputs: Readonly<Record<string, readonly EncodedRef[]>>;
  readonly datastoreRecords: readonly EncodedStoredFile[];
}

/** The tables every page refers to, as stored in the file. */
export interface EncodingTablesJSON {
  readonly datasetTypes: readonly EncodedDatasetType[];
  readonly runs: readonly string[];
  readonly groups: readonly (readonly string[])[];
  /** element → records (JSON form), deduplicated by the element's primary key. */
  readonly records: Readonly<Record<string, readonly DimensionRecordJSON[]>>;
}

const keyOf = (values: readonly unknown[]): string => values.join('\u0000');

/** The primary-key values of an element's record, read from a data ID's values (null if one is missing). */
function recordKeyFromDataId(
  element: { name: string; requires: readonly string[]; isDimension: boolean },
  values: Readonly<Record<string, DataIdValue>>,
): string | null {
  const parts: DataIdValue[] = [];
  for (const r of element.requires) {
    const v = values[r];
    if (v === undefined) return null;
    parts.push(v);
  }
  if (element.isDimension) {
    const v = values[element.name];
    if (v === undefined) return null;
    parts.push(v);
  }
  return keyOf(parts);
}

/** Builds the tables while quanta are encoded (writer side). */
export class EncodingTables {
  private readonly typeIndex = new Map<string, number>();
  private readonly types: EncodedDatasetType[] = [];
  private readonly runIndex = new Map<string, number>();
  private readonly runs: string[] = [];
  private readonly groupIndex = new Map<string, number>();
  private readonly groups: (readonly string[])[] = [];
  private readonly records = new Map<string, Map<string, DimensionRecordJSON>>();
  /** Identity shortcuts: the builder shares groups, types and records between refs, so most lookups hit these. */
  private readonly groupByObject = new Map<DimensionGroup, number>();
  private readonly typeByObject = new Map<DatasetType, number>();
  private readonly seenRecords = new WeakSet<object>();
  private readonly seenCoordinates = new WeakSet<DataCoordinate>();

  constructor(private readonly universe: DimensionUniverse) {}

  encodeQuantum(q: PredictedQuantum): EncodedQuantum {
    const encodeRefs = (byAttr: Readonly<Record<string, readonly DatasetRef[]>>) => {
      const out: Record<string, EncodedRef[]> = {};
      for (const [attr, refs] of Object.entries(byAttr)) out[attr] = refs.map((r) => this.encodeRef(r));
      return out;
    };
    return {
      id: q.id,
      label: q.label,
      group: this.group(q.dataId.group),
      dataId: this.encodeDataId(q.dataId),
      inputs: encodeRefs(q.inputs),
      outputs: encodeRefs(q.outputs),
      datastoreRecords: q.datastoreRecords.map(encodeStoredFile),
    };
  }

  encodeRef(ref: DatasetRef): EncodedRef {
    return [ref.id, this.datasetType(ref.datasetType), this.run(ref.run), ...this.encodeDataId(ref.dataId)];
  }

  encodeDataId(coord: DataCoordinate): EncodedDataId {
    const names = coord.hasFull ? coord.group.names : coord.group.required;
    const flags = (coord.hasFull ? HAS_FULL : 0) | (coord.records !== undefined ? EXPANDED : 0);
    if (coord.records !== undefined && !this.seenCoordinates.has(coord)) {
      this.seenCoordinates.add(coord);
      this.addRecords(coord);
    }
    const out: EncodedDataId = [flags];
    for (const n of names) out.push(coord.values[n]!);
    return out;
  }

  private addRecords(coord: DataCoordinate): void {
    for (const [elementName, rec] of Object.entries(coord.records!)) {
      if (this.seenRecords.has(rec)) continue;
      this.seenRecords.add(rec);
      const element = this.universe.element(elementName);
      const key = recordKeyFromDataId(element, coord.values);
      if (key === null) continue;
      let byKey = this.records.get(elementName);
      if (byKey === undefined) this.records.set(elementName, (byKey = new Map()));
      if (!byKey.has(key)) byKey.set(key, dimensionRecordToJSON(rec));
    }
  }

  private datasetType(dt: DatasetType): number {
    const known = this.typeByObject.get(dt);
    if (known !== undefined) return known;
    const i = this.datasetTypeByValue(dt);
    this.typeByObject.set(dt, i);
    return i;
  }

  private datasetTypeByValue(dt: DatasetType): number {
    const k = `${dt.name}\u0000${dt.dimensions.key}\u0000${dt.storageClass}\u0000${dt.isCalibration}\u0000${dt.parentStorageClass}`;
    let i = this.typeIndex.get(k);
    if (i === undefined) {
      i = this.types.length;
      this.types.push({
        name: dt.name,
        dimensions: [...dt.dimensions.names],
        storageClass: dt.storageClass,
        isCalibration: dt.isCalibration,
        parentStorageClass: dt.parentStorageClass,
      });
      this.typeIndex.set(k, i);
    }
    return i;
  }

  private run(name: string): number {
    let i = this.runIndex.get(name);
    if (i === undefined) {
      i = this.runs.length;
      this.runs.push(name);
      this.runIndex.set(name, i);
    }
    return i;
  }

  private group(g: DimensionGroup): number {
    const known = this.groupByObject.get(g);
    if (known !== undefined) return known;
    let i = this.groupIndex.get(g.key);
    if (i === undefined) {
      i = this.groups.length;
      this.groups.push([...g.names]);
      this.groupIndex.set(g.key, i);
    }
    this.groupByObject.set(g, i);
    return i;
  }

  groupIndexOf(g: DimensionGroup): number {
    return this.group(g);
  }

  toJSON(): EncodingTablesJSON {
    const records: Record<string, DimensionRecordJSON[]> = {};
    for (const [element, byKey] of this.records) records[element] = [...byKey.values()];
    return { datasetTypes: this.types, runs: this.runs, groups: this.groups, records };
  }
}

function encodeStoredFile(f: StoredFileInfo): EncodedStoredFile {
  return [f.datasetId, f.path, f.formatter, f.storageClass, f.component, f.checksum, f.fileSize];
}

/** Turns encoded quanta back into PredictedQuanta with expanded refs (reader side). */
export class DecodingTables {
  private readonly types: DatasetType[];
  private readonly runs: readonly string[];
  private readonly groups: DimensionGroup[];
  private readonly records = new Map<string, Map<string, DimensionRecord>>();

  constructor(
    private readonly universe: DimensionUniverse,
    json: EncodingTablesJSON,
  ) {
    this.types = json.datasetTypes.map(
      (t) =>
        new DatasetType(t.name, universe.group(t.dimensions), t.storageClass, {
          isCalibration: t.isCalibration,
          parentStorageClass: t.parentStorageClass,
        }),
    );
    this.runs = json.runs;
    this.groups = json.groups.map((g) => universe.group(g));
    for (const [elementName, recs] of Object.entries(json.records)) {
      const element = universe.element(elementName);
      const pk = element.tablePrimaryKey();
      const byKey = new Map<string, DimensionRecord>();
      for (const r of recs) byKey.set(keyOf(pk.map((c) => r[c] as DataIdValue)), dimensionRecordFromJSON(r));
      this.records.set(elementName, byKey);
    }
  }

  decodeQuantum(q: EncodedQuantum): PredictedQuantum {
    const decodeRefs = (byAttr: Readonly<Record<string, readonly EncodedRef[]>>) => {
      const out: Record<string, readonly DatasetRef[]> = {};
      for (const [attr, refs] of Object.entries(byAttr))
        out[attr] = Object.freeze(refs.map((r) => this.decodeRef(r)));
      return Object.freeze(out);
    };
    return Object.freeze({
      id: q.id,
      label: q.label,
      dataId: this.decodeDataId(this.groupAt(q.group), q.dataId, 0),
      inputs: decodeRefs(q.inputs),
      outputs: decodeRefs(q.outputs),
      datastoreRecords: Object.freeze(
        q.datastoreRecords.map(([datasetId, path, formatter, storageClass, component, checksum, fileSize]) =>
          Object.freeze({ datasetId, path, formatter, storageClass, component, checksum, fileSize }),
        ),
      ),
    });
  }

  decodeRef(r: EncodedRef): DatasetRef {
    const datasetType = this.types[r[1] as number];
    const run = this.runs[r[2] as number];
    if (datasetType === undefined || run === undefined || typeof r[0] !== 'string') {
      throw corrupt(`a dataset ref refers to a table entry that does not exist`);
    }
    return Object.freeze({
      id: r[0],
      datasetType,
      dataId: this.decodeDataId(datasetType.dimensions, r, 3),
      run,
    });
  }

  /** Only the values of the data ID encoded at `start` of `enc` (the thin graph needs no records). */
  decodeValues(
    group: DimensionGroup,
    enc: readonly (number | string)[],
    start: number,
  ): Record<string, DataIdValue> {
    const hasFull = ((enc[start] as number) & HAS_FULL) !== 0;
    const names = hasFull ? group.names : group.required;
    if (enc.length - start - 1 !== names.length) {
      throw corrupt(`a data ID has ${enc.length - start - 1} values for the dimensions ${group}`);
    }
    const values: Record<string, DataIdValue> = {};
    for (let i = 0; i < names.length; i++) values[names[i]!] = enc[start + 1 + i]!;
    return values;
  }

  /** The data ID encoded at `start` of `enc` (flags, then values). */
  decodeDataId(group: DimensionGroup, enc: readonly (number | string)[], start: number): DataCoordinate {
    const flags = enc[start] as number;
    const hasFull = (flags & HAS_FULL) !== 0;
    const values = this.decodeValues(group, enc, start);
    if ((flags & EXPANDED) === 0) return new DataCoordinate(group, values, hasFull);
    const records: Record<string, DimensionRecord> = {};
    for (const element of group.elements) {
      if (!element.hasTable) continue;
      const key = recordKeyFromDataId(element, values);
      const rec = key === null ? undefined : this.records.get(element.name)?.get(key);
      if (rec !== undefined) records[element.name] = rec;
    }
    return new DataCoordinate(group, values, hasFull, records);
  }

  groupAt(index: number): DimensionGroup {
    const g = this.groups[index];
    if (g === undefined) throw corrupt(`a quantum refers to dimension group ${index}, which does not exist`);
    return g;
  }

  get universeOf(): DimensionUniverse {
    return this.universe;
  }
}

export function corrupt(what: string, details: Record<string, unknown> = {}) {
  return meridianError('QGRAPH_INVALID', `the quantum graph file is corrupt: ${what}`, details);
}
