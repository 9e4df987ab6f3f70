/**
 * The czar's planner: passes over the frozen ADQL tree, each a separate function.
 *   1. resolve tables and columns (`resolve.ts`), and delimited column names to the schema's (`delimited.ts`);
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
  type Query,
  type SelectCore,
  type SelectItem,
  type SqlDialect,
  type TableRef,
  toSql,
  walk,
} from '../adql/index.js';
import {
  CHUNK_COLUMN,
  MATCH_CANONICAL,
  MATCH_FLAG_COLUMN,
  MATCH_IN_FIRST,
  MATCH_IN_SECOND,
  MATCH_ONE_SIDED,
  overlapTableName,
  SUB_CHUNK_COLUMN,
} from '../physical.js';
import type { CatalogSchema, CatalogTable } from '../schema.js';
import type { UploadedTable } from '../upload.js';
import { resolveDelimitedColumns } from './delimited.js';
import { and, column, equals, identifier } from './nodes.js';
import { aliasOf, type ResolvedRef, resolveTables } from './resolve.js';
import { familyKeys, findRestrictions, type Restrictions } from './restrict.js';
import { outputName, type SplitQuery, splitQuery, type Unsplittable } from './split.js';
import { uploadJoinChunks } from './upload.js';

export interface PlanContext {
  readonly schema: CatalogSchema;
  readonly chunker: Chunker;
  /** Chunks of the director rows with these key values (director index lookup). */
  readonly directorChunks: (director: CatalogTable, values: readonly string[]) => Promise<number[]>;
  /**
   * The chunk grid a director table is partitioned on. One catalog database has one grid for all its tables
   * (`catalog.json`), which is the default; a context joining tables of several databases says per table, and a
   * cross-match between tables of different grids is refused.
   */
  readonly chunkerOf?: (table: CatalogTable) => Chunker;
  /** Tables uploaded with the query (`TAP_UPLOAD.name`). */
  readonly uploads?: readonly UploadedTable[];
}

/** Why two director tables' rows cannot meet chunk by chunk (different grids or overlaps), or null if they can. */
function gridMismatch(ctx: PlanContext): (a: CatalogTable, b: CatalogTable) => string | null {
  return (a, b) => {
    const [ga, gb] = [a, b].map((t) => ctx.chunkerOf?.(t) ?? ctx.chunker);
    const describe = (t: CatalogTable, g: Chunker) =>
      `${t.name} has ${g.numStripes} stripes × ${g.numSubStripesPerStripe} sub-stripes with ${g.overlapDeg}° overlap`;
    const same =
      ga.numStripes === gb.numStripes &&
      ga.numSubStripesPerStripe === gb.numSubStripesPerStripe &&
      ga.overlapDeg === gb.overlapDeg;
    return same ? null : `${describe(a, ga)}, ${describe(b, gb)}`;
  };
}

/**
 * How a fragment reads one table reference:
 * - `chunks`: the rows of the fragment's chunks (directors, dependents and match tables of the driving family);
 * - `near`: the rows of the fragment's chunks and of their overlap, without repeats: a director reached through a
 *   match table, whose rows lie within the overlap of the driving rows;
 * - `whole`: every row (regular tables, subqueries, other families when one worker holds every chunk).
 * `match` picks a match table's copies: those stored with its first or second director's rows, or one of each.
 */
export interface RefAccess {
  readonly read: 'chunks' | 'near' | 'whole';
  readonly match: 'first' | 'second' | 'canonical' | null;
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
  /** How each partitioned reference is read; references not in the map are read whole. */
  readonly access: ReadonlyMap<TableRef, RefAccess>;
  /** Chunks the query can touch; null when nothing restricts it. */
  readonly chunks: readonly number[] | null;
  readonly nearNeighbour: {
    readonly home: TableRef;
    readonly other: TableRef;
    readonly radiusDeg: number;
  } | null;
  /** Why the query cannot be split into worker and merge queries (known at planning time), or null. */
  readonly unsplittable: string | null;
  /** The uploaded tables the query names: every fragment gets them as temporary tables. */
  readonly uploads: readonly UploadedTable[];
}

function intersect(a: readonly number[] | null, b: readonly number[]): number[] {
  if (a === null) return [...b];
  const keep = new Set(b);
  return a.filter((c) => keep.has(c));
}

