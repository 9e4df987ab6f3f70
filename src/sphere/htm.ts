/**
 * Hierarchical Triangular Mesh (Szalay, Gray, Fekete et al. 2007, "Indexing the Sphere with the Hierarchical
 * Triangular Mesh", arXiv:cs/0701164), with the index convention of lsst/sphgeom's HtmPixelization: the eight
 * level-0 triangles S0..S3, N0..N3 have indices 8..15, and child k (0..3) of trixel i has index 4i + k.
 * A trixel (v0, v1, v2) with edge midpoints w0 = mid(v1, v2), w1 = mid(v0, v2), w2 = mid(v0, v1) has children
 * (v0, w2, w1), (v1, w0, w2), (v2, w1, w0), (w0, w1, w2).
 */
import { meridianError } from '../errors.js';
import type { Circle } from './circle.js';
import { ConvexPolygon } from './convex-polygon.js';
import type { Region } from './region.js';
import { DISJOINT, WITHIN } from './relationship.js';
import { separationRad, triple3, UnitVector3, type Vec3 } from './vector.js';

/** Half-open range of pixel indices [begin, end). */
export interface IndexRange {
  readonly begin: number;
  readonly end: number;
}

export const HTM_MAX_LEVEL = 24;

const V = [
  UnitVector3.fromXyz(0, 0, 1),
  UnitVector3.fromXyz(1, 0, 0),
  UnitVector3.fromXyz(0, 1, 0),
  UnitVector3.fromXyz(-1, 0, 0),
  UnitVector3.fromXyz(0, -1, 0),
  UnitVector3.fromXyz(0, 0, -1),
];

/** Root trixels in index order 8..15 (S0, S1, S2, S3, N0, N1, N2, N3); vertices counter-clockwise from outside. */
const ROOTS: readonly (readonly [UnitVector3, UnitVector3, UnitVector3])[] = [
  [V[1], V[5], V[2]],
  [V[2], V[5], V[3]],
  [V[3], V[5], V[4]],
  [V[4], V[5], V[1]],
  [V[1], V[0], V[4]],
  [V[4], V[0], V[3]],
  [V[3], V[0], V[2]],
  [V[2], V[0], V[1]],
];

type Tri = readonly [UnitVector3, UnitVector3, UnitVector3];

function midpoint(a: Vec3, b: Vec3): UnitVector3 {
  return UnitVector3.fromXyz(a.x + b.x, a.y + b.y, a.z + b.z);
}

function children(t: Tri): [Tri, Tri, Tri, Tri] {
  const [v0, v1, v2] = t;
  const w0 = midpoint(v1, v2);
  const w1 = midpoint(v0, v2);
  const w2 = midpoint(v0, v1);
  return [
    [v0, w2, w1],
    [v1, w0, w2],
    [v2, w1, w0],
    [w0, w1, w2],
  ];
}

function triContains(t: Tri, v: Vec3): boolean {
  return triple3(t[0], t[1], v) >= 0 && triple3(t[1], t[2], v) >= 0 && triple3(t[2], t[0], v) >= 0;
}

/** Level (0..24) of a valid HTM index, or -1. Index i at level L satisfies 8·4^L ≤ i < 16·4^L. */
export function htmLevelOf(index: number): number {
  if (!Number.isSafeInteger(index) || index < 8) return -1;
  let level = 0;
  let lo = 8;
  while (level <= HTM_MAX_LEVEL) {
    if (index < lo * 2) return level;
    lo *= 4;
    level++;
  }
  return -1;
}

export class HtmPixelization {
  readonly level: number;

  constructor(level: number) {
    if (!Number.isInteger(level) || level < 0 || level > HTM_MAX_LEVEL) {
      throw meridianError(
        'GEOMETRY_INVALID',
        `HTM level must be an integer in [0, ${HTM_MAX_LEVEL}], got ${level}`,
        {
          level,
        },
      );
    }
    this.level = level;
  }

  /** Index of the level-`level` trixel containing v (points on shared edges go to the first trixel found). */
  index(v: UnitVector3): number {
    let root = ROOTS.findIndex((t) => triContains(t, v));
    // Rounding can leave a point a hair outside every root; fall back to the nearest root centre.
    if (root < 0) root = nearestChild(ROOTS, v);
    let tri: Tri = ROOTS[root];
    let index = 8 + root;
    for (let l = 0; l < this.level; l++) {
      const kids = children(tri);
      let k = kids.findIndex((c) => triContains(c, v));
      if (k < 0) k = nearestChild(kids, v);
      tri = kids[k];
      index = index * 4 + k;
    }
    return index;
  }

  /** The trixel with this index (which must belong to this pixelization's level) as a polygon. */
  pixel(index: number): ConvexPolygon {
    if (htmLevelOf(index) !== this.level) {
      throw meridianError('GEOMETRY_INVALID', `${index} is not an HTM level-${this.level} index`, {
        index,
        level: this.level,
      });
    }
    const path: number[] = [];
    let i = index;
    for (let l = 0; l < this.level; l++) {
      path.push(i % 4);
      i = Math.floor(i / 4);
    }
    let tri: Tri = ROOTS[i - 8];
    for (let l = path.length - 1; l >= 0; l--) tri = children(tri)[path[l]];
    return ConvexPolygon.fromTrustedCcwVertices(tri);
  }

