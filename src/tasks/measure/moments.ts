/**
 * Adaptive second moments (Bernstein & Jarvis 2002; GalSim's HSM `FindAdaptiveMom`): the elliptical Gaussian
 * weight W of covariance M and centre μ is iterated until it matches the source, i.e. M equals the covariance of
 * the source light measured under W. For a Gaussian source of covariance C the weighted covariance is
 * Q = (C⁻¹ + M⁻¹)⁻¹, so each iteration sets M ← (Q⁻¹ − M⁻¹)⁻¹, which lands on C in one step for a Gaussian and
 * converges in a few for other profiles; when Q⁻¹ − M⁻¹ is not positive definite (noise) it falls back to HSM's
 * slower M ← 2Q. At convergence ixx, iyy, ixy are M (pixels²), the convention of LSST's `HsmSourceMoments`.
 */
import type { ImageF } from '../../formats/index.js';
import {
  gaussianWeightedSums,
  SUM_W,
  SUM_W2,
  SUM_X,
  SUM_XX,
  SUM_XY,
  SUM_Y,
  SUM_YY,
  WEIGHTED_SUM_COUNT,
} from './weighted-moments.js';

export interface AdaptiveMoments {
  /** Centre, parent pixels. */
  readonly x: number;
  readonly y: number;
  /** Second moments, pixels². */
  readonly ixx: number;
  readonly iyy: number;
  readonly ixy: number;
  /** Flux of the best-matching Gaussian (Σ W I / Σ W² × 2π√det M): the total flux for a Gaussian source. */
  readonly flux: number;
  readonly iterations: number;
  /** Failure flags (then the moments are NaN). */
  readonly failed: boolean;
  readonly notConverged: boolean;
  /** Weight or moments stopped being positive definite, or no flux under the weight. */
  readonly singular: boolean;
  readonly tooLarge: boolean;
}

export interface MomentsOptions {
  /** Starting weight σ (pixels), e.g. the PSF's. */
  readonly initialSigma: number;
  readonly maxIterations?: number;
  /**
   * Converged when, from one iteration to the next, the ellipticities (Ixx − Iyy)/T and 2Ixy/T (T = Ixx + Iyy)
   * change by less than `tolerance` and the size T (relatively) and the centre (in units of √T) by less than
   * `sizeTolerance`: SdssShape's two tolerances and its defaults, 1e-5 and 1e-4.
   */
  readonly tolerance?: number;
  readonly sizeTolerance?: number;
  /** Largest σ (pixels) of the weight along its major axis. */
  readonly maxSigma?: number;
}

