/**
 * Robust statistics of a set of pixel values, for the background mesh: an in-place quickselect median and
 * SExtractor's iterative ±3σ clipping with its mode estimator (Bertin & Arnouts 1996, §3.1; SExtractor manual,
 * "Background estimation"). All functions work on a caller-owned scratch Float32Array so that a mesh of a 4k×4k
 * image allocates nothing per cell.
 */

/**
 * The k-th smallest of values[0..n) (0-based), reordering that prefix in place (Hoare's selection with a
 * median-of-three pivot: expected O(n)).
 */
export function selectKth(values: Float32Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // Median of three as pivot protects sorted or constant runs (a flat sky of integer ADU) from O(n^2).
    const a = values[lo];
    const b = values[mid];
    const c = values[hi];
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const t = values[i];
        values[i] = values[j];
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k];
  }
  return values[k];
}

/** Median of values[0..n), reordering that prefix. NaN when n = 0. */
export function medianInPlace(values: Float32Array, n: number): number {
  if (n === 0) return Number.NaN;
  const upper = selectKth(values, n, n >>> 1);
  if (n % 2 === 1) return upper;
  // After selection every value below index n/2 is <= upper: the lower middle is their maximum.
  let lower = values[0];
  for (let i = 1; i < n >>> 1; i++) if (values[i] > lower) lower = values[i];
  return 0.5 * (lower + upper);
}

export interface ClippedStatistics {
  /** The background estimate: clipped mean when the cell is not crowded, else the mode estimator (or median). */
  readonly level: number;
  /** Standard deviation of the clipped values. */
  readonly sigma: number;
  readonly median: number;
  readonly mean: number;
  /** Values kept after clipping. */
  readonly n: number;
  /** True when clipping changed σ by more than 20%: sources dominate and the mode estimator was used. */
  readonly crowded: boolean;
}

/**
 * SExtractor's background statistic of values[0..n) (reordered and overwritten): clip at ±nSigma around the median
 * until σ stops changing; if σ fell by less than 20% the cell is "not crowded" and the level is the clipped mean,
 * otherwise the mode estimate 2.5·median − 1.5·mean, or the median when mean and median differ by more than 0.3σ
 * (where the estimator is unreliable).
 */
export function clippedBackgroundStatistics(
  values: Float32Array,
  n: number,
  nSigma = 3,
  maxIterations = 10,
): ClippedStatistics {
  if (n === 0) {
    return {
      level: Number.NaN,
      sigma: Number.NaN,
      median: Number.NaN,
      mean: Number.NaN,
      n: 0,
      crowded: false,
    };
  }
  let count = n;
  let { mean, sigma } = meanAndSigma(values, count);
  const firstSigma = sigma;
  let median = medianInPlace(values, count);
  for (let it = 0; it < maxIterations && sigma > 0; it++) {
    const lo = median - nSigma * sigma;
    const hi = median + nSigma * sigma;
    let kept = 0;
    for (let i = 0; i < count; i++) {
      const v = values[i];
      if (v >= lo && v <= hi) values[kept++] = v;
    }
    const next = meanAndSigma(values, kept);
    const converged = kept === count || next.sigma >= sigma * 0.999;
    count = kept;
    mean = next.mean;
    const previousSigma = sigma;
    sigma = next.sigma;
    median = medianInPlace(values, count);
    if (converged || Math.abs(previousSigma - sigma) <= 1e-6 * previousSigma) break;
  }
  const crowded = firstSigma > 0 && sigma < 0.8 * firstSigma;
  let level = mean;
  if (crowded) level = Math.abs(mean - median) > 0.3 * sigma ? median : 2.5 * median - 1.5 * mean;
  return { level, sigma, median, mean, n: count, crowded };
}

function meanAndSigma(values: Float32Array, n: number): { mean: number; sigma: number } {
  if (n === 0) return { mean: Number.NaN, sigma: Number.NaN };
  // Shifted sums (about the first value) keep the variance accurate when the sky level is large.
  const shift = values[0];
  let sum = 0;
  let sum2 = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i] - shift;
    sum += d;
    sum2 += d * d;
  }
  const meanShifted = sum / n;
  const variance = n > 1 ? Math.max(0, (sum2 - n * meanShifted * meanShifted) / (n - 1)) : 0;
  return { mean: shift + meanShifted, sigma: Math.sqrt(variance) };
}
