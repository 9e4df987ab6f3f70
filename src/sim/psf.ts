/**
 * The simulated PSF: a double Gaussian (a core and a wing of twice its width holding 10% of the light), scaled so
 * that the full width at half maximum of the sum equals the seeing of the exposure. A double Gaussian keeps stars
 * separable (exact pixel integration with erf) and galaxies analytic (a Gaussian mixture convolved with it).
 */

export interface GaussianComponent {
  readonly weight: number;
  /** Standard deviation, pixels. */
  readonly sigma: number;
}

export interface DoubleGaussianPsf {
  readonly kind: 'double-gaussian';
  readonly fwhmPixels: number;
  readonly components: readonly [GaussianComponent, GaussianComponent];
}

const WING_WEIGHT = 0.1;
const WING_WIDTH_RATIO = 2;

/** Profile of the unit-core mixture (sigma_core = 1) at radius r, up to a constant factor. */
function profile(r: number): number {
  const core = (1 - WING_WEIGHT) * Math.exp((-r * r) / 2);
  const wing = (WING_WEIGHT / WING_WIDTH_RATIO ** 2) * Math.exp((-r * r) / (2 * WING_WIDTH_RATIO ** 2));
  return core + wing;
}

/** Half width at half maximum of the unit-core mixture, by bisection (it lies between 1 and 2 core sigmas). */
const HALF_WIDTH_IN_CORE_SIGMAS = (() => {
  const half = profile(0) / 2;
  let lo = 0.5;
  let hi = 3;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (profile(mid) > half) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
})();

export function doubleGaussianPsf(fwhmPixels: number): DoubleGaussianPsf {
  const core = fwhmPixels / (2 * HALF_WIDTH_IN_CORE_SIGMAS);
  return Object.freeze({
    kind: 'double-gaussian',
    fwhmPixels,
    components: Object.freeze([
      Object.freeze({ weight: 1 - WING_WEIGHT, sigma: core }),
      Object.freeze({ weight: WING_WEIGHT, sigma: core * WING_WIDTH_RATIO }),
    ] as const),
  });
}

/** Peak-normalised PSF value at radius r pixels (for checks and documentation plots). */
export function psfValue(psf: DoubleGaussianPsf, r: number): number {
  let sum = 0;
  for (const { weight, sigma } of psf.components) {
    sum += (weight / (2 * Math.PI * sigma * sigma)) * Math.exp((-r * r) / (2 * sigma * sigma));
  }
  return sum;
}

/**
 * How the PSF of one exposure varies across the focal plane, on top of the seeing at the optical axis. Positions are
 * focal-plane pixel offsets from the optical axis divided by `referenceRadiusPixels` (X, Y; the focal plane's
 * corners are at radius 1), in the detectors' pixel frame (every detector shares the focal plane's orientation):
 *
 *   FWHM(X, Y) = seeing (1 + sizeRadial (X^2 + Y^2) + sizeX X + sizeY Y)
 *   e1(X, Y)   = e1 + e1X X + e1Y Y + astigmatism (X^2 - Y^2)
 *   e2(X, Y)   = e2 + e2X X + e2Y Y + astigmatism 2 X Y
 *
 * A defocus-like radial growth and a tilt for the size; a constant (atmosphere, wind shake), a gradient and a radial
 * astigmatism pattern for the shape. FWHM is the circularised one, sqrt(FWHM_major FWHM_minor) (the FWHM of the round
 * profile with the same area); e1, e2 are distortions, e1 = (Ixx - Iyy) / (Ixx + Iyy), e2 = 2 Ixy / (Ixx + Iyy),
 * of the continuous PSF before pixelisation (pixels add 1/12 pixel^2 to Ixx and Iyy).
 */
export interface PsfFieldModel {
  readonly kind: 'psf-field';
  /** FWHM at the optical axis, arcsec (the exposure's SEEING). */
  readonly seeingFwhmArcsec: number;
  readonly pixelScaleArcsec: number;
  readonly referenceRadiusPixels: number;
  readonly sizeRadial: number;
  readonly sizeX: number;
  readonly sizeY: number;
  readonly e1: number;
  readonly e1X: number;
  readonly e1Y: number;
  readonly e2: number;
  readonly e2X: number;
  readonly e2Y: number;
  readonly astigmatism: number;
}

/** The PSF at one place: circularised FWHM and distortion ellipticity. */
export interface LocalPsfShape {
  readonly fwhmArcsec: number;
  readonly fwhmPixels: number;
  readonly e1: number;
  readonly e2: number;
}

/** Largest |e| the field model may reach; beyond it the shape is scaled back (only extreme knobs get there). */
const MAX_ELLIPTICITY = 0.9;

/** The PSF at focal-plane pixel offset (u, v) from the optical axis. */
export function psfShapeAt(model: PsfFieldModel, u: number, v: number): LocalPsfShape {
  const X = u / model.referenceRadiusPixels;
  const Y = v / model.referenceRadiusPixels;
  const growth = model.sizeRadial * (X * X + Y * Y) + model.sizeX * X + model.sizeY * Y;
  const fwhmArcsec = model.seeingFwhmArcsec * (1 + growth);
  let e1 = model.e1 + model.e1X * X + model.e1Y * Y + model.astigmatism * (X * X - Y * Y);
  let e2 = model.e2 + model.e2X * X + model.e2Y * Y + model.astigmatism * 2 * X * Y;
  const e = Math.hypot(e1, e2);
  if (e > MAX_ELLIPTICITY) {
    e1 *= MAX_ELLIPTICITY / e;
    e2 *= MAX_ELLIPTICITY / e;
  }
  return { fwhmArcsec, fwhmPixels: fwhmArcsec / model.pixelScaleArcsec, e1, e2 };
}

/** True when the model is the same round PSF everywhere (the knob `psfVariation` at 0). */
export function isUniformRoundPsf(model: PsfFieldModel): boolean {
  return [
    model.sizeRadial,
    model.sizeX,
    model.sizeY,
    model.e1,
    model.e1X,
    model.e1Y,
    model.e2,
    model.e2X,
    model.e2Y,
    model.astigmatism,
  ].every((c) => c === 0);
}

/**
 * Covariance [xx, xy, yy] (pixels^2) of a Gaussian of standard deviation `sigma` (the circularised size,
 * sqrt(det C)^(1/2) = sigma^2) given the distortion ellipticity (e1, e2): C = sigma^2 / sqrt(1 - e^2) [[1 + e1, e2],
 * [e2, 1 - e1]], whose determinant is sigma^4.
 */
export function ellipticalCovariance(sigma: number, e1: number, e2: number): [number, number, number] {
  const scale = (sigma * sigma) / Math.sqrt(1 - e1 * e1 - e2 * e2);
  return [scale * (1 + e1), scale * e2, scale * (1 - e1)];
}

/** Ratio of the unweighted second-moment sigma, sqrt(sum w_k sigma_k^2), to the FWHM of the double Gaussian. */
export const MOMENT_SIGMA_PER_FWHM = (() => {
  const psf = doubleGaussianPsf(1);
  return Math.sqrt(psf.components.reduce((sum, c) => sum + c.weight * c.sigma * c.sigma, 0));
})();
