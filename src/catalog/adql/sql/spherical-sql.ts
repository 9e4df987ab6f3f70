/**
 * Spherical-geometry predicates and distances written as plain SQL arithmetic (degrees in, degrees out), for engines
 * without a spatial index extension. Arguments are SQL fragments; a fragment may appear several times in the output
 * (the compiler's parameter markers make that safe).
 */

import type { SourcePos } from '../ast.js';
import { unsupported } from '../cursor.js';

export interface SqlPoint {
  readonly ra: string;
  readonly dec: string;
}

/** A polygon vertex: its SQL fragments, and its value in degrees when the vertex is a constant. */
export interface SqlVertex extends SqlPoint {
  readonly degrees: readonly [number, number] | null;
}

/**
 * The haversine of the angular separation: hav(θ) = sin²(Δδ/2) + cos δ1 cos δ2 sin²(Δα/2). It stays accurate for the
 * sub-arcsecond separations of cross-matches, where the cosine formula loses all precision.
 */
export function haversine(a: SqlPoint, b: SqlPoint): string {
  return (
    `(power(sin(radians(${a.dec} - ${b.dec}) / 2), 2) + ` +
    `cos(radians(${a.dec})) * cos(radians(${b.dec})) * power(sin(radians(${a.ra} - ${b.ra}) / 2), 2))`
  );
}

/** θ = 2 asin(√hav), in degrees; `least` guards against rounding just above 1 for antipodal points. */
export function haversineDistance(a: SqlPoint, b: SqlPoint): string {
  return `degrees(2 * asin(sqrt(least(1.0, ${haversine(a, b)}))))`;
}

/**
 * Point within `radius` degrees of `center`: hav(θ) ≤ sin²(r/2). The declination band test is implied by the circle
 * and lets a column store skip row groups by their min/max declination.
 */
export function haversineInCircle(point: SqlPoint, center: SqlPoint, radius: string): string {
  return (
    `(${point.dec} BETWEEN ${center.dec} - ${radius} AND ${center.dec} + ${radius} AND ` +
    `${haversine(point, center)} <= power(sin(radians(${radius}) / 2), 2))`
  );
}

/** Longitude difference a − b wrapped into [−180, 180): x − 360·floor((x + 180)/360). */
export function wrappedLongitudeDifference(a: string, b: string): string {
  return `((${a} - ${b}) - 360.0 * floor(((${a} - ${b}) + 180.0) / 360.0))`;
}

/**
 * A longitude/latitude box given by its centre, full width (degrees of longitude) and full height, as in
 * `scisql_s2PtInBox`: the sides are lines of constant longitude and latitude, and the box may cross RA = 0.
 */
export function pointInCenteredBox(point: SqlPoint, center: SqlPoint, width: string, height: string): string {
  return (
    `(${point.dec} BETWEEN ${center.dec} - ${height} / 2.0 AND ${center.dec} + ${height} / 2.0 AND ` +
    `abs(${wrappedLongitudeDifference(point.ra, center.ra)}) <= ${width} / 2.0)`
  );
}

/** sciSQL's box by corners: lonMin > lonMax means the box wraps through RA = 0. */
export function pointInCornerBox(
  point: SqlPoint,
  lonMin: string,
  latMin: string,
  lonMax: string,
  latMax: string,
): string {
  return (
    `(${point.dec} BETWEEN ${latMin} AND ${latMax} AND CASE WHEN ${lonMin} <= ${lonMax} ` +
    `THEN ${point.ra} BETWEEN ${lonMin} AND ${lonMax} ELSE (${point.ra} >= ${lonMin} OR ${point.ra} <= ${lonMax}) END)`
  );
}

type Vector = readonly [number, number, number];

function unitVector([ra, dec]: readonly [number, number]): Vector {
  const a = (ra * Math.PI) / 180;
  const d = (dec * Math.PI) / 180;
  return [Math.cos(d) * Math.cos(a), Math.cos(d) * Math.sin(a), Math.sin(d)];
}

function cross(u: Vector, v: Vector): Vector {
  return [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
}

function dot(u: Vector, v: Vector): number {
  return u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
}

const literal = (x: number): string => (Object.is(x, -0) ? '0' : x.toPrecision(17));

/**
 * Point in a convex spherical polygon with constant vertices: the point p is inside when it lies on the inner side of
 * every edge's great circle, (vᵢ × vᵢ₊₁) · p ≥ 0 with the edges oriented counter-clockwise. The edge normals are
 * computed here, so the SQL only evaluates p's unit vector and one dot product per edge.
 */
export function pointInConvexPolygon(
  point: SqlPoint,
  vertices: readonly SqlVertex[],
  pos: SourcePos,
): string {
  const degrees = vertices.map((v) => v.degrees);
  if (degrees.some((d) => d === null))
    throw unsupported('POLYGON with non-constant vertices on this engine', pos);
  const corners = (degrees as [number, number][]).map(unitVector);
  let normals = corners.map((v, i) => cross(v, corners[(i + 1) % corners.length]));
  // Clockwise input: every vertex is on the negative side of the other edges; flip all normals.
  const centre = corners.reduce<Vector>((s, v) => [s[0] + v[0], s[1] + v[1], s[2] + v[2]], [0, 0, 0]);
  if (dot(normals[0], centre) < 0) normals = normals.map(([x, y, z]) => [-x, -y, -z] as const);
  const tolerance = 1e-12;
  for (const n of normals) {
    if (corners.some((v) => dot(n, v) < -tolerance)) throw unsupported('non-convex POLYGON', pos);
    if (Math.hypot(...n) < tolerance) throw unsupported('POLYGON with repeated or antipodal vertices', pos);
  }
  const x = `(cos(radians(${point.dec})) * cos(radians(${point.ra})))`;
  const y = `(cos(radians(${point.dec})) * sin(radians(${point.ra})))`;
  const z = `sin(radians(${point.dec}))`;
  const edges = normals.map(
    ([nx, ny, nz]) => `${literal(nx)} * ${x} + ${literal(ny)} * ${y} + ${literal(nz)} * ${z} >= 0`,
  );
  return `(${edges.join(' AND ')})`;
}
