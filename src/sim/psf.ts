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
