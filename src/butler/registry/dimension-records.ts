import { toBigIntOrNull, toNumber } from '../../db/index.js';
import { isMeridianError, meridianError } from '../../errors.js';
import { decodeRegion, encodeRegion, HtmPixelization, type Region } from '../../sphere/index.js';
import {
  coerceKeyValue,
  DataCoordinate,
  type DataIdInput,
  type DataIdValue,
  type DimensionRecord,
} from '../dimensions/data-id.js';
import type {
  ColumnSpec,
  DimensionElement,
  DimensionGroup,
  DimensionUniverse,
} from '../dimensions/universe.js';
import { Timespan } from '../time/index.js';
import type { RegistryDatabase } from './open.js';
import { elementTableName, overlapTableName } from './schema.js';

/** Stores dimension records, keeps their sky-pixel overlap rows, and expands data IDs against them. */
export class DimensionRecordManager {
  private readonly cache = new Map<string, DimensionRecord | null>();
  private readonly htm: HtmPixelization;

  constructor(
    private readonly database: RegistryDatabase,
    readonly universe: DimensionUniverse,
  ) {
    this.htm = new HtmPixelization(universe.element(universe.commonSkyPix).skypixLevel!);
  }

  clearCache(): void {
    this.cache.clear();
  }

  /** Validate and normalise one record (coerce key types, parse region/timespan). */
  normalizeRecord(element: DimensionElement, input: Record<string, unknown>): DimensionRecord {
    if (!element.hasTable) {
      throw meridianError('INVALID_ARGUMENT', `element '${element.name}' has no records of its own`);
    }
    const out: Record<string, unknown> = {};
    const pk = element.tablePrimaryKey();
    const columns = element.tableColumns(this.universe);
    const known = new Set([...columns.map((c) => c.name), 'region', 'timespan']);
    for (const key of Object.keys(input)) {
      if (!known.has(key) && input[key] !== undefined) {
        throw meridianError('INVALID_ARGUMENT', `'${key}' is not a field of ${element.name} records`, {
          element: element.name,
          fields: [...known],
        });
      }
    }
    for (const col of columns) {
      const v = input[col.name];
      if (v === undefined || v === null) {
        if (pk.includes(col.name) || element.implies.includes(col.name) || element.keys.includes(col)) {
          throw meridianError('DATA_ID_INCOMPLETE', `${element.name} record is missing '${col.name}'`, {
            element: element.name,
            missing: col.name,
          });
        }
        out[col.name] = null;
        continue;
      }
      out[col.name] = coerceColumn(element.name, col, v);
    }
    if (element.spatial !== undefined) {
      const r = input.region;
      out.region =
        r === undefined || r === null ? null : typeof r === 'string' ? decodeRegion(r) : (r as Region);
    }
    if (element.temporal) {
      const t = input.timespan;
      out.timespan =
        t === undefined || t === null ? null : t instanceof Timespan ? t : Timespan.fromJSON(t as never);
    }
    return Object.freeze(out);
  }

  private toRow(element: DimensionElement, rec: DimensionRecord): Record<string, unknown> {
    const row: Record<string, unknown> = {};
    for (const col of element.tableColumns(this.universe)) row[col.name] = rec[col.name] ?? null;
    if (element.spatial !== undefined) row.region = rec.region ? encodeRegion(rec.region) : null;
    if (element.temporal) {
      row.timespan_begin = rec.timespan?.begin ?? null;
      row.timespan_end = rec.timespan?.end ?? null;
    }
    return row;
  }

  fromRow(element: DimensionElement, row: Record<string, unknown>, prefix = ''): DimensionRecord {
    const rec: Record<string, unknown> = {};
    for (const col of element.tableColumns(this.universe)) {
      rec[col.name] = readColumn(col, row[prefix + col.name]);
    }
    if (element.spatial !== undefined) {
      const r = row[`${prefix}region`];
      rec.region = typeof r === 'string' ? decodeRegion(r) : null;
    }
    if (element.temporal) {
      const b = toBigIntOrNull(row[`${prefix}timespan_begin`]);
      const e = toBigIntOrNull(row[`${prefix}timespan_end`]);
      rec.timespan = b === null && e === null ? null : new Timespan(b, e);
    }
    return Object.freeze(rec);
  }

  private cacheKey(element: DimensionElement, rec: Record<string, unknown>): string {
    return `${element.name}:${element
      .tablePrimaryKey()
      .map((k) => String(rec[k]))
      .join('\u0000')}`;
  }

