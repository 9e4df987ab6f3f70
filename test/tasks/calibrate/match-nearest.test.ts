import { describe, expect, it } from 'vitest';
import { matchNearest } from '../../../src/tasks/index.js';

describe('matchNearest', () => {
  it('pairs one to one, the closest pair first, and lets the loser take its runner-up', () => {
    // First points a (0, 0) and b (1.2, 0); second points p (0.9, 0) and q (-0.5, 0). b is closest to p (0.3), so a
    // takes q (0.5) rather than its nearest p (0.9).
    const pairs = matchNearest([0, 1.2], [0, 0], [0.9, -0.5], [0, 0], 1);
    expect(pairs.map((p) => [p.first, p.second])).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(pairs[0].distance).toBeCloseTo(0.3, 12);
    expect(pairs[1].distance).toBeCloseTo(0.5, 12);
  });

  it('ignores points beyond the radius, across cell borders too, and non-finite points', () => {
    const pairs = matchNearest([0.95, 5, Number.NaN], [0.95, 5, 0], [1.05, 6.2, 0], [1.05, 5, 0], 0.2);
    expect(pairs.map((p) => [p.first, p.second])).toEqual([[0, 0]]);
  });
});
