import { describe, expect, it } from 'vitest';
import { box2i, ImageF, Mask } from '../../../src/formats/index.js';
import {
  apertureFlux,
  circleRectangleOverlap,
  erf,
  kronFlux,
  psfFlux,
  psfModelImage,
  psfStamp,
  psfStampFromModel,
  shiftPsfStamp,
} from '../../../src/tasks/index.js';
import { addGaussian, addNoise, mean, std, TestRandom } from './scenes.js';

const SIZE = 101;
const bbox = box2i(0, 0, SIZE, SIZE);

describe('circleRectangleOverlap', () => {
  it('gives exact areas', () => {
    expect(circleRectangleOverlap(-0.5, 0.5, -0.5, 0.5, 10)).toBeCloseTo(1, 14);
    expect(circleRectangleOverlap(0, 5, 0, 5, 2)).toBeCloseTo(Math.PI, 12);
    expect(circleRectangleOverlap(-3, 3, -3, 3, 2)).toBeCloseTo(4 * Math.PI, 12);
    expect(circleRectangleOverlap(3, 4, 3, 4, 2)).toBe(0);
    // Half-plane cut through the centre: half the disc.
    expect(circleRectangleOverlap(-5, 5, 0, 5, 1.5)).toBeCloseTo(0.5 * Math.PI * 2.25, 12);
    // A square of side r√2 inscribed in the circle: all inside.
    const h = Math.SQRT1_2;
    expect(circleRectangleOverlap(-h, h, -h, h, 1)).toBeCloseTo(2, 12);
  });
});

describe('apertureFlux', () => {
  it('is exact (π r²) on a uniform image for any centre and radius; errors from the variance plane', () => {
    const ones = new ImageF(new Float32Array(SIZE * SIZE).fill(1), bbox);
    const variance = new ImageF(new Float32Array(SIZE * SIZE).fill(4), bbox);
    const rng = new TestRandom(51);
    for (let i = 0; i < 50; i++) {
      const x = 50 + rng.uniform() - 0.5;
      const y = 50 + rng.uniform() - 0.5;
      const r = 0.3 + 20 * rng.uniform();
      const ap = apertureFlux(ones, variance, null, x, y, r);
      expect(ap.flux).toBeCloseTo(Math.PI * r * r, 9);
      expect(ap.area).toBeCloseTo(Math.PI * r * r, 9);
      expect(ap.truncated).toBe(false);
      // Σ w² V ≤ Σ w V, equal when no pixel is partial.
      expect(ap.fluxErr).toBeLessThanOrEqual(Math.sqrt(4 * Math.PI * r * r) + 1e-9);
      if (r > 3) expect(ap.fluxErr).toBeGreaterThan(0.9 * Math.sqrt(4 * Math.PI * r * r));
    }
  });

  it('encloses the analytic fraction of a Gaussian, and flags truncation at the edge or on masked pixels', () => {
    const pixels = new Float32Array(SIZE * SIZE);
    const sigma = 2;
    addGaussian(pixels, SIZE, SIZE, 50.25, 49.6, 1e5, sigma * sigma);
    const image = new ImageF(pixels, bbox);
    for (const r of [3, 4.5, 6, 9, 12]) {
      // The pixelised source is the Gaussian convolved with the pixel: σ² + 1/12 is close enough beyond 1.5σ.
      const s2 = sigma * sigma + 1 / 12;
      const expected = 1e5 * (1 - Math.exp((-r * r) / (2 * s2)));
      // Small apertures weight a boundary pixel by its centre value, not the profile's integral over the overlap.
      const tolerance = r < 5 ? 0.015 : 0.002;
      expect(Math.abs(apertureFlux(image, null, null, 50.25, 49.6, r).flux / expected - 1)).toBeLessThan(
        tolerance,
      );
    }
    expect(apertureFlux(image, null, null, 2, 50, 5).truncated).toBe(true);
    const mask = Mask.zeros(bbox);
    mask.array[50 * SIZE + 52] = mask.bitMask('BAD');
    const masked = apertureFlux(image, null, mask, 50.25, 49.6, 6, mask.bitMask('BAD'));
    expect(masked.truncated).toBe(true);
    expect(masked.area).toBeCloseTo(Math.PI * 36 - 1, 9);
  });
});

