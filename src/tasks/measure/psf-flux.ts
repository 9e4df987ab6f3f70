/**
 * PSF photometry: the amplitude of the PSF model fitted to the pixels by linear least squares, with the model at
 * the source's sub-pixel centre: a pixel stamp (as a pixel-based PSF model gives) is moved there by Lanczos-5
 * interpolation, a parametric model (spatially varying ones evaluated at the source) is rendered there exactly. The fit is unweighted, F = Σ P I / Σ P², as LSST's PsfFlux: weighting by the
 * variance plane would bias bright stars, whose own Poisson noise is in that plane. Its error is
 * sqrt(Σ P² V) / Σ P².
 */
import { meridianError } from '../../errors.js';
import {
  type ImageF,
  type Mask,
  type Psf,
  type PsfComponent,
  psfComponentsAt,
  psfWidestSigmaAt,
} from '../../formats/index.js';

/** A PSF image of odd size, centred on its middle pixel, normalised to unit sum. */
export interface PsfStamp {
  readonly kind: 'psfStamp';
  /** Half width: the stamp is (2·half + 1)² pixels. */
  readonly half: number;
  readonly array: Float64Array;
}

/** erf to 1.2e-7 (Numerical Recipes' erfc Chebyshev fit), enough for pixel-integrated Gaussians. */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const erfc =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - erfc : erfc - 1;
}

/** Fraction of a unit 1-d Gaussian of σ centred at `centre` falling in each pixel [i − ½, i + ½], i = 0..n−1. */
function integratedGaussian1d(n: number, centre: number, sigma: number): Float64Array {
  const out = new Float64Array(n);
  const scale = 1 / (Math.SQRT2 * sigma);
  let previous = erf((-0.5 - centre) * scale);
  for (let i = 0; i < n; i++) {
    const next = erf((i + 0.5 - centre) * scale);
    out[i] = 0.5 * (next - previous);
    previous = next;
  }
  return out;
}

/**
 * The pixel-integrated image of an Exposure PSF model centred at (half + dx, half + dy) on a (2·half+1)² grid, with
 * the model evaluated at parent pixel `position` (only a spatially varying model cares; by default at the centre of
 * its box). With dx = dy = 0 it is the
 * model's PSF stamp; tests use offsets to render stars with known answers. Round models are integrated exactly
 * (erf); elliptical components are sampled at pixel centres with 1/12 pixel² added to their variances (the pixel's
 * box smoothing to second order, as the simulator renders them; the fourth-order error is ~1e-4 at σ = 1.5 px).
 */
export function psfModelImage(
  psf: Psf,
  half: number,
  dx = 0,
  dy = 0,
  position?: { readonly x: number; readonly y: number },
): Float64Array {
  const n = 2 * half + 1;
  const out = new Float64Array(n * n);
  for (const c of psfComponentsAt(psf, position?.x, position?.y)) {
    if (c.ixy === 0 && c.ixx === c.iyy) {
      const sigma = Math.sqrt(c.ixx);
      const gx = integratedGaussian1d(n, half + dx, sigma);
      const gy = integratedGaussian1d(n, half + dy, sigma);
      for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) out[y * n + x] += c.flux * gy[y] * gx[x];
    } else addSampledGaussian(out, n, half + dx, half + dy, c);
  }
  return out;
}

/** Pixel variance of a unit box: what pixel integration adds to a Gaussian's second moments. */
const PIXEL_BOX_VARIANCE = 1 / 12;

