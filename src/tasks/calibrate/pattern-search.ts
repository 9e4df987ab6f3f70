/**
 * The search step of the pattern matcher (pattern-match.ts): pair triangles of the brightest sources and reference
 * stars by their shape, turn each pair into a similarity transform, and keep the transform that lands the most
 * bright sources on reference stars, if that many is more than chance would give.
 *
 * Significance: a wrong transform lands a source within the radius r of one of the N verification stars (spread
 * over the area A of the field) with probability p = 1 - exp(-N pi r^2 / A); over n bright sources the count is
 * Binomial(n, p). The search may try T candidates (pairs of triangles whose invariants agree: about the product of
 * the triangle counts times the tolerance box over the invariant domain's area), so a solution needs a count whose
 * binomial tail is below FALSE_MATCH_PROBABILITY / T.
 */

import { PointGrid } from './match-nearest.js';
import { type DetectedSource, hasPosition, type ReferenceStar } from './model.js';
import { buildTriangles, lowerBound } from './triangles.js';

/** The field as the search sees it: sources in pixels about `centre`, reference stars in the plane (arcsec). */
export interface FieldView {
  readonly sources: readonly DetectedSource[];
  readonly references: readonly ReferenceStar[];
  /** Reference stars near the field: index into `references`, plane position (arcsec). */
  readonly refIndex: readonly number[];
  readonly refU: readonly number[];
  readonly refV: readonly number[];
  readonly centre: readonly [number, number];
  /** Pixels. */
  readonly halfDiagonal: number;
  /** Arcsec. */
  readonly fieldRadius: number;
  /** Arcsec per pixel, radians and parity of the initial WCS at the centre. */
  readonly initialScale: number;
  readonly initialAngle: number;
  readonly initialParity: 1 | -1;
}

export interface SearchLimits {
  readonly maxOffsetArcsec: number;
  readonly maxScaleError: number;
  readonly maxRotationDeg: number;
  readonly allowFlip: boolean;
  readonly matchRadiusArcsec: number;
  readonly minMatches: number;
  readonly triangleTolerance: number;
}

export interface SearchResult {
  readonly best: Similarity | undefined;
  readonly stats: {
    readonly brightSources: number;
    readonly brightReferences: number;
    readonly sourceTriangles: number;
    readonly referenceTriangles: number;
    readonly candidatesVerified: number;
    /** Matches among the bright sources that a solution needed. */
    readonly required: number;
  };
}

/** Triangles smaller than this fraction of the field's diameter are dominated by centroid noise. */
const MIN_TRIANGLE_FRACTION = 0.05;
/** Stop searching once a solution matches this fraction of the bright sources. */
const GOOD_ENOUGH_FRACTION = 0.7;
/** Candidates are verified against this many times `brightestReferences` of the brightest reference stars. */
const VERIFY_REFERENCE_FACTOR = 3;
/** Chance that any of the candidates reaches the required count by coincidence alone. */
const FALSE_MATCH_PROBABILITY = 1e-3;
/** Area of the triangle invariant domain: 1/2 <= b/a <= 1, 1 - b/a <= c/a <= b/a. */
const INVARIANT_AREA = 0.25;

export interface Similarity {
  /** plane = s R(theta) diag(1, parity) (pixel - centre) + t, with a = s cos(theta), b = s sin(theta). */
  readonly a: number;
  readonly b: number;
  readonly parity: 1 | -1;
  readonly tx: number;
  readonly ty: number;
}

export function applySimilarity(t: Similarity, x: number, y: number): [number, number] {
  const yp = t.parity * y;
  return [t.a * x - t.b * yp + t.tx, t.b * x + t.a * yp + t.ty];
}

/**
 * Least-squares similarity of a given parity taking the points (x, y) at indices `from` to the points (u, v) at
 * indices `to` (the same count); no allocation, as the search calls it for every candidate.
 */
