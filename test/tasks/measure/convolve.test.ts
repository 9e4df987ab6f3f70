import { describe, expect, it } from 'vitest';
import { box2i, ImageF } from '../../../src/formats/index.js';
import {
  convolveSeparable,
  convolveSimdAvailable,
  gaussianKernel1d,
  smoothedNoiseFactor,
} from '../../../src/tasks/index.js';
import { TestRandom } from './scenes.js';

/** Direct 2-d convolution with k⊗k, renormalised over the valid (non-NaN, inside) pixels: the reference. */
function direct(pixels: Float32Array, width: number, height: number, k: Float64Array): Float64Array {
  const half = (k.length - 1) >> 1;
  const out = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      let weight = 0;
      for (let dy = -half; dy <= half; dy++) {
        for (let dx = -half; dx <= half; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= width || yy >= height) continue;
          const v = pixels[yy * width + xx]!;
          if (Number.isNaN(v)) continue;
          const w = k[dx + half]! * k[dy + half]!;
          sum += w * v;
          weight += w;
        }
      }
      out[y * width + x] = sum / weight;
    }
  }
  return out;
}

describe.each([
  { path: 'WebAssembly SIMD', simd: true },
  { path: 'JavaScript', simd: false },
])('convolveSeparable, $path path', ({ simd }) => {
  for (const sigma of [1.2, 2.3, 2.5, 3.5]) {
    it(`matches a direct convolution inside and at the borders (σ = ${sigma} px)`, () => {
      const rng = new TestRandom(91);
      const width = 57;
      const height = 43;
      const pixels = Float32Array.from({ length: width * height }, () => rng.normal());
      const k = gaussianKernel1d(sigma);
      const smoothed = convolveSeparable(new ImageF(pixels, box2i(0, 0, width, height)), k, { simd }).array;
      const reference = direct(pixels, width, height, k);
      // Interior: exact up to float32 rounding. Borders: separable renormalisation equals the 2-d one.
      for (let i = 0; i < pixels.length; i++) expect(smoothed[i]).toBeCloseTo(reference[i]!, 5);
    });
  }

  it('treats NaN pixels as missing', () => {
    const rng = new TestRandom(92);
    const width = 40;
    const height = 30;
    const pixels = Float32Array.from({ length: width * height }, () => 5 + rng.normal());
    pixels[10 * width + 12] = Number.NaN;
    pixels[20 * width + 30] = Number.NaN;
    const k = gaussianKernel1d(1.5);
    const smoothed = convolveSeparable(new ImageF(pixels, box2i(0, 0, width, height)), k, { simd }).array;
    const reference = direct(pixels, width, height, k);
    // Near a NaN the separable passes renormalise per pass, not over the 2-d window: close, not identical.
    for (let i = 0; i < pixels.length; i++) expect(Math.abs(smoothed[i]! - reference[i]!)).toBeLessThan(0.05);
    expect(Number.isNaN(smoothed[10 * width + 12])).toBe(false);
    // A whole row of NaN takes the general path; the rows around it are filled from their neighbours.
    for (let x = 0; x < width; x++) pixels[5 * width + x] = Number.NaN;
    const general = convolveSeparable(new ImageF(pixels, box2i(0, 0, width, height)), k, { simd }).array;
    const generalReference = direct(pixels, width, height, k);
    for (let i = 0; i < pixels.length; i++)
      expect(Math.abs(general[i]! - generalReference[i]!)).toBeLessThan(0.05);
  });

  it('handles images narrower or shorter than the kernel', () => {
    const rng = new TestRandom(93);
    const k = gaussianKernel1d(2.5);
    for (const [width, height] of [
      [3, 40],
      [40, 3],
      [1, 1],
      [16, 17],
    ] as const) {
      const pixels = Float32Array.from({ length: width * height }, () => rng.normal());
      const smoothed = convolveSeparable(new ImageF(pixels, box2i(0, 0, width, height)), k, { simd }).array;
      const reference = direct(pixels, width, height, k);
      for (let i = 0; i < pixels.length; i++) expect(smoothed[i]).toBeCloseTo(reference[i]!, 5);
    }
  });
});

describe('convolveSeparable', () => {
  it('has its WebAssembly SIMD path on every supported Node', () => {
    expect(convolveSimdAvailable()).toBe(true);
  });

  it('gives the same image on both paths to float32 precision, on a sky of 10⁴ e⁻ with sources', () => {
    const rng = new TestRandom(94);
    const width = 1023;
    const height = 257;
    const pixels = Float32Array.from({ length: width * height }, () => 1e4 + 100 * rng.normal());
    for (let s = 0; s < 50; s++) pixels[Math.floor(rng.uniform() * pixels.length)] += 1e6;
    pixels[100 * width + 500] = Number.NaN;
    for (const sigma of [1.7, 2.1, 6]) {
      const k = gaussianKernel1d(sigma);
      const image = new ImageF(pixels, box2i(0, 0, width, height));
      const fast = convolveSeparable(image, k).array;
      const plain = convolveSeparable(image, k, { simd: false }).array;
      let worst = 0;
      for (let i = 0; i < pixels.length; i++)
        worst = Math.max(worst, Math.abs(fast[i]! - plain[i]!) / Math.abs(plain[i]!));
      expect(worst).toBeLessThan(2e-6);
    }
  });

  it('knows the noise of smoothed white noise, and refuses a bad σ', () => {
    const k = gaussianKernel1d(2);
    // The σ of smoothed unit white noise is sqrt(Σ (k⊗k)²), which for a Gaussian tends to 1/(2σ√π).
    expect(smoothedNoiseFactor(k) * 2 * 2 * Math.sqrt(Math.PI)).toBeCloseTo(1, 2);
    expect(() => gaussianKernel1d(0)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
