/**
 * Photometric calibration from matched reference stars: the zero point ZP such that m = ZP - 2.5 log10(counts),
 * estimated from each star's ZP_i = m_ref + 2.5 log10(instFlux) by a sigma-clipped weighted mean, optionally with a
 * colour term ZP_i = ZP + slope (colour_i - pivot). The result is a formats `PhotoCalib`: nJy per count,
 * 10^((31.4 - ZP) / 2.5), since 31.4 is the AB magnitude of 1 nJy.
 *
 * Clipping uses a robust scatter (1.4826 MAD of the residuals) so that a few variables, blends or mismatches do not
 * widen the cut that should remove them. The error of the zero point is the formal error of the weighted mean
 * scaled up by the reduced chi-square when the stars scatter more than their errors say (unresolved errors in the
 * reference catalog, colour terms), so it is an honest error of the mean.
 */

import { meridianError } from '../../errors.js';
import type { PhotoCalib } from '../../formats/index.js';

/** AB magnitude of 1 nJy. */
export const AB_MAG_OF_NANOJANSKY = 31.4;
const MAD_TO_SIGMA = 1.4826;
/** 2.5 / ln 10: magnitude error per fractional flux error. */
const MAG_PER_LN = 2.5 / Math.LN10;

export interface PhotometricPair {
  /** Instrumental flux of the source, counts (must be > 0 to be used). */
  readonly instFlux: number;
  readonly instFluxErr?: number;
  /** Reference magnitude in the band of the exposure, AB. */
  readonly refMag: number;
  readonly refMagErr?: number;
  /** Reference colour (e.g. g - r), for a colour term. */
  readonly refColor?: number;
}

export interface ZeroPointOptions {
  /** Clip stars farther than this many robust sigmas from the fit. Default 3. */
  readonly clipSigma?: number;
  readonly maxIterations?: number;
  /** Fit a linear colour term too (needs `refColor` on every pair). Default false. */
  readonly colorTerm?: boolean;
  /** Fewest usable stars. Default 3. */
  readonly minStars?: number;
}

export interface ZeroPointFit {
  /** Magnitude of a source of 1 count (at the colour pivot when a colour term is fitted). */
  readonly zeroPoint: number;
  readonly zeroPointErr: number;
  readonly colorTerm: { readonly slope: number; readonly slopeErr: number; readonly pivot: number } | null;
  /** Stars used after clipping, stars clipped, and stars unusable (non-positive flux, missing magnitude). */
  readonly used: number;
  readonly clipped: number;
  readonly unusable: number;
  /** Robust scatter of the used stars about the fit, mag. */
  readonly scatterMag: number;
  /** Per input pair: whether the final fit used it. */
  readonly usedMask: readonly boolean[];
  readonly photoCalib: PhotoCalib;
}

const DEFAULTS = { clipSigma: 3, maxIterations: 10, colorTerm: false, minStars: 3 };

/** The PhotoCalib of a zero point: calibrationMean nJy per count, its error from the zero point's. */
export function photoCalibFromZeroPoint(zeroPoint: number, zeroPointErr: number): PhotoCalib {
  const calibrationMean = 10 ** ((AB_MAG_OF_NANOJANSKY - zeroPoint) / 2.5);
  return Object.freeze({
    kind: 'photoCalib' as const,
    calibrationMean,
    calibrationErr: (calibrationMean * zeroPointErr) / MAG_PER_LN,
  });
}

/** Instrumental flux (counts) -> nJy. */
export function instFluxToNanojansky(calib: PhotoCalib, instFlux: number): number {
  return instFlux * calib.calibrationMean;
}

