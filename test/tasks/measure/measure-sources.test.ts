import { describe, expect, it } from 'vitest';
import {
  backgroundImage,
  detectAndMeasure,
  measureSources,
  SOURCE_FLAGS,
  type SourceMeasurements,
} from '../../../src/tasks/index.js';
import { addGaussian, addNoise, mean, std, TestRandom, testExposure } from './scenes.js';

const SIZE = 600;
const SKY = 400;
const NOISE = 20;
const psf = { kind: 'doubleGaussian', sigma1: 1.6, sigma2: 3.6, ratio: 0.08 } as const;

function addStar(pixels: Float32Array, x: number, y: number, flux: number): void {
  const w1 = psf.sigma1 ** 2;
  const w2 = psf.ratio * psf.sigma2 ** 2;
  addGaussian(pixels, SIZE, SIZE, x, y, (flux * w1) / (w1 + w2), psf.sigma1 ** 2, psf.sigma1 ** 2, 0, 5);
  addGaussian(pixels, SIZE, SIZE, x, y, (flux * w2) / (w1 + w2), psf.sigma2 ** 2, psf.sigma2 ** 2, 0, 3);
}

function nearest(sources: SourceMeasurements, x: number, y: number): number {
  let best = -1;
  let bestD = 3;
  for (let i = 0; i < sources.count; i++) {
    const d = Math.hypot(sources.x[i]! - x, sources.y[i]! - y);
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  }
  return best;
}

