import { meridianError } from '../../errors.js';
import type { Region } from '../../sphere/index.js';
import type { Timespan } from '../time/index.js';
import type { ColumnType, DimensionGroup, DimensionUniverse } from './universe.js';

export type DataIdValue = string | number;
/** What users pass: a plain object; integer dimensions may be given as numeric strings (from the CLI). */
export type DataIdInput = Readonly<Record<string, DataIdValue | bigint | boolean | null | undefined>>;

/** A dimension record: key, dependency and metadata columns, plus optional region and timespan. */
export interface DimensionRecord {
  readonly [column: string]: unknown;
  readonly region?: Region | null;
  readonly timespan?: Timespan | null;
}

/**
 * A validated data ID. `values` always holds the required dimensions of `group`; when `hasFull` it also holds the
 * implied ones; `records` (when expanded) holds the record of every dimension element that has one.
 */
export class DataCoordinate {
  readonly group: DimensionGroup;
  readonly values: Readonly<Record<string, DataIdValue>>;
  readonly hasFull: boolean;
  readonly records: Readonly<Record<string, DimensionRecord>> | undefined;

  constructor(
    group: DimensionGroup,
    values: Record<string, DataIdValue>,
    hasFull: boolean,
    records?: Record<string, DimensionRecord>,
  ) {
    this.group = group;
    this.values = Object.freeze({ ...values });
    this.hasFull = hasFull;
    this.records = records === undefined ? undefined : Object.freeze({ ...records });
  }

  static empty(universe: DimensionUniverse): DataCoordinate {
    return new DataCoordinate(universe.empty, {}, true, {});
  }

  get(name: string): DataIdValue {
    const v = this.values[name];
    if (v === undefined) {
      throw meridianError('DATA_ID_INCOMPLETE', `data ID has no value for '${name}'`, { missing: name });
    }
    return v;
  }

  /** Values of the required dimensions only, in group order. */
  get required(): Record<string, DataIdValue> {
    const out: Record<string, DataIdValue> = {};
    for (const n of this.group.required) out[n] = this.values[n]!;
    return out;
  }

  /** Canonical string of the required values, for hashing and deduplication. */
  get key(): string {
    return this.group.required.map((n) => `${n}=${this.values[n]}`).join(',');
  }

  equals(other: DataCoordinate): boolean {
    return this.group.equals(other.group) && this.key === other.key;
  }

  toJSON(): Record<string, DataIdValue> {
    return { ...this.values };
  }

  toString(): string {
    return `{${Object.entries(this.values)
      .map(([k, v]) => `${k}: ${typeof v === 'string' ? `'${v}'` : v}`)
      .join(', ')}}`;
  }
}

/** Coerce one data ID value to the column type of its dimension's primary key. */
export function coerceKeyValue(dim: string, type: ColumnType, value: unknown): DataIdValue {
  if (type === 'int') {
    if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
    if (typeof value === 'bigint' && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
    if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value.trim());
    throw meridianError(
      'DATA_ID_INVALID',
      `data ID value for '${dim}' must be an integer, got ${JSON.stringify(String(value))}`,
      { dimension: dim, value: String(value) },
    );
  }
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number') return String(value);
  throw meridianError(
    'DATA_ID_INVALID',
    `data ID value for '${dim}' must be a non-empty string, got ${JSON.stringify(value)}`,
    { dimension: dim, value: String(value) },
  );
}
