import { describe, expect, it } from 'vitest';
import {
  deblendFootprints,
  detectSources,
  measureSources,
  withChildPixels,
} from '../../../src/tasks/index.js';
import { addGaussian, addNoise, TestRandom, testExposure } from './scenes.js';

const SIZE = 120;
const NOISE = 5;
const SIGMA = 1.8;
const psf = { kind: 'gaussian', sigma: SIGMA } as const;
const bright = { x: 50.3, y: 60.2, flux: 20000 };
const faint = { x: 57.6, y: 62.1, flux: 8000 };

function blendedPair(seed: number) {
  const pixels = new Float32Array(SIZE * SIZE);
  for (const star of [bright, faint]) addGaussian(pixels, SIZE, SIZE, star.x, star.y, star.flux, SIGMA ** 2);
  addNoise(pixels, NOISE, new TestRandom(seed));
  const exposure = testExposure(pixels, SIZE, SIZE, NOISE, psf);
  const detection = detectSources({ image: exposure.image, noise: NOISE, mask: exposure.mask, psf });
  return { exposure, detection };
}

function nearestRow(x: Float64Array, y: Float64Array, rows: readonly number[], tx: number, ty: number) {
  return rows.reduce((best, i) =>
    Math.hypot(x[i]! - tx, y[i]! - ty) < Math.hypot(x[best]! - tx, y[best]! - ty) ? i : best,
  );
}

describe('deblendFootprints', () => {
  it('splits a two-peak footprint into a parent and two children whose pixels sum to the parent', () => {
    const { exposure, detection } = blendedPair(11);
    expect(detection.footprints).toHaveLength(1);
    const parent = detection.footprints[0]!;
    expect(parent.peaks).toHaveLength(2);
    const deblended = deblendFootprints(exposure.image, detection.footprints, SIGMA);
    expect(deblended.map((fp) => [fp.childCount ?? 0, fp.parentId ?? 0])).toEqual([
      [2, 0],
      [0, parent.id],
      [0, parent.id],
    ]);
    expect(new Set(deblended.map((fp) => fp.id)).size).toBe(3);
    // Flux is conserved pixel by pixel: the shares add up to the image.
    const [, first, second] = deblended;
    let at = 0;
    const spans = parent.spans;
    for (let s = 0; s < spans.length; s += 3) {
      for (let x = spans[s + 1]!; x <= spans[s + 2]!; x++, at++) {
        const value = exposure.image.array[spans[s]! * SIZE + x]!;
        expect(first!.heavy![at]! + second!.heavy![at]!).toBeCloseTo(value, 2);
      }
    }
  });

  it('measures each child on its share: positions and fluxes of both stars, the parent biased by its neighbour', () => {
    const { exposure, detection } = blendedPair(12);
    const before = exposure.image.array.slice();
    const deblended = deblendFootprints(exposure.image, detection.footprints, SIGMA);
    const s = measureSources({ exposure, footprints: deblended });
    expect(exposure.image.array).toEqual(before);
    expect(s.count).toBe(3);
    expect(Array.from(s.deblendNChild)).toEqual([2, 0, 0]);
    expect(Array.from(s.parent)).toEqual([0, deblended[0]!.id, deblended[0]!.id]);
    expect(Array.from(s.peakCount)).toEqual([2, 2, 2]);
    expect(Array.from(s.flags.blended)).toEqual([1, 1, 1]);
    for (const star of [bright, faint]) {
      const child = nearestRow(s.x, s.y, [1, 2], star.x, star.y);
      expect(Math.hypot(s.x[child]! - star.x, s.y[child]! - star.y)).toBeLessThan(0.3);
      expect(Math.abs(s.psfFlux[child]! / star.flux - 1)).toBeLessThan(0.05);
    }
    // The parent's 9 px aperture at the bright peak also holds much of the faint star; its child's does not.
    const brightChild = nearestRow(s.x, s.y, [1, 2], bright.x, bright.y);
    expect(s.apFlux[3]![0]! / bright.flux).toBeGreaterThan(1.2);
    expect(Math.abs(s.apFlux[3]![brightChild]! / bright.flux - 1)).toBeLessThan(0.05);
  });

  it('leaves footprints with one peak, or more peaks than maxChildren, alone', () => {
    const { exposure, detection } = blendedPair(13);
    expect(deblendFootprints(exposure.image, detection.footprints, SIGMA, { maxChildren: 2 })).toHaveLength(
      3,
    );
    const pixels = new Float32Array(SIZE * SIZE);
    addGaussian(pixels, SIZE, SIZE, 60, 60, 10000, SIGMA ** 2);
    const single = testExposure(pixels, SIZE, SIZE, NOISE, psf);
    const found = detectSources({ image: single.image, noise: NOISE, psf });
    const deblended = deblendFootprints(single.image, found.footprints, SIGMA);
    expect(deblended).toEqual(found.footprints);
    expect(() => deblendFootprints(single.image, [], SIGMA, { maxChildren: 1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('puts the parent pixels back even when the measurement throws', () => {
    const { exposure, detection } = blendedPair(14);
    const before = exposure.image.array.slice();
    const child = deblendFootprints(exposure.image, detection.footprints, SIGMA)[1]!;
    expect(() =>
      withChildPixels(exposure.image, child, () => {
        expect(exposure.image.array).not.toEqual(before);
        throw new Error('measurement failed');
      }),
    ).toThrow('measurement failed');
    expect(exposure.image.array).toEqual(before);
    expect(() => withChildPixels(exposure.image, detection.footprints[0]!, () => 0)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
