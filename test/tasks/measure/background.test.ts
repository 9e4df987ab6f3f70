import { describe, expect, it } from 'vitest';
import { box2i, ImageF, Mask } from '../../../src/formats/index.js';
import {
  backgroundImage,
  backgroundNoiseRows,
  backgroundRmsImage,
  backgroundSubtracted,
  clippedBackgroundStatistics,
  estimateBackground,
  subtractBackground,
} from '../../../src/tasks/index.js';
import { addGaussian, addNoise, TestRandom } from './scenes.js';

const SIZE = 1024;
const NOISE = 10;

function scene(level: (x: number, y: number) => number, seed: number, stars = 0): Float32Array {
  const rng = new TestRandom(seed);
  const pixels = new Float32Array(SIZE * SIZE);
  for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) pixels[y * SIZE + x] = level(x, y);
  for (let i = 0; i < stars; i++) {
    addGaussian(
      pixels,
      SIZE,
      SIZE,
      rng.uniform() * SIZE,
      rng.uniform() * SIZE,
      2000 + 50000 * rng.uniform(),
      2.25,
    );
  }
  addNoise(pixels, NOISE, rng);
  return pixels;
}

/** RMS and worst |error| of the background model against the truth, in units of the pixel noise. */
function errors(model: Float32Array, level: (x: number, y: number) => number): { rms: number; mean: number } {
  let sum = 0;
  let sum2 = 0;
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const d = (model[y * SIZE + x] - level(x, y)) / NOISE;
      sum += d;
      sum2 += d * d;
    }
  }
  return { rms: Math.sqrt(sum2 / (SIZE * SIZE)), mean: sum / (SIZE * SIZE) };
}

describe('clippedBackgroundStatistics', () => {
  it('gives the clipped mean of sky noise, the mode estimate when sources crowd it, and copes with constant data', () => {
    const rng = new TestRandom(5);
    const sky = Float32Array.from({ length: 40000 }, () => 100 + 10 * rng.normal());
    const plain = clippedBackgroundStatistics(sky.slice(), sky.length);
    expect(plain.crowded).toBe(false);
    expect(Math.abs(plain.level - 100)).toBeLessThan(0.15);
    expect(plain.sigma / 10).toBeCloseTo(0.987, 1);
    expect(plain.usable).toBe(40000);
    // A quarter of the pixels carry source light (exponential tail): σ of all values doubles; the level stays near
    // the sky where the plain mean is pulled far up.
    const crowded = sky.map((v, i) => (i % 4 === 0 ? v - 60 * Math.log(1 - rng.uniform()) : v));
    const stats = clippedBackgroundStatistics(crowded, crowded.length);
    expect(stats.crowded).toBe(true);
    expect(Math.abs(stats.level - 100)).toBeLessThan(3);
    const constant = clippedBackgroundStatistics(new Float32Array(500).fill(7), 500);
    expect([constant.level, constant.sigma]).toEqual([7, 0]);
  });
});

