/**
 * Pairwise relationships between regions. Exact where it is cheap (circle–circle, box–box, circle–box through
 * the exact distance range from a point to a box, polygon–polygon through vertex containment and edge
 * crossings); every answer is conservative: DISJOINT, CONTAINS and WITHIN are claimed only when certain
 * (up to a small angular tolerance that is always taken in the safe direction).
 */
import { degToRad } from './angle.js';
import type { Box } from './box.js';
import type { Circle } from './circle.js';
import type { ConvexPolygon } from './convex-polygon.js';
import { arcDistanceRad, arcMayCrossParallel, arcsMayCross, boxDistanceRangeRad } from './edges.js';
import type { Region } from './region.js';
import { DISJOINT, INTERSECTS, invertRelationship, relationshipOf } from './relationship.js';
import { dot3, separationRad, type Vec3 } from './vector.js';

/** Angular tolerance (radians, ~2e-5 arcsec) applied in the conservative direction. */
const TOL = 1e-10;

export function relateRegions(a: Region, b: Region): number {
  switch (a.kind) {
    case 'circle':
      switch (b.kind) {
        case 'circle':
          return relateCircleCircle(a, b);
        case 'box':
          return relateCircleBox(a, b);
        case 'convexPolygon':
          return relateCirclePolygon(a, b);
      }
      break;
    case 'box':
      switch (b.kind) {
        case 'circle':
          return invertRelationship(relateCircleBox(b, a));
        case 'box':
          return relateBoxBox(a, b);
        case 'convexPolygon':
          return relateBoxPolygon(a, b);
      }
      break;
    case 'convexPolygon':
      switch (b.kind) {
        case 'circle':
          return invertRelationship(relateCirclePolygon(b, a));
        case 'box':
          return invertRelationship(relateBoxPolygon(b, a));
        case 'convexPolygon':
          return relatePolygonPolygon(a, b);
      }
  }
  return INTERSECTS;
}

function relateCircleCircle(a: Circle, b: Circle): number {
  const d = separationRad(a.center, b.center);
  const ra = a.radius.radians;
  const rb = b.radius.radians;
  const disjoint = d > ra + rb + TOL;
  return relationshipOf(disjoint, ra >= Math.PI || d + rb < ra - TOL, rb >= Math.PI || d + ra < rb - TOL);
}

function relateCircleBox(c: Circle, box: Box): number {
  const r = c.radius.radians;
  const { min, max } = boxDistanceRangeRad(c.center, box);
  const disjoint = min > r + TOL;
  const circleContainsBox = r >= Math.PI || max < r - TOL;
  const bb = c.boundingBox();
  const boxContainsCircle = boxContainsBox(box, bb);
  return relationshipOf(disjoint, circleContainsBox, boxContainsCircle);
}

/** Minimum distance from p to the polygon boundary (radians). */
function distanceToPolygonBoundary(p: Vec3, poly: ConvexPolygon): number {
  const vs = poly.vertices;
  const ns = poly.edgeNormals;
  let d = Math.PI;
  for (let i = 0; i < vs.length; i++)
    d = Math.min(d, arcDistanceRad(p, vs[i], vs[(i + 1) % vs.length], ns[i]));
  return d;
}

function relateCirclePolygon(c: Circle, poly: ConvexPolygon): number {
  const r = c.radius.radians;
  const centerInside = poly.contains(c.center);
  const boundaryDist = distanceToPolygonBoundary(c.center, poly);
  if (!centerInside && boundaryDist > r + TOL) return DISJOINT;
  // Circle contains polygon: a cap of radius ≤ 90° is convex, so all vertices inside suffice; a larger cap
  // contains the polygon iff the polygon misses the complementary cap around −center.
  let circleContains: boolean;
  if (r >= Math.PI) circleContains = true;
  else if (r <= Math.PI / 2) {
    circleContains = poly.vertices.every((v) => separationRad(c.center, v) < r - TOL);
  } else {
    const anti = c.center.negated();
    circleContains = !poly.contains(anti) && distanceToPolygonBoundary(anti, poly) > Math.PI - r + TOL;
  }
  // Polygon contains circle: the centre is inside and the cap stays in every edge's hemisphere.
  const polygonContains =
    centerInside && poly.edgeNormals.every((n) => Math.asin(Math.min(1, dot3(n, c.center))) > r + TOL);
  return relationshipOf(false, circleContains, polygonContains);
}

/** Closed-interval containment of the longitude interval of `inner` within that of `outer`. */
function lonIntervalContains(outer: Box, inner: Box): boolean {
  if (outer.isFullLon) return true;
  if (inner.isFullLon) return false;
  const offset = (((inner.lonMinDeg - outer.lonMinDeg) % 360) + 360) % 360;
  return offset + inner.lonWidthDeg <= outer.lonWidthDeg;
}

function lonIntervalsIntersect(a: Box, b: Box): boolean {
  return a.containsLon(b.lonMinDeg) || b.containsLon(a.lonMinDeg);
}