  /**
   * Insert records. With `skipExisting`, records whose key already exists are left alone when identical and
   * raise DIMENSION_RECORD_CONFLICT when different; without it any existing key is a conflict.
   */
  async insert(
    elementName: string,
    inputs: readonly Record<string, unknown>[],
    options: { skipExisting?: boolean } = {},
  ): Promise<number> {
    const element = this.universe.element(elementName);
    const records = inputs.map((r) => this.normalizeRecord(element, r));
    let inserted = 0;
    await this.database.transaction(async (trx) => {
      for (const rec of records) {
        await this.checkDependencies(element, rec);
        const existing = await this.fetchOne(element, rec, true);
        if (existing !== null) {
          if (!options.skipExisting || !recordsEqual(element, this.universe, existing, rec)) {
            throw meridianError(
              'DIMENSION_RECORD_CONFLICT',
              `${element.name} record ${describeKey(element, rec)} already exists${
                options.skipExisting ? ' with different values' : ''
              }`,
              { element: element.name },
            );
          }
          continue;
        }
        await trx.insertInto(elementTableName(element)).values(this.toRow(element, rec)).execute();
        if (element.spatial !== undefined && rec.region) await this.insertOverlaps(element, rec);
        inserted++;
      }
    });
    for (const rec of records) this.cache.delete(this.cacheKey(element, rec));
    return inserted;
  }

  /** Insert the record if it is new; return false if an identical one exists; conflict if different. */
  async sync(elementName: string, input: Record<string, unknown>): Promise<boolean> {
    return (await this.insert(elementName, [input], { skipExisting: true })) === 1;
  }

  private async insertOverlaps(element: DimensionElement, rec: DimensionRecord): Promise<void> {
    const skypix = this.universe.commonSkyPix;
    const keys = element.tablePrimaryKey();
    const rows: Record<string, unknown>[] = [];
    for (const range of this.htm.envelope(rec.region!, 64)) {
      for (let i = range.begin; i < range.end; i++) {
        const row: Record<string, unknown> = { [skypix]: i };
        for (const k of keys) row[k] = rec[k];
        rows.push(row);
      }
    }
    const trx = this.database.executor();
    for (let i = 0; i < rows.length; i += 500) {
      await trx
        .insertInto(overlapTableName(element, skypix))
        .values(rows.slice(i, i + 500))
        .execute();
    }
  }

  /** Check that the records this one requires or implies exist. */
  private async checkDependencies(element: DimensionElement, rec: DimensionRecord): Promise<void> {
    for (const dep of [...element.requires, ...element.implies]) {
      const depElement = this.universe.element(dep);
      if (!depElement.hasTable) continue;
      const key: Record<string, unknown> = {};
      for (const r of depElement.requires) key[r] = rec[r];
      key[depElement.primaryKey.name] = rec[dep];
      if ((await this.fetchOne(depElement, key)) === null) {
        throw meridianError(
          'DATA_ID_INVALID',
          `cannot insert ${element.name} record ${describeKey(element, rec)}: no ${dep} record ${describeKey(depElement, key)}; insert it first`,
          { element: element.name, missing: dep },
        );
      }
    }
  }

  /** Fetch one record by its primary key values (`key` uses table column names). */
  async fetchOne(
    element: DimensionElement,
    key: Record<string, unknown>,
    bypassCache = false,
  ): Promise<DimensionRecord | null> {
    const ck = this.cacheKey(element, key);
    if (!bypassCache && this.cache.has(ck)) return this.cache.get(ck)!;
    let q = this.database.executor().selectFrom(elementTableName(element)).selectAll();
    for (const k of element.tablePrimaryKey()) q = q.where(k, '=', key[k] as never);
    const row = await q.executeTakeFirst();
    const rec = row === undefined ? null : this.fromRow(element, row);
    if (rec !== null) {
      if (this.cache.size > 100_000) this.cache.clear();
      this.cache.set(ck, rec);
    }
    return rec;
  }

