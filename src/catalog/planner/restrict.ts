/**
 * Restriction pass: reads the top-level AND terms of WHERE (and of inner-join ON clauses) for what decides the
 * chunks a query touches (qserv_tap.md §1.3–1.5):
 * - spatial terms on a director's position columns: CONTAINS/INTERSECTS(POINT, CIRCLE|BOX|POLYGON) = 1,
 *   DISTANCE(POINT, POINT(const)) < r, scisql_s2PtInCircle/Box/CPoly(…) = 1, scisql_angSep(…) < r;
 * - director-key terms: `key = n` and `key IN (…)` on a director's key or a dependent's foreign key;
 * - near-neighbour terms DISTANCE(POINT(a), POINT(b)) < r or CONTAINS(POINT(a), CIRCLE(b, r)) = 1 between two
 *   director references: a self-join, or a cross-match of two directors on the same chunk grid;
 * - join terms: equality of director keys between partitioned references.
 * Anything else (OR, functions of columns, non-constant shapes) simply does not restrict.
 */

import { meridianError } from '../../errors.js';
import { Box, Circle, ConvexPolygon, type Region } from '../../sphere/index.js';
import type { ColumnRef, Expression, FromItem, SelectCore } from '../adql/index.js';
import { type CatalogSchema, type CatalogTable, directorsOf } from '../schema.js';
import { conjuncts, constantNumber } from './nodes.js';
import { ownerOf, type ResolvedRef } from './resolve.js';

export interface RegionRestriction {
  readonly ref: ResolvedRef;
  readonly region: Region;
}

export interface IdRestriction {
  readonly ref: ResolvedRef;
  readonly director: CatalogTable;
  /** Key values as text (exact for 19-digit ids). */
  readonly values: readonly string[];
}

export interface NearNeighbour {
  readonly home: ResolvedRef;
  readonly other: ResolvedRef;
  readonly radiusDeg: number;
}

/** Two top-level references joined by equal keys of one director (each side's own column for that key). */
export interface KeyJoin {
  readonly a: ResolvedRef;
  readonly b: ResolvedRef;
  readonly director: CatalogTable;
}

export interface Restrictions {
  readonly regions: readonly RegionRestriction[];
  readonly ids: readonly IdRestriction[];
  readonly nearNeighbour: NearNeighbour | null;
  readonly keyJoins: readonly KeyJoin[];
}

/** The terms that must all hold: WHERE and the ON clauses of inner joins. */
export function requiredTerms(select: SelectCore): Expression[] {
  const terms = conjuncts(select.where);
  const visit = (item: FromItem) => {
    if (item.kind !== 'join') return;
    if (item.joinType === 'INNER') terms.push(...conjuncts(item.on));
    visit(item.left);
    visit(item.right);
  };
  for (const item of select.from) visit(item);
  return terms;
}

/** Every AND term of WHERE and of every ON clause, inner or outer: where co-location joins are declared. */
function joinTerms(select: SelectCore): Expression[] {
  const terms = conjuncts(select.where);
  const visit = (item: FromItem) => {
    if (item.kind !== 'join') return;
    terms.push(...conjuncts(item.on));
    visit(item.left);
    visit(item.right);
  };
  for (const item of select.from) visit(item);
  return terms;
}

/** The director tables a reference's rows are placed by, each with the column that holds its key there. */
export function familyKeys(
  ref: ResolvedRef,
  schema: CatalogSchema,
): { director: CatalogTable; keyColumn: string }[] {
  return directorsOf(schema, ref.table);
}

/** A (ra, dec) pair of columns that are a director reference's position columns. */
export function positionOwner(
  ra: Expression,
  dec: Expression,
  refs: readonly ResolvedRef[],
): ResolvedRef | null {
  if (ra.kind !== 'column' || dec.kind !== 'column') return null;
  const owner = ownerOf(ra, refs);
  if (!owner || ownerOf(dec, refs) !== owner) return null;
  const p = owner.table.partitioning;
  if (p.role !== 'director') return null;
  const same = (c: ColumnRef, name: string) => c.name.name.toLowerCase() === name.toLowerCase();
  return same(ra, p.ra) && same(dec, p.dec) ? owner : null;
}

