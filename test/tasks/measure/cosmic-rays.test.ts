import { describe, expect, it } from 'vitest';
import { box2i, ImageF, Mask } from '../../../src/formats/index.js';
import { findAndRepairCosmicRays, psfNeighbourRatios } from '../../../src/tasks/index.js';
import { addGaussian, addNoise, TestRandom } from './scenes.js';

const SIZE = 512;
const NOISE = 5;
const psf = { kind: 'gaussian', sigma: 1.4 } as const;

describe('findAndRepairCosmicRays', () => {
  it('finds single-pixel hits and tracks, repairs them, and leaves stars (even very bright ones) alone', () => {
    const rng = new TestRandom(71);
    const bbox = box2i(0, 0, SIZE, SIZE);
    const pixels = new Float32Array(SIZE * SIZE);
    const stars: { x: number; y: number; flux: number }[] = [];
    for (let i = 0; i < 80; i++) {
      const star = {
        x: 20 + rng.uniform() * 472,
        y: 20 + rng.uniform() * 472,
        flux: 10 ** (3 + 3 * rng.uniform()),
      };
      stars.push(star);
      addGaussian(pixels, SIZE, SIZE, star.x, star.y, star.flux, psf.sigma ** 2);
    }
    const clean = pixels.slice();
    addNoise(pixels, NOISE, rng);
    // Cosmic rays: single pixels and short tracks (2–6 pixels, any direction), 100–5000 e-.
    const hit = new Set<number>();
    for (let i = 0; i < 60; i++) {
      const length = i < 20 ? 1 : 2 + Math.floor(rng.uniform() * 5);
      const angle = rng.uniform() * Math.PI;
      let x = 10 + rng.uniform() * 490;
      let y = 10 + rng.uniform() * 490;
      for (let k = 0; k < length; k++) {
        const index = Math.round(y) * SIZE + Math.round(x);
        if (!hit.has(index)) {
          hit.add(index);
          pixels[index] += 100 + 4900 * rng.uniform();
        }
        x += Math.cos(angle);
        y += Math.sin(angle);
      }
    }
    const withHits = pixels.slice();
    const image = new ImageF(pixels, bbox);
    const mask = Mask.zeros(bbox);
    const result = findAndRepairCosmicRays({ image, noise: NOISE, mask, psf });
    const crBit = mask.bitMask('CR');
    // Every hit pixel off the stars' bright cores is masked (a hit under a core of thousands of e- is invisible).
    let found = 0;
    let visible = 0;
    for (const index of hit) {
      if (clean[index]! > 10 * NOISE) continue;
      visible++;
      if (mask.array[index]! & crBit) found++;
    }
    expect(visible).toBeGreaterThan(150);
    expect(found / visible).toBeGreaterThanOrEqual(0.99);
    expect(result.cosmicRays.length).toBeGreaterThan(40);
    expect(result.cosmicRays.length).toBeLessThanOrEqual(60);
    // Repaired pixels are back near the truth: the error of interpolating between two noisy pixels (σ/√2 for a
    // one-pixel gap) plus a star wing's curvature.
    let worst = 0;
    let sum2 = 0;
    let n = 0;
    for (const index of hit) {
      if (nearStar(index)) continue;
      const error = Math.abs(pixels[index]! - clean[index]!);
      worst = Math.max(worst, error);
      sum2 += error * error;
      n++;
    }
    expect(Math.sqrt(sum2 / n)).toBeLessThan(1.5 * NOISE);
    expect(worst).toBeLessThan(8 * NOISE);
    // No star core is eaten: no CR pixel within 2 px of a star that has no hit nearby.
    for (const s of stars) {
      const cx = Math.round(s.x);
      const cy = Math.round(s.y);
      let hitNearby = false;
      let masked = false;
      for (let dy = -3; dy <= 3; dy++)
        for (let dx = -3; dx <= 3; dx++) {
          const index = (cy + dy) * SIZE + cx + dx;
          if (hit.has(index)) hitNearby = true;
          if (Math.abs(dx) <= 2 && Math.abs(dy) <= 2 && mask.array[index]! & crBit) masked = true;
        }
      if (!hitNearby) expect(masked, `star at ${s.x},${s.y} flux ${s.flux}`).toBe(false);
    }
    // Pixels outside the cosmic rays are untouched; masked pixels carry INTRP too.
    let changedUnmasked = 0;
    let maskedWithoutIntrp = 0;
    for (let i = 0; i < pixels.length; i++) {
      if ((mask.array[i]! & crBit) === 0) {
        if (pixels[i] !== withHits[i]) changedUnmasked++;
      } else if ((mask.array[i]! & mask.bitMask('INTRP')) === 0) maskedWithoutIntrp++;
    }
    expect(changedUnmasked).toBe(0);
    expect(maskedWithoutIntrp).toBe(0);

    function nearStar(index: number): boolean {
      const x = index % SIZE;
      const y = (index - x) / SIZE;
      return stars.some((s) => Math.hypot(s.x - x, s.y - y) < 6 * psf.sigma && s.flux > 3e3);
    }
  });

  it('finds nothing on noise and on a very bright star, and takes the PSF ratios from the model', () => {
    const ratios = psfNeighbourRatios({ kind: 'gaussian', sigma: 1.5 });
    expect(ratios.side).toBeGreaterThan(0.75);
    expect(ratios.side).toBeLessThan(0.85);
    expect(ratios.diagonal).toBeLessThan(ratios.side);
    const bbox = box2i(0, 0, 128, 128);
    const pixels = new Float32Array(128 * 128);
    addGaussian(pixels, 128, 128, 64.2, 63.7, 5e6, psf.sigma ** 2);
    addNoise(pixels, NOISE, new TestRandom(72));
    const mask = Mask.zeros(bbox);
    const result = findAndRepairCosmicRays({ image: new ImageF(pixels, bbox), noise: NOISE, mask, psf });
    expect(result.pixels).toBe(0);
    expect(() =>
      findAndRepairCosmicRays({ image: new ImageF(pixels, bbox), noise: NOISE, mask, psf }, { cond: 2 }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('gives the same answer on repeated calls, also after a call that gave up (the marks buffer is reused)', () => {
    const rng = new TestRandom(73);
    const bbox = box2i(0, 0, 128, 128);
    const base = new Float32Array(128 * 128);
    addNoise(base, NOISE, rng);
    for (const [x, y] of [
      [20, 30],
      [21, 30],
      [90, 100],
      [60, 12],
    ] as const)
      base[y * 128 + x] += 2000;
    // Another image's hits, next to the first image's.
    const other = base.slice();
    for (const [x, y] of [
      [22, 30],
      [91, 100],
      [40, 40],
    ] as const)
      other[y * 128 + x] += 2000;
    const run = (config = {}, pixels = base) => {
      const mask = Mask.zeros(bbox);
      const image = new ImageF(pixels.slice(), bbox);
      const result = findAndRepairCosmicRays({ image, noise: NOISE, mask, psf }, config);
      return { result, mask: mask.array.slice(), pixels: image.array };
    };
    const first = run();
    expect(first.result.cosmicRays.length).toBe(3);
    expect(first.result.cosmicRays.map((c) => c.area).sort()).toEqual([1, 1, 2]);
    // A call that finds more marks than maxPixels throws after marking: the next call must not see its marks.
    expect(() => run({ maxPixels: 1 }, other)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const again = run();
    expect(again.result.pixels).toBe(first.result.pixels);
    expect(again.mask).toEqual(first.mask);
    expect(again.pixels).toEqual(first.pixels);
  });
});
