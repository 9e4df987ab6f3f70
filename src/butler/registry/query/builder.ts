import { type RawBuilder, sql } from 'kysely';
import { meridianError } from '../../../errors.js';
import { decodeRegion, HtmPixelization } from '../../../sphere/index.js';
import type { DataIdValue } from '../../dimensions/data-id.js';
import type { DimensionElement, DimensionGroup, DimensionUniverse } from '../../dimensions/universe.js';
import { collectIdentifiers, type Expr } from '../../expression/index.js';
import type { CollectionRecord } from '../collections.js';
import type { DatasetIdCodec } from '../dataset-ids.js';
import type { DatasetTypeRecord } from '../dataset-types.js';
import { elementTableName, overlapTableName } from '../schema.js';
import { envelopeRegion, type LiteralRegion, regionOverlaps } from './regions.js';
import { compileWhere, type WhereContext } from './where.js';

/** A search for datasets of one type in (flattened) collections, joined into a query. */
export interface DatasetSearch {
  readonly rec: DatasetTypeRecord;
  readonly collections: readonly CollectionRecord[];
}

export interface QueryInput {
  /** Dimensions the caller wants in the result. */
  readonly dimensions: DimensionGroup;
  readonly where?: Expr | null;
  readonly bind?: Readonly<Record<string, unknown>>;
  /** Equality constraints, already coerced to the key types. */
  readonly dataId?: Readonly<Record<string, DataIdValue>>;
  /** Datasets that must exist for a result row (the first one is the query's target in queryDatasets). */
  readonly datasets?: readonly DatasetSearch[];
  /** Extra elements whose tables must be joined (e.g. the element of queryDimensionRecords). */
  readonly elements?: readonly string[];
  /** ORDER BY terms (only consulted to decide whether element tables are needed). */
  readonly orderBy?: readonly string[];
  /** How dataset IDs are stored (a `where` on dataset_id compares their text form). */
  readonly datasetIds: DatasetIdCodec;
  /**
   * Leave out the dimension element tables when nothing needs them (see `QueryBuilder.canSkipElements`): a search
   * for datasets constrained only on its own required dimensions is then one table, which PostgreSQL plans in
   * microseconds instead of the milliseconds a seven-way join takes.
   */
  readonly skipUnneededElements?: boolean;
}

interface Relation {
  readonly alias: string;
  readonly from: RawBuilder<unknown>;
  /** dimension name → column in this relation */
  readonly columns: ReadonlyMap<string, string>;
}

/** A row filter applied after SQL (exact region tests after the HTM pre-filter). */
export interface PostFilter {
  readonly column: string;
  readonly test: (row: Record<string, unknown>) => boolean;
}

/**
 * Builds the FROM/WHERE part of a registry query: one relation per dimension element table and dataset search,
 * joined on shared dimension columns; spatial joins through the common-skypix overlap tables with an exact
 * region test afterwards; the user's `where` expression compiled with bind parameters.
 */
export class QueryBuilder {
  readonly universe: DimensionUniverse;
  readonly group: DimensionGroup;
  private readonly relations: Relation[] = [];
  readonly conditions: RawBuilder<unknown>[] = [];
  readonly extraColumns: RawBuilder<unknown>[] = [];
  readonly postFilters: PostFilter[] = [];
  private readonly canonical = new Map<string, RawBuilder<unknown>>();
  private readonly elementAliases = new Map<string, string>();
  readonly datasetAliases: string[] = [];
  private readonly htm: HtmPixelization;

  constructor(
    universe: DimensionUniverse,
    private readonly input: QueryInput,
  ) {
    this.universe = universe;
    this.htm = new HtmPixelization(universe.element(universe.commonSkyPix).skypixLevel!);
    const { dims, elements } = this.neededDimensions();
    this.group = universe.group(dims);
    const lean = input.skipUnneededElements === true && this.canSkipElements(elements);
    if (!lean) this.addElementRelations(elements);
    for (const [i, s] of (input.datasets ?? []).entries()) this.addDatasetRelation(s, i);
    if (lean) this.resolveFromDatasets();
    else {
      this.resolveCanonical();
      this.addSpatialJoin();
    }
    for (const [k, v] of Object.entries(input.dataId ?? {})) {
      if (!this.group.has(k)) continue;
      this.conditions.push(sql`${this.column(k)} = ${v}`);
    }
    if (input.where) {
      const ctx: WhereContext = {
        universe,
        group: this.group,
        bind: input.bind ?? {},
        dimension: (d) => this.column(d),
        elementColumn: (e, c) => this.elementColumn(e, c),
        datasetField: (t, f) => this.datasetField(t, f),
        regionConstraint: (e, r) => this.regionConstraint(e, r),
      };
      this.conditions.push(compileWhere(input.where, ctx));
    }
  }

