/**
 * The astrometric fit: starting from a WCS good to about an arcsecond (the pattern matcher's), iterate
 *   match (one to one, within a radius) -> fit TAN-SIP -> reject matches beyond k sigma -> refit
 * and rematch with a radius that shrinks with the scatter, until the set of matches no longer changes.
 *
 * Sigma is estimated robustly from the median distance: for a circular Gaussian of sigma per axis the distances
 * follow a Rayleigh law whose median is sigma sqrt(2 ln 2) = 1.1774 sigma, so outliers do not inflate it.
 * The SIP order is lowered when there are too few matches to constrain it (at least twice as many matches as
 * terms per axis), and the result says which order was used.
 */

import { meridianError } from '../../errors.js';
import {
  fitTanSip,
  type PixelPosition,
  type SkyPosition,
  skyResidualsMas,
  skyToPixels,
  type TanSipWcs,
  tanSipTermCount,
} from '../../formats/index.js';
import { matchNearest } from './match-nearest.js';
import { type DetectedSource, type ReferenceStar, type SourceMatch, sourceBounds } from './model.js';

export interface AstrometryFitOptions {
  /** SIP order (1 = plain TAN). Default 3, enough for a 4k x 4k detector. */
  readonly order?: number;
  /** Matches farther than this many robust sigmas (per axis) are rejected. Default 3. */
  readonly rejectSigma?: number;
  /**
   * Sigma is never taken below this, mas: on (nearly) noiseless positions the scatter is rounding error, and
   * clipping at 3 times rounding error would throw away good stars. Default 1.
   */
  readonly sigmaFloorMas?: number;
  /** First matching radius, arcsec (the initial WCS should be this good). Default 2. */
  readonly matchRadiusArcsec?: number;
  /** The radius never shrinks below this, arcsec. Default 0.05. */
  readonly minMatchRadiusArcsec?: number;
  readonly maxIterations?: number;
  /** Imaging area in pixels, to put CRPIX at the detector centre; default: the centre of the sources. */
  readonly detectorSize?: { readonly width: number; readonly height: number };
  /** Centroid error of the sources per axis, mas, added in quadrature to the reference stars' errors. Default 0. */
  readonly centroidErrorMas?: number;
  /** Fewest matches accepted for the fit. Default 6. */
  readonly minMatches?: number;
}

export interface AstrometryFit {
  readonly wcs: TanSipWcs;
  /** SIP order of `wcs`; lower than requested when the matches could not constrain it. */
  readonly order: number;
  readonly requestedOrder: number;
  /** The matches the final fit used (outliers removed). */
  readonly matches: readonly SourceMatch[];
  /** Matches within the final radius that were rejected as outliers. */
  readonly rejected: number;
  /** Root-mean-square sky distance of the used matches from their reference stars, mas (radial, both axes). */
  readonly rmsResidualMas: number;
  /** Robust per-axis scatter, mas. */
  readonly sigmaMas: number;
  readonly matchRadiusArcsec: number;
  readonly iterations: number;
}

const DEFAULTS = {
  order: 3,
  rejectSigma: 3,
  sigmaFloorMas: 1,
  matchRadiusArcsec: 2,
  minMatchRadiusArcsec: 0.05,
  maxIterations: 20,
  minMatches: 6,
  centroidErrorMas: 0,
};
const RAYLEIGH_MEDIAN_PER_SIGMA = Math.sqrt(2 * Math.log(2));
const MAX_REJECTION_ROUNDS = 10;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Highest order up to `requested` whose terms per axis the matches constrain twice over. */
function supportedOrder(requested: number, matches: number): number {
  let order = requested;
  while (order > 1 && tanSipTermCount(order) * 2 > matches) order--;
  return order;
}