describe('kronFlux', () => {
  it('finds R_K = σ √(π/2) and 99.3% of a Gaussian inside 2.5 R_K', () => {
    const pixels = new Float32Array(SIZE * SIZE);
    const sigma = 3;
    addGaussian(pixels, SIZE, SIZE, 50.4, 50.1, 1e5, sigma * sigma);
    const kron = kronFlux(new ImageF(pixels, bbox), null, null, 50.4, 50.1, 6 * sigma, 1);
    const s = Math.sqrt(sigma * sigma + 1 / 12);
    // Inside 6σ the first moment is 0.3% below its value at infinity.
    expect(kron.kronRadius / (s * Math.sqrt(Math.PI / 2))).toBeCloseTo(1, 2);
    const enclosed = 1 - Math.exp(-((2.5 * kron.kronRadius) ** 2) / (2 * s * s));
    expect(kron.flux / (1e5 * enclosed)).toBeCloseTo(1, 3);
    expect(kron.radiusFailed).toBe(false);
    const empty = kronFlux(new ImageF(new Float32Array(SIZE * SIZE), bbox), null, null, 50, 50, 10, 2);
    expect(empty.radiusFailed).toBe(true);
    expect(empty.kronRadius).toBe(2);
  });
});

describe('psfFlux', () => {
  const psf = { kind: 'doubleGaussian', sigma1: 1.6, sigma2: 3.5, ratio: 0.1 } as const;

  it('renders pixel-integrated PSF images that agree with supersampling, and shifts them by Lanczos-3', () => {
    expect(erf(0.5)).toBeCloseTo(0.5204998778, 6);
    expect(erf(-2)).toBeCloseTo(-0.995322265, 6);
    const model = psfModelImage({ kind: 'gaussian', sigma: 1.5 }, 10, 0.3, -0.2);
    const sampled = new Float32Array(21 * 21);
    addGaussian(sampled, 21, 21, 10.3, 9.8, 1, 2.25, 2.25, 0, 15);
    for (let i = 0; i < model.length; i++) expect(model[i]).toBeCloseTo(sampled[i]!, 4);
    const stamp = psfStampFromModel({ kind: 'gaussian', sigma: 1.5 }, 10);
    const shifted = shiftPsfStamp(stamp, 0.3, -0.2);
    for (let i = 0; i < model.length; i++)
      expect(Math.abs(shifted[i]! - model[i]!)).toBeLessThan(2e-3 * model[220]!);
    expect(() => psfStamp(new Float64Array(16))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('recovers the flux of noiseless stars at any sub-pixel centre (stamp: 0.15%, model: exact)', () => {
    const stamp = psfStampFromModel(psf);
    const rng = new TestRandom(61);
    for (let i = 0; i < 10; i++) {
      const dx = rng.uniform() - 0.5;
      const dy = rng.uniform() - 0.5;
      const star = psfModelImage(psf, 50, dx, dy);
      const image = new ImageF(
        Float32Array.from(star, (v) => 5000 * v),
        bbox,
      );
      const fit = psfFlux(image, null, null, stamp, 50 + dx, 50 + dy);
      expect(fit.failed).toBe(false);
      expect(fit.coverage).toBeCloseTo(1, 12);
      expect(Math.abs(fit.flux / 5000 - 1)).toBeLessThan(0.0015);
      const exact = psfFlux(image, null, null, psf, 50 + dx, 50 + dy);
      expect(Math.abs(exact.flux / 5000 - 1)).toBeLessThan(1e-5);
    }
  });

  it('is unbiased on noisy stars with errors that match the scatter', () => {
    const stamp = psfStampFromModel(psf);
    const rng = new TestRandom(62);
    const noise = 3;
    const variance = new ImageF(new Float32Array(SIZE * SIZE).fill(noise * noise), bbox);
    const pulls: number[] = [];
    for (let i = 0; i < 300; i++) {
      const dx = rng.uniform() - 0.5;
      const dy = rng.uniform() - 0.5;
      const star = psfModelImage(psf, 50, dx, dy);
      const pixels = Float32Array.from(star, (v) => 2000 * v);
      addNoise(pixels, noise, rng);
      const fit = psfFlux(new ImageF(pixels, bbox), variance, null, stamp, 50 + dx, 50 + dy);
      pulls.push((fit.flux - 2000) / fit.fluxErr);
    }
    expect(Math.abs(mean(pulls))).toBeLessThan(3 / Math.sqrt(pulls.length) + 0.05);
    expect(std(pulls)).toBeGreaterThan(0.9);
    expect(std(pulls)).toBeLessThan(1.1);
  });

  it('reports partial coverage off the image and fails with nothing to fit', () => {
    const stamp = psfStampFromModel(psf);
    const image = new ImageF(new Float32Array(SIZE * SIZE), bbox);
    expect(psfFlux(image, null, null, stamp, 1, 50).coverage).toBeLessThan(0.9);
    expect(psfFlux(image, null, null, stamp, -100, -100).failed).toBe(true);
  });
});
