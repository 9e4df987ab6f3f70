/**
 * A pattern matcher that needs no good initial WCS: it finds which detected sources are which reference stars when
 * the initial WCS is off by tens of arcseconds, by any rotation, by a flip and by a few per cent in scale, with
 * many stars on either side that have no partner.
 *
 * Steps:
 * 1. Reference stars near the field are projected (TAN) about the sky position the initial WCS gives the field
 *    centre, in arcsec; sources stay in pixels about the field centre. The two are then one similarity transform
 *    (scale, rotation, maybe a flip, shift) apart, up to distortion.
 * 2. Triangles of the brightest sources and of the brightest reference stars (triangles.ts) are paired when their
 *    shape invariants agree; each pair gives a similarity transform from its three vertices.
 * 3. A transform whose scale, rotation and shift are within the limits is verified by counting the bright sources
 *    it lands within `matchRadiusArcsec` of a reference star; the one with the most wins (optimistic: the search
 *    stops early once one matches most of the bright sources).
 * 4. The winner is refined to an affine transform by matching all sources one to one and refitting, with a
 *    shrinking radius; the affine transform becomes a TAN WCS for the SIP fit with outlier rejection
 *    (fit-astrometry.ts).
 */

import { meridianError } from '../../errors.js';
import {
  makeTanSipWcs,
  pixelToSky,
  type SkyPosition,
  solveLeastSquares,
  type TanSipWcs,
} from '../../formats/index.js';
import { defaultTanLonpoleDeg, GnomonicProjection } from '../../sphere/index.js';
import { matchNearest, PointGrid } from './match-nearest.js';
import {
  type AffineTransform,
  applyAffine,
  type DetectedSource,
  type ReferenceStar,
  type SourceMatch,
} from './model.js';
import { buildTriangles, lowerBound } from './triangles.js';

export interface PatternMatchOptions {
  /** Largest shift of the field centre from where the initial WCS puts it, arcsec. Default 120. */
  readonly maxOffsetArcsec?: number;
  /** Largest fractional error of the initial WCS's pixel scale. Default 0.05. */
  readonly maxScaleError?: number;
  /** Largest rotation from the initial WCS, degrees (180: any); limits unflipped solutions only. Default 180. */
  readonly maxRotationDeg?: number;
  /** Whether the solution may be mirrored relative to the initial WCS. Default true. */
  readonly allowFlip?: boolean;
  /** How many of the brightest sources and reference stars form triangles. Defaults 30 and 40. */
  readonly brightestSources?: number;
  readonly brightestReferences?: number;
  /** Radius within which a transformed source counts as matched during the search, arcsec. Default 2. */
  readonly matchRadiusArcsec?: number;
  /**
   * Matches a solution needs, among the bright sources and overall. Default 6; the search raises it to the count
   * that chance coincidences with the reference stars would reach with probability below FALSE_MATCH_PROBABILITY.
   */
  readonly minMatches?: number;
  /** Largest difference of the triangle shape ratios for two triangles to be paired. Default 0.01. */
  readonly triangleTolerance?: number;
  /** Imaging area in pixels; default: the bounding box of the sources. Sets the field centre and radius. */
  readonly detectorSize?: { readonly width: number; readonly height: number };
}

export interface PatternMatchResult {
  readonly matches: readonly SourceMatch[];
  /** Pixels (about the field centre) -> tangent plane (arcsec) about `tangentPoint`. */
  readonly affine: AffineTransform;
  readonly tangentPoint: SkyPosition;
  /** The affine transform as a TAN WCS (no distortion terms). */
  readonly wcs: TanSipWcs;
  /** Rotation (degrees, counter-clockwise on the plane) and scale of the solution relative to the initial WCS. */
  readonly rotationDeg: number;
  readonly scale: number;
  readonly flipped: boolean;
  /** Distance of the field centre from where the initial WCS put it, arcsec. */
  readonly offsetArcsec: number;
  /** Root-mean-square distance of the final matches under the affine transform, arcsec. */
  readonly rmsArcsec: number;
  /** Triangle pairs whose transform was verified. */
  readonly candidatesVerified: number;
}