function addSampledGaussian(out: Float64Array, n: number, cx: number, cy: number, c: PsfComponent): void {
  const ixx = c.ixx + PIXEL_BOX_VARIANCE;
  const iyy = c.iyy + PIXEL_BOX_VARIANCE;
  const det = ixx * iyy - c.ixy * c.ixy;
  // Inverse covariance, halved for the exponent.
  const axx = iyy / (2 * det);
  const ayy = ixx / (2 * det);
  const axy = -c.ixy / det;
  const norm = c.flux / (2 * Math.PI * Math.sqrt(det));
  // Along a row the exponent is quadratic in x, so exp() follows a two-term multiplicative recurrence: three
  // exp() per row instead of one per pixel (the stamp is rendered for every source measured). A row whose first
  // terms would under- or overflow a double is done pixel by pixel.
  const factor = Math.exp(-2 * axx);
  for (let y = 0; y < n; y++) {
    const ddy = y - cy;
    const start = axx * cx * cx - axy * cx * ddy + ayy * ddy * ddy;
    const stepExponent = axx * (1 - 2 * cx) + axy * ddy;
    const row = y * n;
    if (start > 600 || Math.abs(stepExponent) > 600) {
      for (let x = 0; x < n; x++) {
        const ddx = x - cx;
        out[row + x] += norm * Math.exp(-(axx * ddx * ddx + axy * ddx * ddy + ayy * ddy * ddy));
      }
      continue;
    }
    let w = norm * Math.exp(-start);
    let step = Math.exp(-stepExponent);
    for (let x = 0; x < n; x++) {
      out[row + x] += w;
      w *= step;
      step *= factor;
    }
  }
}

/** Stamp half width for a PSF at a position: 5σ of its widest component along its major axis. */
function stampHalfWidth(psf: Psf, position?: { readonly x: number; readonly y: number }): number {
  return Math.ceil(5 * psfWidestSigmaAt(psf, position?.x, position?.y));
}

/**
 * A PSF stamp from an Exposure's PSF model at parent pixel `position` (a spatially varying model is evaluated
 * there), `half` defaulting to 5σ of its widest component.
 */
export function psfStampFromModel(
  psf: Psf,
  half?: number,
  position?: { readonly x: number; readonly y: number },
): PsfStamp {
  return psfStamp(psfModelImage(psf, half ?? stampHalfWidth(psf, position), 0, 0, position));
}

/** Wrap a square odd-sized PSF image as a stamp, normalised to unit sum. */
export function psfStamp(image: Float64Array | Float32Array): PsfStamp {
  const n = Math.round(Math.sqrt(image.length));
  if (n * n !== image.length || n % 2 === 0) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `a PSF stamp must be square with an odd side, got ${image.length} pixels`,
    );
  }
  let sum = 0;
  for (const v of image) sum += v;
  if (!(sum > 0)) throw meridianError('INVALID_ARGUMENT', 'a PSF stamp must have a positive sum');
  const array = Float64Array.from(image, (v) => v / sum);
  return Object.freeze({ kind: 'psfStamp', half: (n - 1) >> 1, array });
}

/**
 * Lanczos order of the sub-pixel shift. Measured on a pixel-integrated Gaussian shifted by half a pixel, the PSF flux
 * is off by 0.20% (σ = 1.5 px) and 0.42% (σ = 1 px) with order 3, 0.10% and 0.12% with order 5.
 */
const LANCZOS_ORDER = 5;

function lanczos(x: number): number {
  if (x === 0) return 1;
  if (x <= -LANCZOS_ORDER || x >= LANCZOS_ORDER) return 0;
  const px = Math.PI * x;
  return (LANCZOS_ORDER * Math.sin(px) * Math.sin(px / LANCZOS_ORDER)) / (px * px);
}

/** Taps of a shift by f ∈ [−½, ½]: out[i] = Σ_k taps[k] · in[i − a + k], k = 0..2a (a = LANCZOS_ORDER). */
function lanczosTaps(f: number): Float64Array {
  const taps = new Float64Array(2 * LANCZOS_ORDER + 1);
  let sum = 0;
  for (let k = 0; k < taps.length; k++) {
    taps[k] = lanczos(LANCZOS_ORDER - k - f);
    sum += taps[k];
  }
  // Normalised so that a constant stays constant (the Lanczos kernel sums to 1 only approximately).
  for (let k = 0; k < taps.length; k++) taps[k] /= sum;
  return taps;
}

