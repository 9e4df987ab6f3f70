import { describe, expect, it } from 'vitest';
import { isMeridianError } from '../../../src/errors.js';
import {
  fitTanSip,
  type PixelPosition,
  pixelToSky,
  separationMas,
  skyToPixel,
  solveLeastSquares,
} from '../../../src/formats/index.js';
import { Random } from '../../../src/sim/random.js';
import { SIZE, syntheticField } from './synthetic-field.js';

function gridPoints(n: number): PixelPosition[] {
  const points: PixelPosition[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) points.push({ x: ((SIZE - 1) * i) / (n - 1), y: ((SIZE - 1) * j) / (n - 1) });
  }
  return points;
}

describe('fitTanSip', () => {
  const { trueWcs } = syntheticField({ seed: 21, stars: 10 });
  const points = gridPoints(12);
  const sky = points.map((p) => pixelToSky(trueWcs, p.x, p.y));

  it('reproduces a TAN-SIP WCS of its own order, solving for CRVAL', () => {
    const fit = fitTanSip(points, sky, { order: 3, crpix: trueWcs.crpix });
    expect(fit.count).toBe(points.length);
    expect(fit.maxResidualMas).toBeLessThan(1e-3);
    expect(
      separationMas(
        { ra: fit.wcs.crval[0], dec: fit.wcs.crval[1] },
        { ra: trueWcs.crval[0], dec: trueWcs.crval[1] },
      ),
    ).toBeLessThan(1e-3);
    for (const [p, q] of [
      [3, 0],
      [1, 2],
      [2, 0],
    ]) {
      expect(fit.wcs.sip?.a.coefficients[p][q]).toBeCloseTo(trueWcs.sip?.a.coefficients[p][q] ?? 0, 15);
    }
    // The fitted inverse polynomials seed Newton well: sky -> pixel round trips.
    const back = skyToPixel(fit.wcs, sky[7].ra, sky[7].dec);
    expect(back.x).toBeCloseTo(points[7].x, 8);
    expect(back.y).toBeCloseTo(points[7].y, 8);
  });

  it('puts CRPIX at the mean pixel by default and gives a plain TAN at order 1', () => {
    const fit = fitTanSip(points, sky, { order: 1 });
    expect(fit.wcs.sip).toBeUndefined();
    expect(fit.wcs.crpix).toEqual([SIZE / 2 + 0.5, SIZE / 2 + 0.5]);
    // A TAN cannot follow a 4-pixel distortion: residuals of order a pixel (200 mas) remain.
    expect(fit.maxResidualMas).toBeGreaterThan(100);
  });

  it('ignores pairs of weight zero', () => {
    const random = new Random([21, 2]);
    const corrupted = sky.map((s, i) =>
      i % 5 === 0 ? { ra: s.ra + random.between(-1, 1) / 3600, dec: s.dec } : s,
    );
    const weights = sky.map((_, i) => (i % 5 === 0 ? 0 : 1));
    const fit = fitTanSip(points, corrupted, { order: 3, weights });
    expect(fit.count).toBe(weights.filter((w) => w > 0).length);
    expect(fit.maxResidualMas).toBeLessThan(1e-3);
    const unweighted = fitTanSip(points, corrupted, { order: 3 });
    expect(unweighted.maxResidualMas).toBeGreaterThan(100);
  });

  it('refuses too few pairs, mismatched lengths and bad weights', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => fitTanSip(points.slice(0, 9), sky.slice(0, 9), { order: 3 }), /at least 10 pairs/],
      [() => fitTanSip(points, sky.slice(1), { order: 2 }), /as many sky positions/],
      [() => fitTanSip(points, sky, { order: 2, weights: sky.map(() => -1) }), /weights must be finite/],
      [() => fitTanSip(points, sky, { order: 0 }), /order must be an integer/],
    ];
    for (const [run, message] of cases) {
      expect(run).toThrow(message);
      try {
        run();
      } catch (err) {
        expect(isMeridianError(err, 'INVALID_ARGUMENT')).toBe(true);
      }
    }
  });
});

describe('solveLeastSquares', () => {
  it('solves an overdetermined system exactly when it is consistent', () => {
    // Rows (1, t, t^2) for t = 0..4, right-hand side 2 - 3 t + 0.5 t^2.
    const design = new Float64Array(15);
    const rhs = new Float64Array(5);
    for (let t = 0; t < 5; t++) {
      design.set([1, t, t * t], 3 * t);
      rhs[t] = 2 - 3 * t + 0.5 * t * t;
    }
    const [x] = solveLeastSquares(design, 5, 3, [rhs]);
    expect(Array.from(x).map((v) => Number(v.toFixed(12)))).toEqual([2, -3, 0.5]);
  });
});