const DEFAULTS = {
  maxOffsetArcsec: 120,
  maxScaleError: 0.05,
  maxRotationDeg: 180,
  allowFlip: true,
  brightestSources: 30,
  brightestReferences: 40,
  matchRadiusArcsec: 2,
  minMatches: 6,
  triangleTolerance: 0.01,
};
/** Triangles smaller than this fraction of the field's diameter are dominated by centroid noise. */
const MIN_TRIANGLE_FRACTION = 0.05;
/** Stop searching once a solution matches this fraction of the bright sources. */
const GOOD_ENOUGH_FRACTION = 0.7;
const REFINE_PASSES = 4;
/** Chance that any of the verified candidates reaches the required count by coincidence alone. */
const FALSE_MATCH_PROBABILITY = 1e-3;
/** Area of the triangle invariant domain: 1/2 <= b/a <= 1, 1 - b/a <= c/a <= b/a. */
const INVARIANT_AREA = 0.25;
/** Refinement never shrinks the matching radius below this, arcsec. */
const MIN_REFINE_RADIUS_ARCSEC = 1;

interface Similarity {
  /** plane = s R(theta) diag(1, parity) (pixel - centre) + t, with a = s cos(theta), b = s sin(theta). */
  readonly a: number;
  readonly b: number;
  readonly parity: 1 | -1;
  readonly tx: number;
  readonly ty: number;
}

function applySimilarity(t: Similarity, x: number, y: number): [number, number] {
  const yp = t.parity * y;
  return [t.a * x - t.b * yp + t.tx, t.b * x + t.a * yp + t.ty];
}

/** Least-squares similarity of a given parity taking points (x, y) to (u, v). */
function fitSimilarity(
  x: readonly number[],
  y: readonly number[],
  u: readonly number[],
  v: readonly number[],
  parity: 1 | -1,
): Similarity {
  const n = x.length;
  let mx = 0;
  let my = 0;
  let mu = 0;
  let mv = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] / n;
    my += (parity * y[i]) / n;
    mu += u[i] / n;
    mv += v[i] / n;
  }
  let sxx = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = parity * y[i] - my;
    const du = u[i] - mu;
    const dv = v[i] - mv;
    sxx += dx * dx + dy * dy;
    sa += dx * du + dy * dv;
    sb += dx * dv - dy * du;
  }
  const a = sa / sxx;
  const b = sb / sxx;
  return { a, b, parity, tx: mu - (a * mx - b * my), ty: mv - (b * mx + a * my) };
}

/** Least-squares affine transform taking pixels about `centre` to plane points. */
function fitAffine(
  centre: readonly [number, number],
  x: readonly number[],
  y: readonly number[],
  u: readonly number[],
  v: readonly number[],
): AffineTransform {
  const n = x.length;
  const design = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) design.set([x[i] - centre[0], y[i] - centre[1], 1], 3 * i);
  const [cu, cv] = solveLeastSquares(design, n, 3, [Float64Array.from(u), Float64Array.from(v)]);
  return Object.freeze({
    centre,
    matrix: Object.freeze([cu[0], cu[1], cv[0], cv[1]] as const),
    offset: Object.freeze([cu[2], cv[2]] as const),
  });
}