  /**
   * Records of one element for many primary keys at once (chunked `IN` lists: a few statements per thousand keys
   * instead of one each), as a map from the key values (in `tablePrimaryKey()` order, joined by NUL) to the
   * record; keys without a record are absent. The graph builder expands every data ID of a graph this way.
   */
  async fetchMany(
    elementName: string,
    keys: readonly (readonly DataIdValue[])[],
  ): Promise<Map<string, DimensionRecord>> {
    const element = this.universe.element(elementName);
    const pk = element.tablePrimaryKey();
    const out = new Map<string, DimensionRecord>();
    // Keys sharing all but their last column (usually one instrument or skymap) go in one IN list.
    const byPrefix = new Map<string, { prefix: readonly DataIdValue[]; last: Set<DataIdValue> }>();
    for (const key of keys) {
      const prefix = key.slice(0, -1);
      const pk0 = prefix.join('\u0000');
      let group = byPrefix.get(pk0);
      if (group === undefined) byPrefix.set(pk0, (group = { prefix, last: new Set() }));
      group.last.add(key[key.length - 1]!);
    }
    const lastColumn = pk[pk.length - 1]!;
    for (const { prefix, last } of byPrefix.values()) {
      const values = [...last];
      for (let i = 0; i < values.length; i += 1000) {
        let q = this.database.executor().selectFrom(elementTableName(element)).selectAll();
        prefix.forEach((v, j) => {
          q = q.where(pk[j]!, '=', v as never);
        });
        q = q.where(lastColumn, 'in', values.slice(i, i + 1000) as never);
        let rows: Record<string, unknown>[];
        try {
          rows = await q.execute();
        } catch (err) {
          throw this.database.translateError(err, 'fetch dimension records');
        }
        for (const row of rows) {
          const rec = this.fromRow(element, row);
          out.set(pk.map((c) => rec[c]).join('\u0000'), rec);
        }
      }
    }
    return out;
  }

  /** Find a record by an alternate key (e.g. exposure obs_id, detector full_name). */
  async fetchByAlternate(
    element: DimensionElement,
    altKey: string,
    value: DataIdValue,
    requires: Record<string, DataIdValue>,
  ): Promise<DimensionRecord | null> {
    let q = this.database
      .executor()
      .selectFrom(elementTableName(element))
      .selectAll()
      .where(altKey, '=', value as never);
    for (const r of element.requires)
      if (requires[r] !== undefined) q = q.where(r, '=', requires[r] as never);
    const rows = await q.limit(2).execute();
    if (rows.length > 1) {
      throw meridianError(
        'DATA_ID_INCOMPLETE',
        `${element.name}.${altKey}=${value} is ambiguous; add ${element.requires.join(', ')}`,
      );
    }
    return rows[0] === undefined ? null : this.fromRow(element, rows[0]);
  }

