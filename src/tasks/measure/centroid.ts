/**
 * Gaussian-weighted iterative centroid (the idea of SDSS's and LSST's SdssCentroid): the centre xc is the fixed
 * point of F(xc) = Σ w(x − xc) (x − xc) I(x) = 0 with a round Gaussian weight w of the PSF's σ. For a symmetric
 * source the fixed point is its centre whatever the weight; the weight makes it the near-optimal estimator for a
 * PSF-like source in background-limited noise.
 *
 * Error: linearising F about the solution, Var(xc) = Var(F) / (∂F/∂xc)² with Var(F) = Σ w² (x − xc)² V and
 * ∂F/∂xc = Σ w I [(x − xc)²/σw² − 1]. (The naive Σ w² (x − xc)² V / (Σ w I)² of a weighted mean is about half
 * the true error for a PSF-matched weight: it ignores that the weight moves with the centre.)
 */
import { isMeridianError } from '../../errors.js';
import { type ImageF, type Psf, psfWidestSigmaAt, solveLeastSquares } from '../../formats/index.js';
import { psfModelImage } from './psf-flux.js';
import {
  gaussianWeightedSums,
  SUM_W,
  SUM_W2V_XX,
  SUM_W2V_YY,
  SUM_X,
  SUM_XX,
  SUM_Y,
  SUM_YY,
  WEIGHTED_SUM_COUNT,
  type WeightWindow,
} from './weighted-moments.js';

export interface CentroidResult {
  /** Parent pixel coordinates of the centre, pixels. */
  readonly x: number;
  readonly y: number;
  readonly xErr: number;
  readonly yErr: number;
  /** The iteration failed (no flux, diverged or left the image): x, y are the starting point. */
  readonly failed: boolean;
  readonly iterations: number;
}

export interface CentroidOptions {
  /** Weight σ, pixels (the PSF's). */
  readonly weightSigma: number;
  readonly maxIterations?: number;
  /** The centre may move at most this far from the start (pixels) before it is called a failure. */
  readonly maxShift?: number;
}

/**
 * Centroid of the source near (x, y) (parent pixels) in a background-subtracted image; `variance` gives the
 * errors (NaN errors without it).
 */
export function measureCentroid(
  image: ImageF,
  variance: ImageF | null,
  xStart: number,
  yStart: number,
  options: CentroidOptions,
): CentroidResult {
  const sigma = options.weightSigma;
  const maxIterations = options.maxIterations ?? 30;
  const maxShift = options.maxShift ?? Math.max(2, 2 * sigma);
  const { x0, y0, width, height } = image.bbox;
  const radius = Math.ceil(4 * sigma);
  const inv2s2 = 1 / (2 * sigma * sigma);
  let xc = xStart - x0;
  let yc = yStart - y0;
  const sums = new Float64Array(WEIGHTED_SUM_COUNT);
  const failed = (iterations: number): CentroidResult => ({
    x: xStart,
    y: yStart,
    xErr: Number.NaN,
    yErr: Number.NaN,
    failed: true,
    iterations,
  });
  for (let it = 1; it <= maxIterations; it++) {
    // The round weight out to 4σ (the box's corners): every pixel counts, however small its weight.
    gaussianWeightedSums(weightWindow(image, xc, yc, radius), inv2s2, inv2s2, 0, 0, null, sums);
    const sumW = sums[SUM_W];
    const sumX = sums[SUM_X];
    const sumY = sums[SUM_Y];
    if (!(sumW > 0)) return failed(it);
    // Newton's step on F (∂F/∂xc as in the header); where ∂F/∂xc is not negative (far from a peak), the plain
    // weighted-mean step, which converges (halving the offset per iteration for a PSF-like source) but slowly.
    const slopeX = sums[SUM_XX] * 2 * inv2s2 - sumW;
    const slopeY = sums[SUM_YY] * 2 * inv2s2 - sumW;
    let stepX = slopeX < 0 ? -sumX / slopeX : sumX / sumW;
    let stepY = slopeY < 0 ? -sumY / slopeY : sumY / sumW;
    // Damped step: a noise spike on a faint source must not throw the centre a whole PSF away in one iteration.
    const step = Math.hypot(stepX, stepY);
    if (step > 1) {
      stepX /= step;
      stepY /= step;
    }
    xc += stepX;
    yc += stepY;
    if (
      Math.hypot(xc + x0 - xStart, yc + y0 - yStart) > maxShift ||
      xc < 0 ||
      yc < 0 ||
      xc > width - 1 ||
      yc > height - 1
    ) {
      return failed(it);
    }
    if (step < 1e-5) {
      const errors = centroidErrors(image, variance, xc, yc, sigma, radius, sums);
      if (errors === null) return failed(it);
      return { x: xc + x0, y: yc + y0, xErr: errors.xErr, yErr: errors.yErr, failed: false, iterations: it };
    }
  }
  return failed(maxIterations);
}

/** The box of half-width `radius` around (xc, yc) (local pixels), clipped to the image. */
function weightWindow(image: ImageF, xc: number, yc: number, radius: number): WeightWindow {
  const { width, height } = image.bbox;
  return {
    pixels: image.array,
    width,
    xLo: Math.max(0, Math.floor(xc) - radius),
    xHi: Math.min(width - 1, Math.ceil(xc) + radius),
    yLo: Math.max(0, Math.floor(yc) - radius),
    yHi: Math.min(height - 1, Math.ceil(yc) + radius),
    cx: xc,
    cy: yc,
  };
}

