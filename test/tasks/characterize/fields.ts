/**
 * Synthetic star fields with a known, spatially varying double-Gaussian PSF for the characterize tests: stars and
 * a few round galaxies on a flat sky with Poisson-like Gaussian noise, rendered by supersampling (scenes.ts), not
 * by the PSF code under test.
 */
import { box2i, Exposure, ImageF, Mask, type Psf } from '../../../src/formats/index.js';
import { addGaussian, TestRandom } from '../measure/scenes.js';

export interface TruePsfField {
  /** Core covariance at parent pixel (x, y) of a width × height detector. */
  core(x: number, y: number): { xx: number; yy: number; xy: number };
  readonly wingScale: number;
  readonly wingFraction: number;
}

/** A field whose core grows and turns elliptical across the detector (a quadratic in position). */
export function quadraticField(width: number, height: number): TruePsfField {
  return {
    core(x, y) {
      const u = (x - (width - 1) / 2) / ((width - 1) / 2);
      const v = (y - (height - 1) / 2) / ((height - 1) / 2);
      return {
        xx: 2.2 + 0.25 * u + 0.1 * v + 0.2 * u * u,
        yy: 2.0 - 0.1 * u + 0.2 * v + 0.15 * v * v,
        xy: 0.1 + 0.15 * u * v,
      };
    },
    wingScale: 2,
    wingFraction: 0.1,
  };
}

export interface StarField {
  readonly exposure: Exposure;
  readonly stars: readonly { x: number; y: number; flux: number }[];
}

/** Stars (and `galaxies` extended sources) on a sky of `sky` e⁻, noise √(sky + signal) drawn as a Gaussian. */
export function renderStarField(options: {
  width: number;
  height: number;
  field: TruePsfField;
  stars: number;
  galaxies?: number;
  sky?: number;
  seed?: number;
  guessPsf: Psf;
}): StarField {
  const { width, height, field } = options;
  const sky = options.sky ?? 400;
  const rng = new TestRandom(options.seed ?? 7);
  const signal = new Float32Array(width * height);
  const stars: { x: number; y: number; flux: number }[] = [];
  for (let i = 0; i < options.stars; i++) {
    const x = 20 + rng.uniform() * (width - 40);
    const y = 20 + rng.uniform() * (height - 40);
    // Fluxes log-uniform over 3e3 .. 3e5 e⁻: S/N from ~20 to ~1500.
    const flux = 3e3 * 100 ** rng.uniform();
    const c = field.core(x, y);
    const w = field.wingFraction;
    const s2 = field.wingScale ** 2;
    addGaussian(signal, width, height, x, y, (1 - w) * flux, c.xx, c.yy, c.xy, 5);
    addGaussian(signal, width, height, x, y, w * flux, s2 * c.xx, s2 * c.yy, s2 * c.xy, 3);
    stars.push({ x, y, flux });
  }
  for (let i = 0; i < (options.galaxies ?? 0); i++) {
    const x = 20 + rng.uniform() * (width - 40);
    const y = 20 + rng.uniform() * (height - 40);
    const flux = 1e4 * 30 ** rng.uniform();
    const c = field.core(x, y);
    const size = 3 + 6 * rng.uniform();
    addGaussian(signal, width, height, x, y, flux, c.xx + size, c.yy + size * 0.7, c.xy, 3);
  }
  const pixels = new Float32Array(width * height);
  const variance = new Float32Array(width * height);
  for (let i = 0; i < pixels.length; i++) {
    variance[i] = sky + Math.max(0, signal[i]);
    pixels[i] = sky + signal[i] + Math.sqrt(variance[i]) * rng.normal();
  }
  const bbox = box2i(0, 0, width, height);
  return {
    exposure: new Exposure({
      image: new ImageF(pixels, bbox),
      mask: Mask.zeros(bbox),
      variance: new ImageF(variance, bbox),
      psf: options.guessPsf,
    }),
    stars,
  };
}