  /**
   * Indices of trixels that may intersect the region (a superset), as sorted, merged half-open ranges. With
   * `maxRanges`, the closest ranges are joined until at most that many remain (still a superset).
   */
  envelope(region: Region, maxRanges = 0): IndexRange[] {
    const out: [number, number][] = [];
    const bound = region.boundingCircle();
    const visit = (tri: Tri, index: number, level: number) => {
      if (outsideCircle(tri, bound)) return;
      const rel = ConvexPolygon.fromTrustedCcwVertices(tri).relate(region);
      if (rel & DISJOINT) return;
      if (level === this.level || rel & WITHIN) {
        pushRange(out, index, level, this.level);
        return;
      }
      children(tri).forEach((c, k) => {
        visit(c, index * 4 + k, level + 1);
      });
    };
    ROOTS.forEach((t, r) => {
      visit(t, 8 + r, 0);
    });
    return limitRanges(out, maxRanges, 'join');
  }

  /**
   * Indices of trixels certainly inside the region (a subset), as sorted, merged half-open ranges. With
   * `maxRanges`, the smallest ranges are dropped until at most that many remain (still a subset).
   */
  interior(region: Region, maxRanges = 0): IndexRange[] {
    const out: [number, number][] = [];
    const bound = region.boundingCircle();
    const visit = (tri: Tri, index: number, level: number) => {
      if (outsideCircle(tri, bound)) return;
      const rel = ConvexPolygon.fromTrustedCcwVertices(tri).relate(region);
      if (rel & DISJOINT) return;
      if (rel & WITHIN) {
        pushRange(out, index, level, this.level);
        return;
      }
      if (level === this.level) return;
      children(tri).forEach((c, k) => {
        visit(c, index * 4 + k, level + 1);
      });
    };
    ROOTS.forEach((t, r) => {
      visit(t, 8 + r, 0);
    });
    return limitRanges(out, maxRanges, 'drop');
  }

  /** Whether an index lies in a list of ranges (binary search). */
  static rangesContain(ranges: readonly IndexRange[], index: number): boolean {
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = ranges[mid];
      if (index < r.begin) hi = mid - 1;
      else if (index >= r.end) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /** Every index in the ranges, in order (for registry overlap rows). */
  static *indicesOf(ranges: readonly IndexRange[]): Generator<number> {
    for (const r of ranges) for (let i = r.begin; i < r.end; i++) yield i;
  }
}

/**
 * Cheap certain-disjointness test of a trixel against a circle: the trixel lies within the cap about its vertex
 * mean that reaches its farthest vertex (a cap under 90° is convex), so caps that are far apart are disjoint.
 */
function outsideCircle(t: Tri, c: Circle): boolean {
  const r = c.radius.radians;
  if (r >= Math.PI / 2) return false;
  const sx = t[0].x + t[1].x + t[2].x;
  const sy = t[0].y + t[1].y + t[2].y;
  const sz = t[0].z + t[1].z + t[2].z;
  const n = Math.sqrt(sx * sx + sy * sy + sz * sz);
  const m = { x: sx / n, y: sy / n, z: sz / n };
  const tr = Math.max(separationRad(m, t[0]), separationRad(m, t[1]), separationRad(m, t[2]));
  return separationRad(m, c.center) > tr + r + 1e-9;
}

function nearestChild(tris: readonly Tri[], v: Vec3): number {
  let best = 0;
  let bestDot = -2;
  tris.forEach((t, k) => {
    const d =
      (t[0].x + t[1].x + t[2].x) * v.x + (t[0].y + t[1].y + t[2].y) * v.y + (t[0].z + t[1].z + t[2].z) * v.z;
    if (d > bestDot) {
      bestDot = d;
      best = k;
    }
  });
  return best;
}

/** Appends the descendants at `targetLevel` of trixel `index` (at `level`), merging with the previous range. */
function pushRange(out: [number, number][], index: number, level: number, targetLevel: number): void {
  const scale = 4 ** (targetLevel - level);
  const begin = index * scale;
  const end = (index + 1) * scale;
  const last = out[out.length - 1];
  if (last !== undefined && last[1] === begin) last[1] = end;
  else out.push([begin, end]);
}

function limitRanges(ranges: [number, number][], maxRanges: number, mode: 'join' | 'drop'): IndexRange[] {
  let rs = ranges;
  if (maxRanges > 0 && rs.length > maxRanges) {
    if (mode === 'join') {
      // Keep the (maxRanges − 1) widest gaps; join across all others.
      const gaps = rs.slice(1).map((r, i) => ({ i, gap: r[0] - rs[i][1] }));
      gaps.sort((a, b) => b.gap - a.gap || a.i - b.i);
      const cut = new Set(gaps.slice(0, maxRanges - 1).map((g) => g.i));
      const joined: [number, number][] = [[rs[0][0], rs[0][1]]];
      for (let i = 1; i < rs.length; i++) {
        if (cut.has(i - 1)) joined.push([rs[i][0], rs[i][1]]);
        else joined[joined.length - 1][1] = rs[i][1];
      }
      rs = joined;
    } else {
      const keep = rs
        .map((r, i) => ({ r, i }))
        .sort((a, b) => b.r[1] - b.r[0] - (a.r[1] - a.r[0]) || a.i - b.i)
        .slice(0, maxRanges)
        .sort((a, b) => a.i - b.i);
      rs = keep.map((k) => k.r);
    }
  }
  return rs.map(([begin, end]) => Object.freeze({ begin, end }));
}
