/**
 * Evaluating Exposure PSF models at a position: the Gaussian components of the PSF there (flux fraction and
 * covariance of the continuous PSF, before pixelisation) and its second moments (`psfShapeAt`). The round kinds
 * (`gaussian`, `doubleGaussian`) are the same everywhere; `polynomialDoubleGaussian` varies with position.
 *
 * Polynomial basis: positions are normalised to u, v ∈ [-1, 1] across the model's box (clamped outside it, so a
 * position off the detector gets the PSF at the nearest edge, never a wild extrapolation), and the terms of total
 * degree ≤ order are ordered by degree, then by the power of v: 1, u, v, u², uv, v², u³, u²v, ….
 */

import { meridianError } from '../../errors.js';
import type { Box2I, PolynomialDoubleGaussianPsf, Psf } from './model.js';

/** Number of terms of a 2-d polynomial of total degree `order`. */
export function polynomialTermCount(order: number): number {
  return ((order + 1) * (order + 2)) / 2;
}

/** (u, v) ∈ [-1, 1]² of parent pixel (x, y) in `box`, clamped to the box. */
export function normalisedPosition(box: Box2I, x: number, y: number): [number, number] {
  const hx = Math.max((box.width - 1) / 2, 0.5);
  const hy = Math.max((box.height - 1) / 2, 0.5);
  const u = (x - (box.x0 + (box.width - 1) / 2)) / hx;
  const v = (y - (box.y0 + (box.height - 1) / 2)) / hy;
  return [Math.min(1, Math.max(-1, u)), Math.min(1, Math.max(-1, v))];
}

/** The basis terms at (u, v), in the order of the module comment; written into `out` when given. */
export function polynomialTerms(
  order: number,
  u: number,
  v: number,
  out = new Float64Array(polynomialTermCount(order)),
): Float64Array {
  let k = 0;
  for (let degree = 0; degree <= order; degree++) {
    for (let j = 0; j <= degree; j++) out[k++] = u ** (degree - j) * v ** j;
  }
  return out;
}

/** Σ c_k term_k(u, v). */
export function evaluatePolynomial(
  coefficients: readonly number[],
  order: number,
  u: number,
  v: number,
): number {
  const terms = polynomialTerms(order, u, v);
  let sum = 0;
  for (let k = 0; k < terms.length; k++) sum += (coefficients[k] ?? 0) * terms[k];
  return sum;
}

/** One Gaussian of a PSF at a position: its fraction of the flux and covariance (pixels², continuous). */
export interface PsfComponent {
  readonly flux: number;
  readonly ixx: number;
  readonly iyy: number;
  readonly ixy: number;
}

/** Second moments (pixels²) of the continuous PSF at a position; sigma = (ixx·iyy − ixy²)^¼. */
export interface PsfShape {
  readonly ixx: number;
  readonly iyy: number;
  readonly ixy: number;
  readonly sigma: number;
}

/** Core covariance of a polynomial PSF at (x, y); a covariance that is not positive definite is an error. */
function coreCovarianceAt(psf: PolynomialDoubleGaussianPsf, x: number, y: number): [number, number, number] {
  const [u, v] = normalisedPosition(psf.bbox, x, y);
  const ixx = evaluatePolynomial(psf.coreIxx, psf.order, u, v);
  const iyy = evaluatePolynomial(psf.coreIyy, psf.order, u, v);
  const ixy = evaluatePolynomial(psf.coreIxy, psf.order, u, v);
  if (!(ixx > 0 && iyy > 0 && ixx * iyy - ixy * ixy > 0)) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `the PSF model's core covariance at (${x.toFixed(1)}, ${y.toFixed(1)}) is not positive definite`,
    );
  }
  return [ixx, iyy, ixy];
}

/** Flux fractions of core and wing from the peak ratio and the wing/core size ratio (flux ∝ peak × σ²). */
function doubleGaussianFluxes(sigma1: number, sigma2: number, ratio: number): [number, number] {
  const core = sigma1 * sigma1;
  const wing = ratio * sigma2 * sigma2;
  return [core / (core + wing), wing / (core + wing)];
}

/** The centre of a spatially varying model's box (where a position-free caller gets the PSF); 0, 0 otherwise. */
function defaultPosition(psf: Psf): [number, number] {
  if (psf.kind !== 'polynomialDoubleGaussian') return [0, 0];
  return [psf.bbox.x0 + (psf.bbox.width - 1) / 2, psf.bbox.y0 + (psf.bbox.height - 1) / 2];
}

/**
 * The Gaussian components of a PSF at parent pixel (x, y); without a position, at the centre of a spatially varying
 * model's box (the round kinds are the same everywhere).
 */