function boxContainsBox(outer: Box, inner: Box): boolean {
  if (inner.latMinDeg < outer.latMinDeg || inner.latMaxDeg > outer.latMaxDeg) return false;
  // A box that is a single pole point is inside any box reaching that pole.
  if (inner.latMinDeg >= 90 || inner.latMaxDeg <= -90) return true;
  return lonIntervalContains(outer, inner);
}

function relateBoxBox(a: Box, b: Box): number {
  const latDisjoint = a.latMaxDeg < b.latMinDeg || b.latMaxDeg < a.latMinDeg;
  const sharePole = (a.latMaxDeg >= 90 && b.latMaxDeg >= 90) || (a.latMinDeg <= -90 && b.latMinDeg <= -90);
  const disjoint = latDisjoint || (!lonIntervalsIntersect(a, b) && !sharePole);
  return relationshipOf(disjoint, boxContainsBox(a, b), boxContainsBox(b, a));
}

/** Corner points of a box, and for full-longitude boxes one point on each parallel. */
function boxCorners(box: Box): { lon: number; lat: number }[] {
  const lons = box.isFullLon ? [0] : [box.lonMinDeg, box.lonMaxDeg];
  const out: { lon: number; lat: number }[] = [];
  for (const lon of lons) for (const lat of [box.latMinDeg, box.latMaxDeg]) out.push({ lon, lat });
  return out;
}

function relateBoxPolygon(box: Box, poly: ConvexPolygon): number {
  const bb = poly.boundingBox();
  if (relateBoxBox(box, bb) & DISJOINT) return DISJOINT;
  const boxContainsPolygon = boxContainsBox(box, bb);
  // Polygon contains box iff the box lies in every edge hemisphere, i.e. its farthest point from each inward
  // normal is at most 90°.
  const polygonContainsBox = poly.edgeNormals.every(
    (n) => boxDistanceRangeRad(n, box).max < Math.PI / 2 - TOL,
  );
  if (boxContainsPolygon || polygonContainsBox)
    return relationshipOf(false, boxContainsPolygon, polygonContainsBox);
  return mayBoxPolygonIntersect(box, poly) ? INTERSECTS : DISJOINT;
}

/** Certain-disjointness test: no vertex of either inside the other (with tolerance) and no boundary crossing. */
function mayBoxPolygonIntersect(box: Box, poly: ConvexPolygon): boolean {
  const vs = poly.vertices;
  const ns = poly.edgeNormals;
  for (const v of vs) if (boxDistanceRangeRad(v, box).min <= TOL) return true;
  for (const { lon, lat } of boxCorners(box)) {
    const c = lonLat(lon, lat);
    if (poly.containsWithin(c, TOL)) return true;
  }
  const meridians: [Vec3, Vec3][] = [];
  if (!box.isFullLon) {
    for (const lon of [box.lonMinDeg, box.lonMaxDeg]) {
      // Split at the equator so that each piece is a minor arc even for a pole-to-pole edge.
      const lats = [box.latMinDeg, box.latMaxDeg];
      if (box.latMinDeg < 0 && box.latMaxDeg > 0) lats.splice(1, 0, 0);
      for (let i = 0; i + 1 < lats.length; i++)
        meridians.push([lonLat(lon, lats[i]), lonLat(lon, lats[i + 1])]);
    }
  }
  for (let i = 0; i < vs.length; i++) {
    const a = vs[i];
    const b = vs[(i + 1) % vs.length];
    for (const [c, d] of meridians) if (arcsMayCross(a, b, c, d)) return true;
    for (const lat of [box.latMinDeg, box.latMaxDeg]) {
      if (Math.abs(lat) < 90 && arcMayCrossParallel(a, b, ns[i], degToRad(lat), box)) return true;
    }
  }
  return false;
}

function relatePolygonPolygon(a: ConvexPolygon, b: ConvexPolygon): number {
  const ca = a.boundingCircle();
  const cb = b.boundingCircle();
  if (separationRad(ca.center, cb.center) > ca.radius.radians + cb.radius.radians + TOL) return DISJOINT;
  const aContainsB = b.vertices.every((v) => a.edgeNormals.every((n) => dot3(n, v) > TOL));
  const bContainsA = a.vertices.every((v) => b.edgeNormals.every((n) => dot3(n, v) > TOL));
  if (aContainsB || bContainsA) return relationshipOf(false, aContainsB, bContainsA);
  for (const v of b.vertices) if (a.containsWithin(v, TOL)) return INTERSECTS;
  for (const v of a.vertices) if (b.containsWithin(v, TOL)) return INTERSECTS;
  const av = a.vertices;
  const bv = b.vertices;
  for (let i = 0; i < av.length; i++) {
    for (let j = 0; j < bv.length; j++) {
      if (arcsMayCross(av[i], av[(i + 1) % av.length], bv[j], bv[(j + 1) % bv.length])) return INTERSECTS;
    }
  }
  return DISJOINT;
}

function lonLat(lonDeg: number, latDeg: number): Vec3 {
  const lon = degToRad(lonDeg);
  const lat = degToRad(latDeg);
  const c = Math.cos(lat);
  return { x: c * Math.cos(lon), y: c * Math.sin(lon), z: Math.sin(lat) };
}
