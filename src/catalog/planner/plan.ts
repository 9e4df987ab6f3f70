/**
 * The czar's planner: passes over the frozen ADQL tree, each a separate function.
 *   1. resolve tables and columns (`resolve.ts`);
 *   2. find restrictions: spatial regions, director ids, near-neighbour and key joins (`restrict.ts`);
 *   3. validate that partitioned tables are co-located (key joins or one near-neighbour join);
 *   4. turn restrictions into a chunk set (sphere chunker, director index);
 *   5. name every output column, and for near-neighbour joins spell out `*` and add the sub-chunk equi-join;
 *   6. `splitPlan`, only when a query has more than one fragment: worker + merge queries (`split.ts`).
 * `compileFragment` then writes one fragment's SQL, replacing each table by a subquery on its physical table
 * restricted to the fragment's chunks.
 */

import { meridianError } from '../../errors.js';
import type { Chunker } from '../../sphere/index.js';
import {
  deepFreeze,
  type Expression,
  type Query,
  type SelectCore,
  type SelectItem,
  type SqlDialect,
  type TableRef,
  toSql,
  walk,
} from '../adql/index.js';
import { CHUNK_COLUMN, overlapTableName, SUB_CHUNK_COLUMN } from '../physical.js';
import type { CatalogSchema, CatalogTable } from '../schema.js';
import { and, column, equals, identifier } from './nodes.js';
import { aliasOf, type ResolvedRef, resolveTables } from './resolve.js';
import { familyKey, findRestrictions, type Restrictions } from './restrict.js';
import { outputName, type SplitQuery, splitQuery, type Unsplittable } from './split.js';

export interface PlanContext {
  readonly schema: CatalogSchema;
  readonly chunker: Chunker;
  /** Chunks of the director rows with these key values (director index lookup). */
  readonly directorChunks: (director: CatalogTable, values: readonly string[]) => Promise<number[]>;
}

export interface QueryPlan {
  readonly kind: 'queryPlan';
  /** The query after the naming and near-neighbour rewrites: what a single fragment runs. */
  readonly tree: Query;
  readonly refs: ReadonlyMap<TableRef, ResolvedRef>;
  readonly schema: CatalogSchema;
  /** True when the query reads a director or dependent table anywhere. */
  readonly partitioned: boolean;
  /**
   * Why the query needs every chunk in one place (a subquery over a partitioned table, a join across director
   * families), or null. Such queries run only where one worker holds every chunk.
   */
  readonly needsAllChunks: string | null;
  /** The director table whose chunks `chunks` restricts (other families are read whole); null if none. */
  readonly family: string | null;
  /** Chunks the query can touch; null when nothing restricts it. */
  readonly chunks: readonly number[] | null;
  readonly nearNeighbour: {
    readonly home: TableRef;
    readonly other: TableRef;
    readonly radiusDeg: number;
  } | null;
  /** Why the query cannot be split into worker and merge queries (known at planning time), or null. */
  readonly unsplittable: string | null;
}

function intersect(a: readonly number[] | null, b: readonly number[]): number[] {
  if (a === null) return [...b];
  const keep = new Set(b);
  return a.filter((c) => keep.has(c));
}

/** The director table whose chunks a reference's rows follow, by name; null for regular tables. */
function familyOf(ref: ResolvedRef, schema: CatalogSchema): string | null {
  return familyKey(ref, schema)?.director.name ?? null;
}

/**
 * Partitioned tables of one director family must be co-located by director-key joins (or be the two sides of one
 * near-neighbour join). Tables of different families may meet only when one fragment holds every chunk; returns
 * whether they do.
 */
function validateCoLocation(
  top: readonly ResolvedRef[],
  restrictions: Restrictions,
  schema: CatalogSchema,
): boolean {
  const partitioned = top.filter((r) => r.table.partitioning.role !== 'regular');
  const families = new Set(partitioned.map((r) => familyOf(r, schema)));
  const nn = restrictions.nearNeighbour;
  if (nn) {
    if (partitioned.length > 2) {
      throw meridianError(
        'ADQL_UNSUPPORTED',
        'a near-neighbour join may involve only its two director references (plus regular tables)',
        { tables: partitioned.map((r) => r.table.name) },
      );
    }
    return false;
  }
  const parent = new Map(partitioned.map((r) => [r, r]));
  const find = (r: ResolvedRef): ResolvedRef => {
    const p = parent.get(r) as ResolvedRef;
    return p === r ? r : find(p);
  };
  for (const [a, b] of restrictions.keyJoins) parent.set(find(a), find(b));
  for (const family of families) {
    const members = partitioned.filter((r) => familyOf(r, schema) === family);
    const root = find(members[0]);
    const loose = members.find((r) => find(r) !== root);
    if (loose) {
      const key = familyKey(loose, schema);
      throw meridianError(
        'ADQL_UNSUPPORTED',
        `partitioned tables ${members[0].table.name} and ${loose.table.name} must be joined on the director key of ${family}${key ? ` (${loose.alias}.${key.keyColumn})` : ''} or by a near-neighbour DISTANCE(…) < r; other joins between them would cross chunks`,
        { tables: [members[0].table.name, loose.table.name] },
      );
    }
  }
  return families.size > 1;
}

