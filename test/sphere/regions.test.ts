import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Box,
  Circle,
  CONTAINS,
  ConvexPolygon,
  DISJOINT,
  INTERSECTS,
  type Region,
  UnitVector3,
  WITHIN,
} from '../../src/sphere/index.js';
import { regionArb, samplePointsNear, seededRandom } from './arbitraries.js';

const invalid = expect.objectContaining({ code: 'GEOMETRY_INVALID' });

describe('Circle', () => {
  it('contains points within its radius, boundary included', () => {
    const c = Circle.fromDegrees(10, 20, 1);
    expect(c.containsLonLat(10, 20.999999)).toBe(true);
    expect(c.containsLonLat(10, 21.000001)).toBe(false);
    expect(c.containsLonLat(10 + 1 / Math.cos((20 * Math.PI) / 180) - 1e-3, 20)).toBe(true);
  });
  it('has area 2π(1 − cos r) and rejects bad radii', () => {
    expect(Circle.fromDegrees(0, 0, 90).area()).toBeCloseTo(2 * Math.PI, 12);
    expect(Circle.fromDegrees(0, 0, 180).area()).toBeCloseTo(4 * Math.PI, 12);
    expect(() => Circle.fromDegrees(0, 0, -1)).toThrow(invalid);
    expect(() => Circle.fromDegrees(0, 0, 181)).toThrow(invalid);
  });
  it('has a tight bounding box, full in longitude when it covers a pole', () => {
    const bb = Circle.fromDegrees(0, 60, 1).boundingBox();
    expect(bb.latMinDeg).toBeCloseTo(59, 8);
    expect(bb.latMaxDeg).toBeCloseTo(61, 8);
    // sin Δλ = sin r / cos φ
    expect(bb.lonWidthDeg / 2).toBeCloseTo((Math.asin(Math.sin(Math.PI / 180) / 0.5) * 180) / Math.PI, 8);
    expect(bb.lonMinDeg).toBeGreaterThan(357);
    expect(Circle.fromDegrees(0, 89, 2).boundingBox().isFullLon).toBe(true);
  });
  it('relates exactly to other circles', () => {
    const a = Circle.fromDegrees(0, 0, 2);
    expect(a.relate(Circle.fromDegrees(5, 0, 2))).toBe(DISJOINT);
    expect(a.relate(Circle.fromDegrees(3, 0, 2))).toBe(INTERSECTS);
    expect(a.relate(Circle.fromDegrees(0.5, 0, 1))).toBe(INTERSECTS | CONTAINS);
    expect(Circle.fromDegrees(0.5, 0, 1).relate(a)).toBe(INTERSECTS | WITHIN);
    expect(a.isDisjointFrom(Circle.fromDegrees(180, 0, 10))).toBe(true);
    expect(a.intersects(Circle.fromDegrees(180, 0, 179))).toBe(true);
  });
});

