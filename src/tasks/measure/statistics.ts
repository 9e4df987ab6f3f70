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
    const pivot = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
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
  /** Usable (unmasked, finite) values before clipping. */
  readonly usable: number;
  /** True when clipping changed σ by more than 20%: sources dominate and the mode estimator was used. */
  readonly crowded: boolean;
}

/** Histogram bins per σ of the sky: the clip limits and the median are resolved to 1/32 σ. */
const BINS_PER_SIGMA = 32;
/** The histogram spans ±8σ around the first clipped mean; anything further out is clipped in any case. */
const HISTOGRAM_HALF_WIDTH_SIGMA = 8;
const BIN_COUNT = 2 * HISTOGRAM_HALF_WIDTH_SIGMA * BINS_PER_SIGMA;
// Reused between calls (one cell at a time): the count per bin. Only counts: sums of values and of squares per bin
// made the pass over the pixels 1.6× slower (three read-modify-writes per pixel instead of one), and with bins of
// σ/32 the bin centres give the mean to σ/10⁴ and the variance (with Sheppard's correction) as well.
const binCount = new Int32Array(BIN_COUNT);

/** A rectangle [x0, x1) × [y0, y1) of a row-major image; pixels with a bit of `ignoredBits` in `mask` are skipped. */
export interface PixelRegion {
  readonly pixels: Float32Array;
  readonly mask: Int32Array | null;
  readonly ignoredBits: number;
  readonly width: number;
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
}

/** At least this many pixels of a region make the first guess of its median and σ (±5%: enough to place bins). */
const GUESS_SAMPLES = 512;
const guessScratch = new Float32Array(4 * GUESS_SAMPLES + 16);

/**
 * SExtractor's background statistic of the usable pixels of a region: clip at ±nSigma around the median until the
 * clip range stops changing; if σ fell by less than 20% from that of all the pixels the region is "not crowded"
 * and the level is the clipped mean, otherwise the mode estimate 2.5·median − 1.5·mean, or the median when mean
 * and median differ by more than 0.3σ (where the estimator is unreliable).
 *
 * As in SExtractor the clipping runs on a histogram, so each iteration costs O(bins), not O(pixels): a first guess
 * of the median and σ (MAD) from a regular subsample of ≥ 512 pixels sets bins of σ/32 over ±8σ, then one pass
 * over the region fills them; the subsample also gives the σ of all values for the crowding test. The mean and σ
 * come from the bin centres (to σ/10⁴ with bins of σ/32); the median is interpolated inside its bin. `usable`
 * counts unmasked pixels (NaN included: background cells hold NaN only where the mask says NO_DATA).
 */