/** The family whose chunks the query is restricted to: that of the first restriction, else of the first table. */
function primaryFamily(
  top: readonly ResolvedRef[],
  restrictions: Restrictions,
  schema: CatalogSchema,
): string | null {
  const restricted = [...restrictions.regions, ...restrictions.ids].map((r) => r.ref);
  const first = [...restricted, ...top].find((r) => familyOf(r, schema) !== null);
  return first ? familyOf(first, schema) : null;
}

async function chunkSet(
  restrictions: Restrictions,
  family: string | null,
  ctx: PlanContext,
): Promise<number[] | null> {
  let chunks: number[] | null = null;
  const other = restrictions.nearNeighbour?.other;
  const inFamily = (ref: ResolvedRef) => familyOf(ref, ctx.schema) === family;
  for (const { ref, region } of restrictions.regions) {
    if (!inFamily(ref)) continue;
    // A region on the near side of a near-neighbour join restricts the home rows to within the overlap of it.
    const margin = ref === other ? ctx.chunker.overlapDeg : 0;
    chunks = intersect(chunks, ctx.chunker.chunksIntersecting(region, margin));
  }
  for (const { ref, director, values } of restrictions.ids) {
    if (ref === other || !inFamily(ref)) continue;
    chunks = intersect(chunks, await ctx.directorChunks(director, values));
  }
  return chunks === null ? null : [...new Set(chunks)].sort((a, b) => a - b);
}

/** Every non-star item gets an explicit alias, so names are the same on every engine and after merging. */
function nameOutputs(select: SelectCore): SelectItem[] {
  return select.items.map((item) =>
    item.kind === 'selectColumn' && !item.alias
      ? deepFreeze({ ...item, alias: identifier(outputName(item), true) })
      : item,
  );
}

/** `*` and `t.*` as explicit columns of the top-level tables, in FROM order. */
function expandStars(items: readonly SelectItem[], top: readonly ResolvedRef[]): SelectItem[] {
  return items.flatMap((item) => {
    if (item.kind !== 'allColumns') return [item];
    const qualifier = item.qualifier?.[item.qualifier.length - 1]?.name.toLowerCase();
    const refs = qualifier === undefined ? top : top.filter((r) => r.alias === qualifier);
    return refs.flatMap((r) =>
      r.table.columns.map((c) =>
        deepFreeze({
          kind: 'selectColumn' as const,
          pos: item.pos,
          expression: column(aliasOf(r.ref), c.name),
          alias: identifier(c.name, true),
        }),
      ),
    );
  });
}

export async function planQuery(tree: Query, ctx: PlanContext): Promise<QueryPlan> {
  const { refs, select } = resolveTables(tree, ctx.schema);
  const refMap = new Map(refs.map((r) => [r.ref, r]));
  if (!select) {
    return {
      kind: 'queryPlan',
      tree,
      refs: refMap,
      schema: ctx.schema,
      partitioned: refs.some((r) => r.table.partitioning.role !== 'regular'),
      chunks: null,
      family: null,
      needsAllChunks: refs.some((r) => r.table.partitioning.role !== 'regular')
        ? 'set operations or nested queries over partitioned tables'
        : null,
      nearNeighbour: null,
      unsplittable: 'set operations and nested queries',
    };
  }
  const top = refs.filter((r) => r.topLevel);
  const restrictions = findRestrictions(select, refs, ctx.schema, ctx.chunker.overlapDeg);
  const crossFamily = validateCoLocation(top, restrictions, ctx.schema);
  const family = primaryFamily(top, restrictions, ctx.schema);
  const chunks = await chunkSet(restrictions, family, ctx);
  const nn = restrictions.nearNeighbour;
  let body: SelectCore = { ...select, items: nameOutputs(select) };
  if (nn) {
    const home = aliasOf(nn.home.ref);
    const other = aliasOf(nn.other.ref);
    const sameSubChunk = and(
      equals(column(home, CHUNK_COLUMN), column(other, CHUNK_COLUMN)),
      equals(column(home, SUB_CHUNK_COLUMN), column(other, SUB_CHUNK_COLUMN)),
    );
    body = {
      ...body,
      items: nameOutputs({ ...body, items: expandStars(select.items, top) }),
      where: and(sameSubChunk, body.where as Expression),
    };
  }
  const rewritten: Query = deepFreeze({ ...tree, body });
  return {
    kind: 'queryPlan',
    tree: rewritten,
    refs: refMap,
    schema: ctx.schema,
    partitioned: refs.some((r) => r.table.partitioning.role !== 'regular'),
    chunks,
    nearNeighbour: nn ? { home: nn.home.ref, other: nn.other.ref, radiusDeg: nn.radiusDeg } : null,
    family,
    needsAllChunks: crossFamily
      ? 'joins between tables of different director families'
      : refs.some((r) => !r.topLevel && r.table.partitioning.role !== 'regular')
        ? 'subqueries over partitioned tables'
        : null,
    unsplittable: crossFamily ? 'joins between tables of different director families' : null,
  };
}