  /**
   * Standardise and expand a data ID: coerce values, resolve alternate keys (`exposure.obs_id`,
   * `detector.full_name`, `visit.name`), fill implied dimensions from records, and check consistency.
   */
  async expand(input: DataIdInput, group?: DimensionGroup): Promise<DataCoordinate> {
    const values: Record<string, DataIdValue> = {};
    const alternates: [string, string, unknown][] = [];
    for (const [k, v] of Object.entries(input)) {
      if (v === undefined || v === null) continue;
      const dot = k.indexOf('.');
      if (dot > 0) {
        alternates.push([k.slice(0, dot), k.slice(dot + 1), v]);
        continue;
      }
      if (!this.universe.has(k) || !this.universe.element(k).isDimension) {
        throw meridianError('UNKNOWN_DIMENSION', `'${k}' is not a dimension`, { name: k });
      }
      values[k] = coerceKeyValue(k, this.universe.element(k).primaryKey.type, v);
    }
    const target =
      group ??
      this.universe.group([...Object.keys(values), ...alternates.map(([e]) => e)].filter((n) => n !== ''));
    const records: Record<string, DimensionRecord> = {};
    // Resolve alternate keys first (they may supply required values).
    for (const [elName, field, raw] of alternates) {
      const element = this.universe.element(elName);
      const alt = element.keys.find((c) => c.name === field);
      if (alt === undefined) {
        throw meridianError('DATA_ID_INVALID', `'${elName}.${field}' is not a key of ${elName}`, {
          keys: element.keys.map((c) => c.name),
        });
      }
      const rec = await this.fetchByAlternate(
        element,
        field,
        coerceKeyValue(`${elName}.${field}`, alt.type, raw),
        values,
      );
      if (rec === null) {
        throw meridianError('DATA_ID_INVALID', `no ${elName} record with ${field}=${JSON.stringify(raw)}`);
      }
      const pkValue = rec[element.primaryKey.name] as DataIdValue;
      if (values[elName] !== undefined && values[elName] !== pkValue) {
        throw meridianError(
          'DATA_ID_INCONSISTENT',
          `data ID gives ${elName}=${values[elName]} but ${elName}.${field}=${raw} is ${elName} ${pkValue}`,
        );
      }
      values[elName] = pkValue;
      for (const r of element.requires) {
        const rv = rec[r] as DataIdValue;
        if (values[r] !== undefined && values[r] !== rv) {
          throw meridianError(
            'DATA_ID_INCONSISTENT',
            `data ID gives ${r}=${values[r]} but ${elName} belongs to ${rv}`,
          );
        }
        values[r] = rv;
      }
    }
    // Fetch records until no more can be found: a record fills implied values (exposure → physical_filter),
    // which in turn let us fetch the records of those (physical_filter → band).
    let progress = true;
    while (progress) {
      progress = false;
      for (const dim of target.names) {
        const element = this.universe.element(dim);
        if (!element.hasTable || records[dim] !== undefined || values[dim] === undefined) continue;
        const key: Record<string, unknown> = { [element.primaryKey.name]: values[dim] };
        for (const r of element.requires) {
          if (values[r] === undefined) {
            throw meridianError('DATA_ID_INCOMPLETE', `data ID is missing '${r}', required by '${dim}'`, {
              missing: r,
            });
          }
          key[r] = values[r];
        }
        const rec = await this.fetchOne(element, key);
        if (rec === null) {
          throw meridianError(
            'DATA_ID_INVALID',
            `no ${dim} record for ${formatValues(key as Record<string, DataIdValue>)}; insert it or fix the data ID`,
            { dimension: dim, value: values[dim] },
          );
        }
        records[dim] = rec;
        progress = true;
        for (const imp of element.implies) {
          const iv = rec[imp] as DataIdValue | null;
          if (iv === null || iv === undefined) continue;
          if (values[imp] !== undefined && values[imp] !== iv) {
            throw meridianError(
              'DATA_ID_INCONSISTENT',
              `data ID gives ${imp}=${JSON.stringify(values[imp])} but ${dim} ${values[dim]} has ${imp}=${JSON.stringify(iv)}`,
              { dimension: imp },
            );
          }
          values[imp] = iv;
        }
      }
    }
    for (const dim of target.required) {
      if (values[dim] === undefined) {
        throw meridianError(
          'DATA_ID_INCOMPLETE',
          `data ID ${formatValues(values)} is missing required dimension '${dim}' (needed for ${target})`,
          { missing: dim, dimensions: [...target.names] },
        );
      }
    }
    // Implied dimensions without tables (band) or still missing.
    for (const dim of target.names) {
      if (values[dim] === undefined) {
        if (target.required.includes(dim)) {
          throw meridianError('DATA_ID_INCOMPLETE', `data ID is missing required dimension '${dim}'`, {
            missing: dim,
          });
        }
      }
    }
    const out: Record<string, DataIdValue> = {};
    for (const n of target.names) if (values[n] !== undefined) out[n] = values[n];
    for (const extra of Object.keys(values)) {
      if (!target.has(extra)) {
        // A key outside the group is allowed only if consistent with it (e.g. band given with physical_filter).
        const known = out[extra];
        if (known !== undefined && known !== values[extra]) {
          throw meridianError('DATA_ID_INCONSISTENT', `data ID value ${extra}=${values[extra]} conflicts`);
        }
      }
    }
    const full = target.names.every((n) => out[n] !== undefined);
    return new DataCoordinate(target, out, full, records);
  }

  /**
   * Expand many data IDs of one group (bulk inserts). Plain data IDs take a fast path over the record cache with a
   * per-group plan; anything unusual (alternate keys, extra keys, errors) goes through `expand` for its checks and
   * messages.
   */
  async expandMany(inputs: readonly DataIdInput[], group: DimensionGroup): Promise<DataCoordinate[]> {
    const plan = this.expandPlan(group);
    const out: DataCoordinate[] = [];
    try {
      for (const input of inputs)
        out.push((await this.expandFast(input, group, plan)) ?? (await this.expand(input, group)));
    } catch (err) {
      if (isMeridianError(err)) throw err;
      throw this.database.translateError(err, 'expand data ID');
    }
    return out;
  }