  /** Dimensions and elements implied by the request and the identifiers used in `where`. */
  private neededDimensions(): { dims: Set<string>; elements: Set<string> } {
    const dims = new Set<string>(this.input.dimensions.names);
    const elements = new Set<string>(this.input.elements ?? []);
    for (const k of Object.keys(this.input.dataId ?? {})) dims.add(k);
    for (const s of this.input.datasets ?? [])
      for (const d of s.rec.datasetType.dimensions.names) dims.add(d);
    if (this.input.where) {
      for (const id of collectIdentifiers(this.input.where)) {
        const [head] = id.split('.');
        if (head !== undefined && this.universe.has(head)) {
          const el = this.universe.element(head);
          if (el.isDimension) dims.add(head);
          else {
            elements.add(head);
            for (const r of el.requires) dims.add(r);
          }
        }
      }
    }
    for (const e of elements) {
      const el = this.universe.element(e);
      if (el.isDimension) dims.add(e);
      for (const r of el.requires) dims.add(r);
    }
    return { dims, elements };
  }

  /**
   * Whether the element tables add nothing to a search for one dataset type: every identifier of `where`, every
   * data ID key and every ORDER BY term is a required dimension of that type (or a dataset field), no element is
   * asked for, and the type's dimensions do not span two spatial families (which would add an overlap join). The
   * dataset's own columns then carry every value the query tests or returns; dimension records exist for every
   * stored data ID, because inserts validate them.
   */
  private canSkipElements(elements: Set<string>): boolean {
    const searches = this.input.datasets ?? [];
    if (searches.length !== 1 || elements.size > 0) return false;
    const required = new Set(searches[0]!.rec.datasetType.dimensions.required);
    const isOwnKey = (name: string) => {
      const [head, ...rest] = name.split('.');
      if (head === undefined || !this.universe.has(head)) return true; // a dataset type or dataset field
      if (!required.has(head)) return false;
      return rest.length === 0 || rest.join('.') === this.universe.element(head).primaryKey.name;
    };
    if (this.input.where && !collectIdentifiers(this.input.where).every(isOwnKey)) return false;
    if (!Object.keys(this.input.dataId ?? {}).every((k) => required.has(k))) return false;
    if (this.input.orderBy?.some((t) => !isOwnKey(t.replace(/^-/, ''))) ?? false) return false;
    return this.spatialFamilies().size < 2;
  }

  /** The lean form of `resolveCanonical`: every dimension is the dataset relation's column. */
  private resolveFromDatasets(): void {
    const relation = this.relations.find((r) => r.alias === this.datasetAliases[0])!;
    for (const [dim, column] of relation.columns) {
      this.canonical.set(dim, sql.ref(`${relation.alias}.${column}`));
    }
  }

  private addElementRelations(extra: Set<string>): void {
    for (const element of this.group.elements) {
      if (!element.hasTable) continue;
      const isJoinElement = !element.isDimension;
      if (isJoinElement && !extra.has(element.name) && !element.alwaysJoin) continue;
      this.addElementTable(element);
    }
  }

  private addElementTable(element: DimensionElement): string {
    const existing = this.elementAliases.get(element.name);
    if (existing !== undefined) return existing;
    const alias = `e_${element.name}`;
    const columns = new Map<string, string>();
    for (const d of [...element.requires, ...element.implies]) columns.set(d, d);
    if (element.isDimension) columns.set(element.name, element.primaryKey.name);
    this.relations.push({ alias, from: sql.table(elementTableName(element)), columns });
    this.elementAliases.set(element.name, alias);
    return alias;
  }

