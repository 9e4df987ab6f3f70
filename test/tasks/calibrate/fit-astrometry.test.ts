import { describe, expect, it } from 'vitest';
import { isMeridianError } from '../../../src/errors.js';
import { pixelToSky, separationMas, type TanSipWcs } from '../../../src/formats/index.js';
import { Random } from '../../../src/sim/random.js';
import {
  type DetectedSource,
  fitAstrometry,
  matchPattern,
  solveAstrometry,
} from '../../../src/tasks/index.js';
import { PIXEL_SCALE_ARCSEC, perturbedWcs, SIZE, syntheticField } from './synthetic-field.js';

const detectorSize = { width: SIZE, height: SIZE };

/** Largest sky distance between two WCSs over a 21 x 21 grid of the detector, mas. */
function maxDifferenceMas(a: TanSipWcs, b: TanSipWcs): number {
  let max = 0;
  for (let i = 0; i <= 20; i++) {
    for (let j = 0; j <= 20; j++) {
      const x = ((SIZE - 1) * i) / 20;
      const y = ((SIZE - 1) * j) / 20;
      max = Math.max(max, separationMas(pixelToSky(a, x, y), pixelToSky(b, x, y)));
    }
  }
  return max;
}

/** The matcher's WCS for a field whose initial WCS is off by a rotation and a shift. */
function matchedStart(seed: number, noisePixels: number) {
  const field = syntheticField({ seed, noisePixels });
  const initial = perturbedWcs(field.trueWcs, { offsetArcsec: [20, -30], rotationDeg: 65, scale: 1.02 });
  const match = matchPattern(field.sources, field.references, initial, { detectorSize });
  return { field, start: match.wcs };
}

describe('fitAstrometry', () => {
  it('recovers the true distortion to < 1 mas on noiseless positions', () => {
    const { field, start } = matchedStart(11, 0);
    const fit = fitAstrometry(field.sources, field.references, start, { detectorSize });
    expect(fit.order).toBe(3);
    expect(maxDifferenceMas(fit.wcs, field.trueWcs)).toBeLessThan(1);
    expect(fit.rmsResidualMas).toBeLessThan(1);
    // Every detected star is used (a few spurious detections may sit on a star by chance, within 0.05").
    const correct = fit.matches.filter((m) => field.truthReference[m.source] === m.reference).length;
    expect(correct).toBeGreaterThan(0.99 * field.detected);
    expect(fit.matches.length - correct).toBeLessThanOrEqual(1);
    expect(fit.wcs.crpix).toEqual([SIZE / 2 + 0.5, SIZE / 2 + 0.5]);
    // Converged (the same matches twice at a radius that no longer shrinks), not stopped by the iteration limit.
    expect(fit.iterations).toBeLessThanOrEqual(5);
  });

  it('follows a distortion of 80 pixels at the corners from the affine start of the matcher', () => {
    const field = syntheticField({ seed: 3, stars: 1000, distortionPixels: 80 });
    const initial = perturbedWcs(field.trueWcs, { offsetArcsec: [30, 20], rotationDeg: 100, scale: 1.02 });
    const { match, fit } = solveAstrometry(field.sources, field.references, initial, { detectorSize });
    // The affine start misses the corners by up to 16"; the SIP fit reaches them from the inner stars.
    expect(match.matches.length).toBeLessThan(field.detected);
    const correct = fit.matches.filter((m) => field.truthReference[m.source] === m.reference).length;
    expect(correct).toBe(field.detected);
    expect(maxDifferenceMas(fit.wcs, field.trueWcs)).toBeLessThan(1);
    expect(fit.iterations).toBeLessThanOrEqual(5);
  });

  it('reports a residual rms equal to the injected centroid noise', () => {
    const noisePixels = 0.05; // 10 mas per axis
    const { field, start } = matchedStart(12, noisePixels);
    const fit = fitAstrometry(field.sources, field.references, start, { detectorSize });
    const perAxisMas = noisePixels * PIXEL_SCALE_ARCSEC * 1000;
    // Radial rms of a circular Gaussian is sqrt(2) sigma; the 3-sigma clip trims about 1% of it.
    expect(fit.rmsResidualMas / (Math.SQRT2 * perAxisMas)).toBeGreaterThan(0.9);
    expect(fit.rmsResidualMas / (Math.SQRT2 * perAxisMas)).toBeLessThan(1.05);
    expect(fit.sigmaMas / perAxisMas).toBeGreaterThan(0.85);
    expect(fit.sigmaMas / perAxisMas).toBeLessThan(1.15);
    // With ~150 stars the WCS is good to a fraction of the per-star noise.
    expect(maxDifferenceMas(fit.wcs, field.trueWcs)).toBeLessThan(perAxisMas);
  });

  it('rejects outliers: sources moved by 0.3" to 1" are left out and do not bias the fit', () => {
    const field = syntheticField({ seed: 13, noisePixels: 0.02 });
    const random = new Random([13, 1]);
    const moved = new Set<number>();
    const sources: DetectedSource[] = field.sources.map((s, i) => {
      if (field.truthReference[i] < 0 || random.uniform() > 0.1) return s;
      moved.add(i);
      const angle = random.between(0, 2 * Math.PI);
      const pixels = random.between(1.5, 5);
      return { ...s, x: s.x + pixels * Math.cos(angle), y: s.y + pixels * Math.sin(angle) };
    });
    const start = perturbedWcs(field.trueWcs, { offsetArcsec: [0.3, 0.4] });
    const fit = fitAstrometry(sources, field.references, start, { detectorSize });
    expect(moved.size).toBeGreaterThan(10);
    expect(fit.matches.filter((m) => moved.has(m.source))).toEqual([]);
    const unmoved = field.truthReference.filter((r, i) => r >= 0 && !moved.has(i)).length;
    const kept = fit.matches.filter((m) => field.truthReference[m.source] === m.reference).length;
    expect(kept).toBeGreaterThan(0.97 * unmoved);
    expect(fit.rmsResidualMas).toBeLessThan(Math.SQRT2 * 4 * 1.1);
    expect(maxDifferenceMas(fit.wcs, field.trueWcs)).toBeLessThan(5);
  });

  it('lowers the SIP order when the matches cannot constrain it, and says so', () => {
    const field = syntheticField({ seed: 14, stars: 60 });
    const fit = fitAstrometry(field.sources, field.references, field.trueWcs, { detectorSize, order: 5 });
    expect(fit.requestedOrder).toBe(5);
    expect(fit.order).toBeLessThan(5);
    expect(fit.matches.length).toBeGreaterThanOrEqual(2 * (((fit.order + 1) * (fit.order + 2)) / 2 - 1));
  });

  it('fails with ASTROMETRY_FAILED when the start is too far off to match', () => {
    const field = syntheticField({ seed: 15 });
    const start = perturbedWcs(field.trueWcs, { offsetArcsec: [30, 0] });
    try {
      fitAstrometry(field.sources, field.references, start, { detectorSize, matchRadiusArcsec: 1 });
      throw new Error('expected a failure');
    } catch (err) {
      expect(isMeridianError(err, 'ASTROMETRY_FAILED')).toBe(true);
      expect((err as Error).message).toMatch(/matches within 1.00"/);
    }
  });
});