function failure(message: string, details: Record<string, unknown>) {
  return meridianError('ASTROMETRY_FAILED', message, details);
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
function rotationAngle(m11: number, m12: number, m21: number, m22: number, parity: number): number {
  return Math.atan2(m21 - parity * m12, m11 + parity * m22);
}

/** Match detected sources to reference stars starting from a WCS that may be far off. */
export function matchPattern(
  sources: readonly DetectedSource[],
  references: readonly ReferenceStar[],
  initialWcs: TanSipWcs,
  options: PatternMatchOptions = {},
): PatternMatchResult {
  const o = { ...DEFAULTS, ...options };
  if (sources.length < o.minMatches) {
    throw failure(
      `pattern matching needs at least ${o.minMatches} detected sources, got ${sources.length}: too few stars were detected`,
      { sources: sources.length, minMatches: o.minMatches },
    );
  }
  // Field centre and radius, pixels.
  let minX = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  if (o.detectorSize) {
    [minX, maxX, minY, maxY] = [-0.5, o.detectorSize.width - 0.5, -0.5, o.detectorSize.height - 0.5];
  } else {
    for (const s of sources) {
      minX = Math.min(minX, s.x);
      maxX = Math.max(maxX, s.x);
      minY = Math.min(minY, s.y);
      maxY = Math.max(maxY, s.y);
    }
  }
  const centre = [(minX + maxX) / 2, (minY + maxY) / 2] as const;
  const halfDiagonal = Math.hypot(maxX - minX, maxY - minY) / 2;

  // The initial WCS's view of the field: tangent point, local linear map (arcsec per pixel), its scale and angle.
  const tangentPoint = pixelToSky(initialWcs, centre[0], centre[1]);
  const projection = new GnomonicProjection(
    tangentPoint.ra,
    tangentPoint.dec,
    defaultTanLonpoleDeg(tangentPoint.dec),
  );
  const plane = new Float64Array(2);
  const toPlane = (sky: SkyPosition): [number, number] =>
    projection.skyToPlane(sky.ra, sky.dec, plane) > 0
      ? [plane[0] * 3600, plane[1] * 3600]
      : [Number.NaN, Number.NaN];
  const [e1x, e1y] = toPlane(pixelToSky(initialWcs, centre[0] + 1, centre[1]));
  const [e2x, e2y] = toPlane(pixelToSky(initialWcs, centre[0], centre[1] + 1));
  const initialDet = e1x * e2y - e2x * e1y;
  const initialParity: 1 | -1 = initialDet >= 0 ? 1 : -1;
  const initialScale = Math.sqrt(Math.abs(initialDet));
  const initialAngle = rotationAngle(e1x, e2x, e1y, e2y, initialParity);

  // Reference stars that can fall on the field, in the plane.
  const fieldRadius =
    halfDiagonal * initialScale * (1 + o.maxScaleError) + o.maxOffsetArcsec + o.matchRadiusArcsec;
  const refIndex: number[] = [];
  const refU: number[] = [];
  const refV: number[] = [];
  references.forEach((r, i) => {
    const [u, v] = toPlane(r);
    if (Number.isFinite(u) && Math.hypot(u, v) <= fieldRadius) {
      refIndex.push(i);
      refU.push(u);
      refV.push(v);
    }
  });
  if (refIndex.length < o.minMatches) {
    throw failure(
      `pattern matching needs at least ${o.minMatches} reference stars on the field, found ${refIndex.length} within ${(fieldRadius / 60).toFixed(1)}' of (${tangentPoint.ra.toFixed(4)}, ${tangentPoint.dec.toFixed(4)})`,
      {
        references: refIndex.length,
        minMatches: o.minMatches,
        ra: tangentPoint.ra,
        dec: tangentPoint.dec,
        radiusArcmin: fieldRadius / 60,
      },
    );
  }

  // Brightest of each side (indices into the source list and into refIndex).
  const brightSources = sources
    .map((_, i) => i)
    .filter((i) => Number.isFinite(sources[i].flux))
    .sort((i, j) => sources[j].flux - sources[i].flux)
    .slice(0, o.brightestSources);
  const brightRefs = refIndex
    .map((_, k) => k)
    .sort((k, l) => references[refIndex[k]].mag - references[refIndex[l]].mag)
    .slice(0, o.brightestReferences);
  const sx = brightSources.map((i) => sources[i].x - centre[0]);
  const sy = brightSources.map((i) => sources[i].y - centre[1]);
  const ru = brightRefs.map((k) => refU[k]);
  const rv = brightRefs.map((k) => refV[k]);
  const minSide = MIN_TRIANGLE_FRACTION * 2 * halfDiagonal;
  const sourceTriangles = buildTriangles(sx, sy, minSide, o.triangleTolerance);
  const refTriangles = buildTriangles(ru, rv, minSide * initialScale, o.triangleTolerance);

  const refGrid = new PointGrid(refU, refV, o.matchRadiusArcsec);
  const maxRotation = (o.maxRotationDeg * Math.PI) / 180;
  // How many of the bright sources a wrong transform would match by chance, given the density of reference stars
  // and the number of candidates the search may try (pairs of triangles whose invariants agree).
  const density = refU.length / (Math.PI * fieldRadius ** 2);
  const chance = 1 - Math.exp(-density * Math.PI * o.matchRadiusArcsec ** 2);
  const trials = Math.max(
    1,
    (sourceTriangles.count * refTriangles.count * (2 * o.triangleTolerance) ** 2) / INVARIANT_AREA,
  );
  const required = Math.max(
    o.minMatches,
    significantMatchCount(sx.length, chance, FALSE_MATCH_PROBABILITY / trials),
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
      const transform = fitSimilarity(
        Array.from(sv, (i) => sx[i]),
        Array.from(sv, (i) => sy[i]),
        Array.from(rvx, (k) => ru[k]),
        Array.from(rvx, (k) => rv[k]),
        parity,
      );
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
        count >= o.minMatches &&
        (!best || count > best.count || (count === best.count && spread < best.spread))
      ) {
        best = { transform, count, spread };
        if (count >= goodEnough) break search;
      }
    }
  }
  if (!best) {
    throw failure(
      `no pattern of ${required} or more of the ${sx.length} brightest sources matches the ${ru.length} brightest reference stars within the limits (offset ${o.maxOffsetArcsec}", scale ${o.maxScaleError * 100}%)`,
      {
        sources: sources.length,
        references: refIndex.length,
        sourceTriangles: sourceTriangles.count,
        referenceTriangles: refTriangles.count,
        candidatesVerified: verified,
        required,
      },
    );
  }
  return refine(sources, refIndex, refU, refV, centre, best.transform, {
    tangentPoint,
    projectionLonpole: defaultTanLonpoleDeg(tangentPoint.dec),
    initialScale,
    initialAngle,
    initialParity,
    minMatches: o.minMatches,
    radius: o.matchRadiusArcsec,
    verified,
  });
}