  private addDatasetRelation(search: DatasetSearch, index: number): void {
    const alias = `ds${index}`;
    const rec = search.rec;
    const dims = rec.datasetType.dimensions.required;
    const tagged = search.collections.filter((c) => c.type === 'RUN' || c.type === 'TAGGED').map((c) => c.id);
    const calibs = search.collections.filter((c) => c.type === 'CALIBRATION').map((c) => c.id);
    const cols = sql.join([sql.ref('dataset_id'), sql.ref('collection_id'), ...dims.map((d) => sql.ref(d))]);
    const parts: RawBuilder<unknown>[] = [];
    if (tagged.length > 0) {
      parts.push(
        sql`SELECT ${cols}, CAST(NULL AS BIGINT) AS timespan_begin, CAST(NULL AS BIGINT) AS timespan_end FROM ${sql.table(rec.tagsTable)} WHERE dataset_type_id = ${rec.id} AND collection_id IN (${sql.join(tagged)})`,
      );
    }
    if (calibs.length > 0) {
      parts.push(
        sql`SELECT ${cols}, timespan_begin, timespan_end FROM ${sql.table(rec.calibsTable)} WHERE dataset_type_id = ${rec.id} AND collection_id IN (${sql.join(calibs)})`,
      );
    }
    if (parts.length === 0) {
      // No collections to search: an empty relation with the right columns.
      parts.push(
        sql`SELECT ${cols}, CAST(NULL AS BIGINT) AS timespan_begin, CAST(NULL AS BIGINT) AS timespan_end FROM ${sql.table(rec.tagsTable)} WHERE 1 = 0`,
      );
    }
    const from = sql`(${sql.join(parts, sql` UNION ALL `)})`;
    this.relations.push({ alias, from, columns: new Map(dims.map((d) => [d, d])) });
    this.datasetAliases.push(alias);
  }

  /** Pick, for every dimension, the column that defines it, and equate every other column holding it. */
  private resolveCanonical(): void {
    for (const dim of this.group.names) {
      const element = this.universe.element(dim);
      let source: { alias: string; column: string } | undefined;
      const own = this.elementAliases.get(dim);
      if (own !== undefined) source = { alias: own, column: element.primaryKey.name };
      else {
        const holder = this.relations.find((r) => r.columns.has(dim));
        if (holder !== undefined) source = { alias: holder.alias, column: holder.columns.get(dim)! };
      }
      if (source === undefined) {
        if (element.viewOf !== undefined) {
          // A dimension without a table of its own (band): enumerate it from the table it is a view of.
          const alias = `v_${dim}`;
          this.relations.push({
            alias,
            from: sql`(SELECT DISTINCT ${sql.ref(dim)} AS ${sql.ref(dim)} FROM ${sql.table(element.viewOf)})`,
            columns: new Map([[dim, dim]]),
          });
          source = { alias, column: dim };
        } else {
          throw meridianError(
            'QUERY_INVALID',
            `cannot enumerate '${dim}' values on its own; constrain it with datasets or a region`,
          );
        }
      }
      this.canonical.set(dim, sql.ref(`${source.alias}.${source.column}`));
      for (const r of this.relations) {
        const col = r.columns.get(dim);
        if (col === undefined || (r.alias === source.alias && col === source.column)) continue;
        this.conditions.push(sql`${sql.ref(`${r.alias}.${col}`)} = ${this.canonical.get(dim)!}`);
      }
    }
  }

  /** When the query spans two spatial families (observations and skymap), join them through HTM overlap. */
  private addSpatialJoin(): void {
    const families = this.spatialFamilies();
    if (families.size < 2) return;
    const [a, b] = [...families.values()] as [DimensionElement, DimensionElement];
    const skypix = this.universe.commonSkyPix;
    const aliases: string[] = [];
    for (const el of [a, b]) {
      const tableAlias = this.addElementTable(el);
      const alias = `ov_${el.name}`;
      this.relations.push({ alias, from: sql.table(overlapTableName(el, skypix)), columns: new Map() });
      for (const k of el.tablePrimaryKey()) {
        this.conditions.push(sql`${sql.ref(`${alias}.${k}`)} = ${sql.ref(`${tableAlias}.${k}`)}`);
      }
      aliases.push(alias);
      this.extraColumns.push(sql`${sql.ref(`${tableAlias}.region`)} AS ${sql.ref(`__region_${el.name}`)}`);
    }
    this.conditions.push(sql`${sql.ref(`${aliases[0]}.${skypix}`)} = ${sql.ref(`${aliases[1]}.${skypix}`)}`);
    this.postFilters.push({
      column: `__region_${a.name}`,
      test: (row) => {
        const ra = row[`__region_${a.name}`];
        const rb = row[`__region_${b.name}`];
        if (typeof ra !== 'string' || typeof rb !== 'string') return false;
        return decodeRegion(ra).intersects(decodeRegion(rb));
      },
    });
  }

  /** The spatial families (observations, skymap) of the query's dimensions, each with its finest element. */
  private spatialFamilies(): Map<string, DimensionElement> {
    const families = new Map<string, DimensionElement>();
    for (const name of ['visit_detector_region', 'visit', 'patch', 'tract']) {
      const el = this.universe.has(name) ? this.universe.element(name) : undefined;
      if (el === undefined || el.spatial === undefined) continue;
      const present = el.isDimension ? this.group.has(name) : el.requires.every((r) => this.group.has(r));
      if (present && !families.has(el.spatial)) families.set(el.spatial, el);
    }
    return families;
  }