describe('detectAndMeasure', () => {
  const rng = new TestRandom(81);
  const pixels = new Float32Array(SIZE * SIZE);
  for (let y = 0; y < SIZE; y++)
    for (let x = 0; x < SIZE; x++) pixels[y * SIZE + x] = SKY + 0.02 * x - 0.01 * y;
  const isolated: { x: number; y: number; flux: number }[] = [];
  for (let gy = 0; gy < 9; gy++) {
    for (let gx = 0; gx < 9; gx++) {
      const star = {
        x: 60 + 60 * gx + rng.uniform(),
        y: 60 + 60 * gy + rng.uniform(),
        flux: 10 ** (3.7 + 1.3 * rng.uniform()),
      };
      if ((gx === 4 && gy === 4) || (gx === 2 && gy === 6) || (gx === 6 && gy === 2)) continue;
      isolated.push(star);
      addStar(pixels, star.x, star.y, star.flux);
    }
  }
  // Specials: a blended pair, a star at the edge, a saturated star, a star with interpolated pixels.
  addStar(pixels, 300, 300, 40000);
  addStar(pixels, 308, 303, 25000);
  addStar(pixels, 1.2, 330, 20000);
  addStar(pixels, 180, 420, 3e6);
  addStar(pixels, 420, 180, 30000);
  addNoise(pixels, NOISE, rng);
  // Cosmic rays on the sky.
  for (let i = 0; i < 30; i++)
    pixels[Math.floor(30 + rng.uniform() * 540) * SIZE + Math.floor(30 + rng.uniform() * 540)] += 2000;
  const exposure = testExposure(pixels, SIZE, SIZE, NOISE, psf);
  const satBit = exposure.mask.bitMask('SAT');
  const SATURATION = 60000;
  for (let i = 0; i < pixels.length; i++) {
    if (pixels[i]! > SATURATION) {
      pixels[i] = SATURATION;
      exposure.mask.array[i] |= satBit;
    }
  }
  const intrp = exposure.mask.bitMask('INTRP');
  for (let y = 178; y <= 182; y++) exposure.mask.array[y * SIZE + 421] |= intrp;
  const before = pixels.slice();
  const result = detectAndMeasure(exposure);
  const s = result.sources;

  it('leaves the input alone and subtracts the sky to a small fraction of the noise', () => {
    expect(exposure.image.array).toEqual(before);
    const background = backgroundImage(...result.backgrounds);
    let sum = 0;
    for (let y = 0; y < SIZE; y++)
      for (let x = 0; x < SIZE; x++) sum += background.array[y * SIZE + x]! - (SKY + 0.02 * x - 0.01 * y);
    expect(Math.abs(sum / (SIZE * SIZE))).toBeLessThan(0.05 * NOISE);
    expect(result.backgroundRms.array[SIZE * 300 + 300]! / NOISE).toBeCloseTo(1, 1);
    expect(result.cosmicRays!.cosmicRays.length).toBeGreaterThanOrEqual(28);
    expect(Object.keys(result.timings)).toEqual(['background', 'cosmicRays', 'detection', 'measurement']);
  });

  it('finds every star once and measures it against the truth', () => {
    const pullsPsf: number[] = [];
    const ratiosAp: number[] = [];
    for (const star of isolated) {
      const i = nearest(s, star.x, star.y);
      expect(i, `star at ${star.x}, ${star.y}`).toBeGreaterThanOrEqual(0);
      for (const flag of [
        'edge',
        'saturated',
        'blended',
        'badCentroid',
        'shapeFailed',
        'psfFluxFailed',
        'interpolated',
      ] as const) {
        expect(s.flags[flag][i], flag).toBe(0);
      }
      pullsPsf.push((s.psfFlux[i]! - star.flux) / s.psfFluxErr[i]!);
      ratiosAp.push(s.apFlux[5]![i]! / star.flux);
      expect(Math.abs(s.x[i]! - star.x)).toBeLessThan(5 * s.xErr[i]! + 0.01);
      // Adaptive moments of a double Gaussian: between the core's σ² and the second moment of the whole PSF.
      if (star.flux > 2e4) {
        expect(s.ixx[i]!).toBeGreaterThan(psf.sigma1 ** 2);
        expect(s.ixx[i]!).toBeLessThan(psf.sigma2 ** 2);
        expect(Math.abs(s.ixx[i]! / s.iyy[i]! - 1)).toBeLessThan(0.05);
      }
      expect(s.kronFlux[i]! / star.flux).toBeGreaterThan(0.85);
    }
    // No residual bias from the background; the error bars are honest (PSF model exact, linear fit).
    expect(Math.abs(mean(pullsPsf))).toBeLessThan(0.4);
    expect(std(pullsPsf)).toBeLessThan(1.3);
    // The 17 px aperture holds all but the far wing of the second Gaussian.
    expect(Math.abs(mean(ratiosAp) - 1)).toBeLessThan(0.01);
    // Nothing spurious: 78 stars, the blend (one footprint), edge, saturated and interpolated stars.
    expect(s.count).toBeGreaterThanOrEqual(isolated.length + 4);
    expect(s.count).toBeLessThanOrEqual(isolated.length + 6);
  });

  it('sets the pixel flags of the special stars', () => {
    const blend = nearest(s, 300, 300);
    expect(s.flags.blended[blend]).toBe(1);
    expect(s.peakCount[blend]).toBe(2);
    const edge = nearest(s, 1.2, 330);
    expect(edge).toBeGreaterThanOrEqual(0);
    expect(s.flags.edge[edge]).toBe(1);
    expect(s.flags.apertureTruncated[edge]).toBe(1);
    const saturated = nearest(s, 180, 420);
    expect(s.flags.saturated[saturated]).toBe(1);
    expect(s.flags.saturatedCenter[saturated]).toBe(1);
    const interpolated = nearest(s, 420, 180);
    expect(s.flags.interpolated[interpolated]).toBe(1);
    expect(s.flags.interpolatedCenter[interpolated]).toBe(1);
    expect(Object.keys(s.flags)).toEqual([...SOURCE_FLAGS]);
  });

  it('refuses an exposure without a PSF and bad configs', () => {
    const noPsf = testExposure(new Float32Array(64 * 64), 64, 64, 1, psf);
    const bare = Object.assign(Object.create(Object.getPrototypeOf(noPsf)), noPsf, { psf: null });
    expect(() => measureSources({ exposure: bare, footprints: [] })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => detectAndMeasure(noPsf, { detection: { thresholdSigma: -1 } })).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('detection.thresholdSigma'),
      }),
    );
  });
});
