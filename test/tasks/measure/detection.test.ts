import { describe, expect, it } from 'vitest';
import { box2i, ImageF, Mask } from '../../../src/formats/index.js';
import {
  backgroundNoiseRows,
  backgroundRmsImage,
  backgroundSubtracted,
  connectedComponents,
  detectSources,
  estimateBackground,
  findAndRepairCosmicRays,
} from '../../../src/tasks/index.js';
import { addGaussian, addNoise, starSnr, TestRandom } from './scenes.js';

const PSF_SIGMA = 1.5;
const psf = { kind: 'gaussian', sigma: PSF_SIGMA } as const;

describe('connectedComponents', () => {
  it('joins diagonal neighbours (8-connectivity), drops small components, orders by first pixel', () => {
    // 0 1 2 3 4 5
    // X . . . X X    row 0
    // . X . . . .    row 1: diagonal to (0,0)
    // . . X . X .    row 2: (2,2) diagonal to (1,1); (4,2) alone
    const width = 6;
    const above = new Uint8Array(18);
    for (const [x, y] of [
      [0, 0],
      [4, 0],
      [5, 0],
      [1, 1],
      [2, 2],
      [4, 2],
    ])
      above[y * width + x] = 1;
    const all = connectedComponents(above, width, 3, 1);
    expect(all.spans.map((s) => Array.from(s))).toEqual([
      [0, 0, 0, 1, 1, 1, 2, 2, 2],
      [0, 4, 5],
      [2, 4, 4],
    ]);
    expect(connectedComponents(above, width, 3, 3).spans).toHaveLength(1);
  });

  it('merges a U shape whose arms meet only at the bottom', () => {
    const width = 5;
    const rows = ['X...X', 'X...X', 'XXXXX'];
    const above = Uint8Array.from(rows.join(''), (c) => (c === 'X' ? 1 : 0));
    const components = connectedComponents(above, width, 3, 1);
    expect(components.spans).toHaveLength(1);
    expect(components.spans[0]!.length / 3).toBe(5);
  });
});

