import { describe, expect, it } from 'vitest';
import { box2i, ImageF, Mask } from '../../../src/formats/index.js';
import {
  measureAdaptiveMoments,
  measureCentroid,
  measureMaskedCentroid,
  psfCorrectedMoments,
} from '../../../src/tasks/index.js';
import { addGaussian, addNoise, mean, std, TestRandom } from './scenes.js';

const STAMP = 41;
const bbox = box2i(0, 0, STAMP, STAMP);

describe('measureCentroid', () => {
  it('is unbiased on noisy stars and its errors match the scatter (pulls ~ N(0, 1))', () => {
    const rng = new TestRandom(41);
    const sigma = 1.7;
    const noise = 2;
    const pullsX: number[] = [];
    const pullsY: number[] = [];
    const errs: number[] = [];
    const variance = new ImageF(new Float32Array(STAMP * STAMP).fill(noise * noise), bbox);
    for (let i = 0; i < 400; i++) {
      const pixels = new Float32Array(STAMP * STAMP);
      const x = 20 + rng.uniform() - 0.5;
      const y = 20 + rng.uniform() - 0.5;
      addGaussian(pixels, STAMP, STAMP, x, y, 1500, sigma * sigma, sigma * sigma, 0, 5);
      addNoise(pixels, noise, rng);
      const c = measureCentroid(new ImageF(pixels, bbox), variance, 20, 20, { weightSigma: sigma });
      expect(c.failed).toBe(false);
      pullsX.push((c.x - x) / c.xErr);
      pullsY.push((c.y - y) / c.yErr);
      errs.push(c.xErr);
    }
    for (const pulls of [pullsX, pullsY]) {
      expect(Math.abs(mean(pulls))).toBeLessThan(3 / Math.sqrt(pulls.length));
      expect(std(pulls)).toBeGreaterThan(0.9);
      expect(std(pulls)).toBeLessThan(1.1);
    }
    // Cramér–Rao-like scale: σ_x ≈ σ_psf·√2·2σ_n√π σ_psf / F for a PSF-weighted centroid (here ≈ 0.034 px).
    const expected = (Math.sqrt(2) * sigma * 2 * noise * Math.sqrt(Math.PI) * sigma) / 1500;
    expect(mean(errs) / expected).toBeGreaterThan(0.9);
    expect(mean(errs) / expected).toBeLessThan(1.1);
  });

  it('flags a centroid with no flux, or one that runs away', () => {
    const empty = new ImageF(new Float32Array(STAMP * STAMP), bbox);
    expect(measureCentroid(empty, null, 20, 20, { weightSigma: 1.5 }).failed).toBe(true);
    const pixels = new Float32Array(STAMP * STAMP);
    addGaussian(pixels, STAMP, STAMP, 32, 20, 1000, 2.25);
    const far = measureCentroid(new ImageF(pixels, bbox), null, 20, 20, { weightSigma: 1.5, maxShift: 3 });
    expect(far.failed).toBe(true);
    expect([far.x, far.y]).toEqual([20, 20]);
  });
});