/** Instrumental flux (counts) -> AB magnitude (NaN for a non-positive flux). */
export function instFluxToMagnitude(calib: PhotoCalib, instFlux: number): number {
  const nJy = instFluxToNanojansky(calib, instFlux);
  return nJy > 0 ? AB_MAG_OF_NANOJANSKY - 2.5 * Math.log10(nJy) : Number.NaN;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

interface LinearFit {
  readonly intercept: number;
  readonly slope: number;
  /** Formal (inverse weight) variances. */
  readonly interceptVar: number;
  readonly slopeVar: number;
}

/** Weighted least squares of z = intercept (+ slope x); slope 0 when `withSlope` is false. */
function weightedLine(z: number[], x: number[], w: number[], withSlope: boolean): LinearFit {
  let sw = 0;
  let sx = 0;
  let sz = 0;
  for (let i = 0; i < z.length; i++) {
    sw += w[i];
    sx += w[i] * x[i];
    sz += w[i] * z[i];
  }
  if (!withSlope) return { intercept: sz / sw, slope: 0, interceptVar: 1 / sw, slopeVar: 0 };
  // x is centred on the pivot, so intercept and slope are nearly uncorrelated.
  let sxx = 0;
  let sxz = 0;
  for (let i = 0; i < z.length; i++) {
    sxx += w[i] * x[i] * x[i];
    sxz += w[i] * x[i] * z[i];
  }
  const det = sw * sxx - sx * sx;
  if (!(det > 0)) return weightedLine(z, x, w, false);
  return {
    intercept: (sxx * sz - sx * sxz) / det,
    slope: (sw * sxz - sx * sz) / det,
    interceptVar: sxx / det,
    slopeVar: sw / det,
  };
}

/** Fit a zero point (and optionally a colour term) to matched reference stars. */
export function fitZeroPoint(
  pairs: readonly PhotometricPair[],
  options: ZeroPointOptions = {},
): ZeroPointFit {
  const o = { ...DEFAULTS, ...options };
  const usable: number[] = [];
  pairs.forEach((p, i) => {
    const colourOk = !o.colorTerm || Number.isFinite(p.refColor);
    if (p.instFlux > 0 && Number.isFinite(p.instFlux) && Number.isFinite(p.refMag) && colourOk)
      usable.push(i);
  });
  if (usable.length < o.minStars) {
    throw meridianError(
      'PHOTOMETRY_FAILED',
      `a zero point needs at least ${o.minStars} matched stars with a positive flux and a reference magnitude${o.colorTerm ? ' and colour' : ''}, got ${usable.length} of ${pairs.length}`,
      { usable: usable.length, pairs: pairs.length, minStars: o.minStars },
    );
  }
  const z = usable.map((i) => pairs[i].refMag + 2.5 * Math.log10(pairs[i].instFlux));
  const variance = usable.map((i) => {
    const p = pairs[i];
    const fluxMag = p.instFluxErr !== undefined ? (MAG_PER_LN * p.instFluxErr) / p.instFlux : 0;
    return (p.refMagErr ?? 0) ** 2 + fluxMag ** 2;
  });
  // Without errors on every star, every star weighs the same (the scatter then sets the error).
  const weighted = variance.every((v) => v > 0);
  const w = variance.map((v) => (weighted ? 1 / v : 1));
  const pivot = o.colorTerm ? median(usable.map((i) => pairs[i].refColor as number)) : 0;
  const x = usable.map((i) => (o.colorTerm ? (pairs[i].refColor as number) - pivot : 0));

  let keep = usable.map(() => true);
  let fit = weightedLine(z, x, w, o.colorTerm);
  let scatter = 0;
  for (let iteration = 0; iteration < o.maxIterations; iteration++) {
    const residual = z.map((value, k) => value - fit.intercept - fit.slope * x[k]);
    scatter = MAD_TO_SIGMA * median(residual.filter((_, k) => keep[k]).map(Math.abs));
    const next = residual.map((r) => Math.abs(r) <= o.clipSigma * scatter || scatter === 0);
    const unchanged = next.every((value, k) => value === keep[k]);
    const count = next.filter(Boolean).length;
    if (count < o.minStars) break;
    keep = next;
    const pick = <T>(values: T[]) => values.filter((_, k) => keep[k]);
    fit = weightedLine(pick(z), pick(x), pick(w), o.colorTerm);
    if (unchanged) break;
  }
  const used = keep.filter(Boolean).length;
  const parameters = o.colorTerm ? 2 : 1;
  let chi2 = 0;
  z.forEach((value, k) => {
    if (keep[k]) chi2 += w[k] * (value - fit.intercept - fit.slope * x[k]) ** 2;
  });
  // Unweighted: w = 1, so chi2 / dof is the sample variance and the error is the standard error of the mean.
  const reducedChi2 = used > parameters ? chi2 / (used - parameters) : 1;
  const inflation = weighted ? Math.max(1, reducedChi2) : reducedChi2;
  const zeroPointErr = Math.sqrt(fit.interceptVar * inflation);
  const usedMask = pairs.map(() => false);
  usable.forEach((i, k) => {
    usedMask[i] = keep[k];
  });
  return Object.freeze({
    zeroPoint: fit.intercept,
    zeroPointErr,
    colorTerm: o.colorTerm
      ? Object.freeze({ slope: fit.slope, slopeErr: Math.sqrt(fit.slopeVar * inflation), pivot })
      : null,
    used,
    clipped: usable.length - used,
    unusable: pairs.length - usable.length,
    scatterMag: scatter,
    usedMask: Object.freeze(usedMask),
    photoCalib: photoCalibFromZeroPoint(fit.intercept, zeroPointErr),
  });
}