export function regionBackgroundStatistics(
  region: PixelRegion,
  nSigma = 3,
  maxIterations = 20,
): ClippedStatistics {
  const { pixels, mask, ignoredBits, width, x0, x1, y0, y1 } = region;
  const area = (x1 - x0) * (y1 - y0);
  let stride = Math.max(1, Math.floor(Math.sqrt(area / GUESS_SAMPLES)));
  let n = sampleRegion(region, stride);
  if (n < 16 && stride > 1) {
    stride = 1;
    n = sampleRegion(region, 1);
  }
  if (n === 0)
    return {
      level: Number.NaN,
      sigma: Number.NaN,
      median: Number.NaN,
      mean: Number.NaN,
      n: 0,
      usable: 0,
      crowded: false,
    };
  // σ of all the values (SExtractor's first σ, for the crowding test) from the sample, before it is reordered.
  const allSigma = plainSigma(guessScratch, n);
  const guessMedian = medianInPlace(guessScratch, n);
  for (let i = 0; i < n; i++) guessScratch[i] = Math.abs(guessScratch[i] - guessMedian);
  // The MAD is 0 on quantised or constant data: the plain σ sets the scale instead.
  const guessSigma = 1.4826 * medianInPlace(guessScratch, n) || allSigma;
  if (!(guessSigma > 0)) {
    return {
      level: guessMedian,
      sigma: 0,
      median: guessMedian,
      mean: guessMedian,
      n,
      usable: n,
      crowded: false,
    };
  }
  const width_ = guessSigma / BINS_PER_SIGMA;
  const inverseWidth = 1 / width_;
  const origin = guessMedian - HISTOGRAM_HALF_WIDTH_SIGMA * guessSigma;
  binCount.fill(0);
  // One pass over the region; NaN falls out at the bin test. Two copies of the loop so that the common case (no
  // mask) has no mask test.
  let count = 0;
  for (let y = y0; y < y1; y++) {
    const end = y * width + x1;
    if (mask === null) {
      for (let i = y * width + x0; i < end; i++) {
        const v = pixels[i];
        // Test the float, then truncate to an int32 index (Math.floor's double index is several times slower).
        const t = (v - origin) * inverseWidth;
        if (t >= 0 && t < BIN_COUNT) binCount[t | 0]++;
      }
      count += x1 - x0;
    } else {
      // The bin before the mask test: V8 keeps the loop's two branches apart then (measured 30% faster).
      for (let i = y * width + x0; i < end; i++) {
        const t = (pixels[i] - origin) * inverseWidth;
        if ((mask[i] & ignoredBits) === 0) {
          count++;
          if (t >= 0 && t < BIN_COUNT) binCount[t | 0]++;
        }
      }
    }
  }
  let lo = 0;
  let hi = BIN_COUNT - 1;
  let stats = histogramStatistics(lo, hi, origin, width_, guessMedian);
  for (let it = 0; it < maxIterations && stats.count > 1; it++) {
    const nextLo = Math.max(0, Math.ceil((stats.median - nSigma * stats.sigma - origin) * inverseWidth));
    const nextHi = Math.min(
      BIN_COUNT - 1,
      Math.floor((stats.median + nSigma * stats.sigma - origin) * inverseWidth) - 1,
    );
    if ((nextLo === lo && nextHi === hi) || nextHi < nextLo) break;
    lo = nextLo;
    hi = nextHi;
    stats = histogramStatistics(lo, hi, origin, width_, guessMedian);
  }
  const { mean, sigma, median } = stats;
  const crowded = sigma < 0.8 * allSigma;
  let level = mean;
  if (crowded) level = Math.abs(mean - median) > 0.3 * sigma ? median : 2.5 * median - 1.5 * mean;
  return { level, sigma, median, mean, n: stats.count, usable: count, crowded };
}

function plainSigma(values: Float32Array, n: number): number {
  if (n < 2) return 0;
  const shift = values[0];
  let sum = 0;
  let sum2 = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i] - shift;
    sum += d;
    sum2 += d * d;
  }
  const mean = sum / n;
  return Math.sqrt(Math.max(0, (sum2 - n * mean * mean) / (n - 1)));
}

/** The background statistic of values[0..n) (see regionBackgroundStatistics). */
export function clippedBackgroundStatistics(values: Float32Array, n: number, nSigma = 3): ClippedStatistics {
  return regionBackgroundStatistics(
    { pixels: values, mask: null, ignoredBits: 0, width: n, x0: 0, x1: n, y0: 0, y1: 1 },
    nSigma,
  );
}

/** Copy every `stride`-th usable pixel of every `stride`-th row into guessScratch (up to its size); the count. */
function sampleRegion(region: PixelRegion, stride: number): number {
  const { pixels, mask, ignoredBits, width, x0, x1, y0, y1 } = region;
  const capacity = guessScratch.length;
  let n = 0;
  // A 1-row region (a plain list of values) is sampled along the row only.
  const rowStride = y1 - y0 === 1 ? 1 : stride;
  const columnStride = y1 - y0 === 1 ? Math.max(1, Math.ceil((x1 - x0) / capacity)) : stride;
  for (let y = y0; y < y1 && n < capacity; y += rowStride) {
    for (let i = y * width + x0; i < y * width + x1 && n < capacity; i += columnStride) {
      const v = pixels[i];
      if (Number.isNaN(v) || (mask !== null && (mask[i] & ignoredBits) !== 0)) continue;
      guessScratch[n++] = v;
    }
  }
  return n;
}

/**
 * Mean, σ and interpolated median of the histogram bins lo..hi, each bin's values taken at its centre (sums relative
 * to `offset`, near the median, keep the variance accurate on a high sky). Sheppard's correction removes the
 * variance that the bin width adds (w²/12).
 */
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
    const c = binCount[b];
    const d = origin + width * (b + 0.5) - offset;
    count += c;
    sum += c * d;
    sum2 += c * d * d;
  }
  if (count === 0) return { mean: Number.NaN, sigma: Number.NaN, median: Number.NaN, count };
  const meanOffset = sum / count;
  const variance = (sum2 - count * meanOffset * meanOffset) / Math.max(1, count - 1) - (width * width) / 12;
  const sigma = Math.sqrt(Math.max(0, variance));
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