interface RefineContext {
  readonly tangentPoint: SkyPosition;
  readonly projectionLonpole: number;
  readonly initialScale: number;
  readonly initialAngle: number;
  readonly initialParity: 1 | -1;
  readonly minMatches: number;
  readonly radius: number;
  readonly verified: number;
}

/** Match all sources with the winning similarity, then refit as affine with a shrinking radius. */
function refine(
  sources: readonly DetectedSource[],
  refIndex: readonly number[],
  refU: readonly number[],
  refV: readonly number[],
  centre: readonly [number, number],
  start: Similarity,
  context: RefineContext,
): PatternMatchResult {
  const mapAll = (map: (x: number, y: number) => [number, number]) => {
    const u = new Float64Array(sources.length);
    const v = new Float64Array(sources.length);
    sources.forEach((s, i) => {
      [u[i], v[i]] = map(s.x, s.y);
    });
    return { u, v };
  };
  let mapped = mapAll((x, y) => applySimilarity(start, x - centre[0], y - centre[1]));
  let radius = context.radius;
  let affine: AffineTransform | undefined;
  let pairs = matchNearest(mapped.u, mapped.v, refU, refV, radius);
  for (let pass = 0; pass < REFINE_PASSES && pairs.length >= Math.max(3, context.minMatches); pass++) {
    affine = fitAffine(
      centre,
      pairs.map((p) => sources[p.first].x),
      pairs.map((p) => sources[p.first].y),
      pairs.map((p) => refU[p.second]),
      pairs.map((p) => refV[p.second]),
    );
    const current = affine;
    mapped = mapAll((x, y) => applyAffine(current, x, y));
    const rms = Math.sqrt(
      pairs.reduce(
        (sum, p) =>
          sum + (mapped.u[p.first] - refU[p.second]) ** 2 + (mapped.v[p.first] - refV[p.second]) ** 2,
        0,
      ) / pairs.length,
    );
    // Keep stars out to a few times the scatter; the SIP fit that follows shrinks it further.
    radius = Math.max(MIN_REFINE_RADIUS_ARCSEC, Math.min(radius, 5 * rms));
    pairs = matchNearest(mapped.u, mapped.v, refU, refV, radius);
  }
  if (!affine || pairs.length < context.minMatches) {
    throw failure(
      `the pattern match did not hold over the whole field: ${pairs.length} sources matched, ${context.minMatches} needed`,
      { matches: pairs.length, minMatches: context.minMatches },
    );
  }
  const [m11, m12, m21, m22] = affine.matrix;
  const det = m11 * m22 - m12 * m21;
  const parity: 1 | -1 = det >= 0 ? 1 : -1;
  const flipped = parity !== context.initialParity;
  const turn = rotationAngle(m11, m12, m21, m22, parity) - context.initialAngle;
  // The TAN WCS of the affine map: CD is the linear part in degrees, CRPIX is the pixel that maps to the tangent point.
  const [tx, ty] = affine.offset;
  const crpixX = centre[0] + (-m22 * tx + m12 * ty) / det;
  const crpixY = centre[1] + (m21 * tx - m11 * ty) / det;
  const wcs = makeTanSipWcs({
    crpix: [crpixX + 1, crpixY + 1],
    crval: [context.tangentPoint.ra, context.tangentPoint.dec],
    cd: [
      [m11 / 3600, m12 / 3600],
      [m21 / 3600, m22 / 3600],
    ],
    lonpole: context.projectionLonpole,
  });
  const matches = pairs
    .map((p) => Object.freeze({ source: p.first, reference: refIndex[p.second], distanceArcsec: p.distance }))
    .sort((a, b) => a.source - b.source);
  return Object.freeze({
    matches: Object.freeze(matches),
    affine,
    tangentPoint: context.tangentPoint,
    wcs,
    rotationDeg: (Math.atan2(Math.sin(turn), Math.cos(turn)) * 180) / Math.PI,
    scale: Math.sqrt(Math.abs(det)) / context.initialScale,
    flipped,
    offsetArcsec: Math.hypot(tx, ty),
    rmsArcsec: Math.sqrt(matches.reduce((sum, m) => sum + m.distanceArcsec ** 2, 0) / matches.length),
    candidatesVerified: context.verified,
  });
}