/** One partitioned reference seen as a member of one director family (a match table is a member of two). */
interface Member {
  readonly ref: ResolvedRef;
  readonly director: CatalogTable;
  /** For a match table: which of its two directors this membership is. */
  readonly side: 'first' | 'second' | null;
}

/** References of one director family joined by equal keys: they meet inside a chunk. */
interface Group {
  readonly director: CatalogTable;
  readonly members: readonly Member[];
}

/**
 * Groups the partitioned top-level references into co-located groups (Qserv's join validation, qserv_tap.md §2):
 * references of one director family must be joined on that director's key; a match table joins two groups, which
 * then run chunk by chunk with the second read through its overlap. Other groups of different families may meet
 * only when one fragment holds every chunk.
 */
function coLocate(top: readonly ResolvedRef[], restrictions: Restrictions, schema: CatalogSchema): Group[] {
  const members: Member[] = top.flatMap((ref) => {
    const keys = familyKeys(ref, schema);
    return keys.map((k, i) => ({
      ref,
      director: k.director,
      side: keys.length === 2 ? (i === 0 ? ('first' as const) : ('second' as const)) : null,
    }));
  });
  const memberOf = (ref: ResolvedRef, director: CatalogTable) =>
    members.find((m) => m.ref === ref && m.director === director) as Member;
  const parent = new Map(members.map((m) => [m, m]));
  const find = (m: Member): Member => {
    const p = parent.get(m) as Member;
    return p === m ? m : find(p);
  };
  for (const join of restrictions.keyJoins) {
    parent.set(find(memberOf(join.a, join.director)), find(memberOf(join.b, join.director)));
  }
  const byRoot = new Map<Member, Member[]>();
  for (const m of members) byRoot.set(find(m), [...(byRoot.get(find(m)) ?? []), m]);
  const all = [...byRoot.values()];
  // A match table's membership that joins nothing, while its other membership joins something, is no group.
  const idle = (g: Member[]) =>
    g.length === 1 &&
    g[0].side !== null &&
    all.some((o) => o !== g && o.length > 1 && o.some((m) => m.ref === g[0].ref));
  const result = all.filter((g) => !idle(g)).map((g) => ({ director: g[0].director, members: g }));
  for (const [i, g] of result.entries()) {
    const twin = result.slice(i + 1).find((o) => o.director === g.director);
    if (twin) {
      const a = g.members.find((m) => m.side === null) ?? g.members[0];
      const b = twin.members.find((m) => m.side === null) ?? twin.members[0];
      const key = familyKeys(b.ref, schema).find((k) => k.director === g.director);
      throw meridianError(
        'ADQL_UNSUPPORTED',
        `partitioned tables ${a.ref.table.name} and ${b.ref.table.name} must be joined on the director key of ${g.director.name}${key ? ` (${b.ref.alias}.${key.keyColumn})` : ''} or by a near-neighbour DISTANCE(…) < r; other joins between them would cross chunks`,
        { tables: [a.ref.table.name, b.ref.table.name] },
      );
    }
  }
  return result;
}

/** The match reference joining two groups, if one does. */
function matchLink(a: Group, b: Group): ResolvedRef | null {
  const link = a.members.find((m) => m.side !== null && b.members.some((n) => n.ref === m.ref));
  return link ? link.ref : null;
}

/** A group another can reach through the overlap: director rows only (dependents have no overlap copies). */
function readableNear(group: Group, link: ResolvedRef): boolean {
  return group.members.every((m) => m.ref === link || m.ref.table.partitioning.role === 'director');
}

/**
 * How every partitioned reference is read, and whether the query needs every chunk in one place. The driving group
 * is that of the first restricted reference that can drive, else the first group.
 */
