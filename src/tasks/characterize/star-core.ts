/**
 * The core covariance of one PSF star, by matching adaptive moments: the star's adaptive moments M are measured on
 * the image, and the core covariance C of the model double Gaussian (wing = the core scaled by `wingScale`, holding
 * `wingFraction` of the flux) is iterated until the same measurement on the model, rendered pixel-integrated at the
 * star's sub-pixel centre, gives M. Adaptive moments alone would be biased by the wing and by pixelisation; matching
 * them through the same code on the model cancels both, so C is the core of the continuous PSF.
 */
import {
  box2i,
  ImageF,
  type PolynomialDoubleGaussianPsf,
  polynomialDoubleGaussianPsf,
} from '../../formats/index.js';
import { measureAdaptiveMoments, psfModelImage } from '../measure/index.js';

export interface WingShape {
  /** σ_wing / σ_core. */
  readonly scale: number;
  /** Fraction of the flux in the wing. */
  readonly fraction: number;
}

export interface Covariance {
  readonly xx: number;
  readonly yy: number;
  readonly xy: number;
}

/** Peak ratio (wing/core) of a double Gaussian from its wing flux fraction and size ratio (flux ∝ peak × σ²). */
export function wingPeakRatio(wing: WingShape): number {
  return wing.fraction / (1 - wing.fraction) / (wing.scale * wing.scale);
}

/** A uniform PSF (order 0) with this core and wing. */
export function uniformPsf(core: Covariance, wing: WingShape): PolynomialDoubleGaussianPsf {
  return polynomialDoubleGaussianPsf({
    order: 0,
    bbox: box2i(0, 0, 1, 1),
    coreIxx: [core.xx],
    coreIyy: [core.yy],
    coreIxy: [core.xy],
    wingScale: wing.scale,
    ratio: wingPeakRatio(wing),
  });
}

const TIGHT = { tolerance: 1e-8, maxIterations: 200 };

/** Adaptive moments of the model with this core, centred at sub-pixel offset (fx, fy), or null on failure. */
export function modelMoments(core: Covariance, wing: WingShape, fx: number, fy: number): Covariance | null {
  const psf = uniformPsf(core, wing);
  const half = Math.ceil(6 * Math.sqrt(Math.max(core.xx, core.yy)) * Math.max(1.5, wing.scale));
  const n = 2 * half + 1;
  const stamp = new ImageF(Float32Array.from(psfModelImage(psf, half, fx, fy)), box2i(-half, -half, n, n));
  const m = measureAdaptiveMoments(stamp, fx, fy, {
    ...TIGHT,
    initialSigma: Math.sqrt((core.xx + core.yy) / 2),
  });
  return m.failed ? null : { xx: m.ixx, yy: m.iyy, xy: m.ixy };
}

function positiveDefinite(c: Covariance): boolean {
  return c.xx > 0 && c.yy > 0 && c.xx * c.yy - c.xy * c.xy > 0;
}

/**
 * The core covariance whose model reproduces the adaptive moments `measured` at sub-pixel offset (fx, fy), or
 * null when the iteration fails (a star smaller than the pixel, a failed model measurement).
 */
export function matchCore(measured: Covariance, wing: WingShape, fx = 0, fy = 0): Covariance | null {
  let core: Covariance = measured;
  let slope = Number.NaN;
  for (let it = 0; it < 30; it++) {
    const model = modelMoments(core, wing, fx, fy);
    if (model === null) return null;
    // d(model)/d(core) is close to a scalar (adaptive moments are affine covariant but for the pixel); its first
    // estimate serves every step, which then converges geometrically.
    if (Number.isNaN(slope)) slope = (model.xx + model.yy) / (core.xx + core.yy);
    const next = {
      xx: core.xx + (measured.xx - model.xx) / slope,
      yy: core.yy + (measured.yy - model.yy) / slope,
      xy: core.xy + (measured.xy - model.xy) / slope,
    };
    if (!positiveDefinite(next)) return null;
    const change = Math.abs(next.xx - core.xx) + Math.abs(next.yy - core.yy) + Math.abs(next.xy - core.xy);
    core = next;
    if (change < 1e-7 * (core.xx + core.yy)) return core;
  }
  return core;
}

export interface StarMoments extends Covariance {
  /** Adaptive centre, parent pixels. */
  readonly x: number;
  readonly y: number;
}

/** A star's adaptive moments and centre, measured to a tight tolerance (null on failure). */
export function measureStarMoments(image: ImageF, x: number, y: number, sigma: number): StarMoments | null {
  const m = measureAdaptiveMoments(image, x, y, { ...TIGHT, initialSigma: sigma });
  return m.failed ? null : { x: m.x, y: m.y, xx: m.ixx, yy: m.iyy, xy: m.ixy };
}

/** det(C)^¼: the circularised σ of a covariance. */
export function covarianceSigma(c: Covariance): number {
  return Math.sqrt(Math.sqrt(c.xx * c.yy - c.xy * c.xy));
}
