import { type RawBuilder, sql } from 'kysely';
import { toNumber } from '../../../db/index.js';
import { meridianError } from '../../../errors.js';
import { throwIfAborted } from '../../abort.js';
import type { DatasetRef } from '../../core/dataset-type.js';
import { DataCoordinate, type DataIdValue, type DimensionRecord } from '../../dimensions/data-id.js';
import type { DimensionGroup } from '../../dimensions/universe.js';
import { parseExpression } from '../../expression/index.js';
import type { CollectionRecord } from '../collections.js';
import { datasetIdCodec } from '../dataset-ids.js';
import type { DatasetTypeRecord } from '../dataset-types.js';
import type { DimensionRecordManager } from '../dimension-records.js';
import type { RegistryDatabase } from '../open.js';
import { type DatasetSearch, QueryBuilder } from './builder.js';
import { timespanColumns, timespansOverlap } from './timespan-sql.js';

export interface QueryOptions {
  readonly where?: string | null;
  readonly bind?: Readonly<Record<string, unknown>>;
  readonly dataId?: Readonly<Record<string, DataIdValue>>;
  readonly orderBy?: readonly string[];
  readonly limit?: number | null;
  readonly offset?: number | null;
  /** Cancels the query (ABORTED), checked before each SQL statement and between batches of result rows. */
  readonly signal?: AbortSignal;
}

/** Result rows are turned into objects in batches of this many, with a cancellation check between batches. */
const ROW_BATCH = 1000;

/** `convert` applied to every row, checking `signal` before each batch of ROW_BATCH rows. */
function mapRows<T>(
  rows: readonly Record<string, unknown>[],
  signal: AbortSignal | undefined,
  what: string,
  convert: (row: Record<string, unknown>) => T,
): T[] {
  const out: T[] = [];
  for (let i = 0; i < rows.length; i++) {
    if (i % ROW_BATCH === 0) throwIfAborted(signal, what);
    out.push(convert(rows[i]!));
  }
  return out;
}

function parseWhere(where: string | null | undefined) {
  return where ? parseExpression(where) : null;
}

/**
 * ORDER BY terms (`visit`, `-visit`, `visit.name`, `exposure.timespan.begin`). Each term is also selected as
 * `__oN` so that SELECT DISTINCT and the find-first wrapper can order by it on every back end.
 */
function orderSpec(
  qb: QueryBuilder,
  orderBy: readonly string[] | undefined,
): { select: RawBuilder<unknown>[]; order: RawBuilder<unknown>[] } {
  const select: RawBuilder<unknown>[] = [];
  const order: RawBuilder<unknown>[] = [];
  (orderBy ?? []).forEach((raw, i) => {
    const desc = raw.startsWith('-');
    const name = desc ? raw.slice(1) : raw;
    const [head, ...rest] = name.split('.');
    const field = rest.join('.');
    if (head === undefined || !qb.universe.has(head)) {
      throw meridianError('QUERY_INVALID', `cannot order by '${raw}': not a dimension or element field`);
    }
    const el = qb.universe.element(head);
    let ref: RawBuilder<unknown>;
    if (field === '' || (el.isDimension && field === el.primaryKey.name)) ref = qb.column(head);
    else if (field === 'timespan.begin' || field === 'timespan.end') {
      ref = sql.ref(`e_${head}.timespan_${field.split('.')[1]}`);
    } else if (el.keys.some((k) => k.name === field) || el.metadata.some((m) => m.name === field)) {
      ref = sql.ref(`e_${head}.${field}`);
    } else if (el.implies.includes(field) || el.requires.includes(field)) ref = qb.column(field);
    else throw meridianError('QUERY_INVALID', `cannot order by '${raw}': ${head} has no field '${field}'`);
    select.push(sql`${ref} AS ${sql.ref(`__o${i}`)}`);
    order.push(sql`${sql.ref(`__o${i}`)} ${desc ? sql`DESC` : sql`ASC`}`);
  });
  return { select, order };
}