export function psfComponentsAt(psf: Psf, x?: number, y?: number): PsfComponent[] {
  if (x === undefined || y === undefined) [x, y] = defaultPosition(psf);
  switch (psf.kind) {
    case 'gaussian': {
      const v = psf.sigma * psf.sigma;
      return [{ flux: 1, ixx: v, iyy: v, ixy: 0 }];
    }
    case 'doubleGaussian': {
      const [f1, f2] = doubleGaussianFluxes(psf.sigma1, psf.sigma2, psf.ratio);
      const v1 = psf.sigma1 ** 2;
      const v2 = psf.sigma2 ** 2;
      return [
        { flux: f1, ixx: v1, iyy: v1, ixy: 0 },
        { flux: f2, ixx: v2, iyy: v2, ixy: 0 },
      ];
    }
    case 'polynomialDoubleGaussian': {
      const [ixx, iyy, ixy] = coreCovarianceAt(psf, x, y);
      const [f1, f2] = doubleGaussianFluxes(psf.sigma1, psf.sigma2, psf.ratio);
      const scale = (psf.sigma2 / psf.sigma1) ** 2;
      return [
        { flux: f1, ixx, iyy, ixy },
        { flux: f2, ixx: scale * ixx, iyy: scale * iyy, ixy: scale * ixy },
      ];
    }
  }
}

/**
 * Second moments of the continuous PSF at parent pixel (x, y): the flux-weighted sum of its components'. Without a
 * position: at the centre of a spatially varying model's box.
 */
export function psfShapeAt(psf: Psf, x?: number, y?: number): PsfShape {
  let ixx = 0;
  let iyy = 0;
  let ixy = 0;
  for (const c of psfComponentsAt(psf, x, y)) {
    ixx += c.flux * c.ixx;
    iyy += c.flux * c.iyy;
    ixy += c.flux * c.ixy;
  }
  return Object.freeze({ ixx, iyy, ixy, sigma: Math.sqrt(Math.sqrt(ixx * iyy - ixy * ixy)) });
}

/** σ (pixels) along the major axis of the PSF's widest component at (x, y): how large a stamp must be. */
export function psfWidestSigmaAt(psf: Psf, x?: number, y?: number): number {
  let widest = 0;
  for (const c of psfComponentsAt(psf, x, y)) {
    const half = (c.ixx + c.iyy) / 2;
    const major = half + Math.sqrt(((c.ixx - c.iyy) / 2) ** 2 + c.ixy ** 2);
    widest = Math.max(widest, Math.sqrt(major));
  }
  return widest;
}

export interface PolynomialPsfParts {
  readonly order: number;
  readonly bbox: Box2I;
  readonly coreIxx: readonly number[];
  readonly coreIyy: readonly number[];
  readonly coreIxy: readonly number[];
  /** σ_wing / σ_core (≥ 1). */
  readonly wingScale: number;
  /** Peak amplitude of the wing relative to the core (≥ 0; 0 is a single elliptical Gaussian). */
  readonly ratio: number;
}

/** A checked, frozen `polynomialDoubleGaussian` PSF (its round summary computed at the centre of the box). */
export function polynomialDoubleGaussianPsf(parts: PolynomialPsfParts): PolynomialDoubleGaussianPsf {
  const terms = polynomialTermCount(parts.order);
  if (!Number.isInteger(parts.order) || parts.order < 0 || parts.order > 6) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `PSF polynomial order must be an integer 0..6, got ${parts.order}`,
    );
  }
  for (const [name, c] of [
    ['coreIxx', parts.coreIxx],
    ['coreIyy', parts.coreIyy],
    ['coreIxy', parts.coreIxy],
  ] as const) {
    if (c.length !== terms || !c.every(Number.isFinite)) {
      throw meridianError(
        'INVALID_ARGUMENT',
        `PSF ${name} needs ${terms} finite coefficients for order ${parts.order}, got ${c.length}`,
      );
    }
  }
  if (!(parts.wingScale >= 1) || !(parts.ratio >= 0)) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `PSF wing scale must be ≥ 1 and ratio ≥ 0, got ${parts.wingScale} and ${parts.ratio}`,
    );
  }
  const box = parts.bbox;
  const partial = {
    kind: 'polynomialDoubleGaussian' as const,
    sigma1: 1,
    sigma2: parts.wingScale,
    ratio: parts.ratio,
    order: parts.order,
    bbox: box,
    coreIxx: Object.freeze([...parts.coreIxx]),
    coreIyy: Object.freeze([...parts.coreIyy]),
    coreIxy: Object.freeze([...parts.coreIxy]),
  };
  const [ixx, iyy, ixy] = coreCovarianceAt(
    partial,
    box.x0 + (box.width - 1) / 2,
    box.y0 + (box.height - 1) / 2,
  );
  const sigma1 = Math.sqrt(Math.sqrt(ixx * iyy - ixy * ixy));
  return Object.freeze({ ...partial, sigma1, sigma2: sigma1 * parts.wingScale });
}
