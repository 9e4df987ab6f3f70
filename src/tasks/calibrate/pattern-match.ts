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
 *    shape invariants agree; each pair gives a similarity transform from its three vertices (pattern-search.ts).
 * 3. A transform whose scale, rotation and shift are within the limits is verified by counting the bright sources
 *    it lands within `matchRadiusArcsec` of a bright reference star; the one with the most wins if chance would
 *    rarely give that many (optimistic: the search stops early once one matches most of the bright sources). When
 *    none does, the search is repeated once with twice as many stars on each side.
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
import { matchNearest } from './match-nearest.js';
import {
  type AffineTransform,
  applyAffine,
  type DetectedSource,
  hasPosition,
  type ReferenceStar,
  type SourceMatch,
  sourceBounds,
} from './model.js';
import {
  applySimilarity,
  type FieldView,
  rotationAngle,
  type Similarity,
  searchTriangles,
} from './pattern-search.js';

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
const REFINE_PASSES = 4;
/** The second search, when the first finds nothing, takes this many times the brightest stars on each side. */
const RETRY_FACTOR = 1.5;
/** Refinement never shrinks the matching radius below this, arcsec. */
const MIN_REFINE_RADIUS_ARCSEC = 1;

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

/** Match detected sources to reference stars starting from a WCS that may be far off. */
export function matchPattern(
  sources: readonly DetectedSource[],
  references: readonly ReferenceStar[],
  initialWcs: TanSipWcs,
  options: PatternMatchOptions = {},
): PatternMatchResult {
  const o = { ...DEFAULTS, ...options };
  const located = sources.filter(hasPosition).length;
  if (located < o.minMatches) {
    throw failure(
      `pattern matching needs at least ${o.minMatches} detected sources with a position, got ${located}: too few stars were detected`,
      { sources: sources.length, located, minMatches: o.minMatches },
    );
  }
  // Field centre and radius, pixels.
  const [minX, maxX, minY, maxY] = o.detectorSize
    ? [-0.5, o.detectorSize.width - 0.5, -0.5, o.detectorSize.height - 0.5]
    : sourceBounds(sources);
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

  const field: FieldView = {
    sources,
    references,
    refIndex,
    refU,
    refV,
    centre,
    halfDiagonal,
    fieldRadius,
    initialScale,
    initialAngle,
    initialParity,
  };
  // Optimistic first: the brightest few; if no pattern is found among them, 1.5 times as many (3.4 times the
  // triangles on each side, so about 11 times the candidates).
  let search = searchTriangles(field, o, o.brightestSources, o.brightestReferences);
  const more = sources.length > o.brightestSources || refIndex.length > o.brightestReferences;
  if (!search.best && more) {
    const wider = (n: number) => Math.round(RETRY_FACTOR * n);
    search = searchTriangles(field, o, wider(o.brightestSources), wider(o.brightestReferences));
  }
  const { best, stats } = search;
  if (!best) {
    throw failure(
      `no pattern of ${stats.required} or more of the ${stats.brightSources} brightest sources matches the ${stats.brightReferences} brightest reference stars within the limits (offset ${o.maxOffsetArcsec}", scale ${o.maxScaleError * 100}%)`,
      { sources: sources.length, references: refIndex.length, ...stats },
    );
  }
  const verified = stats.candidatesVerified;
  return refine(sources, refIndex, refU, refV, centre, best, {
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