/**
 * The worker and merge queries of a plan, for when it runs as more than one fragment. Done apart from planning
 * because it costs as much as the rest of planning (a wide `*` becomes every column) and most queries never need it.
 */
export function splitPlan(plan: QueryPlan): SplitQuery | Unsplittable {
  if (plan.unsplittable !== null) return { kind: 'unsplittable', reason: plan.unsplittable };
  const body = plan.tree.body;
  if (body.kind !== 'select') return { kind: 'unsplittable', reason: 'set operations and nested queries' };
  if (plan.nearNeighbour) return splitQuery(plan.tree);
  const top = [...plan.refs.values()].filter((r) => r.topLevel);
  return splitQuery(deepFreeze({ ...plan.tree, body: { ...body, items: expandStars(body.items, top) } }));
}

/**
 * Which columns a query can read, so each table's subquery exposes only those: wide subqueries cost DuckDB a
 * millisecond of binding on a 90-column table, as much as the single-row lookup they serve. Conservative: a name
 * counts for every table that has a column of that name; `*`, `t.*`, NATURAL and USING make tables wide.
 */
function usedColumns(tree: Query): { names: Set<string>; isWide: (alias: string) => boolean } {
  const names = new Set<string>();
  const wide = new Set<string>();
  let everything = false;
  walk(tree, (node) => {
    if (node.kind === 'column') names.add(node.name.name.toLowerCase());
    else if (node.kind === 'allColumns') {
      if (node.qualifier === null) everything = true;
      else wide.add(node.qualifier[node.qualifier.length - 1].name.toLowerCase());
    } else if (node.kind === 'join' && (node.natural || node.using !== null)) everything = true;
    return true;
  });
  return { names, isWide: (alias) => everything || wide.has(alias) };
}

/**
 * One fragment's SQL: every table becomes a subquery on its physical table that exposes only the schema columns
 * (plus the partition columns a near-neighbour join needs), restricted to `chunks` for top-level partitioned tables.
 */
export function compileFragment(
  plan: QueryPlan,
  tree: Query,
  chunks: readonly number[] | null,
  dialect: SqlDialect,
): { sql: string; params: unknown[] } {
  const id = (name: string) => dialect.regularIdentifier(name);
  const used = usedColumns(tree);
  const tableName = (ref: TableRef): string => {
    const resolved = plan.refs.get(ref);
    if (!resolved)
      return ref.name.map((p) => (p.delimited ? dialect.quoteIdentifier(p.name) : id(p.name))).join('.');
    const table = resolved.table;
    const needed = used.isWide(resolved.alias)
      ? table.columns
      : table.columns.filter((c) => used.names.has(c.name.toLowerCase()));
    // A table none of whose columns is named (`SELECT COUNT(*) FROM T`) still needs one for its rows.
    let columns = (needed.length > 0 ? needed : table.columns.slice(0, 1)).map((c) => id(c.name)).join(', ');
    const partitioned = table.partitioning.role !== 'regular';
    const inFamily = familyOf(resolved, plan.schema) === plan.family;
    if (!resolved.topLevel || !partitioned || !inFamily) return `(SELECT ${columns} FROM ${id(table.name)})`;
    const restriction =
      chunks === null
        ? ''
        : ` WHERE ${id(CHUNK_COLUMN)} IN (${chunks.length > 0 ? chunks.join(', ') : '-1'})`;
    const nn = plan.nearNeighbour;
    if (nn && (ref === nn.home || ref === nn.other))
      columns += `, ${id(CHUNK_COLUMN)}, ${id(SUB_CHUNK_COLUMN)}`;
    const own = `SELECT ${columns} FROM ${id(table.name)}${restriction}`;
    if (nn && ref === nn.other) {
      return `(${own} UNION ALL SELECT ${columns} FROM ${id(overlapTableName(table))}${restriction})`;
    }
    return `(${own})`;
  };
  return toSql(tree, dialect, { tableName });
}
