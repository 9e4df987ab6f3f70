/**
 * Upload pass (after the restriction pass): a positional join between an uploaded table and a director touches only
 * the chunks near the uploaded positions. An upload is read whole by every fragment (it is shipped with the query, see
 * `upload.ts`), so restricting the director's chunks is all that is needed for the join to run chunk by chunk; with
 * the director's own rows read once (no overlap), each pair is found in exactly one fragment.
 *
 * Recognised AND terms of WHERE and inner-join ON clauses, `u` an upload and `o` a director, `r` a constant:
 * - `DISTANCE(POINT(u.a, u.b), POINT(o.ra, o.dec)) < r` (either order, 4-number form, scisql_angSep);
 * - `CONTAINS(POINT(o.ra, o.dec), CIRCLE(u.a, u.b, r or u.c)) = 1` (also INTERSECTS);
 * - `CONTAINS(POINT(u.a, u.b), CIRCLE(o.ra, o.dec, r)) = 1`.
 * The chunks are those of the circles of radius r around each uploaded position. Without such a term, or with more
 * uploaded rows than `MAX_RESTRICTING_ROWS`, the director is read from every chunk (the join is still right, only
 * slower).
 */

import { type Chunker, Circle } from '../../sphere/index.js';
import type { Expression, SelectCore } from '../adql/index.js';
import type { CellValue } from '../engine.js';
import { constantNumber } from './nodes.js';
import { ownerOf, type ResolvedRef } from './resolve.js';
import {
  distanceOperands,
  flaggedCall,
  pointArgs,
  positionOwner,
  requiredTerms,
  upperBound,
} from './restrict.js';

/** Above this many uploaded rows, computing the chunk set costs more than it saves: every chunk is read. */
export const MAX_RESTRICTING_ROWS = 100_000;

/** Where each row's circle comes from: column indexes of the upload, and a constant radius or a column's. */
interface UploadCircles {
  readonly director: ResolvedRef;
  readonly upload: ResolvedRef;
  readonly ra: number;
  readonly dec: number;
  readonly radius: number | { readonly column: number };
}

/** The index of an upload column that `expression` names, or -1. */
function uploadColumn(expression: Expression, upload: ResolvedRef, refs: readonly ResolvedRef[]): number {
  if (expression.kind !== 'column' || ownerOf(expression, refs) !== upload) return -1;
  const name = expression.name.name.toLowerCase();
  return upload.table.columns.findIndex((c) => c.name.toLowerCase() === name);
}

/** The upload owning both columns of a pair, with their indexes. */
function uploadPair(
  pair: readonly [Expression, Expression],
  refs: readonly ResolvedRef[],
): { upload: ResolvedRef; ra: number; dec: number } | null {
  if (pair[0].kind !== 'column') return null;
  const upload = ownerOf(pair[0], refs);
  if (!upload?.upload) return null;
  const ra = uploadColumn(pair[0], upload, refs);
  const dec = uploadColumn(pair[1], upload, refs);
  return ra >= 0 && dec >= 0 ? { upload, ra, dec } : null;
}

function circlesOf(term: Expression, refs: readonly ResolvedRef[]): UploadCircles | null {
  const bound = upperBound(term);
  const pairs = bound && distanceOperands(bound[0]);
  if (bound && pairs) {
    for (const [a, b] of [pairs, [pairs[1], pairs[0]] as const]) {
      const director = positionOwner(a[0], a[1], refs);
      const upload = director && uploadPair(b, refs);
      if (director && upload) return { director, ...upload, radius: bound[1] };
    }
    return null;
  }
  const call = flaggedCall(term);
  if (call?.kind !== 'geometry' || (call.name !== 'CONTAINS' && call.name !== 'INTERSECTS')) return null;
  const point = pointArgs(call.args[0]);
  const circle = call.args[1];
  if (!point || circle?.kind !== 'geometry' || circle.name !== 'CIRCLE') return null;
  // CIRCLE(ra, dec, r) or CIRCLE(POINT(ra, dec), r); the parser keeps a coordinate system apart.
  const args = circle.args;
  const centre =
    args.length === 2 ? pointArgs(args[0]) : args.length === 3 ? ([args[0], args[1]] as const) : null;
  const radiusArg = args[args.length - 1];
  if (!centre) return null;
  const director = positionOwner(point[0], point[1], refs);
  if (director) {
    const upload = uploadPair(centre, refs);
    if (!upload) return null;
    const constant = constantNumber(radiusArg);
    if (constant !== null) return { director, ...upload, radius: constant };
    const column = uploadColumn(radiusArg, upload.upload, refs);
    return column >= 0 ? { director, ...upload, radius: { column } } : null;
  }
  const aroundDirector = positionOwner(centre[0], centre[1], refs);
  const upload = aroundDirector && uploadPair(point, refs);
  const constant = constantNumber(radiusArg);
  return aroundDirector && upload && constant !== null
    ? { director: aroundDirector, ...upload, radius: constant }
    : null;
}

function degrees(value: CellValue | undefined): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return Number(value);
  return null;
}

function chunksAround(circles: UploadCircles, chunker: Chunker): number[] | null {
  const rows = circles.upload.upload?.rows ?? [];
  if (rows.length > MAX_RESTRICTING_ROWS) return null;
  const chunks = new Set<number>();
  for (const row of rows) {
    const ra = degrees(row[circles.ra]);
    const dec = degrees(row[circles.dec]);
    const radius = typeof circles.radius === 'number' ? circles.radius : degrees(row[circles.radius.column]);
    // A row without a usable position or radius matches nothing: it adds no chunk.
    if (ra === null || dec === null || radius === null || !(radius >= 0) || Math.abs(dec) > 90) continue;
    const circle = Circle.fromDegrees(ra, dec, Math.min(radius, 180));
    for (const chunk of chunker.chunksIntersecting(circle)) chunks.add(chunk);
  }
  return [...chunks].sort((a, b) => a - b);
}

/**
 * For each director reference joined positionally with an upload, the chunks its rows can come from (the
 * intersection when several terms restrict it).
 */
export function uploadJoinChunks(
  select: SelectCore,
  refs: readonly ResolvedRef[],
  chunker: Chunker,
): Map<ResolvedRef, number[]> {
  const top = refs.filter((r) => r.topLevel);
  const restricted = new Map<ResolvedRef, number[]>();
  if (!top.some((r) => r.upload)) return restricted;
  for (const term of requiredTerms(select)) {
    const circles = circlesOf(term, top);
    const chunks = circles && chunksAround(circles, chunker);
    if (!circles || !chunks) continue;
    const before = restricted.get(circles.director);
    const keep = new Set(chunks);
    restricted.set(circles.director, before ? before.filter((c) => keep.has(c)) : chunks);
  }
  return restricted;
}