function fitSimilarity(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  from: ArrayLike<number>,
  u: ArrayLike<number>,
  v: ArrayLike<number>,
  to: ArrayLike<number>,
  parity: 1 | -1,
): Similarity {
  const n = from.length;
  let mx = 0;
  let my = 0;
  let mu = 0;
  let mv = 0;
  for (let k = 0; k < n; k++) {
    mx += x[from[k]] / n;
    my += (parity * y[from[k]]) / n;
    mu += u[to[k]] / n;
    mv += v[to[k]] / n;
  }
  let sxx = 0;
  let sa = 0;
  let sb = 0;
  for (let k = 0; k < n; k++) {
    const dx = x[from[k]] - mx;
    const dy = parity * y[from[k]] - my;
    const du = u[to[k]] - mu;
    const dv = v[to[k]] - mv;
    sxx += dx * dx + dy * dy;
    sa += dx * du + dy * dv;
    sb += dx * dv - dy * du;
  }
  const a = sa / sxx;
  const b = sb / sxx;
  return { a, b, parity, tx: mu - (a * mx - b * my), ty: mv - (b * mx + a * my) };
}

/** Smallest k with P(X >= k) <= alpha for X ~ Binomial(n, p): matches that chance alone would rarely reach. */
export function significantMatchCount(n: number, p: number, alpha: number): number {
  if (p <= 0) return 1;
  if (p >= 1) return n + 1;
  // pmf(k) by the recurrence pmf(k + 1) = pmf(k) (n - k) / (k + 1) p / (1 - p), summed from the top down.
  const pmf = new Float64Array(n + 1);
  pmf[0] = (1 - p) ** n;
  for (let k = 0; k < n; k++) pmf[k + 1] = (pmf[k] * (n - k) * p) / ((k + 1) * (1 - p));
  let tail = 0;
  for (let k = n; k >= 0; k--) {
    if (tail + pmf[k] > alpha) return k + 1;
    tail += pmf[k];
  }
  return 0;
}

/** Angle of a 2 x 2 matrix's rotation part after undoing `parity` on its second column, radians. */
export function rotationAngle(m11: number, m12: number, m21: number, m22: number, parity: number): number {
  return Math.atan2(m21 - parity * m12, m11 + parity * m22);
}