  /**
   * The required values of many data IDs of one group, each checked against the dimension records: what an insert
   * stores. The records of the required elements are looked up once per distinct key in the batch (from the cache,
   * else one query each); implied values are not derived, because the dataset rows do not hold them. A data ID
   * that names anything but its required dimensions, needs coercion, or names a missing record goes through
   * `expand`, for its checks (implied values must agree with the records) and its error messages.
   */
  async requiredValuesMany(
    inputs: readonly DataIdInput[],
    group: DimensionGroup,
  ): Promise<Record<string, DataIdValue>[]> {
    const required = group.required;
    const types = new Map(required.map((d) => [d, this.universe.element(d).primaryKey.type]));
    const steps = required
      .map((d) => this.universe.element(d))
      .filter((e) => e.hasTable)
      .map((element) => ({ element, keyDims: [...element.requires, element.name] }));
    // Per step, whether each key seen in this batch has a record: nested maps keyed by the key's values, so that a
    // repeated key costs map lookups and no string building.
    const found = steps.map(() => new Map<unknown, unknown>());
    const out: Record<string, DataIdValue>[] = [];
    try {
      for (const input of inputs) {
        const values = this.plainRequiredValues(input, required, types);
        let ok = values !== null;
        for (let s = 0; ok && s < steps.length; s++) {
          const { element, keyDims } = steps[s]!;
          let node = found[s]!;
          for (let i = 0; i < keyDims.length - 1; i++) {
            const v = values![keyDims[i]!];
            let next = node.get(v) as Map<unknown, unknown> | undefined;
            if (next === undefined) {
              next = new Map();
              node.set(v, next);
            }
            node = next;
          }
          const last = values![keyDims[keyDims.length - 1]!];
          let exists = node.get(last) as boolean | undefined;
          if (exists === undefined) {
            let key = `${element.name}:`;
            for (let i = 0; i < keyDims.length; i++)
              key += (i > 0 ? '\u0000' : '') + String(values![keyDims[i]!]);
            let rec = this.cache.get(key);
            if (rec === undefined) {
              const pk: Record<string, unknown> = {};
              for (const r of element.requires) pk[r] = values![r];
              pk[element.primaryKey.name] = values![element.name];
              rec = await this.fetchOne(element, pk);
            }
            exists = rec !== null && rec !== undefined;
            node.set(last, exists);
          }
          ok = exists;
        }
        out.push(ok ? values! : { ...(await this.expand(input, group)).required });
      }
    } catch (err) {
      if (isMeridianError(err)) throw err;
      throw this.database.translateError(err, 'expand data ID');
    }
    return out;
  }

  /** The required values of a data ID that holds exactly those, with the right types; else null. */
  private plainRequiredValues(
    input: DataIdInput,
    required: readonly string[],
    types: ReadonlyMap<string, string>,
  ): Record<string, DataIdValue> | null {
    let given = 0;
    for (const k in input) if (input[k] !== undefined && input[k] !== null) given++;
    if (given !== required.length) return null;
    const values: Record<string, DataIdValue> = {};
    for (const d of required) {
      const v = input[d];
      if (
        types.get(d) === 'int'
          ? typeof v !== 'number' || !Number.isSafeInteger(v)
          : typeof v !== 'string' || v === ''
      )
        return null;
      values[d] = v as DataIdValue;
    }
    return values;
  }

  private readonly plans = new Map<string, ExpandStep[]>();

  /** Elements to look up, in an order where every key is known before it is needed. */
  private expandPlan(group: DimensionGroup): ExpandStep[] {
    const cached = this.plans.get(group.key);
    if (cached !== undefined) return cached;
    const known = new Set(group.required);
    const pending = group.names.map((n) => this.universe.element(n)).filter((e) => e.hasTable);
    const steps: ExpandStep[] = [];
    while (pending.length > 0) {
      const i = pending.findIndex((e) => known.has(e.name) && e.requires.every((r) => known.has(r)));
      if (i < 0) break;
      const el = pending.splice(i, 1)[0]!;
      steps.push({ element: el, keyDims: [...el.requires, el.name], implies: el.implies });
      for (const imp of el.implies) known.add(imp);
    }
    this.plans.set(group.key, steps);
    return steps;
  }