function constants(args: readonly Expression[]): number[] | null {
  const values = args.map(constantNumber);
  return values.every((v) => v !== null) ? (values as number[]) : null;
}

export function pointArgs(expression: Expression): readonly [Expression, Expression] | null {
  return expression.kind === 'geometry' && expression.name === 'POINT' && expression.args.length === 2
    ? [expression.args[0], expression.args[1]]
    : null;
}

function boxRegion(ra: number, dec: number, width: number, height: number): Region {
  if (width >= 360)
    return Box.fromDegrees(0, Math.max(-90, dec - height / 2), 360, Math.min(90, dec + height / 2));
  return Box.fromDegrees(
    ra - width / 2,
    Math.max(-90, dec - height / 2),
    ra + width / 2,
    Math.min(90, dec + height / 2),
  );
}

/** A constant shape (CIRCLE, BOX, POLYGON) as a sphere region, or null. */
function shapeRegion(shape: Expression): Region | null {
  if (shape.kind !== 'geometry') return null;
  const flat = shape.args.flatMap((a) => pointArgs(a) ?? [a]);
  const values = constants(flat);
  if (!values) return null;
  if (shape.name === 'CIRCLE' && values.length === 3)
    return Circle.fromDegrees(values[0], values[1], values[2]);
  if (shape.name === 'BOX' && values.length === 4)
    return boxRegion(values[0], values[1], values[2], values[3]);
  if (shape.name === 'POLYGON' && values.length >= 6 && values.length % 2 === 0) {
    const vertices: [number, number][] = [];
    for (let i = 0; i < values.length; i += 2) vertices.push([values[i], values[i + 1]]);
    return ConvexPolygon.fromLonLat(vertices);
  }
  return null;
}

function isFlagOne(expression: Expression): boolean {
  return expression.kind === 'number' && expression.text === '1';
}

/** `f(…) = 1` / `1 = f(…)`: the call, else null. */
export function flaggedCall(term: Expression): Expression | null {
  if (term.kind !== 'comparison' || term.operator !== '=') return null;
  if (isFlagOne(term.right)) return term.left;
  if (isFlagOne(term.left)) return term.right;
  return null;
}

/** `x < r` / `x <= r` / `r > x` / `r >= x` with constant r: [x, r], else null. */
export function upperBound(term: Expression): readonly [Expression, number] | null {
  if (term.kind !== 'comparison') return null;
  if (term.operator === '<' || term.operator === '<=') {
    const r = constantNumber(term.right);
    return r === null ? null : [term.left, r];
  }
  if (term.operator === '>' || term.operator === '>=') {
    const r = constantNumber(term.left);
    return r === null ? null : [term.right, r];
  }
  return null;
}

function guarded<T>(build: () => T | null): T | null {
  try {
    return build();
  } catch {
    // An invalid constant shape restricts nothing here; the SQL compiler reports it precisely.
    return null;
  }
}

function regionTerm(term: Expression, refs: readonly ResolvedRef[]): RegionRestriction | null {
  const call = flaggedCall(term);
  if (call?.kind === 'geometry' && (call.name === 'CONTAINS' || call.name === 'INTERSECTS')) {
    const point = pointArgs(call.args[0]);
    const owner = point && positionOwner(point[0], point[1], refs);
    const region = owner && guarded(() => shapeRegion(call.args[1]));
    return owner && region ? { ref: owner, region } : null;
  }
  if (call?.kind === 'udf') {
    const name = call.name.toLowerCase();
    const owner = call.args.length >= 2 ? positionOwner(call.args[0], call.args[1], refs) : null;
    const values = owner && constants(call.args.slice(2));
    if (!owner || !values) return null;
    const region = guarded<Region>(() => {
      if (name === 'scisql_s2ptincircle' && values.length === 3)
        return Circle.fromDegrees(values[0], values[1], values[2]);
      if (name === 'scisql_s2ptinbox' && values.length === 4)
        return Box.fromDegrees(values[0], values[1], values[2], values[3]);
      if (name === 'scisql_s2ptincpoly' && values.length >= 6 && values.length % 2 === 0) {
        const vertices: [number, number][] = [];
        for (let i = 0; i < values.length; i += 2) vertices.push([values[i], values[i + 1]]);
        return ConvexPolygon.fromLonLat(vertices);
      }
      return null;
    });
    return region ? { ref: owner, region } : null;
  }
  const bound = upperBound(term);
  if (!bound) return null;
  const pairs = distanceOperands(bound[0]);
  if (!pairs) return null;
  for (const [a, b] of [pairs, [pairs[1], pairs[0]] as const]) {
    const owner = positionOwner(a[0], a[1], refs);
    const center = constants(b);
    if (owner && center) {
      const region = guarded(() => Circle.fromDegrees(center[0], center[1], bound[1]));
      if (region) return { ref: owner, region };
    }
  }
  return null;
}