/** The best similarity transform between the brightest sources and reference stars, if one is significant. */
export function searchTriangles(
  field: FieldView,
  o: SearchLimits,
  brightestSources: number,
  brightestReferences: number,
): SearchResult {
  const { sources, references, refIndex, refU, refV, centre, halfDiagonal, fieldRadius } = field;
  const { initialScale, initialAngle, initialParity } = field;
  // Brightest of each side (indices into the source list and into refIndex).
  const brightSources = sources
    .map((_, i) => i)
    .filter((i) => Number.isFinite(sources[i].flux) && hasPosition(sources[i]))
    .sort((i, j) => sources[j].flux - sources[i].flux)
    .slice(0, brightestSources);
  const refsByBrightness = refIndex
    .map((_, k) => k)
    .sort((k, l) => references[refIndex[k]].mag - references[refIndex[l]].mag);
  const brightRefs = refsByBrightness.slice(0, brightestReferences);
  // Candidates are verified against the reference stars that the bright sources can be: the brightest few times as
  // many as form triangles, not all of them, so that a dense catalog does not make chance matches likely.
  const verifyRefs = refsByBrightness.slice(0, VERIFY_REFERENCE_FACTOR * brightestReferences);
  const sx = brightSources.map((i) => sources[i].x - centre[0]);
  const sy = brightSources.map((i) => sources[i].y - centre[1]);
  const ru = brightRefs.map((k) => refU[k]);
  const rv = brightRefs.map((k) => refV[k]);
  const minSide = MIN_TRIANGLE_FRACTION * 2 * halfDiagonal;
  const sourceTriangles = buildTriangles(sx, sy, minSide, o.triangleTolerance);
  const refTriangles = buildTriangles(ru, rv, minSide * initialScale, o.triangleTolerance);

  const refGrid = new PointGrid(
    verifyRefs.map((k) => refU[k]),
    verifyRefs.map((k) => refV[k]),
    o.matchRadiusArcsec,
  );
  const maxRotation = (o.maxRotationDeg * Math.PI) / 180;
  // How many of the bright sources a wrong transform would match by chance, given the density of reference stars
  // and the number of candidates the search may try (pairs of triangles whose invariants agree).
  const density = verifyRefs.length / (Math.PI * fieldRadius ** 2);
  const chance = 1 - Math.exp(-density * Math.PI * o.matchRadiusArcsec ** 2);
  const trials = Math.max(
    1,
    (sourceTriangles.count * refTriangles.count * (2 * o.triangleTolerance) ** 2) / INVARIANT_AREA,
  );
  // The three vertices of the triangle that made a transform match by construction: only the others are evidence.
  const required = Math.max(
    o.minMatches,
    3 + significantMatchCount(sx.length - 3, chance, FALSE_MATCH_PROBABILITY / trials),
  );
  const goodEnough = Math.max(required, Math.ceil(GOOD_ENOUGH_FRACTION * Math.min(sx.length, ru.length)));
  let best: { transform: Similarity; count: number; spread: number } | undefined;
  let verified = 0;
  search: for (let s = 0; s < sourceTriangles.count; s++) {
    const r1 = sourceTriangles.ratio1[s];
    const r2 = sourceTriangles.ratio2[s];
    const lengthRatio = (r: number) => refTriangles.longest[r] / sourceTriangles.longest[s] / initialScale;
    for (let r = lowerBound(refTriangles.ratio1, r1 - o.triangleTolerance); r < refTriangles.count; r++) {
      if (refTriangles.ratio1[r] > r1 + o.triangleTolerance) break;
      if (Math.abs(refTriangles.ratio2[r] - r2) > o.triangleTolerance) continue;
      if (Math.abs(lengthRatio(r) - 1) > o.maxScaleError) continue;
      const parity = (sourceTriangles.orientation[s] * refTriangles.orientation[r]) as 1 | -1;
      const flipped = parity !== initialParity;
      if (flipped && !o.allowFlip) continue;
      const sv = sourceTriangles.vertices.subarray(3 * s, 3 * s + 3);
      const rvx = refTriangles.vertices.subarray(3 * r, 3 * r + 3);
      const transform = fitSimilarity(sx, sy, sv, ru, rv, rvx, parity);
      if (Math.abs(Math.hypot(transform.a, transform.b) / initialScale - 1) > o.maxScaleError) continue;
      if (Math.hypot(transform.tx, transform.ty) > o.maxOffsetArcsec) continue;
      if (!flipped) {
        const turn = Math.atan2(transform.b, transform.a) - initialAngle;
        if (Math.abs(Math.atan2(Math.sin(turn), Math.cos(turn))) > maxRotation) continue;
      }
      verified++;
      let count = 0;
      let spread = 0;
      for (let i = 0; i < sx.length; i++) {
        const [u, v] = applySimilarity(transform, sx[i], sy[i]);
        const d = refGrid.nearestDistance(u, v, o.matchRadiusArcsec);
        if (d < o.matchRadiusArcsec) {
          count++;
          spread += d * d;
        }
      }
      if (
        count >= required &&
        (!best || count > best.count || (count === best.count && spread < best.spread))
      ) {
        best = { transform, count, spread };
        if (count >= goodEnough) break search;
      }
    }
  }
  return {
    best: best?.transform,
    stats: {
      brightSources: sx.length,
      brightReferences: ru.length,
      sourceTriangles: sourceTriangles.count,
      referenceTriangles: refTriangles.count,
      candidatesVerified: verified,
      required,
    },
  };
}
