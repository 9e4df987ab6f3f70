/**
 * Robust statistics of a set of pixel values, for the background mesh: an in-place quickselect median and
 * SExtractor's iterative ±3σ clipping with its mode estimator (Bertin & Arnouts 1996, §3.1; SExtractor manual,
 * "Background estimation"). They work on a caller-owned scratch Float32Array so that a mesh of a 4k×4k image
 * allocates nothing per cell.
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

/** Histogram bins per σ of the sky: the clip limits and the median are resolved to 1/32 σ. */
const BINS_PER_SIGMA = 32;
/** The histogram spans ±8σ around the first clipped mean; anything further out is clipped in any case. */
const HISTOGRAM_HALF_WIDTH_SIGMA = 8;
const BIN_COUNT = 2 * HISTOGRAM_HALF_WIDTH_SIGMA * BINS_PER_SIGMA;
// Reused between calls (one cell at a time): counts, sums and sums of squares per bin.
const binCount = new Float64Array(BIN_COUNT);
const binSum = new Float64Array(BIN_COUNT);
const binSum2 = new Float64Array(BIN_COUNT);

/**
 * SExtractor's background statistic of values[0..n): clip at ±nSigma around the median until the clip range stops
 * changing; if σ fell by less than 20% from that of all the values the cell is "not crowded" and the level is the
 * clipped mean, otherwise the mode estimate 2.5·median − 1.5·mean, or the median when mean and median differ by
 * more than 0.3σ (where the estimator is unreliable).
 *
 * As in SExtractor the clipping runs on a histogram (bins of σ/32 over ±8σ of a first ±3σ-clipped mean), so each
 * iteration costs O(bins) instead of a selection over the cell's pixels; per-bin sums keep the mean and σ exact and
 * the median is interpolated inside its bin.
 */
export function clippedBackgroundStatistics(
  values: Float32Array,
  n: number,
  nSigma = 3,
  maxIterations = 20,
): ClippedStatistics {
  const all = meanAndSigma(values, n);
  if (n === 0 || !(all.sigma > 0)) {
    return { level: all.mean, sigma: all.sigma, median: all.mean, mean: all.mean, n, crowded: false };
  }
  const window = meanAndSigmaWithin(values, n, all.mean - 3 * all.sigma, all.mean + 3 * all.sigma);
  const scale = window.sigma > 0 ? window.sigma : all.sigma;
  const width = scale / BINS_PER_SIGMA;
  const origin = window.mean - HISTOGRAM_HALF_WIDTH_SIGMA * scale;
  binCount.fill(0);
  binSum.fill(0);
  binSum2.fill(0);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    const b = Math.floor((v - origin) / width);
    if (b < 0 || b >= BIN_COUNT) continue;
    // Sums relative to the window mean keep the variance accurate on a high sky.
    const d = v - window.mean;
    binCount[b]++;
    binSum[b] += d;
    binSum2[b] += d * d;
  }
  let lo = 0;
  let hi = BIN_COUNT - 1;
  let stats = histogramStatistics(lo, hi, origin, width, window.mean);
  for (let it = 0; it < maxIterations && stats.count > 1; it++) {
    const nextLo = Math.max(0, Math.ceil((stats.median - nSigma * stats.sigma - origin) / width));
    const nextHi = Math.min(
      BIN_COUNT - 1,
      Math.floor((stats.median + nSigma * stats.sigma - origin) / width) - 1,
    );
    if (nextLo === lo && nextHi === hi) break;
    if (nextHi < nextLo) break;
    lo = nextLo;
    hi = nextHi;
    stats = histogramStatistics(lo, hi, origin, width, window.mean);
  }
  const { mean, sigma, median } = stats;
  const crowded = sigma < 0.8 * all.sigma;
  let level = mean;
  if (crowded) level = Math.abs(mean - median) > 0.3 * sigma ? median : 2.5 * median - 1.5 * mean;
  return { level, sigma, median, mean, n: stats.count, crowded };
}

/** Mean, σ and interpolated median of the histogram bins lo..hi (sums are relative to `offset`). */
function histogramStatistics(
  lo: number,
  hi: number,
  origin: number,
  width: number,
  offset: number,
): { mean: number; sigma: number; median: number; count: number } {
  let count = 0;
  let sum = 0;
  let sum2 = 0;
  for (let b = lo; b <= hi; b++) {
    count += binCount[b];
    sum += binSum[b];
    sum2 += binSum2[b];
  }
  if (count === 0) return { mean: Number.NaN, sigma: Number.NaN, median: Number.NaN, count };
  const meanOffset = sum / count;
  const sigma = Math.sqrt(Math.max(0, (sum2 - count * meanOffset * meanOffset) / Math.max(1, count - 1)));
  const half = 0.5 * count;
  let cumulative = 0;
  let median = Number.NaN;
  for (let b = lo; b <= hi; b++) {
    const c = binCount[b];
    if (cumulative + c >= half && c > 0) {
      median = origin + width * (b + (half - cumulative) / c);
      break;
    }
    cumulative += c;
  }
  return { mean: offset + meanOffset, sigma, median, count };
}

function meanAndSigmaWithin(
  values: Float32Array,
  n: number,
  lo: number,
  hi: number,
): { mean: number; sigma: number } {
  const shift = 0.5 * (lo + hi);
  let count = 0;
  let sum = 0;
  let sum2 = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v < lo || v > hi) continue;
    const d = v - shift;
    count++;
    sum += d;
    sum2 += d * d;
  }
  if (count === 0) return { mean: Number.NaN, sigma: Number.NaN };
  const m = sum / count;
  return { mean: shift + m, sigma: Math.sqrt(Math.max(0, (sum2 - count * m * m) / Math.max(1, count - 1))) };
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