describe('Box', () => {
  it('wraps through longitude 0 when lonMin > lonMax', () => {
    const b = Box.fromDegrees(350, -5, 10, 5);
    expect(b.lonWidthDeg).toBeCloseTo(20, 12);
    expect(b.containsLonLat(355, 0)).toBe(true);
    expect(b.containsLonLat(5, 0)).toBe(true);
    expect(b.containsLonLat(-5, 0)).toBe(true);
    expect(b.containsLonLat(180, 0)).toBe(false);
    expect(b.containsLonLat(0, 6)).toBe(false);
  });
  it('allows the full sky, of area 4π, and contains both poles', () => {
    const full = Box.fromDegrees(0, -90, 360, 90);
    expect(full.isFullLon).toBe(true);
    expect(full.area()).toBeCloseTo(4 * Math.PI, 12);
    expect(full.contains(UnitVector3.fromLonLat(0, 90))).toBe(true);
    expect(Box.fromDegrees(-180, -90, 180, 90).isFullLon).toBe(true);
  });
  it('contains a pole it reaches whatever its longitude range', () => {
    expect(Box.fromDegrees(100, 80, 120, 90).containsLonLat(0, 90)).toBe(true);
    expect(Box.fromDegrees(100, 80, 120, 90).contains(UnitVector3.fromXyz(0, 0, 1))).toBe(true);
  });
  it('rejects inverted latitude ranges and NaN', () => {
    expect(() => Box.fromDegrees(0, 10, 20, 5)).toThrow(invalid);
    expect(() => Box.fromDegrees(0, -91, 20, 5)).toThrow(invalid);
    expect(() => Box.fromDegrees(Number.NaN, 0, 20, 5)).toThrow(invalid);
  });
  it('has the area Δλ(sin φ2 − sin φ1)', () => {
    expect(Box.fromDegrees(0, 0, 90, 90).area()).toBeCloseTo(Math.PI / 2, 12);
  });
  it('dilates by an angle in latitude and by the matching longitude offset at its polar edge', () => {
    const d = Box.fromDegrees(10, 50, 20, 60).dilatedBy(1);
    expect(d.latMinDeg).toBe(49);
    expect(d.latMaxDeg).toBe(61);
    const alpha = (Math.asin(Math.sin(Math.PI / 180) / Math.cos((60 * Math.PI) / 180)) * 180) / Math.PI;
    expect(d.lonMinDeg).toBeCloseTo(10 - alpha, 10);
    expect(Box.fromDegrees(10, 80, 20, 89.5).dilatedBy(1).isFullLon).toBe(true);
  });
  it('relates exactly to boxes, across the wrap and at the poles', () => {
    const a = Box.fromDegrees(350, -5, 10, 5);
    expect(a.relate(Box.fromDegrees(355, -1, 5, 1))).toBe(INTERSECTS | CONTAINS);
    expect(a.relate(Box.fromDegrees(5, -1, 20, 1))).toBe(INTERSECTS);
    expect(a.relate(Box.fromDegrees(20, -1, 30, 1))).toBe(DISJOINT);
    expect(a.relate(Box.fromDegrees(0, 6, 5, 7))).toBe(DISJOINT);
    // Two boxes touching the north pole share that point.
    expect(Box.fromDegrees(0, 80, 10, 90).relate(Box.fromDegrees(100, 85, 110, 90))).toBe(INTERSECTS);
  });
  it('relates exactly to circles through the distance range to the box', () => {
    const b = Box.fromDegrees(0, 0, 10, 10);
    expect(b.relate(Circle.fromDegrees(5, 5, 1))).toBe(INTERSECTS | CONTAINS);
    expect(b.relate(Circle.fromDegrees(5, 5, 10))).toBe(INTERSECTS | WITHIN);
    expect(b.relate(Circle.fromDegrees(12, 5, 1.5))).toBe(DISJOINT);
    expect(b.relate(Circle.fromDegrees(12, 5, 2.5))).toBe(INTERSECTS);
    // The nearest point of the box to (5, 12) is on its top parallel, 2° away.
    expect(b.relate(Circle.fromDegrees(5, 12, 1.99))).toBe(DISJOINT);
    expect(b.relate(Circle.fromDegrees(5, 12, 2.01))).toBe(INTERSECTS);
  });
});