function accessPlan(
  groups: readonly Group[],
  restrictions: Restrictions,
): { access: Map<TableRef, RefAccess>; driver: Group | null; crossFamily: boolean } {
  const access = new Map<TableRef, RefAccess>();
  if (groups.length === 0) return { access, driver: null, crossFamily: false };
  const restricted = [...restrictions.regions, ...restrictions.ids].map((r) => r.ref);
  const groupOf = (ref: ResolvedRef) =>
    groups.find((g) => g.members.some((m) => m.ref === ref && m.side === null));
  const link = groups.length === 2 ? matchLink(groups[0], groups[1]) : null;
  const canDrive = (g: Group) => {
    if (!link) return true;
    const other = groups.find((o) => o !== g) as Group;
    return readableNear(other, link);
  };
  const driver =
    restricted.map(groupOf).find((g): g is Group => g !== undefined && canDrive(g)) ??
    groups.find(canDrive) ??
    groups[0];
  const crossFamily = groups.length > 1 && !(link && canDrive(driver));
  for (const m of driver.members) access.set(m.ref.ref, { read: 'chunks', match: m.side });
  for (const g of groups) {
    for (const m of g.members) {
      if (access.has(m.ref.ref)) continue;
      const match = m.side === null ? null : 'canonical';
      access.set(m.ref.ref, { read: crossFamily ? 'whole' : 'near', match });
    }
  }
  // A match table alone in the driving group joins nothing there: it reads each of its rows once.
  const [alone] = driver.members;
  if (driver.members.length === 1 && alone.side !== null) {
    access.set(alone.ref.ref, { read: 'chunks', match: 'canonical' });
  }
  return { access, driver, crossFamily };
}

/** A near-neighbour join: its two director references (the only partitioned ones allowed) read by chunk. */
function nearNeighbourAccess(
  top: readonly ResolvedRef[],
  nn: NonNullable<Restrictions['nearNeighbour']>,
): { access: Map<TableRef, RefAccess>; driver: Group | null; crossFamily: boolean } {
  const partitioned = top.filter((r) => r.table.partitioning.role !== 'regular');
  if (partitioned.length > 2) {
    throw meridianError(
      'ADQL_UNSUPPORTED',
      'a near-neighbour join may involve only its two director references (plus regular tables)',
      { tables: partitioned.map((r) => r.table.name) },
    );
  }
  const access = new Map<TableRef, RefAccess>(
    [nn.home, nn.other].map((r) => [r.ref, { read: 'chunks', match: null }]),
  );
  // In a cross-match the two directors differ: each member is its own table's director, and the home side drives.
  const driver: Group = {
    director: nn.home.table,
    members: [nn.home, nn.other].map((ref) => ({ ref, director: ref.table, side: null })),
  };
  return { access, driver, crossFamily: false };
}