function limitClause(
  limit: number | null | undefined,
  offset: number | null | undefined,
): RawBuilder<unknown> {
  if (limit !== undefined && limit !== null && (!Number.isInteger(limit) || limit < 0)) {
    throw meridianError('INVALID_ARGUMENT', `limit must be a non-negative integer, got ${limit}`);
  }
  const l = limit === undefined || limit === null ? sql`` : sql` LIMIT ${limit}`;
  const o = offset ? sql` OFFSET ${offset}` : sql``;
  // SQLite needs LIMIT before OFFSET; LIMIT -1 means no limit there, and PostgreSQL accepts LIMIT ALL.
  if (offset && (limit === undefined || limit === null)) return sql` LIMIT ${2 ** 53 - 1} OFFSET ${offset}`;
  return sql`${l}${o}`;
}

async function executeRaw(
  db: RegistryDatabase,
  query: RawBuilder<unknown>,
  signal: AbortSignal | undefined,
  what: string,
): Promise<Record<string, unknown>[]> {
  throwIfAborted(signal, what);
  let rows: Record<string, unknown>[];
  try {
    rows = (await query.execute(db.executor())).rows as Record<string, unknown>[];
  } catch (err) {
    throw db.translateError(err, 'query');
  }
  throwIfAborted(signal, what);
  return rows;
}

/** The exact (region) tests that SQL could only approximate. */
function applyPostFilters(rows: Record<string, unknown>[], qb: QueryBuilder): Record<string, unknown>[] {
  if (qb.postFilters.length === 0) return rows;
  return rows.filter((r) => qb.postFilters.every((f) => f.test(r)));
}

async function execute(
  db: RegistryDatabase,
  query: RawBuilder<unknown>,
  qb: QueryBuilder,
  signal: AbortSignal | undefined,
  what: string,
): Promise<Record<string, unknown>[]> {
  return applyPostFilters(await executeRaw(db, query, signal, what), qb);
}

