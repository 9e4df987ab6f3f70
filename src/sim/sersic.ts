/**
 * Sérsic profiles as mixtures of concentric Gaussians, so that a galaxy convolved with a Gaussian-mixture PSF is
 * again a Gaussian mixture and can be rendered analytically. The idea is that of Hogg & Lang 2013 (PASP 125, 719,
 * "Replacing standard galaxy profiles with mixtures of Gaussians"); the fit here is our own: Gaussians with fixed,
 * log-spaced widths, amplitudes by non-negative least squares on the flux-weighted radial profile out to 8 half-light
 * radii, then normalised so that the mixture carries exactly the total flux.
 */

export interface GaussianMixture1D {
  /** Weights summing to 1. */
  readonly weights: readonly number[];
  /** Variances in units of the half-light radius squared. */
  readonly variances: readonly number[];
}

/** b_n such that r_e encloses half the light: the Ciotti & Bertin 1999 asymptotic expansion. */
export function sersicB(n: number): number {
  return 2 * n - 1 / 3 + 4 / (405 * n) + 46 / (25515 * n * n);
}

const TRUNCATION_RADII = 8;
const GRID_POINTS = 800;
const COMPONENTS = 12;
const SIGMA_MIN = 0.005;
const SIGMA_MAX = 4;

/** Fit the mixture for Sérsic index n (half-light radius 1). */
export function fitSersicMixture(n: number): GaussianMixture1D {
  const b = sersicB(n);
  const sigmas = Array.from(
    { length: COMPONENTS },
    (_, k) => SIGMA_MIN * (SIGMA_MAX / SIGMA_MIN) ** (k / (COMPONENTS - 1)),
  );
  const variances = sigmas.map((s) => s * s);
  // Radial grid, denser near the centre where cuspy profiles (n = 4) change fastest.
  const radii = Array.from(
    { length: GRID_POINTS },
    (_, i) => TRUNCATION_RADII * ((i + 0.5) / GRID_POINTS) ** 2,
  );
  const dr = radii.map((r, i) => (i === 0 ? radii[1] - r : r - radii[i - 1]));
  const profile = radii.map((r) => Math.exp(-b * (r ** (1 / n) - 1)));
  const basis = variances.map((v) => radii.map((r) => Math.exp((-r * r) / (2 * v)) / (2 * Math.PI * v)));
  // Normal equations of the least-squares problem weighted by the annulus area 2 pi r dr.
  const weight = radii.map((r, i) => 2 * Math.PI * r * dr[i]);
  const gram = basis.map((gk) => basis.map((gl) => gk.reduce((s, g, i) => s + g * gl[i] * weight[i], 0)));
  const rhs = basis.map((gk) => gk.reduce((s, g, i) => s + g * profile[i] * weight[i], 0));
  // Multiplicative updates (Lee & Seung 2001) keep amplitudes non-negative and converge for this small system.
  const amplitudes = new Array<number>(COMPONENTS).fill(1);
  for (let iteration = 0; iteration < 20_000; iteration++) {
    for (let k = 0; k < COMPONENTS; k++) {
      let predicted = 0;
      for (let l = 0; l < COMPONENTS; l++) predicted += gram[k][l] * amplitudes[l];
      amplitudes[k] *= rhs[k] / Math.max(predicted, 1e-300);
    }
  }
  const total = amplitudes.reduce((s, a) => s + a, 0);
  const kept = amplitudes
    .map((a, k) => ({ weight: a / total, variance: variances[k] }))
    .filter((c) => c.weight > 1e-4);
  const keptTotal = kept.reduce((s, c) => s + c.weight, 0);
  return Object.freeze({
    weights: Object.freeze(kept.map((c) => c.weight / keptTotal)),
    variances: Object.freeze(kept.map((c) => c.variance)),
  });
}

/** Exponential disk (n = 1) and de Vaucouleurs bulge (n = 4), fitted once per process. */
export const DISK_MIXTURE = fitSersicMixture(1);
export const BULGE_MIXTURE = fitSersicMixture(4);

/** Fraction of a circular mixture's flux inside radius r (in half-light radii). */
export function mixtureEnclosedFlux(mixture: GaussianMixture1D, r: number): number {
  let sum = 0;
  mixture.weights.forEach((w, k) => {
    sum += w * (1 - Math.exp((-r * r) / (2 * mixture.variances[k])));
  });
  return sum;
}