  private async expandFast(
    input: DataIdInput,
    group: DimensionGroup,
    plan: ExpandStep[],
  ): Promise<DataCoordinate | null> {
    const values: Record<string, DataIdValue> = {};
    for (const k in input) {
      const v = input[k];
      if (v === undefined || v === null) continue;
      if (!group.has(k)) return null;
      const type = this.universe.element(k).primaryKey.type;
      if (
        type === 'int' ? typeof v !== 'number' || !Number.isSafeInteger(v) : typeof v !== 'string' || v === ''
      )
        return null;
      values[k] = v as DataIdValue;
    }
    for (const d of group.required) if (values[d] === undefined) return null;
    const records: Record<string, DimensionRecord> = {};
    for (const step of plan) {
      let key = `${step.element.name}:`;
      for (let i = 0; i < step.keyDims.length; i++)
        key += (i > 0 ? '\u0000' : '') + String(values[step.keyDims[i]!]);
      let rec = this.cache.get(key);
      if (rec === undefined) {
        const pk: Record<string, unknown> = {};
        for (const r of step.element.requires) pk[r] = values[r];
        pk[step.element.primaryKey.name] = values[step.element.name];
        rec = await this.fetchOne(step.element, pk);
      }
      if (rec === null || rec === undefined) return null;
      records[step.element.name] = rec;
      for (const imp of step.implies) {
        const iv = rec[imp] as DataIdValue | null;
        if (iv === null || iv === undefined) continue;
        if (values[imp] !== undefined && values[imp] !== iv) return null;
        values[imp] = iv;
      }
    }
    const ordered: Record<string, DataIdValue> = {};
    let full = true;
    for (const n of group.names) {
      if (values[n] !== undefined) ordered[n] = values[n];
      else full = false;
    }
    return new DataCoordinate(group, ordered, full, records);
  }

  /** All records of an element (optionally restricted by equality on some columns). */
  async fetchAll(elementName: string, where: Record<string, unknown> = {}): Promise<DimensionRecord[]> {
    const element = this.universe.element(elementName);
    let q = this.database.executor().selectFrom(elementTableName(element)).selectAll();
    for (const [k, v] of Object.entries(where)) q = q.where(k, '=', v as never);
    const rows = await q.orderBy(element.tablePrimaryKey() as never).execute();
    return rows.map((r) => this.fromRow(element, r));
  }
}

interface ExpandStep {
  readonly element: DimensionElement;
  readonly keyDims: readonly string[];
  readonly implies: readonly string[];
}

function coerceColumn(elementName: string, col: ColumnSpec, v: unknown): unknown {
  switch (col.type) {
    case 'int':
    case 'string':
      return coerceKeyValue(`${elementName}.${col.name}`, col.type, v);
    case 'float': {
      const n = typeof v === 'string' ? Number(v) : v;
      if (typeof n !== 'number' || Number.isNaN(n)) {
        throw meridianError(
          'INVALID_ARGUMENT',
          `${elementName}.${col.name} must be a number, got ${String(v)}`,
        );
      }
      return n;
    }
    case 'bool':
      return v === true || v === 1 || v === 'true' || v === '1';
  }
}

function readColumn(col: ColumnSpec, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (col.type) {
    case 'int':
      return toNumber(v);
    case 'float':
      return Number(v);
    case 'bool':
      return v === true || v === 1 || v === 1n || v === '1' || v === 't';
    case 'string':
      return String(v);
  }
}

function recordsEqual(
  element: DimensionElement,
  universe: DimensionUniverse,
  a: DimensionRecord,
  b: DimensionRecord,
): boolean {
  for (const col of element.tableColumns(universe)) {
    if ((a[col.name] ?? null) !== (b[col.name] ?? null)) return false;
  }
  if (element.spatial !== undefined) {
    const ra = a.region ? encodeRegion(a.region) : null;
    const rb = b.region ? encodeRegion(b.region) : null;
    if (ra !== rb) return false;
  }
  if (element.temporal) {
    if ((a.timespan?.begin ?? null) !== (b.timespan?.begin ?? null)) return false;
    if ((a.timespan?.end ?? null) !== (b.timespan?.end ?? null)) return false;
  }
  return true;
}

function describeKey(element: DimensionElement, rec: Record<string, unknown>): string {
  return formatValues(Object.fromEntries(element.tablePrimaryKey().map((k) => [k, rec[k] as DataIdValue])));
}

function formatValues(values: Record<string, DataIdValue>): string {
  return `{${Object.entries(values)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? `'${v}'` : v}`)
    .join(', ')}}`;
}
