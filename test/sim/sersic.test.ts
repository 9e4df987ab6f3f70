import { describe, expect, it } from 'vitest';
import {
  BULGE_MIXTURE,
  DISK_MIXTURE,
  fitSersicMixture,
  mixtureEnclosedFlux,
  sersicB,
} from '../../src/sim/sersic.js';

/** Enclosed flux of a Sérsic profile truncated at 8 half-light radii, by numerical integration. */
function sersicEnclosed(n: number, r: number): number {
  const b = sersicB(n);
  const steps = 20000;
  let inner = 0;
  let total = 0;
  for (let i = 0; i < steps; i++) {
    const radius = (8 * (i + 0.5)) / steps;
    const ring = radius * Math.exp(-b * (radius ** (1 / n) - 1));
    total += ring;
    if (radius < r) inner += ring;
  }
  return inner / total;
}

describe('Sérsic Gaussian mixtures', () => {
  it('weights are positive and sum to one', () => {
    for (const m of [DISK_MIXTURE, BULGE_MIXTURE]) {
      expect(m.weights.every((w) => w > 0)).toBe(true);
      expect(m.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    }
  });

  it.each([1, 4])('n = %i: enclosed flux follows the truncated profile within 0.03', (n) => {
    const mixture = fitSersicMixture(n);
    for (const r of [0.25, 0.5, 1, 2, 4]) {
      expect(Math.abs(mixtureEnclosedFlux(mixture, r) - sersicEnclosed(n, r))).toBeLessThan(0.03);
    }
  });
});