/** The stamp moved by (fx, fy) pixels (|f| ≤ ½) by separable Lanczos interpolation, renormalised to unit sum. */
export function shiftPsfStamp(stamp: PsfStamp, fx: number, fy: number): Float64Array {
  const n = 2 * stamp.half + 1;
  const tx = lanczosTaps(fx);
  const ty = lanczosTaps(fy);
  const taps = tx.length;
  const rows = new Float64Array(n * n);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      let s = 0;
      for (let k = 0; k < taps; k++) {
        const sx = x - LANCZOS_ORDER + k;
        if (sx >= 0 && sx < n) s += tx[k] * stamp.array[y * n + sx];
      }
      rows[y * n + x] = s;
    }
  }
  const out = new Float64Array(n * n);
  let sum = 0;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      let s = 0;
      for (let k = 0; k < taps; k++) {
        const sy = y - LANCZOS_ORDER + k;
        if (sy >= 0 && sy < n) s += ty[k] * rows[sy * n + x];
      }
      out[y * n + x] = s;
      sum += s;
    }
  }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/**
 * The PSF to fit: a pixel stamp (shifted by Lanczos interpolation) or a parametric Exposure PSF model (rendered
 * exactly, pixel-integrated, at the sub-pixel centre: no interpolation error).
 */
export type PsfFluxModel = PsfStamp | Psf;

/** The model image centred at the sub-pixel offset (fx, fy); a parametric model is evaluated at (x, y). */
function modelAt(
  model: PsfFluxModel,
  x: number,
  y: number,
  fx: number,
  fy: number,
): { half: number; image: Float64Array } {
  if (model.kind === 'psfStamp') return { half: model.half, image: shiftPsfStamp(model, fx, fy) };
  const position = { x, y };
  const half = stampHalfWidth(model, position);
  return { half, image: psfModelImage(model, half, fx, fy, position) };
}

export interface PsfFlux {
  /** Image units × pixels (e.g. electrons). */
  readonly flux: number;
  readonly fluxErr: number;
  /** Fraction of the PSF model's Σ P² on usable pixels (1 when nothing is off the image or masked). */
  readonly coverage: number;
  readonly failed: boolean;
}

/** Fit the amplitude of the PSF centred at (x, y) (parent pixels) to a background-subtracted image. */
export function psfFlux(
  image: ImageF,
  variance: ImageF | null,
  mask: Mask | null,
  psf: PsfFluxModel,
  x: number,
  y: number,
  excludedBits = 0,
): PsfFlux {
  const { x0, y0, width, height } = image.bbox;
  const ix = Math.round(x);
  const iy = Math.round(y);
  const { half, image: model } = modelAt(psf, x, y, x - ix, y - iy);
  const n = 2 * half + 1;
  const pixels = image.array;
  const vars = variance?.array ?? null;
  const maskArray = mask?.array ?? null;
  let sumPI = 0;
  let sumPP = 0;
  let sumPPV = 0;
  let sumPPAll = 0;
  for (let sy = 0; sy < n; sy++) {
    const py = iy - half + sy - y0;
    for (let sx = 0; sx < n; sx++) {
      const p = model[sy * n + sx];
      sumPPAll += p * p;
      const px = ix - half + sx - x0;
      if (px < 0 || py < 0 || px >= width || py >= height) continue;
      const i = py * width + px;
      const v = pixels[i];
      if (Number.isNaN(v) || (maskArray !== null && (maskArray[i] & excludedBits) !== 0)) continue;
      sumPI += p * v;
      sumPP += p * p;
      if (vars !== null) sumPPV += p * p * vars[i];
    }
  }
  if (!(sumPP > 0)) return { flux: Number.NaN, fluxErr: Number.NaN, coverage: 0, failed: true };
  return {
    flux: sumPI / sumPP,
    fluxErr: vars === null ? Number.NaN : Math.sqrt(sumPPV) / sumPP,
    coverage: sumPP / sumPPAll,
    failed: false,
  };
}