/** Fit a TAN-SIP WCS to sources and reference stars, rejecting outliers; `initialWcs` must be good to ~1". */
export function fitAstrometry(
  sources: readonly DetectedSource[],
  references: readonly ReferenceStar[],
  initialWcs: TanSipWcs,
  options: AstrometryFitOptions = {},
): AstrometryFit {
  const o = { ...DEFAULTS, ...options };
  const sourceX = Float64Array.from(sources, (s) => s.x);
  const sourceY = Float64Array.from(sources, (s) => s.y);
  const refRa = Float64Array.from(references, (r) => r.ra);
  const refDec = Float64Array.from(references, (r) => r.dec);
  const crpix = crpixFor(sources, o.detectorSize);
  let wcs = initialWcs;
  let radius = o.matchRadiusArcsec;
  let previousKey = '';
  let result: Omit<AstrometryFit, 'iterations' | 'requestedOrder'> | undefined;
  for (let iteration = 1; iteration <= o.maxIterations; iteration++) {
    const projected = skyToPixels(wcs, refRa, refDec);
    const arcsecPerPixel = pixelScaleArcsec(wcs);
    const pairs = matchNearest(sourceX, sourceY, projected.x, projected.y, radius / arcsecPerPixel);
    if (pairs.length < o.minMatches) {
      throw meridianError(
        'ASTROMETRY_FAILED',
        `the astrometric fit found ${pairs.length} matches within ${radius.toFixed(2)}" (iteration ${iteration}); it needs ${o.minMatches}`,
        { matches: pairs.length, minMatches: o.minMatches, radiusArcsec: radius, iteration },
      );
    }
    const pixels: PixelPosition[] = pairs.map((p) => ({ x: sourceX[p.first], y: sourceY[p.first] }));
    const sky: SkyPosition[] = pairs.map((p) => references[p.second]);
    const order = supportedOrder(o.order, pairs.length);
    // Expected error of each match (per axis), mas: the reference star's and the centroid's. Without errors on
    // every match all count alike (unit errors, so the fit is unweighted).
    const errors = pairs.map((p) =>
      Math.hypot(
        references[p.second].positionErrMas ?? 0,
        sources[p.first].positionErrMas ?? o.centroidErrorMas,
      ),
    );
    const weighted = errors.every((e) => e > 0);
    const unit = (i: number) => (weighted ? errors[i] : 1);
    const keep = new Uint8Array(pairs.length).fill(1);
    const weights = () => Float64Array.from(keep, (k, i) => (k ? 1 / unit(i) ** 2 : 0));
    let fit = fitTanSip(pixels, sky, { order, crpix, weights: weights() });
    let sigmaMas = 0;
    let limitMas = 0;
    let distances: Float64Array = new Float64Array(0);
    for (let round = 0; round < MAX_REJECTION_ROUNDS; round++) {
      distances = skyResidualsMas(fit.wcs, pixels, sky);
      const kept = pairs.flatMap((_, i) => (keep[i] ? [i] : []));
      sigmaMas = median(kept.map((i) => distances[i])) / RAYLEIGH_MEDIAN_PER_SIGMA;
      // The scatter in units of the expected errors (1 when they are right), so each match is judged by its own.
      const scale = median(kept.map((i) => distances[i] / unit(i))) / RAYLEIGH_MEDIAN_PER_SIGMA;
      let changed = 0;
      limitMas = 0;
      distances.forEach((d, i) => {
        const limit = o.rejectSigma * Math.max(scale * unit(i), o.sigmaFloorMas);
        limitMas = Math.max(limitMas, limit);
        const next = d <= limit ? 1 : 0;
        if (next !== keep[i]) changed++;
        keep[i] = next;
      });
      const used = keep.reduce((n, k) => n + k, 0);
      if (changed === 0) break;
      if (used < Math.max(o.minMatches, tanSipTermCount(order, 0))) {
        throw meridianError(
          'ASTROMETRY_FAILED',
          `outlier rejection left ${used} of ${pairs.length} matches, too few for a SIP fit of order ${order}`,
          { used, matches: pairs.length, order },
        );
      }
      fit = fitTanSip(pixels, sky, { order, crpix, weights: weights() });
    }
    // In source order, so that the set (not the order matching found it in) decides convergence.
    const used = pairs
      .flatMap((p, i) =>
        keep[i]
          ? [Object.freeze({ source: p.first, reference: p.second, distanceArcsec: distances[i] / 1000 })]
          : [],
      )
      .sort((a, b) => a.source - b.source);
    result = {
      wcs: fit.wcs,
      order,
      matches: Object.freeze(used),
      rejected: pairs.length - used.length,
      rmsResidualMas: fit.rmsResidualMas,
      sigmaMas,
      matchRadiusArcsec: radius,
    };
    wcs = fit.wcs;
    // Converged when the same matches survive twice at a radius that no longer shrinks.
    const key = used.map((m) => `${m.source}:${m.reference}`).join(',');
    const nextRadius = Math.max(o.minMatchRadiusArcsec, Math.min(radius, (2 * limitMas) / 1000));
    if (key === previousKey && nextRadius === radius) {
      return Object.freeze({ ...result, iterations: iteration, requestedOrder: o.order });
    }
    previousKey = key;
    radius = nextRadius;
  }
  return Object.freeze({ ...result!, iterations: o.maxIterations, requestedOrder: o.order });
}

function crpixFor(
  sources: readonly DetectedSource[],
  size: AstrometryFitOptions['detectorSize'],
): readonly [number, number] {
  if (size) return [(size.width - 1) / 2 + 1, (size.height - 1) / 2 + 1];
  const [minX, maxX, minY, maxY] = sourceBounds(sources);
  return [(minX + maxX) / 2 + 1, (minY + maxY) / 2 + 1];
}

/** Mean pixel scale of a WCS's CD matrix, arcsec per pixel. */
function pixelScaleArcsec(wcs: TanSipWcs): number {
  const [[a, b], [c, d]] = wcs.cd;
  return Math.sqrt(Math.abs(a * d - b * c)) * 3600;
}