describe('estimateBackground', () => {
  const bbox = box2i(0, 0, SIZE, SIZE);

  it('recovers a flat sky to < 1% of the noise, and its noise', () => {
    const flat = () => 1000;
    const model = estimateBackground(new ImageF(scene(flat, 1), bbox));
    const e = errors(backgroundImage(model).array, flat);
    expect(Math.abs(e.mean)).toBeLessThan(0.01);
    expect(e.rms).toBeLessThan(0.01);
    expect(model.medianSigma / NOISE).toBeGreaterThan(0.98);
    expect(model.medianSigma / NOISE).toBeLessThan(1.02);
    const rms = backgroundRmsImage(model);
    expect(rms.get(0, 0) / NOISE).toBeCloseTo(1, 1);
    expect(rms.get(1023, 517) / NOISE).toBeCloseTo(1, 1);
    expect(model.cellsX).toBe(8);
  });

  it('recovers a gradient to < 1% of the noise (bilinear is exact for a plane, border cells unbiased)', () => {
    const gradient = (x: number, y: number) => 1000 + 0.05 * x - 0.03 * y;
    const model = estimateBackground(new ImageF(scene(gradient, 2), bbox));
    const e = errors(backgroundImage(model).array, gradient);
    expect(Math.abs(e.mean)).toBeLessThan(0.01);
    expect(e.rms).toBeLessThan(0.01);
  });

  it('with stars, masking DETECTED pixels keeps the sky unbiased', () => {
    const gradient = (x: number, y: number) => 500 + 0.02 * x + 0.01 * y;
    const pixels = scene(gradient, 3, 400);
    const image = new ImageF(pixels, bbox);
    const mask = Mask.zeros(bbox);
    // Mark what a detection would: every pixel more than 2σ above the truth within 8 px of a star is DETECTED.
    const detected = mask.bitMask('DETECTED');
    for (let i = 0; i < pixels.length; i++) {
      const x = i % SIZE;
      const y = (i - x) / SIZE;
      if (pixels[i] - gradient(x, y) > 3 * NOISE) {
        for (let dy = -8; dy <= 8; dy++)
          for (let dx = -8; dx <= 8; dx++) {
            const xx = x + dx;
            const yy = y + dy;
            if (xx >= 0 && yy >= 0 && xx < SIZE && yy < SIZE) mask.array[yy * SIZE + xx] |= detected;
          }
      }
    }
    const unmasked = errors(backgroundImage(estimateBackground(image)).array, gradient);
    const masked = errors(backgroundImage(estimateBackground(image, mask)).array, gradient);
    expect(Math.abs(masked.mean)).toBeLessThan(0.02);
    expect(masked.rms).toBeLessThan(0.03);
    // Without the mask the stars' wings pull the sky up: the mask must do better.
    expect(Math.abs(masked.mean)).toBeLessThan(Math.abs(unmasked.mean));
  });

  it('subtracts in place, fills fully masked cells from neighbours, and refuses an all-masked image', () => {
    const flat = () => 200;
    const pixels = scene(flat, 4);
    const image = new ImageF(pixels, bbox);
    const mask = Mask.zeros(bbox);
    const bad = mask.bitMask('BAD');
    for (let y = 0; y < 300; y++) for (let x = 0; x < 300; x++) mask.array[y * SIZE + x] = bad;
    const model = estimateBackground(image, mask);
    expect(Math.abs(backgroundImage(model).get(10, 10) - 200)).toBeLessThan(0.05 * NOISE);
    subtractBackground(image, model);
    let sum = 0;
    for (const v of image.array) sum += v;
    expect(Math.abs(sum / image.array.length)).toBeLessThan(0.02 * NOISE);
    mask.array.fill(bad);
    expect(() => estimateBackground(image, mask)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => estimateBackground(image, null, { filterSize: 2 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('gives the noise row by row (NoiseRows) as backgroundRmsImage does, and the subtracted copy as subtractBackground', () => {
    const gradient = (x: number, y: number) => 1000 + 0.05 * x - 0.03 * y;
    const image = new ImageF(scene(gradient, 5), bbox);
    const model = estimateBackground(image, null, { meshSize: 100 });
    const rms = backgroundRmsImage(model);
    const rows = backgroundNoiseRows(model);
    expect([rows.width, rows.height]).toEqual([SIZE, SIZE]);
    const line = new Float32Array(SIZE);
    for (const y of [0, 1, 333, 700, SIZE - 1]) {
      rows.fillRow(y, line);
      expect(line).toEqual(rms.array.subarray(y * SIZE, (y + 1) * SIZE));
      for (const x of [0, 57, 512, SIZE - 1]) expect(rows.at(x, y)).toBeCloseTo(rms.get(x, y), 4);
      expect(rows.rowMinimum(y)).toBeLessThanOrEqual(Math.min(...line));
      expect(rows.rowMinimum(y) / Math.min(...line)).toBeGreaterThan(0.999);
    }
    const copy = backgroundSubtracted(image, model);
    const inPlace = new ImageF(image.array.slice(), bbox);
    subtractBackground(inPlace, model);
    expect(copy.array).toEqual(inPlace.array);
  });
});
