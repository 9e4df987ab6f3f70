/**
 * The rows of the builder's one big data-ID query and what is derived from them: keys of data IDs per dimension
 * group (plain strings, so a million quanta cost strings, not objects), the relation between a quantum and the
 * data IDs of a connection, and the dimension records every data ID of the graph is expanded with, fetched in
 * bulk once (`fetchMany`) instead of per data ID.
 */
import {
  type Butler,
  DataCoordinate,
  type DataIdValue,
  type DimensionGroup,
  type DimensionRecord,
  type DimensionUniverse,
} from '../../butler/index.js';

export type Values = Readonly<Record<string, DataIdValue>>;

/** The key of a data ID in a group: its required values joined by NUL. */
export function keyIn(group: DimensionGroup, values: Values): string {
  const req = group.required;
  if (req.length === 1) return String(values[req[0]!]);
  let k = '';
  for (let i = 0; i < req.length; i++) k += (i > 0 ? '\u0000' : '') + String(values[req[i]!]);
  return k;
}

/** Only the values of the group's dimensions (all of them: rows carry implied values too). */
export function pick(group: DimensionGroup, values: Values): Record<string, DataIdValue> {
  const out: Record<string, DataIdValue> = {};
  for (const n of group.names) {
    const v = values[n];
    if (v !== undefined) out[n] = v;
  }
  return out;
}

/** Dimension records by element and primary-key values, for every data ID in the graph. */
export class RecordStore {
  private readonly byElement = new Map<string, Map<string, DimensionRecord>>();

  constructor(private readonly universe: DimensionUniverse) {}

  /** Fetch the records of `elements` for the data IDs in `rows` (which carry values for all their dimensions). */
  async load(butler: Butler, elements: readonly string[], rows: readonly Values[]): Promise<void> {
    for (const name of elements) {
      const element = this.universe.element(name);
      if (!element.hasTable) continue;
      const pk = [...element.requires, ...(element.isDimension ? [name] : [])];
      const keys = new Map<string, DataIdValue[]>();
      for (const row of rows) {
        const key: DataIdValue[] = [];
        let complete = true;
        for (const d of pk) {
          const v = row[d];
          if (v === undefined) {
            complete = false;
            break;
          }
          key.push(v);
        }
        if (complete) keys.set(key.join('\u0000'), key);
      }
      const have = this.byElement.get(name);
      const missing =
        have === undefined ? [...keys.values()] : [...keys].filter(([k]) => !have.has(k)).map(([, v]) => v);
      if (missing.length === 0) continue;
      const fetched = await butler.registry.dimensions.fetchMany(name, missing);
      if (have === undefined) this.byElement.set(name, fetched);
      else for (const [k, r] of fetched) have.set(k, r);
    }
  }

  record(elementName: string, values: Values): DimensionRecord | undefined {
    const element = this.universe.element(elementName);
    const map = this.byElement.get(elementName);
    if (map === undefined) return undefined;
    let k = '';
    for (const r of element.requires) k += `${String(values[r])}\u0000`;
    if (element.isDimension) k += String(values[elementName]);
    else k = k.slice(0, -1);
    return map.get(k);
  }

  /** An expanded data ID of `group` from full values (records of the group's dimensions attached). */
  coordinate(group: DimensionGroup, values: Values): DataCoordinate {
    const records: Record<string, DimensionRecord> = {};
    for (const n of group.names) {
      const rec = this.record(n, values);
      if (rec !== undefined) records[n] = rec;
    }
    const picked = pick(group, values);
    const full = group.names.every((n) => picked[n] !== undefined);
    return new DataCoordinate(group, picked, full, records);
  }
}

/**
 * For one (quantum group, connection group) pair: the connection's data IDs (keys and values) of each quantum.
 * When the connection's dimensions are a subset of the quantum's, that is the quantum's own projection (no table
 * needed); otherwise the rows of the big query say which data IDs go together.
 */
export class ConnectionIndex {
  private readonly table: Map<string, Map<string, Values>> | null;
  /** The connection's data ID is the quantum's own (same required dimensions): its key is the quantum's key. */
  readonly sameKey: boolean;

  constructor(
    readonly quantumGroup: DimensionGroup,
    readonly connectionGroup: DimensionGroup,
    rows: readonly Values[],
  ) {
    this.sameKey = quantumGroup.required.join(',') === connectionGroup.required.join(',');
    if (quantumGroup.issuperset(connectionGroup)) {
      this.table = null;
      return;
    }
    this.table = new Map();
    for (const row of rows) {
      const qk = keyIn(quantumGroup, row);
      let m = this.table.get(qk);
      if (m === undefined) this.table.set(qk, (m = new Map()));
      const ck = keyIn(connectionGroup, row);
      if (!m.has(ck)) m.set(ck, row);
    }
  }

  /** [key, values] of the connection's data IDs for a quantum (values may hold more dimensions than needed). */
  lookup(quantumKey: string, quantumValues: Values): readonly (readonly [string, Values])[] {
    if (this.table === null) {
      return [[this.sameKey ? quantumKey : keyIn(this.connectionGroup, quantumValues), quantumValues]];
    }
    const m = this.table.get(quantumKey);
    return m === undefined ? [] : [...m];
  }
}

/** Distinct data IDs of a group among the rows, in first-seen order: key → full values. */
export function distinctIn(group: DimensionGroup, rows: readonly Values[]): Map<string, Values> {
  const out = new Map<string, Values>();
  for (const row of rows) {
    const k = keyIn(group, row);
    if (!out.has(k)) out.set(k, row);
  }
  return out;
}