describe('measureAdaptiveMoments', () => {
  it('recovers the moments of elliptical Gaussians to < 1% (pixel integration adds 1/12 px²)', () => {
    const cases = [
      { s: 2, e: 0, angle: 0 },
      { s: 2.5, e: 0.3, angle: 0.4 },
      { s: 3, e: 0.5, angle: 1.2 },
      { s: 4, e: 0.6, angle: -0.7 },
      { s: 1.6, e: 0.2, angle: 2.0 },
    ];
    for (const { s, e, angle } of cases) {
      // Axis ratio from e = (a² − b²)/(a² + b²); a² + b² = 2s².
      const a2 = s * s * (1 + e);
      const b2 = s * s * (1 - e);
      const c = Math.cos(angle);
      const sn = Math.sin(angle);
      const cxx = a2 * c * c + b2 * sn * sn;
      const cyy = a2 * sn * sn + b2 * c * c;
      const cxy = (a2 - b2) * c * sn;
      const pixels = new Float32Array(STAMP * STAMP);
      addGaussian(pixels, STAMP, STAMP, 20.3, 19.8, 10000, cxx, cyy, cxy);
      const m = measureAdaptiveMoments(new ImageF(pixels, bbox), 20, 20, { initialSigma: 1.5 });
      expect(m.failed).toBe(false);
      const tx = cxx + 1 / 12;
      const ty = cyy + 1 / 12;
      expect(Math.abs(m.ixx / tx - 1)).toBeLessThan(0.01);
      expect(Math.abs(m.iyy / ty - 1)).toBeLessThan(0.01);
      expect(Math.abs(m.ixy - cxy) / Math.sqrt(tx * ty)).toBeLessThan(0.01);
      expect(Math.abs(m.x - 20.3)).toBeLessThan(0.01);
      expect(Math.abs(m.y - 19.8)).toBeLessThan(0.01);
      expect(Math.abs(m.flux / 10000 - 1)).toBeLessThan(0.01);
    }
  });

  it('converges on noisy stars and flags failures', () => {
    const pixels = new Float32Array(STAMP * STAMP);
    addGaussian(pixels, STAMP, STAMP, 20, 20, 3000, 4, 3, 0.5);
    addNoise(pixels, 1, new TestRandom(42));
    const m = measureAdaptiveMoments(new ImageF(pixels, bbox), 20, 20, { initialSigma: 1.5 });
    expect(m.failed).toBe(false);
    expect(Math.abs(m.ixx / (4 + 1 / 12) - 1)).toBeLessThan(0.1);
    const empty = measureAdaptiveMoments(new ImageF(new Float32Array(STAMP * STAMP), bbox), 20, 20, {
      initialSigma: 1.5,
    });
    expect(empty.failed).toBe(true);
    expect(empty.singular).toBe(true);
    expect(Number.isNaN(empty.ixx)).toBe(true);
    const flat = new ImageF(new Float32Array(STAMP * STAMP).fill(1), bbox);
    const large = measureAdaptiveMoments(flat, 20, 20, { initialSigma: 1.5, maxSigma: 5 });
    expect(large.failed).toBe(true);
  });

  it('subtracts the PSF moments (exact for Gaussians)', () => {
    expect(psfCorrectedMoments({ ixx: 6, iyy: 5, ixy: 1 }, { ixx: 2, iyy: 2, ixy: 0.2 })).toEqual({
      ixx: 4,
      iyy: 3,
      ixy: expect.closeTo(0.8, 12),
    });
    expect(psfCorrectedMoments({ ixx: 2, iyy: 2, ixy: 0 }, { ixx: 2.1, iyy: 2, ixy: 0 })).toBeNull();
  });
});

describe('measureMaskedCentroid', () => {
  it('centres a saturated star on its wings where the interpolated core and a one-sided bleed trail pull the plain centroid', () => {
    const size = 81;
    const box = box2i(100, 200, size, size);
    const rng = new TestRandom(44);
    const [trueX, trueY] = [140.3, 239.6];
    const pixels = new Float32Array(size * size);
    addGaussian(pixels, size, size, trueX - 100, trueY - 200, 5e6, 1.7 * 1.7);
    addNoise(pixels, 5, rng);
    const mask = Mask.zeros(box);
    const sat = mask.bitMask('SAT');
    const intrp = mask.bitMask('INTRP');
    const saturation = 6e4;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const i = y * size + x;
        // The core above the saturation level and a bleed trail running 25 px up the star's column only, both
        // flat at the saturation level: a plateau on which the weighted centroid has nothing to climb.
        const trail = x === 40 && y > 39 && y < 65;
        if (pixels[i]! > saturation || trail) {
          mask.array[i] |= sat | intrp;
          pixels[i] = saturation;
        }
      }
    }
    const image = new ImageF(pixels, box);
    // Detection's peak on such a plateau can be anywhere along the trail: start 3 px up it.
    const plain = measureCentroid(image, null, 140, 243, { weightSigma: 1.7 });
    const psf = { kind: 'gaussian', sigma: 1.7 } as const;
    const wings = measureMaskedCentroid(image, mask, sat | intrp, psf, plain.x, plain.y, { maxShift: 7 });
    expect(wings.failed).toBe(false);
    const wingsError = Math.hypot(wings.x - trueX, wings.y - trueY);
    const plainError = Math.hypot(plain.x - trueX, plain.y - trueY);
    expect(wingsError).toBeLessThan(0.01);
    expect(wingsError).toBeLessThan(plainError / 3);
    // Nothing usable at all: a failure at the starting point, not a guess.
    const allBad = Mask.zeros(box);
    allBad.array.fill(sat);
    const none = measureMaskedCentroid(image, allBad, sat, psf, 140, 240);
    expect(none).toMatchObject({ failed: true, x: 140, y: 240 });
  });
});
