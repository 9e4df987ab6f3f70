/** fast-check generators for sphere property tests. */
import fc from 'fast-check';
import { Box, Circle, ConvexPolygon, type Region, UnitVector3 } from '../../src/sphere/index.js';

/** Uniform on the sphere: lon uniform, sin(lat) uniform. */
export const lonLatArb = fc
  .tuple(
    fc.double({ min: 0, max: 360, maxExcluded: true, noNaN: true }),
    fc.double({ min: -1, max: 1, noNaN: true }),
  )
  .map(([lon, z]) => [lon, (Math.asin(z) * 180) / Math.PI] as [number, number]);

export const vectorArb = lonLatArb.map(([lon, lat]) => UnitVector3.fromLonLat(lon, lat));

export const circleArb = fc
  .tuple(lonLatArb, fc.double({ min: 0.001, max: 120, noNaN: true }))
  .map(([[lon, lat], r]) => Circle.fromDegrees(lon, lat, r));

export const boxArb = fc
  .tuple(
    fc.double({ min: 0, max: 360, maxExcluded: true, noNaN: true }),
    fc.oneof(fc.double({ min: 0.01, max: 200, noNaN: true }), fc.constant(360)),
    fc.double({ min: -90, max: 90, noNaN: true }),
    fc.double({ min: -90, max: 90, noNaN: true }),
  )
  .map(([lon, width, a, b]) => Box.fromDegrees(lon, Math.min(a, b), lon + width, Math.max(a, b)));

/** A point at distance `rDeg` from `center` in direction `bearingDeg` (east of north). */
export function offset(center: UnitVector3, bearingDeg: number, rDeg: number): UnitVector3 {
  const lon0 = (center.lonDeg() * Math.PI) / 180;
  const lat0 = (center.latDeg() * Math.PI) / 180;
  const east = { x: -Math.sin(lon0), y: Math.cos(lon0), z: 0 };
  const north = {
    x: -Math.sin(lat0) * Math.cos(lon0),
    y: -Math.sin(lat0) * Math.sin(lon0),
    z: Math.cos(lat0),
  };
  const b = (bearingDeg * Math.PI) / 180;
  const r = (rDeg * Math.PI) / 180;
  const t = {
    x: Math.sin(b) * east.x + Math.cos(b) * north.x,
    y: Math.sin(b) * east.y + Math.cos(b) * north.y,
    z: Math.sin(b) * east.z + Math.cos(b) * north.z,
  };
  return UnitVector3.fromXyz(
    Math.cos(r) * center.x + Math.sin(r) * t.x,
    Math.cos(r) * center.y + Math.sin(r) * t.y,
    Math.cos(r) * center.z + Math.sin(r) * t.z,
  );
}

/** Convex polygons inscribed in a circle: 3–8 vertices at bearings at least 10° apart. */
export const polygonArb = fc
  .tuple(
    vectorArb,
    fc.double({ min: 0.01, max: 60, noNaN: true }),
    fc.uniqueArray(fc.integer({ min: 0, max: 35 }), { minLength: 3, maxLength: 8 }),
    fc.double({ min: 0, max: 10, noNaN: true }),
  )
  .filter(([, , slots]) => {
    const s = [...slots].sort((a, b) => a - b);
    // Every gap below 180° keeps the centre inside and the outline convex.
    return s.every((v, i) => ((s[(i + 1) % s.length] - v + 36) % 36 || 36) < 18);
  })
  .map(([c, r, slots, phase]) =>
    ConvexPolygon.fromVectors([...slots].sort((a, b) => a - b).map((k) => offset(c, k * 10 + phase, r))),
  );

export const regionArb: fc.Arbitrary<Region> = fc.oneof(circleArb, boxArb, polygonArb);

/** Points near a region: uniform in its bounding circle (or the whole sphere if that is huge). */
export function samplePointsNear(r: Region, n: number, rand: () => number): UnitVector3[] {
  const bc = r.boundingCircle();
  const out: UnitVector3[] = [];
  const rad = bc.radius.degrees;
  for (let i = 0; i < n; i++) {
    // Uniform in the cap: cos(d) uniform in [cos r, 1].
    const cosD = 1 - rand() * (1 - Math.cos((Math.min(180, rad * 1.2) * Math.PI) / 180));
    out.push(offset(bc.center, rand() * 360, (Math.acos(cosD) * 180) / Math.PI));
  }
  return out;
}

/** Deterministic uniform [0, 1) generator (mulberry32) so that failures reproduce. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