/** Adaptive moments of the source near (x, y) (parent pixels) in a background-subtracted image. */
export function measureAdaptiveMoments(
  image: ImageF,
  xStart: number,
  yStart: number,
  options: MomentsOptions,
): AdaptiveMoments {
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-5;
  const sizeTolerance = options.sizeTolerance ?? 1e-4;
  const maxSigma = options.maxSigma ?? 50;
  const { x0, y0, width, height } = image.bbox;
  const pixels = image.array;
  let mx = xStart - x0;
  let my = yStart - y0;
  let mxx = options.initialSigma ** 2;
  let myy = mxx;
  let mxy = 0;
  const sums = new Float64Array(WEIGHTED_SUM_COUNT);
  const result = (
    it: number,
    flux: number,
    flags: Partial<Pick<AdaptiveMoments, 'notConverged' | 'singular' | 'tooLarge'>>,
  ): AdaptiveMoments => {
    const failed = flags.notConverged === true || flags.singular === true || flags.tooLarge === true;
    return {
      x: failed ? xStart : mx + x0,
      y: failed ? yStart : my + y0,
      ixx: failed ? Number.NaN : mxx,
      iyy: failed ? Number.NaN : myy,
      ixy: failed ? Number.NaN : mxy,
      flux: failed ? Number.NaN : flux,
      iterations: it,
      failed,
      notConverged: flags.notConverged ?? false,
      singular: flags.singular ?? false,
      tooLarge: flags.tooLarge ?? false,
    };
  };
  for (let it = 1; it <= maxIterations; it++) {
    const det = mxx * myy - mxy * mxy;
    if (!(det > 0)) return result(it, Number.NaN, { singular: true });
    // Inverse of M, halved: the exponent is −½ dᵀM⁻¹d.
    const axx = (0.5 * myy) / det;
    const ayy = (0.5 * mxx) / det;
    const axy = (-0.5 * mxy) / det;
    // Beyond 4σ along the major axis the weight is < 3e-4: the box covers the ellipse's 4σ extent.
    const halfX = Math.ceil(4 * Math.sqrt(mxx));
    const halfY = Math.ceil(4 * Math.sqrt(myy));
    const xLo = Math.max(0, Math.floor(mx) - halfX);
    const xHi = Math.min(width - 1, Math.ceil(mx) + halfX);
    const yLo = Math.max(0, Math.floor(my) - halfY);
    const yHi = Math.min(height - 1, Math.ceil(my) + halfY);
    // Beyond exponent 9 (w < 1.2e-4) the weight adds only noise.
    gaussianWeightedSums(
      { pixels, width, xLo, xHi, yLo, yHi, cx: mx, cy: my },
      axx,
      ayy,
      axy,
      1.2341e-4,
      null,
      sums,
    );
    const s0 = sums[SUM_W];
    if (!(s0 > 0)) return result(it, Number.NaN, { singular: true });
    const cx = sums[SUM_X] / s0;
    const cy = sums[SUM_Y] / s0;
    const qxx = sums[SUM_XX] / s0 - cx * cx;
    const qyy = sums[SUM_YY] / s0 - cy * cy;
    const qxy = sums[SUM_XY] / s0 - cx * cy;
    const qdet = qxx * qyy - qxy * qxy;
    if (!(qdet > 0) || !(qxx > 0)) return result(it, Number.NaN, { singular: true });
    // Q⁻¹ − M⁻¹ (with M⁻¹ = 2A).
    const pxx = qyy / qdet - 2 * axx;
    const pyy = qxx / qdet - 2 * ayy;
    const pxy = -qxy / qdet - 2 * axy;
    const pdet = pxx * pyy - pxy * pxy;
    let nxx: number;
    let nyy: number;
    let nxy: number;
    if (pdet > 0 && pxx > 0) {
      nxx = pyy / pdet;
      nyy = pxx / pdet;
      nxy = -pxy / pdet;
    } else {
      nxx = 2 * qxx;
      nyy = 2 * qyy;
      nxy = 2 * qxy;
    }
    const trace = mxx + myy;
    const newTrace = nxx + nyy;
    const converged =
      Math.abs((nxx - nyy) / newTrace - (mxx - myy) / trace) < tolerance &&
      Math.abs((2 * nxy) / newTrace - (2 * mxy) / trace) < tolerance &&
      Math.abs(newTrace / trace - 1) < sizeTolerance &&
      Math.hypot(cx, cy) / Math.sqrt(trace) < sizeTolerance;
    // The weighted centre moves only part way to the source's: for Gaussians the offset d is Q C⁻¹ (μ − μw), so the
    // source centre is μw + C Q⁻¹ d with C estimated by the new M.
    const qInvX = (qyy * cx - qxy * cy) / qdet;
    const qInvY = (-qxy * cx + qxx * cy) / qdet;
    mx += nxx * qInvX + nxy * qInvY;
    my += nxy * qInvX + nyy * qInvY;
    mxx = nxx;
    myy = nyy;
    mxy = nxy;
    const major = 0.5 * (mxx + myy) + Math.sqrt(0.25 * (mxx - myy) ** 2 + mxy * mxy);
    if (major > maxSigma * maxSigma) return result(it, Number.NaN, { tooLarge: true });
    if (mx < 0 || my < 0 || mx > width - 1 || my > height - 1)
      return result(it, Number.NaN, { singular: true });
    // Flux of a Gaussian of covariance M matched to the data: A·2π√det M with A = Σ W I / Σ W².
    if (converged) {
      const amplitude = s0 / sums[SUM_W2];
      return result(it, amplitude * 2 * Math.PI * Math.sqrt(mxx * myy - mxy * mxy), {});
    }
  }
  return result(maxIterations, Number.NaN, { notConverged: true });
}

/**
 * PSF-corrected moments by subtraction of the PSF's (exact for Gaussians; a first-order correction otherwise, the
 * "linear" method of HSM); null when the source is not larger than the PSF along both axes.
 */
export function psfCorrectedMoments(
  source: { readonly ixx: number; readonly iyy: number; readonly ixy: number },
  psf: { readonly ixx: number; readonly iyy: number; readonly ixy: number },
): { ixx: number; iyy: number; ixy: number } | null {
  const ixx = source.ixx - psf.ixx;
  const iyy = source.iyy - psf.iyy;
  const ixy = source.ixy - psf.ixy;
  if (!(ixx > 0 && iyy > 0 && ixx * iyy - ixy * ixy > 0)) return null;
  return { ixx, iyy, ixy };
}
