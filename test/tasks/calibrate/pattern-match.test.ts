import { describe, expect, it } from 'vitest';
import { isMeridianError } from '../../../src/errors.js';
import { pixelToSky, separationMas } from '../../../src/formats/index.js';
import { Random } from '../../../src/sim/random.js';
import { fitAstrometry, matchPattern, type PatternMatchResult } from '../../../src/tasks/index.js';
import {
  type InitialWcsError,
  perturbedWcs,
  SIZE,
  type SyntheticField,
  syntheticField,
} from './synthetic-field.js';

const detectorSize = { width: SIZE, height: SIZE };

/** Matches that pair a source with its true reference star, and the number of true pairs. */
function score(field: SyntheticField, result: PatternMatchResult) {
  const correct = result.matches.filter((m) => field.truthReference[m.source] === m.reference).length;
  return { correct, wrong: result.matches.length - correct };
}

function expectFailure(run: () => unknown, pattern: RegExp) {
  try {
    run();
  } catch (err) {
    expect(isMeridianError(err, 'ASTROMETRY_FAILED')).toBe(true);
    expect((err as Error).message).toMatch(pattern);
    expect((err as { hint: string }).hint).toMatch(/reference catalog/);
    return;
  }
  throw new Error('expected ASTROMETRY_FAILED');
}

