/**
 * Distances and crossings between points, great-circle arcs and lon/lat boxes: the primitives behind
 * `relate()`. Angles in radians unless a name says otherwise.
 */
import { degToRad } from './angle.js';
import type { Box } from './box.js';
import { cross3, dot3, norm3, separationRad, triple3, type Vec3 } from './vector.js';

/**
 * Distance from p to the minor arc a→b whose unit plane normal is n = (a×b)/|a×b|. The foot of the
 * perpendicular from p onto the great circle is used when it falls on the arc, otherwise the nearer end.
 */
export function arcDistanceRad(p: Vec3, a: Vec3, b: Vec3, n: Vec3): number {
  const s = dot3(p, n);
  const q = { x: p.x - s * n.x, y: p.y - s * n.y, z: p.z - s * n.z };
  const qLen = norm3(q);
  if (qLen > 1e-300 && dot3(cross3(a, q), n) >= 0 && dot3(cross3(q, b), n) >= 0) {
    return Math.atan2(Math.abs(s), qLen);
  }
  return Math.min(separationRad(p, a), separationRad(p, b));
}

/**
 * Whether minor arcs a→b and c→d may cross. Touching and near-degenerate configurations count as crossing
 * (`tol` on the orientation determinants), which is the conservative answer for disjointness tests.
 */
export function arcsMayCross(a: Vec3, b: Vec3, c: Vec3, d: Vec3, tol = 1e-13): boolean {
  // c and d on opposite sides of plane ab, a and b on opposite sides of plane cd, and the crossing point on the
  // same side (not the antipodal intersection): orientation signs as in S2's CrossingSign.
  const abc = triple3(a, b, c);
  const abd = triple3(a, b, d);
  const cda = triple3(c, d, a);
  const cdb = triple3(c, d, b);
  const side = (x: number) => (x > tol ? 1 : x < -tol ? -1 : 0);
  const sAbc = side(abc);
  const sAbd = side(abd);
  const sCda = side(cda);
  const sCdb = side(cdb);
  if (sAbc === 0 || sAbd === 0 || sCda === 0 || sCdb === 0) {
    // An endpoint lies (nearly) on the other great circle. The two great circles meet only at that endpoint and
    // its antipode, which a minor arc cannot also reach, so the arcs may cross only if some endpoint is (nearly)
    // on the other arc.
    const nab = unit(cross3(a, b));
    const ncd = unit(cross3(c, d));
    const near = 1e-9;
    return (
      arcDistanceRad(c, a, b, nab) < near ||
      arcDistanceRad(d, a, b, nab) < near ||
      arcDistanceRad(a, c, d, ncd) < near ||
      arcDistanceRad(b, c, d, ncd) < near
    );
  }
  if (sAbc === sAbd || sCda === sCdb) return false;
  // Both planes separate the other arc's ends; the arcs cross iff they lie on the same side (not antipodal).
  return -sAbc === sCda;
}

function unit(v: Vec3): Vec3 {
  const n = norm3(v);
  return n > 0 ? { x: v.x / n, y: v.y / n, z: v.z / n } : { x: 0, y: 0, z: 1 };
}

function lonLatVec(lonRad: number, latRad: number): Vec3 {
  const c = Math.cos(latRad);
  return { x: c * Math.cos(lonRad), y: c * Math.sin(lonRad), z: Math.sin(latRad) };
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(x, lo), hi);
}

/**
 * Smallest and largest distance (radians) from p to the points of a lon/lat box. The distance from p has no
 * local extremum inside the box other than p itself (minimum 0) and −p (maximum π), so the extremes lie on the
 * boundary: on a parallel at the longitude nearest to / farthest from p's, on a meridian edge where
 * cos d = sin φp sin φ + cos φp cos φ cos Δλ = R cos(φ − φ0) peaks or bottoms (clamped to the edge).
 */
export function boxDistanceRangeRad(p: Vec3, box: Box): { min: number; max: number } {
  const pLat = Math.atan2(p.z, Math.sqrt(p.x * p.x + p.y * p.y));
  const pLon = p.x === 0 && p.y === 0 ? 0 : Math.atan2(p.y, p.x);
  const latMin = degToRad(box.latMinDeg);
  const latMax = degToRad(box.latMaxDeg);
  const pLonDeg = (pLon * 180) / Math.PI;
  const pLatDeg = (pLat * 180) / Math.PI;
  let min = box.containsLonLat(pLonDeg, pLatDeg) ? 0 : Math.PI;
  let max = box.containsLonLat(pLonDeg + 180, -pLatDeg) ? Math.PI : 0;
  const consider = (lonRad: number, latRad: number) => {
    const d = separationRad(p, lonLatVec(lonRad, latRad));
    if (d < min) min = d;
    if (d > max) max = d;
  };
  const lonMin = degToRad(box.lonMinDeg);
  const lonMax = lonMin + degToRad(box.lonWidthDeg);
  // Parallels: longitude nearest to p's and farthest from it, clamped into the box's longitude range.
  for (const lat of [latMin, latMax]) {
    if (box.containsLon(pLonDeg)) consider(pLon, lat);
    if (box.containsLon(pLonDeg + 180)) consider(pLon + Math.PI, lat);
    if (!box.isFullLon) {
      consider(lonMin, lat);
      consider(lonMax, lat);
    }
  }
  if (!box.isFullLon) {
    for (const lon of [lonMin, lonMax]) {
      const a = Math.sin(pLat);
      const b = Math.cos(pLat) * Math.cos(lon - pLon);
      const phi0 = Math.atan2(a, b);
      consider(lon, clamp(phi0, latMin, latMax));
      const far = phi0 > 0 ? phi0 - Math.PI : phi0 + Math.PI;
      consider(lon, clamp(far, latMin, latMax));
    }
  }
  return { min, max };
}

/**
 * Whether the minor arc a→b (unit normal n) may cross the parallel at latitude `latRad` within the box's
 * longitude range. Solves n·v = 0, v.z = sin φ on the unit sphere; tolerant (conservative) at tangency.
 */
export function arcMayCrossParallel(a: Vec3, b: Vec3, n: Vec3, latRad: number, box: Box): boolean {
  const s = Math.sin(latRad);
  // Orthonormal basis (u1, u2) of the great circle's plane; v(t) = cos t u1 + sin t u2 has z = R cos(t − t0).
  const u1 = unit(a);
  const u2 = cross3(n, u1);
  const r = Math.hypot(u1.z, u2.z);
  if (r < 1e-15) return false;
  if (Math.abs(s) > r + 1e-12) return false;
  const t0 = Math.atan2(u2.z, u1.z);
  const dt = Math.acos(clamp(s / r, -1, 1));
  for (const t of [t0 + dt, t0 - dt]) {
    const v = {
      x: Math.cos(t) * u1.x + Math.sin(t) * u2.x,
      y: Math.cos(t) * u1.y + Math.sin(t) * u2.y,
      z: Math.cos(t) * u1.z + Math.sin(t) * u2.z,
    };
    const onArc = dot3(cross3(a, v), n) >= -1e-12 && dot3(cross3(v, b), n) >= -1e-12;
    if (!onArc) continue;
    const lonDeg = (Math.atan2(v.y, v.x) * 180) / Math.PI;
    if (box.containsLon(lonDeg) || lonNear(box, lonDeg)) return true;
  }
  return false;
}

function lonNear(box: Box, lonDeg: number): boolean {
  const tol = 1e-9;
  return box.containsLon(lonDeg - tol) || box.containsLon(lonDeg + tol);
}