describe('detectSources', () => {
  const SIZE = 1024;
  const bbox = box2i(0, 0, SIZE, SIZE);

  it('finds few false positives on pure noise at 5σ (seeded count)', () => {
    let falsePositives = 0;
    for (const seed of [11, 12, 13, 14]) {
      const pixels = new Float32Array(SIZE * SIZE);
      addNoise(pixels, 1, new TestRandom(seed));
      falsePositives += detectSources({ image: new ImageF(pixels, bbox), noise: 1, psf }).footprints.length;
    }
    // 4 Mpix smoothed by a σ=1.5 px Gaussian hold ~ 4e6 / (4π σ²) ≈ 1.4e5 independent elements; a 5σ tail is
    // 2.9e-7 each: ~0.04 expected. Allow a couple.
    expect(falsePositives).toBeLessThanOrEqual(2);
  });

  it('finds ≥ 99% of stars 3σ above threshold, with their peaks, and sets DETECTED on their pixels', () => {
    const rng = new TestRandom(21);
    const pixels = new Float32Array(SIZE * SIZE);
    const stars: { x: number; y: number; snr: number }[] = [];
    // A grid keeps stars isolated; S/N 8 .. 100 (matched-filter S/N for a PSF-sized kernel).
    for (let gy = 0; gy < 20; gy++) {
      for (let gx = 0; gx < 20; gx++) {
        const x = 30 + gx * 49 + rng.uniform();
        const y = 30 + gy * 49 + rng.uniform();
        const snr = 8 + 92 * rng.uniform() ** 2;
        const flux = snr * Math.sqrt(4 * Math.PI * PSF_SIGMA ** 2);
        addGaussian(pixels, SIZE, SIZE, x, y, flux, PSF_SIGMA ** 2);
        stars.push({ x, y, snr: starSnr(flux, PSF_SIGMA, 1) });
      }
    }
    addNoise(pixels, 1, rng);
    const mask = Mask.zeros(bbox);
    const result = detectSources({ image: new ImageF(pixels, bbox), noise: 1, mask, psf });
    const peaks = result.footprints.flatMap((f) => f.peaks);
    let found = 0;
    for (const s of stars) if (peaks.some((p) => Math.hypot(p.x - s.x, p.y - s.y) < 1.5)) found++;
    expect(found / stars.length).toBeGreaterThanOrEqual(0.99);
    // No spurious detections and no star split into two peaks.
    expect(result.footprints.length).toBeLessThanOrEqual(stars.length + 1);
    expect(result.footprints.filter((f) => f.peaks.length > 1)).toHaveLength(0);
    // DETECTED is set exactly on footprint pixels.
    const detected = mask.bitMask('DETECTED');
    let maskedPixels = 0;
    for (const v of mask.array) if (v & detected) maskedPixels++;
    expect(maskedPixels).toBe(result.footprints.reduce((s, f) => s + f.area, 0));
    const first = result.footprints[0]!;
    expect(mask.get(first.spans[1]!, first.spans[0]!) & detected).toBe(detected);
    // EDGE marks the border where the kernel was truncated.
    expect(mask.get(0, 500) & mask.bitMask('EDGE')).not.toBe(0);
    expect(mask.get(result.edgeWidth, 500) & mask.bitMask('EDGE')).toBe(0);
    // Significance of the peaks tracks the stars' S/N.
    for (const s of stars.filter((t) => t.snr > 30)) {
      const p = peaks.find((q) => Math.hypot(q.x - s.x, q.y - s.y) < 1.5)!;
      expect(p.significance / s.snr).toBeGreaterThan(0.8);
      expect(p.significance / s.snr).toBeLessThan(1.1);
    }
  });

  it('splits two resolved stars into two peaks of one footprint, and keeps parent coordinates', () => {
    const box = box2i(100, 200, 128, 128);
    const pixels = new Float32Array(128 * 128);
    addGaussian(pixels, 128, 128, 60, 64, 5000, PSF_SIGMA ** 2);
    addGaussian(pixels, 128, 128, 67, 64, 3000, PSF_SIGMA ** 2);
    addNoise(pixels, 1, new TestRandom(31));
    const result = detectSources({ image: new ImageF(pixels, box), noise: 1, psf });
    expect(result.footprints).toHaveLength(1);
    const [a, b] = result.footprints[0]!.peaks;
    expect(result.footprints[0]!.peaks).toHaveLength(2);
    expect([a!.x, a!.y]).toEqual([160, 264]);
    expect([b!.x, b!.y]).toEqual([167, 264]);
    expect(result.footprints[0]!.bbox.x0).toBeGreaterThanOrEqual(100);
  });

  it('uses a noise map, and refuses a missing PSF or a mismatched map', () => {
    const pixels = new Float32Array(64 * 64);
    addGaussian(pixels, 64, 64, 32, 32, 200, PSF_SIGMA ** 2);
    const image = new ImageF(pixels, box2i(0, 0, 64, 64));
    const quiet = new ImageF(new Float32Array(64 * 64).fill(1), image.bbox);
    const loud = new ImageF(new Float32Array(64 * 64).fill(100), image.bbox);
    expect(detectSources({ image, noise: quiet, psf }).footprints).toHaveLength(1);
    expect(detectSources({ image, noise: loud, psf }).footprints).toHaveLength(0);
    expect(() => detectSources({ image, noise: 1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() =>
      detectSources({ image, noise: new ImageF(new Float32Array(4), box2i(0, 0, 2, 2)), psf }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('finds the same footprints and cosmic rays with the noise row by row as with the noise image', () => {
    const size = 300;
    const rng = new TestRandom(77);
    const pixels = new Float32Array(size * size);
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) pixels[y * size + x] = 100 + 0.05 * x;
    for (let i = 0; i < 40; i++) {
      const flux = 300 + 3000 * rng.uniform();
      addGaussian(
        pixels,
        size,
        size,
        10 + 280 * rng.uniform(),
        10 + 280 * rng.uniform(),
        flux,
        PSF_SIGMA ** 2,
      );
    }
    for (let i = 0; i < pixels.length; i++) pixels[i] += Math.sqrt(pixels[i]!) * rng.normal();
    for (let i = 0; i < 10; i++) pixels[Math.floor(5 + 290 * rng.uniform()) * size + 150 + i * 7] += 500;
    const bbox = box2i(0, 0, size, size);
    const model = estimateBackground(new ImageF(pixels, bbox), null, { meshSize: 64 });
    const image = backgroundSubtracted(new ImageF(pixels, bbox), model);
    const byImage = { image: new ImageF(image.array.slice(), bbox), mask: Mask.zeros(bbox) };
    const byRows = { image: new ImageF(image.array.slice(), bbox), mask: Mask.zeros(bbox) };
    const crImage = findAndRepairCosmicRays({ ...byImage, noise: backgroundRmsImage(model), psf });
    const crRows = findAndRepairCosmicRays({ ...byRows, noise: backgroundNoiseRows(model), psf });
    expect(crRows.pixels).toBe(crImage.pixels);
    expect(crRows.pixels).toBeGreaterThanOrEqual(10);
    const withImage = detectSources({ ...byImage, noise: backgroundRmsImage(model), psf });
    const withRows = detectSources({ ...byRows, noise: backgroundNoiseRows(model), psf });
    expect(withRows.footprints.length).toBeGreaterThan(20);
    expect(withRows.footprints.map((fp) => Array.from(fp.spans))).toEqual(
      withImage.footprints.map((fp) => Array.from(fp.spans)),
    );
    expect(withRows.footprints.map((fp) => fp.peaks.length)).toEqual(
      withImage.footprints.map((fp) => fp.peaks.length),
    );
  });
});
