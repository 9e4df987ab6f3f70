import { meridianError } from '../errors.js';
import { radToDeg } from './angle.js';
import { Box } from './box.js';
import { Circle } from './circle.js';
import type { Region } from './region.js';
import { relateRegions } from './relate.js';
import { DISJOINT } from './relationship.js';
import { cross3, dot3, norm3, separationRad, triple3, UnitVector3, type Vec3 } from './vector.js';

/** Minimum |n·v| (sine of the angular distance) for a vertex to count as strictly inside an edge's hemisphere. */
const CONVEXITY_EPS = 1e-12;
/** Tangent-plane distance (≈ radians) under which convexHull treats a point as on its neighbours' edge. */
const HULL_COLLINEAR_TOLERANCE = 1e-10;

// Bounds are derived data of frozen polygons, computed on first use (relate() asks for them repeatedly).
const boundingBoxCache = new WeakMap<ConvexPolygon, Box>();
const boundingCircleCache = new WeakMap<ConvexPolygon, Circle>();

/**
 * A convex spherical polygon with great-circle edges, smaller than a hemisphere. Vertices are stored
 * counter-clockwise seen from outside the sphere, so the interior is on the left of each edge:
 * the polygon is the intersection of the hemispheres {v : (vᵢ × vᵢ₊₁) · v ≥ 0}. Closed.
 */
export class ConvexPolygon {
  readonly kind = 'convexPolygon' as const;
  readonly vertices: readonly UnitVector3[];
  /** Unit normals of the edges vᵢ → vᵢ₊₁, pointing into the polygon. */
  readonly edgeNormals: readonly Vec3[];

  private constructor(vertices: readonly UnitVector3[], edgeNormals: readonly Vec3[]) {
    this.vertices = Object.freeze(vertices.slice());
    this.edgeNormals = Object.freeze(edgeNormals);
    Object.freeze(this);
  }

  /** From [lon, lat] pairs in degrees, in either winding order. */
  static fromLonLat(vertices: readonly (readonly [number, number])[]): ConvexPolygon {
    return ConvexPolygon.fromVectors(vertices.map(([lon, lat]) => UnitVector3.fromLonLat(lon, lat)));
  }