async function chunkSet(
  restrictions: Restrictions,
  access: ReadonlyMap<TableRef, RefAccess>,
  driver: Group | null,
  ctx: PlanContext,
): Promise<number[] | null> {
  let chunks: number[] | null = null;
  const other = restrictions.nearNeighbour?.other;
  for (const { ref, region } of restrictions.regions) {
    const read = access.get(ref.ref)?.read;
    if (read !== 'chunks' && read !== 'near') continue;
    // A region on the near side of a near-neighbour or match join restricts the driving rows to within the overlap.
    const margin = ref === other || read === 'near' ? ctx.chunker.overlapDeg : 0;
    chunks = intersect(chunks, ctx.chunker.chunksIntersecting(region, margin));
  }
  for (const { ref, director, values } of restrictions.ids) {
    if (ref === other || access.get(ref.ref)?.read !== 'chunks' || director !== driver?.director) continue;
    const match = access.get(ref.ref)?.match;
    // Canonical copies of a match row live with its second director's row when it has no first.
    if (match === 'canonical') continue;
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

export async function planQuery(adql: Query, ctx: PlanContext): Promise<QueryPlan> {
  const { refs } = resolveTables(adql, ctx.schema, ctx.uploads);
  const uploads = [...new Set(refs.flatMap((r) => (r.upload ? [r.upload] : [])))];
  const tree = resolveDelimitedColumns(adql, refs);
  const select = tree.body.kind === 'select' ? tree.body : null;
  const refMap = new Map(refs.map((r) => [r.ref, r]));
  if (!select) {
    return {
      kind: 'queryPlan',
      tree,
      refs: refMap,
      schema: ctx.schema,
      partitioned: refs.some((r) => r.table.partitioning.role !== 'regular'),
      chunks: null,
      access: new Map(),
      needsAllChunks: refs.some((r) => r.table.partitioning.role !== 'regular')
        ? 'set operations or nested queries over partitioned tables'
        : null,
      nearNeighbour: null,
      unsplittable: 'set operations and nested queries',
      uploads,
    };
  }
  const top = refs.filter((r) => r.topLevel);
  const restrictions = findRestrictions(select, refs, ctx.schema, ctx.chunker.overlapDeg, gridMismatch(ctx));
  const nn = restrictions.nearNeighbour;
  const { access, driver, crossFamily } = nn
    ? nearNeighbourAccess(top, nn)
    : accessPlan(coLocate(top, restrictions, ctx.schema), restrictions);
  let chunks = await chunkSet(restrictions, access, driver, ctx);
  for (const [director, near] of uploadJoinChunks(select, refs, ctx.chunker)) {
    if (!nn && access.get(director.ref)?.read === 'chunks') chunks = intersect(chunks, near);
  }
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
      where: body.where === null ? sameSubChunk : and(sameSubChunk, body.where),
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
    access,
    needsAllChunks: crossFamily
      ? 'joins between tables of different director families'
      : refs.some((r) => !r.topLevel && r.table.partitioning.role !== 'regular')
        ? 'subqueries over partitioned tables'
        : null,
    unsplittable: crossFamily ? 'joins between tables of different director families' : null,
    uploads,
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

/** The SQL condition selecting a match table's copies (bits in `physical.ts`). */
function matchCopies(match: NonNullable<RefAccess['match']>, flag: string): string {
  if (match === 'canonical') return `(${flag} & ${MATCH_CANONICAL}) <> 0`;
  // The copies stored with one side's rows, plus the rows that lack that side (stored once, with the other side).
  const [mine, other] =
    match === 'first' ? [MATCH_IN_FIRST, MATCH_IN_SECOND] : [MATCH_IN_SECOND, MATCH_IN_FIRST];
  return `((${flag} & ${mine}) <> 0 OR ${flag} = ${other | MATCH_CANONICAL | MATCH_ONE_SIDED})`;
}

/**
 * One fragment's SQL: every table becomes a subquery on its physical table that exposes only the columns the query
 * names (plus the partition columns a near-neighbour join needs), read as `plan.access` says: restricted to
 * `chunks` (null: every chunk of the worker), with its overlap, or whole. `everyChunkHere` says the worker holds
 * every chunk, so a `near` table with no chunk restriction can be read whole instead of with its overlap.
 */
export function compileFragment(
  plan: QueryPlan,
  tree: Query,
  chunks: readonly number[] | null,
  dialect: SqlDialect,
  everyChunkHere = false,
): { sql: string; params: unknown[] } {
  const id = (name: string) => dialect.regularIdentifier(name);
  const used = usedColumns(tree);
  const tableName = (ref: TableRef): string => {
    const resolved = plan.refs.get(ref);
    if (!resolved)
      return ref.name.map((p) => (p.delimited ? dialect.quoteIdentifier(p.name) : id(p.name))).join('.');
    const table = resolved.table;
    const physicalName = resolved.upload?.physicalName ?? table.name;
    const needed = used.isWide(resolved.alias)
      ? table.columns
      : table.columns.filter((c) => used.names.has(c.name.toLowerCase()));
    // A table none of whose columns is named (`SELECT COUNT(*) FROM T`) still needs one for its rows.
    let columns = (needed.length > 0 ? needed : table.columns.slice(0, 1)).map((c) => id(c.name)).join(', ');
    const access: RefAccess = (resolved.topLevel ? plan.access.get(ref) : undefined) ?? {
      read: 'whole',
      match: table.partitioning.role === 'match' ? 'canonical' : null,
    };
    const conditions: string[] = [];
    if (access.read !== 'whole' && chunks !== null) {
      conditions.push(`${id(CHUNK_COLUMN)} IN (${chunks.length > 0 ? chunks.join(', ') : '-1'})`);
    }
    if (access.match !== null) conditions.push(matchCopies(access.match, id(MATCH_FLAG_COLUMN)));
    const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
    const nn = plan.nearNeighbour;
    if (nn && (ref === nn.home || ref === nn.other))
      columns += `, ${id(CHUNK_COLUMN)}, ${id(SUB_CHUNK_COLUMN)}`;
    const own = `SELECT ${columns} FROM ${id(physicalName)}${where}`;
    if (nn && ref === nn.other) {
      return `(${own} UNION ALL SELECT ${columns} FROM ${id(overlapTableName(table))}${where})`;
    }
    if (access.read === 'near' && !(chunks === null && everyChunkHere)) {
      // A row can sit in the overlap of several sub-chunks of the fragment: UNION, not UNION ALL.
      return `(${own} UNION SELECT ${columns} FROM ${id(overlapTableName(table))}${where})`;
    }
    return `(${own})`;
  };
  return toSql(tree, dialect, { tableName });
}
