/**
 * The radial profile of the PSF: the wing's size ratio and flux fraction, fitted to the stamps of the brightest PSF
 * stars. For a trial (scale, fraction) every star's core is its moment-matched core at a reference wing, rescaled by
 * how the moment-matched core of the stars' median moments changes with the wing (affine covariance makes that
 * scale the same for every star, up to pixelisation); each star's flux is then linear and solved for, and the cost
 * is the χ² (inverse-variance weights) summed over the stars. A coarse grid over
 * (scale, fraction) is refined by a shrinking pattern search.
 */
import { box2i, type ImageF, type Mask, polynomialDoubleGaussianPsf } from '../../formats/index.js';
import { psfModelImage } from '../measure/index.js';
import { type Covariance, matchCore, type StarMoments, type WingShape, wingPeakRatio } from './star-core.js';

export interface WingFitInputs {
  readonly image: ImageF;
  /** Pixel weights are 1/variance (uniform without a variance plane). */
  readonly variance: ImageF | null;
  readonly mask: Mask;
  /** Mask bits whose pixels are left out. */
  readonly excludedBits: number;
  /** Moments of the stars used (the brightest candidates). */
  readonly stars: readonly StarMoments[];
}

const SCALE_LIMITS = [1.2, 5] as const;
const FRACTION_LIMITS = [0, 0.5] as const;

interface Stamp {
  readonly ix: number;
  readonly iy: number;
  readonly fx: number;
  readonly fy: number;
  readonly pixels: Float64Array;
  /** Inverse variance; 0 where the pixel is not usable. */
  readonly weight: Float64Array;
  /** Σ w I². */
  readonly power: number;
  readonly moments: StarMoments;
}

function cutStamp(inputs: WingFitInputs, star: StarMoments, half: number): Stamp | null {
  const { image, mask, excludedBits } = inputs;
  const { x0, y0, width, height } = image.bbox;
  const ix = Math.round(star.x);
  const iy = Math.round(star.y);
  if (ix - half < x0 || iy - half < y0 || ix + half >= x0 + width || iy + half >= y0 + height) return null;
  const n = 2 * half + 1;
  const pixels = new Float64Array(n * n);
  const weight = new Float64Array(n * n);
  let power = 0;
  for (let sy = 0; sy < n; sy++) {
    for (let sx = 0; sx < n; sx++) {
      const i = (iy - half + sy - y0) * width + (ix - half + sx - x0);
      const v = image.array[i];
      const variance = inputs.variance === null ? 1 : inputs.variance.array[i];
      if (Number.isNaN(v) || (mask.array[i] & excludedBits) !== 0 || !(variance > 0)) continue;
      pixels[sy * n + sx] = v;
      weight[sy * n + sx] = 1 / variance;
      power += (v * v) / variance;
    }
  }
  return { ix, iy, fx: star.x - ix, fy: star.y - iy, pixels, weight, power, moments: star };
}

function scaleCovariance(c: Covariance, s: number): Covariance {
  return { xx: c.xx * s, yy: c.yy * s, xy: c.xy * s };
}

/** Fit the wing; returns `start` unchanged when the stars cannot constrain it (fewer than 3 usable stamps). */
export function fitWing(inputs: WingFitInputs, start: WingShape): WingShape {
  if (inputs.stars.length === 0) return start;
  const medianOf = (f: (s: StarMoments) => number) => {
    const v = inputs.stars.map(f).sort((a, b) => a - b);
    return v[v.length >> 1];
  };
  const reference: Covariance = {
    xx: medianOf((s) => s.xx),
    yy: medianOf((s) => s.yy),
    xy: medianOf((s) => s.xy),
  };
  const half = Math.ceil(6 * Math.sqrt((reference.xx + reference.yy) / 2));
  const stamps = inputs.stars.map((s) => cutStamp(inputs, s, half)).filter((s): s is Stamp => s !== null);
  const startReference = matchCore(reference, start);
  if (stamps.length < 3 || startReference === null) return start;
  const startCores = stamps.map((s) => matchCore(s.moments, start, s.fx, s.fy));
  const n = 2 * half + 1;
  const cost = (wing: WingShape): number => {
    const ref = matchCore(reference, wing);
    if (ref === null) return Number.POSITIVE_INFINITY;
    const rescale = (ref.xx + ref.yy) / (startReference.xx + startReference.yy);
    let total = 0;
    for (let k = 0; k < stamps.length; k++) {
      const stamp = stamps[k];
      const core = startCores[k];
      if (core === null || !(stamp.power > 0)) continue;
      const c = scaleCovariance(core, rescale);
      const psf = polynomialDoubleGaussianPsf({
        order: 0,
        bbox: box2i(0, 0, 1, 1),
        coreIxx: [c.xx],
        coreIyy: [c.yy],
        coreIxy: [c.xy],
        wingScale: wing.scale,
        ratio: wingPeakRatio(wing),
      });
      const model = psfModelImage(psf, half, stamp.fx, stamp.fy);
      let pi = 0;
      let pp = 0;
      for (let i = 0; i < n * n; i++) {
        const w = stamp.weight[i];
        pi += w * model[i] * stamp.pixels[i];
        pp += w * model[i] * model[i];
      }
      // χ² of the best amplitude: Σ w I² − (Σ w P I)² / Σ w P².
      total += stamp.power - (pi * pi) / pp;
    }
    return total;
  };
  const clamp = (w: WingShape): WingShape => ({
    scale: Math.min(SCALE_LIMITS[1], Math.max(SCALE_LIMITS[0], w.scale)),
    fraction: Math.min(FRACTION_LIMITS[1], Math.max(FRACTION_LIMITS[0], w.fraction)),
  });
  let best = clamp(start);
  let bestCost = cost(best);
  for (const scale of [1.5, 2, 2.5, 3, 4]) {
    for (const fraction of [0.02, 0.05, 0.1, 0.15, 0.2, 0.3]) {
      const c = cost({ scale, fraction });
      if (c < bestCost) {
        bestCost = c;
        best = { scale, fraction };
      }
    }
  }
  let step = { scale: 0.25, fraction: 0.025 };
  while (step.scale > 0.005) {
    let moved = false;
    for (const [ds, df] of [
      [1, 0],
      [-1, 0],
      [0, 1],
      [0, -1],
      [1, 1],
      [-1, -1],
      [1, -1],
      [-1, 1],
    ] as const) {
      const trial = clamp({
        scale: best.scale + ds * step.scale,
        fraction: best.fraction + df * step.fraction,
      });
      const c = cost(trial);
      if (c < bestCost) {
        bestCost = c;
        best = trial;
        moved = true;
      }
    }
    if (!moved) step = { scale: step.scale / 2, fraction: step.fraction / 2 };
  }
  return best;
}
