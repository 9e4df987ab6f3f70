/**
 * The one Gaussian-weighted pixel sum that the centroid (centroid.ts) and the adaptive moments (moments.ts) both
 * iterate on: for an elliptical Gaussian weight w = exp(−(a_xx dx² + 2 a_xy dx dy + a_yy dy²)) about a centre,
 * the sums Σ w I, Σ w I dx, Σ w I dy, Σ w I dx², Σ w I dy², Σ w I dx dy and Σ w², and when a variance plane is
 * given Σ w² V dx² and Σ w² V dy² (the centroid's error). NaN pixels are left out.
 *
 * Along a row the exponent is quadratic in dx, so the weight follows a two-term multiplicative recurrence: three
 * exp() per row instead of one per pixel. Sums go into a caller-owned Float64Array, so a source's iterations
 * allocate nothing.
 */

/** Indices into the sums array. */
export const SUM_W = 0;
export const SUM_X = 1;
export const SUM_Y = 2;
export const SUM_XX = 3;
export const SUM_YY = 4;
export const SUM_XY = 5;
export const SUM_W2 = 6;
export const SUM_W2V_XX = 7;
export const SUM_W2V_YY = 8;
export const WEIGHTED_SUM_COUNT = 9;

/** A rectangle of a row-major image (inclusive pixel bounds) and the weight's centre, in that image's pixels. */
export interface WeightWindow {
  readonly pixels: Float32Array;
  /** Row length of `pixels`. */
  readonly width: number;
  readonly xLo: number;
  readonly xHi: number;
  readonly yLo: number;
  readonly yHi: number;
  readonly cx: number;
  readonly cy: number;
}

/**
 * Fill `sums` (WEIGHTED_SUM_COUNT entries) for the weight exp(−(axx dx² + 2 axy dx dy + ayy dy²)) over the window.
 * Pixels whose weight is below `minWeight` are skipped (they add only noise). `variance` (same layout as the
 * pixels) adds the two variance sums; without it they are 0.
 */
export function gaussianWeightedSums(
  window: WeightWindow,
  axx: number,
  ayy: number,
  axy: number,
  minWeight: number,
  variance: Float32Array | null,
  sums: Float64Array,
): void {
  const { pixels, width, xLo, xHi, yLo, yHi, cx, cy } = window;
  let s0 = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  let sw2 = 0;
  let vxx = 0;
  let vyy = 0;
  const rowStepFactor = Math.exp(-2 * axx);
  const dx0 = xLo - cx;
  for (let y = yLo; y <= yHi; y++) {
    const dy = y - cy;
    const row = y * width;
    const linear = 2 * axy * dy;
    let w = Math.exp(-(axx * dx0 * dx0 + linear * dx0 + ayy * dy * dy));
    let step = Math.exp(-(axx * (2 * dx0 + 1) + linear));
    for (let x = xLo; x <= xHi; x++) {
      const v = pixels[row + x];
      if (w > minWeight && !Number.isNaN(v)) {
        const dx = x - cx;
        const wv = w * v;
        s0 += wv;
        sx += wv * dx;
        sy += wv * dy;
        sxx += wv * dx * dx;
        syy += wv * dy * dy;
        sxy += wv * dx * dy;
        sw2 += w * w;
        if (variance !== null) {
          const w2v = w * w * variance[row + x];
          vxx += w2v * dx * dx;
          vyy += w2v * dy * dy;
        }
      }
      w *= step;
      step *= rowStepFactor;
    }
  }
  sums[SUM_W] = s0;
  sums[SUM_X] = sx;
  sums[SUM_Y] = sy;
  sums[SUM_XX] = sxx;
  sums[SUM_YY] = syy;
  sums[SUM_XY] = sxy;
  sums[SUM_W2] = sw2;
  sums[SUM_W2V_XX] = vxx;
  sums[SUM_W2V_YY] = vyy;
}