/** The header's error formula at the converged centre: ∂F/∂xc = Σ w I dx²/σ² − Σ w I, Var(F) = Σ w² V dx². */
function centroidErrors(
  image: ImageF,
  variance: ImageF | null,
  xc: number,
  yc: number,
  sigma: number,
  radius: number,
  sums: Float64Array,
): { xErr: number; yErr: number } | null {
  const inv2s2 = 1 / (2 * sigma * sigma);
  const invS2 = 1 / (sigma * sigma);
  gaussianWeightedSums(
    weightWindow(image, xc, yc, radius),
    inv2s2,
    inv2s2,
    0,
    0,
    variance?.array ?? null,
    sums,
  );
  const dFx = sums[SUM_XX] * invS2 - sums[SUM_W];
  const dFy = sums[SUM_YY] * invS2 - sums[SUM_W];
  if (!(dFx < 0) || !(dFy < 0)) return null;
  if (variance === null) return { xErr: Number.NaN, yErr: Number.NaN };
  return { xErr: Math.sqrt(sums[SUM_W2V_XX]) / -dFx, yErr: Math.sqrt(sums[SUM_W2V_YY]) / -dFy };
}

/**
 * Centre of a source whose core is unusable (saturated, interpolated): the PSF model fitted to the usable pixels
 * (mask bits `badBits` unset) of a stamp around it, its amplitude and centre by Gauss–Newton (the model and its
 * derivatives along x and y rendered at the current sub-pixel centre; unweighted, as the PSF flux; solved by
 * `solveLeastSquares`). The wings of a
 * saturated star hold its position to a few hundredths of a pixel where the weighted centroid is pulled by the
 * interpolated core and a bleed trail. No error estimate (NaN).
 */
export function measureMaskedCentroid(
  image: ImageF,
  mask: { readonly array: Int32Array },
  badBits: number,
  psf: Psf,
  xStart: number,
  yStart: number,
  options: { readonly maxShift?: number; readonly maxIterations?: number } = {},
): CentroidResult {
  const maxIterations = options.maxIterations ?? 20;
  const maxShift = options.maxShift ?? 5;
  const { x0, y0, width, height } = image.bbox;
  const pixels = image.array;
  const bad = mask.array;
  let xc = xStart;
  let yc = yStart;
  const failed = (iterations: number): CentroidResult => ({
    x: xStart,
    y: yStart,
    xErr: Number.NaN,
    yErr: Number.NaN,
    failed: true,
    iterations,
  });
  const h = 0.01;
  for (let it = 1; it <= maxIterations; it++) {
    const ix = Math.round(xc);
    const iy = Math.round(yc);
    const fx = xc - ix;
    const fy = yc - iy;
    const position = { x: xc, y: yc };
    const half = Math.ceil(5 * psfWidestSigmaAt(psf, xc, yc));
    const n = 2 * half + 1;
    const p0 = psfModelImage(psf, half, fx, fy, position);
    const px1 = psfModelImage(psf, half, fx + h, fy, position);
    const px0 = psfModelImage(psf, half, fx - h, fy, position);
    const py1 = psfModelImage(psf, half, fx, fy + h, position);
    const py0 = psfModelImage(psf, half, fx, fy - h, position);
    // I ≈ a·P + b·∂P/∂x + c·∂P/∂y over the usable pixels (b = a·dx, c = a·dy), by the project's least squares.
    const design: number[] = [];
    const values: number[] = [];
    for (let sy = 0; sy < n; sy++) {
      const y = iy - half + sy - y0;
      if (y < 0 || y >= height) continue;
      for (let sx = 0; sx < n; sx++) {
        const x = ix - half + sx - x0;
        if (x < 0 || x >= width) continue;
        const i = y * width + x;
        const v = pixels[i];
        if ((bad[i] & badBits) !== 0 || Number.isNaN(v)) continue;
        const k = sy * n + sx;
        design.push(p0[k], (px1[k] - px0[k]) / (2 * h), (py1[k] - py0[k]) / (2 * h));
        values.push(v);
      }
    }
    if (values.length < 10) return failed(it);
    let solution: Float64Array;
    try {
      [solution] = solveLeastSquares(Float64Array.from(design), values.length, 3, [
        Float64Array.from(values),
      ]);
    } catch (err) {
      // Rank deficient: the usable pixels do not constrain the centre.
      if (isMeridianError(err, 'INVALID_ARGUMENT')) return failed(it);
      throw err;
    }
    if (!(solution[0] > 0)) return failed(it);
    let stepX = solution[1] / solution[0];
    let stepY = solution[2] / solution[0];
    const step = Math.hypot(stepX, stepY);
    if (!Number.isFinite(step)) return failed(it);
    if (step > 1) {
      stepX /= step;
      stepY /= step;
    }
    xc += stepX;
    yc += stepY;
    if (Math.hypot(xc - xStart, yc - yStart) > maxShift) return failed(it);
    if (step < 1e-3)
      return { x: xc, y: yc, xErr: Number.NaN, yErr: Number.NaN, failed: false, iterations: it };
  }
  return failed(maxIterations);
}
