import { describe, expect, it } from 'vitest';
import { crossing, DeclinationSweep, matchOneToOne, separationDeg } from '../../src/qa/index.js';
import { seededRandom } from '../../src/qa/statistics.js';

const arcsec = 1 / 3600;

describe('matchOneToOne', () => {
  it('matches nearest first, one-to-one, within the radius only', () => {
    const truth = { ra: [10, 10 + 10 * arcsec, 10 + 60 * arcsec], dec: [0, 0, 0] };
    // Two sources near truth 0 (0.1" and 0.3" away), one near truth 1 (0.2"), one 0.7" from truth 2.
    const sources = {
      ra: [10 + 0.3 * arcsec, 10 + 0.1 * arcsec, 10 + 10.2 * arcsec, 10 + 60.7 * arcsec],
      dec: [0, 0, 0, 0],
    };
    const pairs = matchOneToOne(sources, truth, 0.5);
    const bySource = new Map([...pairs.firstIndex].map((s, k) => [s, k]));
    expect(pairs.firstIndex.length).toBe(2);
    expect(pairs.secondIndex[bySource.get(1)!]).toBe(0);
    expect(pairs.separationMas[bySource.get(1)!]).toBeCloseTo(100, 3);
    expect(pairs.secondIndex[bySource.get(2)!]).toBe(1);
    expect(pairs.separationMas[bySource.get(2)!]).toBeCloseTo(200, 3);
    // The farther claimant of truth 0 stays unmatched, and so does the source 0.7" away.
    expect(bySource.has(0)).toBe(false);
    expect(bySource.has(3)).toBe(false);
  });

  it('handles RA wrap-around and matches 20 000 sources in well under a second', () => {
    const random = seededRandom(3);
    const n = 20_000;
    const ra = Float64Array.from({ length: n }, () => (359.5 + random()) % 360);
    const dec = Float64Array.from({ length: n }, () => -0.5 + random());
    const sources = {
      ra: Float64Array.from(ra, (r) => (r + 0.05 * arcsec + 360) % 360),
      dec: Float64Array.from(dec, (d) => d - 0.05 * arcsec),
    };
    const start = performance.now();
    const pairs = matchOneToOne(sources, { ra, dec }, 0.5);
    const seconds = (performance.now() - start) / 1000;
    expect(pairs.firstIndex.length).toBeGreaterThan(n * 0.99);
    let right = 0;
    for (let k = 0; k < pairs.firstIndex.length; k++)
      if (pairs.firstIndex[k] === pairs.secondIndex[k]) right++;
    expect(right / pairs.firstIndex.length).toBeGreaterThan(0.99);
    expect(seconds).toBeLessThan(2);
  });

  it('finds pairs in an annulus (the AM1 pairs)', () => {
    const points = { ra: [0, 0, 0, 5 / 60], dec: [0, 4.5 / 60, 6.5 / 60, 0] };
    const found: number[] = [];
    new DeclinationSweep(points).within(0, 0, 6 / 60, (row) => found.push(row), 4 / 60);
    expect(found.sort()).toEqual([1, 3]);
    expect(separationDeg(0, 0, 5 / 60, 0) * 60).toBeCloseTo(5, 9);
  });
});

describe('crossing', () => {
  it('interpolates where a falling curve first drops below a level', () => {
    const curve = [
      { x: 22.75, y: 1 },
      { x: 23.25, y: 0.6 },
      { x: 23.75, y: 0.2 },
    ];
    expect(crossing(curve, 0.5)).toBeCloseTo(23.375, 9);
    expect(crossing(curve, 0.1)).toBeNull();
  });
});