describe('ConvexPolygon', () => {
  const octant = () =>
    ConvexPolygon.fromLonLat([
      [0, 0],
      [90, 0],
      [0, 90],
    ]);
  it('stores vertices counter-clockwise, reordering clockwise input', () => {
    const ccw = octant();
    const cw = ConvexPolygon.fromLonLat([
      [0, 90],
      [90, 0],
      [0, 0],
    ]);
    for (const p of [ccw, cw]) {
      const [a, b, c] = p.vertices;
      expect(a.cross(b).x * c.x + a.cross(b).y * c.y + a.cross(b).z * c.z).toBeGreaterThan(0);
    }
    for (const p of [ccw, cw]) {
      expect(p.containsLonLat(30, 30)).toBe(true);
      expect(p.containsLonLat(200, 30)).toBe(false);
      expect(p.area()).toBeCloseTo(Math.PI / 2, 12);
    }
  });
  it('rejects non-convex, degenerate and too-short outlines', () => {
    // A dart: the fourth vertex is inside the triangle of the others.
    expect(() =>
      ConvexPolygon.fromLonLat([
        [0, 0],
        [10, 0],
        [5, 2],
        [5, 10],
      ]),
    ).toThrow(invalid);
    // Self-intersecting bow tie.
    expect(() =>
      ConvexPolygon.fromLonLat([
        [0, 0],
        [10, 10],
        [10, 0],
        [0, 10],
      ]),
    ).toThrow(invalid);
    expect(() =>
      ConvexPolygon.fromLonLat([
        [0, 0],
        [10, 0],
        [20, 0],
      ]),
    ).toThrow(invalid);
    expect(() =>
      ConvexPolygon.fromLonLat([
        [0, 0],
        [0, 0],
        [10, 10],
      ]),
    ).toThrow(invalid);
    expect(() =>
      ConvexPolygon.fromLonLat([
        [0, 0],
        [10, 0],
      ]),
    ).toThrow(invalid);
  });
  it('has a bounding box that includes the bulge of an edge towards the pole', () => {
    // The great circle between (0, 60) and (90, 60) passes through latitude ~67.8 at lon 45.
    const p = ConvexPolygon.fromLonLat([
      [0, 60],
      [0, 50],
      [90, 50],
      [90, 60],
    ]);
    const bb = p.boundingBox();
    const top = (Math.atan(Math.tan((60 * Math.PI) / 180) / Math.cos(Math.PI / 4)) * 180) / Math.PI;
    expect(bb.latMaxDeg).toBeCloseTo(top, 8);
    expect(bb.latMinDeg).toBeCloseTo(50, 8);
    expect(bb.containsLon(0) && bb.containsLon(90) && !bb.containsLon(90.001)).toBe(true);
    expect(bb.lonWidthDeg).toBeCloseTo(90, 6);
  });
  it('has a full-longitude bounding box when it contains a pole', () => {
    const cap = ConvexPolygon.fromLonLat([
      [0, 80],
      [120, 80],
      [240, 80],
    ]);
    const bb = cap.boundingBox();
    expect(bb.isFullLon).toBe(true);
    expect(bb.latMaxDeg).toBe(90);
  });
  it('builds the convex hull of scattered points', () => {
    const pts = [
      [0, 0],
      [2, 0],
      [2, 2],
      [0, 2],
      [1, 1],
      [0.5, 1.5],
      [1.9, 0.1],
    ].map(([lon, lat]) => UnitVector3.fromLonLat(lon, lat));
    const hull = ConvexPolygon.convexHull(pts);
    expect(hull.vertices).toHaveLength(4);
    for (const p of pts) expect(hull.containsWithin(p, 1e-12)).toBe(true);
    // Points on the hull's edges (corners of adjacent detectors under a plain TAN WCS lie on one great circle).
    const onEdges = [
      [0, 0],
      [1, 0],
      [2, 0],
      [2, 1],
      [2, 2],
      [0, 2],
    ].map(([lon, lat]) => UnitVector3.fromLonLat(lon, lat));
    const edgeHull = ConvexPolygon.convexHull(onEdges);
    expect(edgeHull.vertices).toHaveLength(4);
    for (const p of onEdges) expect(edgeHull.containsWithin(p, 1e-12)).toBe(true);
    expect(() =>
      ConvexPolygon.convexHull([
        UnitVector3.fromLonLat(0, 0),
        UnitVector3.fromLonLat(180, 0),
        UnitVector3.fromLonLat(90, 0),
      ]),
    ).toThrow(invalid);
  });
  it('relates exactly to polygons', () => {
    const sq = (lon: number, lat: number, s: number) =>
      ConvexPolygon.fromLonLat([
        [lon, lat],
        [lon + s, lat],
        [lon + s, lat + s],
        [lon, lat + s],
      ]);
    expect(sq(0, 0, 10).relate(sq(2, 2, 2))).toBe(INTERSECTS | CONTAINS);
    expect(sq(2, 2, 2).relate(sq(0, 0, 10))).toBe(INTERSECTS | WITHIN);
    expect(sq(0, 0, 10).relate(sq(20, 0, 10))).toBe(DISJOINT);
    expect(sq(0, 0, 10).relate(sq(5, 5, 10))).toBe(INTERSECTS);
    // A cross: no vertex of either is inside the other, yet they overlap.
    const wide = ConvexPolygon.fromLonLat([
      [-10, -1],
      [10, -1],
      [10, 1],
      [-10, 1],
    ]);
    const tall = ConvexPolygon.fromLonLat([
      [-1, -10],
      [1, -10],
      [1, 10],
      [-1, 10],
    ]);
    expect(wide.relate(tall)).toBe(INTERSECTS);
  });
  it('relates to circles and boxes', () => {
    const p = ConvexPolygon.fromLonLat([
      [0, 0],
      [10, 0],
      [10, 10],
      [0, 10],
    ]);
    expect(p.relate(Circle.fromDegrees(5, 5, 1))).toBe(INTERSECTS | CONTAINS);
    expect(p.relate(Circle.fromDegrees(5, 5, 20))).toBe(INTERSECTS | WITHIN);
    expect(p.relate(Circle.fromDegrees(15, 5, 4))).toBe(DISJOINT);
    expect(p.relate(Box.fromDegrees(2, 2, 4, 4))).toBe(INTERSECTS | CONTAINS);
    expect(p.relate(Box.fromDegrees(-5, -5, 20, 20))).toBe(INTERSECTS | WITHIN);
    expect(p.relate(Box.fromDegrees(20, 0, 30, 10))).toBe(DISJOINT);
    // The polygon's top edge bulges to latitude atan(tan 10° / cos 5°) ≈ 10.038° at lon 5; a thin box there touches it.
    expect(p.relate(Box.fromDegrees(4, 10.03, 6, 10.1))).toBe(INTERSECTS);
    expect(p.relate(Box.fromDegrees(4, 10.04, 6, 10.1))).toBe(DISJOINT);
    expect(p.relate(Box.fromDegrees(4, 10.5, 6, 11))).toBe(DISJOINT);
  });
});