/** The two (ra, dec) operand pairs of DISTANCE(POINT, POINT), DISTANCE(4 numbers) or scisql_angSep. */
export function distanceOperands(
  expression: Expression,
): readonly [readonly [Expression, Expression], readonly [Expression, Expression]] | null {
  let args: readonly Expression[] | null = null;
  if (expression.kind === 'geometry' && expression.name === 'DISTANCE') {
    args =
      expression.args.length === 2 ? expression.args.flatMap((a) => pointArgs(a) ?? []) : expression.args;
  } else if (expression.kind === 'udf' && expression.name.toLowerCase() === 'scisql_angsep') {
    args = expression.args;
  }
  if (args?.length !== 4) return null;
  return [
    [args[0], args[1]],
    [args[2], args[3]],
  ];
}

function idTerm(term: Expression, refs: readonly ResolvedRef[], schema: CatalogSchema): IdRestriction | null {
  let columnSide: Expression | null = null;
  let values: Expression[] = [];
  if (term.kind === 'comparison' && term.operator === '=') {
    if (term.left.kind === 'column') [columnSide, values] = [term.left, [term.right]];
    else if (term.right.kind === 'column') [columnSide, values] = [term.right, [term.left]];
  } else if (term.kind === 'inList' && !term.negated && term.operand.kind === 'column') {
    [columnSide, values] = [term.operand, [...term.values]];
  }
  if (columnSide?.kind !== 'column') return null;
  const owner = ownerOf(columnSide, refs);
  const name = columnSide.name.name.toLowerCase();
  const family = owner && familyKeys(owner, schema).find((k) => k.keyColumn.toLowerCase() === name);
  if (!owner || !family) return null;
  const texts = values.map((v) => {
    if (v.kind === 'number' && v.form === 'integer') return v.text;
    if (
      v.kind === 'unary' &&
      v.operator === '-' &&
      v.operand.kind === 'number' &&
      v.operand.form === 'integer'
    ) {
      return `-${v.operand.text}`;
    }
    if (v.kind === 'string') return v.value;
    return null;
  });
  if (texts.some((t) => t === null)) return null;
  return { ref: owner, director: family.director, values: texts as string[] };
}

/**
 * The two position operands and the radius of a near-neighbour term: `DISTANCE(POINT(a), POINT(b)) < r` (and its
 * sciSQL and four-number spellings), or `CONTAINS(POINT(a), CIRCLE(b, r)) = 1` with a constant r.
 */
function nearNeighbourOperands(
  term: Expression,
): { a: readonly [Expression, Expression]; b: readonly [Expression, Expression]; radius: number } | null {
  const call = flaggedCall(term);
  if (call?.kind === 'geometry' && call.name === 'CONTAINS' && call.args.length === 2) {
    const a = pointArgs(call.args[0]);
    const circle = call.args[1];
    if (!a || circle.kind !== 'geometry' || circle.name !== 'CIRCLE') return null;
    const [center, radiusArg] =
      circle.args.length === 2
        ? [pointArgs(circle.args[0]), circle.args[1]]
        : circle.args.length === 3
          ? [[circle.args[0], circle.args[1]] as const, circle.args[2]]
          : [null, null];
    const radius = radiusArg && constantNumber(radiusArg);
    return center && radius !== null && radius !== undefined ? { a, b: center, radius } : null;
  }
  const bound = upperBound(term);
  const pairs = bound && distanceOperands(bound[0]);
  return bound && pairs ? { a: pairs[0], b: pairs[1], radius: bound[1] } : null;
}