describe('matchPattern', () => {
  const cases: [string, number, InitialWcsError][] = [
    ['a shift of 40"', 1, { offsetArcsec: [30, -25] }],
    [
      'a rotation of 137 degrees and a 3% scale error',
      2,
      { offsetArcsec: [-20, 35], rotationDeg: 137, scale: 1.03 },
    ],
    [
      'a flip, a rotation of -71 degrees and a -4% scale error',
      3,
      { rotationDeg: -71, scale: 0.96, flip: true },
    ],
    ['a small rotation and shift', 4, { offsetArcsec: [50, 10], rotationDeg: 2.5, scale: 1.01 }],
  ];
  for (const [name, seed, error] of cases) {
    it(`finds the true matches despite ${name}, with half of each side unmatched`, () => {
      const field = syntheticField({ seed, noisePixels: 0.1 });
      const initial = perturbedWcs(field.trueWcs, error);
      const result = matchPattern(field.sources, field.references, initial, { detectorSize });
      const { correct, wrong } = score(field, result);
      // Nearly every detected star is found and nothing spurious is paired (spurious detections can land within
      // the final radius of an unrelated star only by chance: 1" in a field of 600 stars over 820" x 820").
      expect(correct).toBeGreaterThan(0.95 * field.detected);
      expect(wrong).toBeLessThanOrEqual(2);
      expect(result.flipped).toBe(error.flip === true);
      expect(result.scale).toBeCloseTo(1 / (error.scale ?? 1), 2);
      // The affine WCS is good to an arcsecond or so everywhere (the distortion is a few pixels at the corners).
      for (const [x, y] of [
        [0, 0],
        [SIZE - 1, SIZE - 1],
        [SIZE / 2, SIZE / 3],
      ]) {
        const fitted = pixelToSky(result.wcs, x, y);
        const truth = pixelToSky(field.trueWcs, x, y);
        expect(separationMas(fitted, truth)).toBeLessThan(1000);
      }
      expect(result.rmsArcsec).toBeLessThan(0.5);
    });
  }

  it('finds the match on crowded, outlier-laden fields (10 seeded random errors, 2 spurious detections per real one)', () => {
    for (let seed = 100; seed < 110; seed++) {
      const random = new Random([seed, 9]);
      const field = syntheticField({
        seed,
        noisePixels: 0.3,
        stars: random.between(60, 3000),
        distortionPixels: random.between(0, 20),
        detectedFraction: 0.35,
        spuriousPerReal: 2,
      });
      const initial = perturbedWcs(field.trueWcs, {
        offsetArcsec: [random.between(-60, 60), random.between(-60, 60)],
        rotationDeg: random.between(-180, 180),
        scale: random.between(0.96, 1.04),
        flip: random.uniform() < 0.3,
      });
      const result = matchPattern(field.sources, field.references, initial, { detectorSize });
      const { correct, wrong } = score(field, result);
      expect(correct, `seed ${seed}`).toBeGreaterThan(0.9 * field.detected);
      expect(wrong, `seed ${seed}`).toBeLessThan(0.05 * field.detected);
    }
  });

  it('recovers the rotation and shift it was given, relative to the initial WCS', () => {
    const field = syntheticField({ seed: 5 });
    const initial = perturbedWcs(field.trueWcs, { rotationDeg: 30, offsetArcsec: [40, 0] });
    const result = matchPattern(field.sources, field.references, initial, { detectorSize });
    // The truth is the initial WCS turned back by 30 degrees.
    expect(Math.abs(Math.abs(result.rotationDeg) - 30)).toBeLessThan(0.05);
    expect(result.offsetArcsec).toBeGreaterThan(35);
    expect(result.offsetArcsec).toBeLessThan(45);
  });

  it('refuses a flipped solution when flips are not allowed', () => {
    const field = syntheticField({ seed: 6 });
    const initial = perturbedWcs(field.trueWcs, { flip: true, rotationDeg: 20 });
    expectFailure(
      () => matchPattern(field.sources, field.references, initial, { detectorSize, allowFlip: false }),
      /no pattern of \d+ or more/,
    );
  });

  it('fails clearly on a field with too few detected stars', () => {
    const field = syntheticField({ seed: 7 });
    expectFailure(
      () => matchPattern(field.sources.slice(0, 4), field.references, field.trueWcs, { detectorSize }),
      /at least 6 detected sources with a position, got 4/,
    );
  });

  it('leaves out sources without a position (a failed centroid)', () => {
    const field = syntheticField({ seed: 16 });
    const sources = field.sources.map((s, i) => (i % 7 === 3 ? { ...s, x: Number.NaN } : s));
    const initial = perturbedWcs(field.trueWcs, { rotationDeg: 45, offsetArcsec: [10, 10] });
    // Without a detector size, the field is the bounding box of the located sources.
    const result = matchPattern(sources, field.references, initial);
    expect(result.matches.every((m) => Number.isFinite(sources[m.source].x))).toBe(true);
    expect(score(field, result).correct).toBeGreaterThan(0.8 * field.detected);
    const fit = fitAstrometry(sources, field.references, result.wcs);
    expect(fit.matches.every((m) => Number.isFinite(sources[m.source].x))).toBe(true);
    expect(fit.wcs.crpix.every(Number.isFinite)).toBe(true);
  });

  it('fails clearly when no reference stars cover the field', () => {
    const field = syntheticField({ seed: 8 });
    const elsewhere = field.references.map((r) => ({ ...r, dec: r.dec > 0 ? r.dec - 5 : r.dec + 5 }));
    expectFailure(
      () => matchPattern(field.sources, elsewhere, field.trueWcs, { detectorSize }),
      /found 0 within/,
    );
    expectFailure(
      () => matchPattern(field.sources, [], field.trueWcs, { detectorSize }),
      /reference stars on the field/,
    );
  });

  it('fails instead of inventing a match between unrelated catalogs', () => {
    const field = syntheticField({ seed: 9 });
    const other = syntheticField({ seed: 10 });
    // The other field's stars, moved onto this field's sky: same density, no true pairs.
    const moved = other.sources.map((s) => {
      const sky = pixelToSky(field.trueWcs, s.x, s.y);
      return { ra: sky.ra, dec: sky.dec, mag: 30.2 - 2.5 * Math.log10(s.flux) };
    });
    expectFailure(() => matchPattern(field.sources, moved, field.trueWcs, { detectorSize }), /no pattern/);
  });
});