/** Checks every claim of a.relate(b) against points: a point in both forbids DISJOINT, and so on. */
function checkConservative(a: Region, b: Region, seed: number): void {
  const rel = a.relate(b);
  const rand = seededRandom(seed);
  const pts = [...samplePointsNear(a, 150, rand), ...samplePointsNear(b, 150, rand)];
  for (const r of [a, b]) if (r.kind === 'convexPolygon') pts.push(...r.vertices);
  for (const p of pts) {
    const inA = a.contains(p);
    const inB = b.contains(p);
    if (inA && inB && rel & DISJOINT)
      throw new Error(`claimed DISJOINT but shares ${p.lonDeg()},${p.latDeg()}`);
    if (inB && !inA && rel & CONTAINS)
      throw new Error(`claimed CONTAINS but misses ${p.lonDeg()},${p.latDeg()}`);
    if (inA && !inB && rel & WITHIN)
      throw new Error(`claimed WITHIN but sticks out at ${p.lonDeg()},${p.latDeg()}`);
  }
}

describe('relate is conservative (property, sampled points)', () => {
  it('never claims DISJOINT, CONTAINS or WITHIN wrongly', () => {
    fc.assert(
      fc.property(regionArb, regionArb, fc.integer(), (a, b, seed) => {
        checkConservative(a, b, seed);
        checkConservative(b, a, seed + 1);
      }),
      { numRuns: 300 },
    );
  });
  it('finds disjointness and containment where they are plain', () => {
    // Not a property of conservativeness but of usefulness: far-apart small regions are DISJOINT, nested ones CONTAINS.
    fc.assert(
      fc.property(regionArb, (a) => {
        const bc = a.boundingCircle();
        if (bc.radius.degrees > 80) return;
        const far = Circle.fromVector(bc.center.negated(), bc.radius.scale(0.5));
        expect(a.relate(far)).toBe(DISJOINT);
        expect(Circle.full().relate(a) & CONTAINS).toBe(CONTAINS);
        expect(a.boundingBox().relate(a) & CONTAINS).toBe(CONTAINS);
      }),
      { numRuns: 200 },
    );
  });
});
