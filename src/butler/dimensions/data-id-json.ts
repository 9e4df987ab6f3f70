import { z } from 'zod';
import { meridianError } from '../../errors.js';
import { decodeRegion, encodeRegion, type Region } from '../../sphere/index.js';
import { Timespan, type TimespanJson } from '../time/index.js';
import { coerceKeyValue, DataCoordinate, type DataIdValue, type DimensionRecord } from './data-id.js';
import type { DimensionUniverse } from './universe.js';

/**
 * The JSON form of a data ID with its dimension records, so that a ref expanded by the registry can travel to a
 * job (in a quantum graph, over HTTP) and still fill file templates there (`{exposure.obs_id}`) without a registry.
 * Regions travel in the sphere module's versioned text encoding, timespans as TAI nanosecond strings.
 *
 * Version history: 1 — first version.
 */
export const DATA_ID_JSON_VERSION = 1;

/** A dimension record in JSON: its columns as they are, `region` encoded, `timespan` as nanosecond strings. */
export type DimensionRecordJSON = Record<string, string | number | boolean | null | TimespanJson>;

export interface DataIdJSON {
  readonly version: number;
  /** `namespace:version` of the universe the data ID belongs to; a different universe is refused on reading. */
  readonly universe: string;
  /** The dimensions of the data ID's group (its closure under requires/implies). */
  readonly dimensions: readonly string[];
  readonly values: Readonly<Record<string, DataIdValue>>;
  /** Whether `values` holds the implied dimensions too. */
  readonly hasFull: boolean;
  /** One record per element, when the data ID was expanded. */
  readonly records?: Readonly<Record<string, DimensionRecordJSON>>;
}

const timespanSchema = z.object({ begin: z.string().nullable(), end: z.string().nullable() }).strict();
const recordValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null(), timespanSchema]);

const dataIdSchema = z
  .object({
    version: z.number().int().positive(),
    universe: z.string(),
    dimensions: z.array(z.string()),
    values: z.record(z.string(), z.union([z.string(), z.number()])),
    hasFull: z.boolean(),
    records: z.record(z.string(), z.record(z.string(), recordValueSchema)).optional(),
  })
  .strict();

export function universeTag(universe: DimensionUniverse): string {
  return `${universe.namespace}:${universe.version}`;
}

export function dataIdToJSON(coord: DataCoordinate): DataIdJSON {
  const json: DataIdJSON = {
    version: DATA_ID_JSON_VERSION,
    universe: universeTag(coord.group.universe),
    dimensions: [...coord.group.names],
    values: { ...coord.values },
    hasFull: coord.hasFull,
  };
  if (coord.records === undefined) return json;
  const records: Record<string, DimensionRecordJSON> = {};
  for (const [element, rec] of Object.entries(coord.records)) records[element] = dimensionRecordToJSON(rec);
  return { ...json, records };
}

/** Rebuilds a data ID written by `dataIdToJSON` (validated: dimensions, key types and elements must fit `universe`). */
export function dataIdFromJSON(json: unknown, universe: DimensionUniverse): DataCoordinate {
  const parsed = parseVersioned(dataIdSchema, json, 'data ID', DATA_ID_JSON_VERSION);
  if (parsed.universe !== universeTag(universe)) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `data ID JSON belongs to dimension universe ${parsed.universe}, not ${universeTag(universe)}`,
      { universe: parsed.universe },
    );
  }
  const group = universe.group(parsed.dimensions);
  const values: Record<string, DataIdValue> = {};
  for (const [dim, value] of Object.entries(parsed.values)) {
    if (!group.has(dim)) {
      throw meridianError('DATA_ID_INVALID', `data ID JSON has a value for '${dim}', not one of ${group}`, {
        dimension: dim,
      });
    }
    values[dim] = coerceKeyValue(dim, universe.element(dim).primaryKey.type, value);
  }
  const expected = parsed.hasFull ? group.names : group.required;
  const missing = expected.find((d) => values[d] === undefined);
  if (missing !== undefined) {
    throw meridianError('DATA_ID_INCOMPLETE', `data ID JSON has no value for '${missing}'`, { missing });
  }
  if (parsed.records === undefined) return new DataCoordinate(group, values, parsed.hasFull);
  const records: Record<string, DimensionRecord> = {};
  for (const [element, rec] of Object.entries(parsed.records)) {
    universe.element(element); // UNKNOWN_DIMENSION for an element this universe lacks
    records[element] = dimensionRecordFromJSON(rec);
  }
  return new DataCoordinate(group, values, parsed.hasFull, records);
}

/** One dimension record in its JSON form (as inside `DataIdJSON.records`; also how the Butler API sends records). */
export function dimensionRecordToJSON(rec: DimensionRecord): DimensionRecordJSON {
  const out: DimensionRecordJSON = {};
  for (const [field, value] of Object.entries(rec)) {
    if (field === 'region') out.region = value ? encodeRegion(value as Region) : null;
    else if (field === 'timespan') out.timespan = value ? (value as Timespan).toJSON() : null;
    else if (typeof value === 'bigint') out[field] = Number(value);
    else out[field] = value as string | number | boolean | null;
  }
  return out;
}

/** Rebuilds a record written by `dimensionRecordToJSON` (region and timespan decoded). */
export function dimensionRecordFromJSON(json: DimensionRecordJSON): DimensionRecord {
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(json)) {
    if (field === 'region') out.region = typeof value === 'string' ? decodeRegion(value) : null;
    else if (field === 'timespan')
      out.timespan = value !== null && typeof value === 'object' ? Timespan.fromJSON(value) : null;
    else out[field] = value;
  }
  return Object.freeze(out);
}

/**
 * Validates a versioned JSON document: INVALID_ARGUMENT when it does not have the expected shape, SCHEMA_VERSION
 * when it was written by a newer Meridian. Every older version must stay readable here (STYLE rule 11).
 */
export function parseVersioned<T extends { version: number }>(
  schema: z.ZodType<T>,
  json: unknown,
  what: string,
  currentVersion: number,
): T {
  const version = (json as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version > currentVersion) {
    throw meridianError(
      'SCHEMA_VERSION',
      `${what} JSON has format version ${version}; this Meridian reads up to ${currentVersion}`,
      { version },
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw meridianError(
      'INVALID_ARGUMENT',
      `invalid ${what} JSON at ${issue.path.join('.') || '(top level)'}: ${issue.message}`,
      { path: issue.path.join('.') },
    );
  }
  return parsed.data;
}
