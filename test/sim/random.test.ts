import { describe, expect, it } from 'vitest';
import { Random } from '../../src/sim/random.js';

function moments(draw: () => number, n: number) {
  let sum = 0;
  let sum2 = 0;
  for (let i = 0; i < n; i++) {
    const v = draw();
    sum += v;
    sum2 += v * v;
  }
  const mean = sum / n;
  return { mean, variance: sum2 / n - mean * mean };
}

describe('Random', () => {
  it('is a pure function of the stream name', () => {
    const a = new Random([7, 1, 2026112100001, 3]);
    const b = new Random([7, 1, 2026112100001, 3]);
    const c = new Random([7, 1, 2026112100001, 4]);
    const seqA = Array.from({ length: 8 }, () => a.nextUint32());
    expect(Array.from({ length: 8 }, () => b.nextUint32())).toEqual(seqA);
    expect(Array.from({ length: 8 }, () => c.nextUint32())).not.toEqual(seqA);
  });

  it('uniform values lie in [0, 1) with mean 1/2 and variance 1/12', () => {
    const rng = new Random([1]);
    const { mean, variance } = moments(() => rng.uniform(), 200_000);
    expect(mean).toBeCloseTo(0.5, 2);
    expect(variance).toBeCloseTo(1 / 12, 3);
  });

  it('ziggurat normals have unit variance and Gaussian tails', () => {
    const rng = new Random([2]);
    const n = 400_000;
    const values = Float64Array.from({ length: n }, () => rng.normal());
    const { mean, variance } = moments(
      (() => {
        let i = 0;
        return () => values[i++];
      })(),
      n,
    );
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(variance).toBeCloseTo(1, 2);
    // P(|z| > 2) = 0.0455, P(|z| > 3) = 0.0027, P(|z| > 3.5) (beyond the base layer edge 3.44) = 4.65e-4.
    const beyond = (t: number) => values.filter((v) => Math.abs(v) > t).length / n;
    expect(beyond(2)).toBeCloseTo(0.0455, 2);
    expect(Math.abs(beyond(3) - 0.0027)).toBeLessThan(0.0005);
    expect(Math.abs(beyond(3.5) - 4.65e-4)).toBeLessThan(1.5e-4);
  });

  it.each([0.5, 7, 29, 31, 900])('Poisson(%f) has mean and variance equal to the mean', (lambda) => {
    const rng = new Random([3, lambda * 10]);
    const { mean, variance } = moments(() => rng.poisson(lambda), 100_000);
    expect(Math.abs(mean - lambda)).toBeLessThan(4 * Math.sqrt(lambda / 100_000) + 1e-3);
    expect(Math.abs(variance / lambda - 1)).toBeLessThan(0.03);
  });
});