  /** SQL reference to the defining column of a dimension. */
  column(dim: string): RawBuilder<unknown> {
    const c = this.canonical.get(dim);
    if (c === undefined) throw meridianError('QUERY_INVALID', `dimension '${dim}' is not part of this query`);
    return c;
  }

  private elementColumn(elementName: string, column: string): RawBuilder<unknown> {
    const alias = this.elementAliases.get(elementName);
    if (alias === undefined) {
      throw meridianError('QUERY_INVALID', `element '${elementName}' has no records to query`);
    }
    return sql.ref(`${alias}.${column}`);
  }

  private datasetField(typeName: string | null, field: string): RawBuilder<unknown> {
    const searches = this.input.datasets ?? [];
    let index = 0;
    if (typeName === null) {
      if (searches.length !== 1) {
        throw meridianError(
          'QUERY_INVALID',
          `'${field}' is ambiguous or unavailable without exactly one dataset type in the query; write <datasetType>.${field}`,
        );
      }
    } else {
      index = searches.findIndex((s) => s.rec.datasetType.name === typeName);
      if (index < 0)
        throw meridianError('QUERY_INVALID', `dataset type '${typeName}' is not part of this query`);
    }
    const alias = this.datasetAliases[index]!;
    switch (field) {
      case 'dataset_id':
        return this.input.datasetIds.asText(sql.ref(`${alias}.dataset_id`));
      case 'collection':
        return sql`(SELECT name FROM collection WHERE collection_id = ${sql.ref(`${alias}.collection_id`)})`;
      case 'run':
        return sql`(SELECT c.name FROM dataset d JOIN collection c ON c.collection_id = d.run_id WHERE d.id = ${sql.ref(`${alias}.dataset_id`)})`;
      case 'ingest_date':
        return sql`(SELECT d.ingest_date FROM dataset d WHERE d.id = ${sql.ref(`${alias}.dataset_id`)})`;
      default:
        throw meridianError(
          'QUERY_INVALID',
          `datasets have no field '${field}' (use dataset_id, run, collection, ingest_date)`,
        );
    }
  }

  /** HTM pre-filter in SQL plus an exact post-filter on the stored region. */
  private regionConstraint(elementName: string, literal: LiteralRegion): RawBuilder<unknown> {
    const element = this.universe.element(elementName);
    if (element.spatial === undefined) {
      throw meridianError('QUERY_INVALID', `'${elementName}' has no region`);
    }
    const alias = this.addElementTableIfDimensionsPresent(element);
    const skypix = this.universe.commonSkyPix;
    const ranges = this.htm.envelope(envelopeRegion(literal), 32);
    const keys = element.tablePrimaryKey();
    const ov = `rc_${elementName}_${this.postFilters.length}`;
    const rangeSql = sql.join(
      ranges.map(
        (r) =>
          sql`(${sql.ref(`${ov}.${skypix}`)} >= ${r.begin} AND ${sql.ref(`${ov}.${skypix}`)} < ${r.end})`,
      ),
      sql` OR `,
    );
    const keyMatch = sql.join(
      keys.map((k) => sql`${sql.ref(`${ov}.${k}`)} = ${sql.ref(`${alias}.${k}`)}`),
      sql` AND `,
    );
    const column = `__rc_${this.postFilters.length}`;
    this.extraColumns.push(sql`${sql.ref(`${alias}.region`)} AS ${sql.ref(column)}`);
    this.postFilters.push({
      column,
      test: (row) => {
        const r = row[column];
        return typeof r === 'string' && regionOverlaps(decodeRegion(r), literal);
      },
    });
    return sql`EXISTS (SELECT 1 FROM ${sql.table(overlapTableName(element, skypix))} AS ${sql.id(ov)} WHERE ${keyMatch} AND (${rangeSql}))`;
  }

  private addElementTableIfDimensionsPresent(element: DimensionElement): string {
    const alias = this.elementAliases.get(element.name);
    if (alias !== undefined) return alias;
    throw meridianError('QUERY_INVALID', `'${element.name}.region' needs ${element.name} in the query`);
  }

  /** `FROM a AS x, b AS y` and `WHERE ...` fragments. */
  fromClause(): RawBuilder<unknown> {
    return sql.join(
      this.relations.map((r) => sql`${r.from} AS ${sql.id(r.alias)}`),
      sql`, `,
    );
  }

  whereClause(): RawBuilder<unknown> {
    return this.conditions.length === 0 ? sql`1 = 1` : sql.join(this.conditions, sql` AND `);
  }
}
