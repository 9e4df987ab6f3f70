/**
 * The few robust statistics the QA metrics need, over plain number arrays (NaN values are the caller's to drop).
 * Percentiles interpolate linearly between order statistics (numpy's default), so the numbers match a notebook.
 */

/** The p-th percentile (0..100) of `values`; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (Math.min(100, Math.max(0, p)) / 100) * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Root mean square about zero. */
export function rms(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v * v;
  return Math.sqrt(sum / values.length);
}

/** Sample standard deviation about the mean (n - 1 in the denominator); NaN for fewer than two values. */
export function sampleStd(values: readonly number[]): number {
  if (values.length < 2) return Number.NaN;
  const m = mean(values);
  let sum = 0;
  for (const v of values) sum += (v - m) * (v - m);
  return Math.sqrt(sum / (values.length - 1));
}

/** The Gaussian sigma implied by the interquartile range (IQR / 1.349): insensitive to a few outliers. */
export function iqrSigma(values: readonly number[]): number {
  return (percentile(values, 75) - percentile(values, 25)) / 1.349;
}

/** A small seeded generator (mulberry32) for the random pairs of repeat measurements: same input, same report. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** AB magnitude of a flux in nJy (31.4 - 2.5 log10 nJy); NaN for a flux that is not positive. */
export function abMagFromNanojansky(flux: number): number {
  return flux > 0 ? 31.4 - 2.5 * Math.log10(flux) : Number.NaN;
}

/** A number rounded to `digits` decimals for the report (NaN and infinities become null in JSON). */
export function rounded(value: number, digits = 3): number | null {
  if (!Number.isFinite(value)) return null;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