/**
 * Whether two director tables share one chunk grid: the same stripes, sub-stripes and overlap, so that a row and its
 * neighbours within the overlap meet in one sub-chunk and its overlap (Qserv's "database family").
 */
export type ChunkGridCheck = (a: CatalogTable, b: CatalogTable) => string | null;

function nearNeighbourTerm(
  term: Expression,
  refs: readonly ResolvedRef[],
  overlapDeg: number,
  gridMismatch: ChunkGridCheck,
): NearNeighbour | null {
  const operands = nearNeighbourOperands(term);
  if (!operands) return null;
  const a = positionOwner(operands.a[0], operands.a[1], refs);
  const b = positionOwner(operands.b[0], operands.b[1], refs);
  if (!a || !b || a === b) return null;
  if (a.table !== b.table) {
    const mismatch = gridMismatch(a.table, b.table);
    if (mismatch !== null) {
      throw meridianError(
        'CROSS_MATCH_PARTITIONING',
        `cannot cross-match ${a.table.name} with ${b.table.name} chunk by chunk: ${mismatch}`,
        { tables: [a.table.name, b.table.name] },
      );
    }
  }
  if (operands.radius > overlapDeg) {
    throw meridianError(
      'NEAR_NEIGHBOUR_RADIUS',
      `near-neighbour radius ${operands.radius}° is larger than the partition overlap ${overlapDeg}°: pairs further apart than the overlap may sit in different chunks`,
      { radiusDeg: operands.radius, overlapDeg },
    );
  }
  return { home: a, other: b, radiusDeg: operands.radius };
}

function keyJoinTerm(term: Expression, refs: readonly ResolvedRef[], schema: CatalogSchema) {
  if (term.kind !== 'comparison' || term.operator !== '=') return null;
  if (term.left.kind !== 'column' || term.right.kind !== 'column') return null;
  const a = ownerOf(term.left, refs);
  const b = ownerOf(term.right, refs);
  if (!a || !b || a === b) return null;
  const isKey = (c: ColumnRef, key: string) => c.name.name.toLowerCase() === key.toLowerCase();
  const left = familyKeys(a, schema).find((k) => isKey(term.left as ColumnRef, k.keyColumn));
  const right = familyKeys(b, schema).find((k) => isKey(term.right as ColumnRef, k.keyColumn));
  return left && right && left.director === right.director ? { a, b, director: left.director } : null;
}

export function findRestrictions(
  select: SelectCore,
  refs: readonly ResolvedRef[],
  schema: CatalogSchema,
  overlapDeg: number,
  gridMismatch: ChunkGridCheck = () => null,
): Restrictions {
  const top = refs.filter((r) => r.topLevel);
  const regions: RegionRestriction[] = [];
  const ids: IdRestriction[] = [];
  const keyJoins: KeyJoin[] = [];
  let nearNeighbour: NearNeighbour | null = null;
  for (const term of joinTerms(select)) {
    const join = keyJoinTerm(term, top, schema);
    if (join) keyJoins.push(join);
  }
  for (const term of requiredTerms(select)) {
    const nn = nearNeighbourTerm(term, top, overlapDeg, gridMismatch);
    if (nn) {
      nearNeighbour ??= nn;
      continue;
    }
    const region = regionTerm(term, top);
    if (region) {
      regions.push(region);
      continue;
    }
    const id = idTerm(term, top, schema);
    if (id) ids.push(id);
  }
  // The side a region restricts reads its own chunks only: the other side's region would widen them by the overlap.
  if (
    nearNeighbour &&
    ![...regions, ...ids].some((r) => r.ref === nearNeighbour?.home) &&
    regions.some((r) => r.ref === nearNeighbour?.other)
  ) {
    nearNeighbour = { ...nearNeighbour, home: nearNeighbour.other, other: nearNeighbour.home };
  }
  return { regions, ids, nearNeighbour, keyJoins };
}