/** Deduplicate rows on some columns (needed after exact region post-filters, which carry extra columns). */
function dedupe(rows: Record<string, unknown>[], keys: readonly string[]): Record<string, unknown>[] {
  const seen = new Set<string>();
  return rows.filter((r) => {
    const k = keys.map((c) => String(r[c])).join('\u0000');
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function applyWindow<T>(rows: T[], limit?: number | null, offset?: number | null): T[] {
  const start = offset ?? 0;
  return limit === undefined || limit === null ? rows.slice(start) : rows.slice(start, start + limit);
}

function readValue(group: DimensionGroup, dim: string, v: unknown): DataIdValue {
  return group.universe.element(dim).primaryKey.type === 'int' ? toNumber(v) : String(v);
}

export async function queryDataIds(
  db: RegistryDatabase,
  group: DimensionGroup,
  datasets: readonly DatasetSearch[],
  options: QueryOptions,
): Promise<DataCoordinate[]> {
  const qb = new QueryBuilder(group.universe, {
    dimensions: group,
    where: parseWhere(options.where),
    bind: options.bind,
    dataId: options.dataId,
    datasets,
    datasetIds: datasetIdCodec(db.capabilities),
  });
  const cols = group.names.map((d) => sql`${qb.column(d)} AS ${sql.ref(d)}`);
  if (cols.length === 0) return [new DataCoordinate(group, {}, true)];
  const post = qb.postFilters.length > 0;
  const { select, order } = orderSpec(qb, options.orderBy);
  const query = sql`SELECT DISTINCT ${sql.join([...cols, ...select, ...qb.extraColumns])} FROM ${qb.fromClause()} WHERE ${qb.whereClause()}${
    order.length > 0 ? sql` ORDER BY ${sql.join(order)}` : sql``
  }${post ? sql`` : limitClause(options.limit, options.offset)}`;
  let rows = await execute(db, query, qb, options.signal, 'queryDataIds');
  if (post) rows = applyWindow(dedupe(rows, group.names), options.limit, options.offset);
  return mapRows(rows, options.signal, 'queryDataIds', (r) => {
    const values: Record<string, DataIdValue> = {};
    for (const d of group.names)
      if (r[d] !== null && r[d] !== undefined) values[d] = readValue(group, d, r[d]);
    return new DataCoordinate(group, values, true);
  });
}

export async function queryDimensionRecords(
  db: RegistryDatabase,
  records: DimensionRecordManager,
  elementName: string,
  datasets: readonly DatasetSearch[],
  options: QueryOptions,
): Promise<DimensionRecord[]> {
  const universe = records.universe;
  const element = universe.element(elementName);
  if (!element.hasTable) {
    throw meridianError('INVALID_ARGUMENT', `'${elementName}' has no records of its own`);
  }
  const group = universe.group(element.isDimension ? [elementName] : element.requires);
  const qb = new QueryBuilder(universe, {
    dimensions: group,
    where: parseWhere(options.where),
    bind: options.bind,
    dataId: options.dataId,
    datasets,
    elements: [elementName],
    datasetIds: datasetIdCodec(db.capabilities),
  });
  const alias = `e_${elementName}`;
  const columns = [
    ...element.tableColumns(universe).map((c) => c.name),
    ...(element.spatial ? ['region'] : []),
    ...(element.temporal ? ['timespan_begin', 'timespan_end'] : []),
  ];
  const cols = columns.map((c) => sql`${sql.ref(`${alias}.${c}`)} AS ${sql.ref(c)}`);
  const post = qb.postFilters.length > 0;
  const { select, order } = orderSpec(qb, options.orderBy);
  const defaultOrder = element.tablePrimaryKey().map((k) => sql`${sql.ref(k)} ASC`);
  const query = sql`SELECT DISTINCT ${sql.join([...cols, ...select, ...qb.extraColumns])} FROM ${qb.fromClause()} WHERE ${qb.whereClause()} ORDER BY ${sql.join(
    order.length > 0 ? order : defaultOrder,
  )}${post ? sql`` : limitClause(options.limit, options.offset)}`;
  let rows = await execute(db, query, qb, options.signal, 'queryDimensionRecords');
  if (post) rows = applyWindow(dedupe(rows, element.tablePrimaryKey()), options.limit, options.offset);
  return mapRows(rows, options.signal, 'queryDimensionRecords', (r) => records.fromRow(element, r));
}

/**
 * Datasets of one type in collections. With `findFirst`, each data ID yields only the dataset from the first
 * collection (in search order) that has one; otherwise every matching dataset, once. One SQL statement: the
 * dataset's RUN comes with each row, and `check` (the registry cache's token test, cache.ts) is part of its WHERE;
 * `confirmed` says the statement returned rows, which proves the check held.
 */
export async function queryDatasetsOfType(
  db: RegistryDatabase,
  rec: DatasetTypeRecord,
  collectionsIn: readonly CollectionRecord[],
  findFirst: boolean,
  extraDatasets: readonly DatasetSearch[],
  options: QueryOptions,
  runOf: (id: number) => CollectionRecord | undefined,
  check: RawBuilder<boolean> = sql<boolean>`1 = 1`,
): Promise<{ refs: DatasetRef[]; confirmed: boolean }> {
  const dt = rec.datasetType;
  const dims = dt.dimensions.required;
  const collections = dt.isCalibration
    ? collectionsIn
    : collectionsIn.filter((c) => c.type !== 'CALIBRATION');
  if (findFirst && collections.some((c) => c.type === 'CALIBRATION')) {
    const temporal = dt.dimensions.temporal;
    if (temporal.length === 0) {
      throw meridianError(
        'CALIBRATION_TIMESPAN_REQUIRED',
        `a find-first search for ${dt.name} through CALIBRATION collections needs a temporal dimension (exposure or visit) in the query; search without --find-first or name RUN collections`,
      );
    }
  }
  const ids = datasetIdCodec(db.capabilities);
  const qb = new QueryBuilder(dt.dimensions.universe, {
    dimensions: dt.dimensions,
    where: parseWhere(options.where),
    bind: options.bind,
    dataId: options.dataId,
    datasets: [{ rec, collections }, ...extraDatasets],
    datasetIds: ids,
    orderBy: options.orderBy,
    // A calibration find-first needs the temporal element's timespan.
    elements:
      findFirst && collections.some((c) => c.type === 'CALIBRATION')
        ? dt.dimensions.temporal.map((e) => e.name).slice(-1)
        : [],
    skipUnneededElements: true,
  });
  const ds = qb.datasetAliases[0]!;
  const rank = sql`CASE ${sql.ref(`${ds}.collection_id`)} ${sql.join(
    collections.map((c, i) => sql`WHEN ${c.id} THEN ${i}`),
    sql` `,
  )} ELSE ${collections.length} END`;
  const dimCols = dims.map((d) => sql`${qb.column(d)} AS ${sql.ref(d)}`);
  const { select, order } = orderSpec(qb, options.orderBy);
  const base = [sql`${sql.ref(`${ds}.dataset_id`)} AS dataset_id`, ...dimCols, ...select, ...qb.extraColumns];
  const runOfRow = (alias: string) =>
    sql`(SELECT d.run_id FROM dataset d WHERE d.id = ${sql.ref(`${alias}.dataset_id`)}) AS run_id`;
  const post = qb.postFilters.length > 0;
  let query: RawBuilder<unknown>;
  if (findFirst) {
    const partition = dims.length > 0 ? sql`PARTITION BY ${sql.join(dims.map((d) => qb.column(d)))} ` : sql``;
    // Calibrations valid at the data ID's time: the temporal element's timespan must overlap the certification.
    const temporal = collections.some((c) => c.type === 'CALIBRATION')
      ? dt.dimensions.temporal.at(-1)
      : undefined;
    // Calibrations valid at the data ID's time (tagged rows have NULL, i.e. unbounded, timespans).
    const calibCond = temporal
      ? sql` AND ${timespansOverlap(timespanColumns(ds), timespanColumns(`e_${temporal.name}`))}`
      : sql``;
    const inner = sql`SELECT ${sql.join(base)}, ROW_NUMBER() OVER (${partition}ORDER BY ${rank}) AS rn FROM ${qb.fromClause()} WHERE ${qb.whereClause()}${calibCond} AND ${check}`;
    query = sql`SELECT ff.*, ${runOfRow('ff')} FROM (${inner}) AS ff WHERE rn = 1${
      order.length > 0 ? sql` ORDER BY ${sql.join(order)}` : sql``
    }${post ? sql`` : limitClause(options.limit, options.offset)}`;
  } else {
    query = sql`SELECT DISTINCT ${sql.join([...base, runOfRow(ds)])} FROM ${qb.fromClause()} WHERE ${qb.whereClause()} AND ${check}${
      order.length > 0 ? sql` ORDER BY ${sql.join(order)}` : sql``
    }${post ? sql`` : limitClause(options.limit, options.offset)}`;
  }
  const raw = await executeRaw(db, query, options.signal, 'queryDatasets');
  const confirmed = raw.length > 0;
  for (const r of raw) r.dataset_id = ids.fromDb(r.dataset_id);
  let rows = applyPostFilters(raw, qb);
  if (post) rows = applyWindow(dedupe(rows, ['dataset_id']), options.limit, options.offset);
  else rows = dedupe(rows, ['dataset_id']);
  const refs = mapRows(rows, options.signal, 'queryDatasets', (r) => {
    const values: Record<string, DataIdValue> = {};
    for (const d of dims) values[d] = readValue(dt.dimensions, d, r[d]);
    const run = runOf(toNumber(r.run_id));
    if (run === undefined) {
      throw meridianError(
        'INTERNAL',
        `dataset ${String(r.dataset_id)} has a RUN unknown to the registry cache`,
      );
    }
    return {
      id: r.dataset_id as string,
      datasetType: dt,
      dataId: new DataCoordinate(dt.dimensions, values, false),
      run: run.name,
    };
  });
  return { refs, confirmed };
}