  /**
   * From vertices in either winding order. Rejects (GEOMETRY_INVALID) fewer than 3 vertices, repeated or
   * antipodal neighbours, collinear runs, non-convex or self-intersecting outlines.
   */
  static fromVectors(vertices: readonly UnitVector3[]): ConvexPolygon {
    const n = vertices.length;
    if (n < 3) throw invalid(`a polygon needs at least 3 vertices, got ${n}`, vertices);
    let turns = 0;
    for (let i = 0; i < n; i++) {
      turns += Math.sign(triple3(vertices[i], vertices[(i + 1) % n], vertices[(i + 2) % n]));
    }
    const ordered = turns < 0 ? vertices.slice().reverse() : vertices.slice();
    const normals = edgeNormalsOf(ordered);
    if (normals === undefined)
      throw invalid('polygon has repeated, antipodal or collinear vertices', vertices);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (j === i || j === (i + 1) % n) continue;
        if (dot3(normals[i], ordered[j]) <= CONVEXITY_EPS) {
          throw invalid(`polygon is not convex (vertex ${j} is not strictly inside edge ${i})`, vertices);
        }
      }
    }
    return new ConvexPolygon(ordered, normals);
  }

  /**
   * The vertices of a polygon already known to be convex and counter-clockwise (HTM trixels, TAN rectangles).
   * Skips the O(n²) convexity check; use `fromVectors` for anything from outside.
   */
  static fromTrustedCcwVertices(vertices: readonly UnitVector3[]): ConvexPolygon {
    const normals = edgeNormalsOf(vertices);
    if (normals === undefined) throw invalid('polygon has repeated or antipodal vertices', vertices);
    return new ConvexPolygon(vertices, normals);
  }

  /**
   * Smallest convex polygon containing the points. The points must lie well inside one hemisphere: the hull is
   * computed in the gnomonic projection about their mean direction, where great circles are straight lines.
   */
  static convexHull(points: readonly UnitVector3[]): ConvexPolygon {
    if (points.length < 3) throw invalid(`convex hull needs at least 3 points, got ${points.length}`, points);
    let sx = 0;
    let sy = 0;
    let sz = 0;
    for (const p of points) {
      sx += p.x;
      sy += p.y;
      sz += p.z;
    }
    const center = UnitVector3.fromXyz(sx, sy, sz);
    const helper = Math.abs(center.z) < 0.9 ? { x: 0, y: 0, z: 1 } : { x: 1, y: 0, z: 0 };
    const e1 = UnitVector3.fromVec3(cross3(helper, center));
    const e2 = cross3(center, e1);
    const projected = points.map((p) => {
      const d = dot3(p, center);
      if (d <= 1e-6) throw invalid('convex hull points do not lie inside one hemisphere', points);
      return { u: dot3(p, e1) / d, v: dot3(p, e2) / d, p };
    });
    // Andrew's monotone chain in the tangent plane; (e1, e2, center) is right-handed, so a counter-clockwise 2-D
    // hull is counter-clockwise seen from outside.
    projected.sort((a, b) => a.u - b.u || a.v - b.v);
    // Drop a point within HULL_COLLINEAR_TOLERANCE of the line through its neighbours (the turn divided by the
    // chord length is that distance): points on one great circle, such as the corners of adjacent detectors under
    // a plain TAN WCS, would otherwise survive rounding as a vertex fromVectors rejects as not strictly convex.
    const turn = (o: (typeof projected)[0], a: (typeof projected)[0], b: (typeof projected)[0]) =>
      (a.u - o.u) * (b.v - o.v) -
      (a.v - o.v) * (b.u - o.u) -
      HULL_COLLINEAR_TOLERANCE * Math.hypot(b.u - o.u, b.v - o.v);
    const lower: typeof projected = [];
    for (const q of projected) {
      while (lower.length >= 2 && turn(lower[lower.length - 2], lower[lower.length - 1], q) <= 0) lower.pop();
      lower.push(q);
    }
    const upper: typeof projected = [];
    for (let i = projected.length - 1; i >= 0; i--) {
      const q = projected[i];
      while (upper.length >= 2 && turn(upper[upper.length - 2], upper[upper.length - 1], q) <= 0) upper.pop();
      upper.push(q);
    }
    const hull = lower.slice(0, -1).concat(upper.slice(0, -1));
    return ConvexPolygon.fromVectors(hull.map((h) => h.p));
  }

  contains(v: Vec3): boolean {
    for (const n of this.edgeNormals) if (dot3(n, v) < 0) return false;
    return true;
  }

  /** Point test with a tolerance: accepts points up to `sinTol` (≈ radians) outside an edge. */
  containsWithin(v: Vec3, sinTol: number): boolean {
    for (const n of this.edgeNormals) if (dot3(n, v) < -sinTol) return false;
    return true;
  }

  containsLonLat(lonDeg: number, latDeg: number): boolean {
    return this.contains(UnitVector3.fromLonLat(lonDeg, latDeg));
  }

  relate(other: Region): number {
    return relateRegions(this, other);
  }

  isDisjointFrom(other: Region): boolean {
    return (this.relate(other) & DISJOINT) !== 0;
  }

  /** True unless the regions are certainly disjoint ("may intersect"). */
  intersects(other: Region): boolean {
    return !this.isDisjointFrom(other);
  }

  /**
   * Lon/lat box of the polygon. Latitude extremes are at vertices or at the highest/lowest point of an edge's
   * great circle when that point lies on the edge; longitude is monotonic along an edge that avoids the poles, so
   * the vertex longitudes (unwrapped around the outline) give the longitude range unless a pole is inside.
   */
  boundingBox(): Box {
    let box = boundingBoxCache.get(this);
    if (box === undefined) {
      box = this.computeBoundingBox();
      boundingBoxCache.set(this, box);
    }
    return box;
  }

  private computeBoundingBox(): Box {
    const n = this.vertices.length;
    let latMin = 90;
    let latMax = -90;
    for (const v of this.vertices) {
      const lat = v.latDeg();
      latMin = Math.min(latMin, lat);
      latMax = Math.max(latMax, lat);
    }
    for (let i = 0; i < n; i++) {
      const a = this.vertices[i];
      const b = this.vertices[(i + 1) % n];
      const normal = this.edgeNormals[i];
      // Highest point of the great circle: the north pole projected onto its plane.
      const top = { x: -normal.z * normal.x, y: -normal.z * normal.y, z: 1 - normal.z * normal.z };
      const topNorm = norm3(top);
      if (topNorm < 1e-15) continue;
      for (const sign of [1, -1]) {
        const p = { x: (sign * top.x) / topNorm, y: (sign * top.y) / topNorm, z: (sign * top.z) / topNorm };
        if (dot3(cross3(a, p), normal) >= 0 && dot3(cross3(p, b), normal) >= 0) {
          const lat = radToDeg(Math.atan2(p.z, Math.hypot(p.x, p.y)));
          latMin = Math.min(latMin, lat);
          latMax = Math.max(latMax, lat);
        }
      }
    }
    const pad = 1e-10;
    latMin = Math.max(-90, latMin - pad);
    latMax = Math.min(90, latMax + pad);
    const north = this.contains({ x: 0, y: 0, z: 1 });
    const south = this.contains({ x: 0, y: 0, z: -1 });
    if (north || south) {
      return Box.fromDegrees(0, south ? -90 : latMin, 360, north ? 90 : latMax);
    }
    let lon = this.vertices[0].lonDeg();
    let lonLo = lon;
    let lonHi = lon;
    for (let i = 1; i <= n; i++) {
      const next = this.vertices[i % n].lonDeg();
      let d = next - (((lon % 360) + 360) % 360);
      if (d > 180) d -= 360;
      if (d < -180) d += 360;
      lon += d;
      lonLo = Math.min(lonLo, lon);
      lonHi = Math.max(lonHi, lon);
    }
    if (lonHi - lonLo + 2 * pad >= 360) return Box.fromDegrees(0, latMin, 360, latMax);
    return Box.fromDegrees(lonLo - pad, latMin, lonHi + pad, latMax);
  }

  /** Circle about the normalised vertex sum reaching the farthest vertex (a cap under 90° is convex). */
  boundingCircle(): Circle {
    let circle = boundingCircleCache.get(this);
    if (circle === undefined) {
      circle = this.computeBoundingCircle();
      boundingCircleCache.set(this, circle);
    }
    return circle;
  }

  private computeBoundingCircle(): Circle {
    let sx = 0;
    let sy = 0;
    let sz = 0;
    for (const v of this.vertices) {
      sx += v.x;
      sy += v.y;
      sz += v.z;
    }
    const center = UnitVector3.fromXyz(sx, sy, sz);
    let r = 0;
    for (const v of this.vertices) r = Math.max(r, separationRad(center, v));
    r = r * (1 + 1e-12) + 1e-14;
    if (r >= Math.PI / 2) return Circle.full();
    return Circle.fromRadians(center, r);
  }

  /** Area in steradians: sum of the fan triangles' excesses, tan(E/2) = |a·(b×c)| / (1 + a·b + b·c + c·a). */
  area(): number {
    const [a, ...rest] = this.vertices;
    let total = 0;
    for (let i = 0; i + 1 < rest.length; i++) {
      const b = rest[i];
      const c = rest[i + 1];
      const num = triple3(a, b, c);
      const den = 1 + dot3(a, b) + dot3(b, c) + dot3(c, a);
      total += 2 * Math.atan2(num, den);
    }
    return total;
  }

  centroid(): UnitVector3 {
    let sx = 0;
    let sy = 0;
    let sz = 0;
    for (const v of this.vertices) {
      sx += v.x;
      sy += v.y;
      sz += v.z;
    }
    return UnitVector3.fromXyz(sx, sy, sz);
  }

  toJSON(): { kind: 'convexPolygon'; vertices: [number, number][] } {
    return { kind: 'convexPolygon', vertices: this.vertices.map((v) => [v.lonDeg(), v.latDeg()]) };
  }
}

function edgeNormalsOf(vertices: readonly UnitVector3[]): Vec3[] | undefined {
  const n = vertices.length;
  const normals: Vec3[] = [];
  for (let i = 0; i < n; i++) {
    const c = cross3(vertices[i], vertices[(i + 1) % n]);
    const len = norm3(c);
    if (!(len > 1e-15)) return undefined;
    normals.push({ x: c.x / len, y: c.y / len, z: c.z / len });
  }
  return normals;
}

function invalid(message: string, vertices: readonly Vec3[]): Error {
  return meridianError('GEOMETRY_INVALID', message, {
    vertices: vertices.map((v) => [v.x, v.y, v.z]),
  });
}
