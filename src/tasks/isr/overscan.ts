/**
 * The serial-overscan fit of one amplifier: the bias level of every data row, ADU.
 * - MEDIAN_PER_ROW: the median of the row's overscan pixels (follows any row-to-row structure, noisier).
 * - POLY: a least-squares polynomial in the row index, of order `order`, through the rows' clipped means, with one
 *   round of 3-sigma rejection of rows. Means rather than medians: the median of integer ADU is quantised and can be
 *   off by a few tenths of an ADU; the mean of many rows is not.
 */
import type { ImageF } from '../../formats/index.js';
import type { Section } from '../stats/raw-statistics.js';

export type OverscanFitType = 'MEDIAN_PER_ROW' | 'POLY';

export interface OverscanFit {
  /** Bias level of each row of the amplifier's data section, ADU. */
  readonly rowLevels: Float64Array;
  /** Mean of `rowLevels`, ADU. */
  readonly meanLevel: number;
}

function rowValues(raw: ImageF, section: Section, row: number, out: Float64Array): Float64Array {
  const start = (section.y0 + row - raw.bbox.y0) * raw.bbox.width + (section.x0 - raw.bbox.x0);
  for (let x = 0; x < section.width; x++) out[x] = raw.array[start + x]!;
  return out;
}

function median(values: Float64Array): number {
  values.sort();
  const mid = values.length >> 1;
  return values.length % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}

/** Mean of the values within 3 x `sigma` of their median (all values when sigma is not yet known). */
function clippedMean(values: Float64Array, sigma: number): number {
  const center = median(values);
  let sum = 0;
  let n = 0;
  for (const v of values) {
    if (Math.abs(v - center) <= 3 * sigma) {
      sum += v;
      n++;
    }
  }
  return n > 0 ? sum / n : center;
}

/** Solve the normal equations of a polynomial fit (small order: Gaussian elimination with pivoting). */
function fitPolynomial(t: Float64Array, y: Float64Array, use: Uint8Array, order: number): Float64Array {
  const n = order + 1;
  const a = Array.from({ length: n }, () => new Float64Array(n + 1));
  for (let i = 0; i < t.length; i++) {
    if (!use[i]) continue;
    const powers = new Float64Array(n);
    powers[0] = 1;
    for (let p = 1; p < n; p++) powers[p] = powers[p - 1]! * t[i]!;
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) a[r]![c]! += powers[r]! * powers[c]!;
      a[r]![n]! += powers[r]! * y[i]!;
    }
  }
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    const d = a[col]![col]!;
    if (d === 0) continue;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r]![col]! / d;
      for (let c = col; c <= n; c++) a[r]![c]! -= f * a[col]![c]!;
    }
  }
  return Float64Array.from({ length: n }, (_, p) => (a[p]![p] === 0 ? 0 : a[p]![n]! / a[p]![p]!));
}

function evaluate(coefficients: Float64Array, t: number): number {
  let v = 0;
  for (let p = coefficients.length - 1; p >= 0; p--) v = v * t + coefficients[p]!;
  return v;
}

/** Robust sigma of every overscan pixel about its row median (for clipping), ADU. */
function overscanSigma(raw: ImageF, section: Section): number {
  const deviations: number[] = [];
  const buffer = new Float64Array(section.width);
  // A sample of rows is enough for a clipping scale.
  const step = Math.max(1, Math.floor(section.height / 200));
  for (let row = 0; row < section.height; row += step) {
    const values = rowValues(raw, section, row, buffer);
    const m = median(values);
    for (const v of values) deviations.push(Math.abs(v - m));
  }
  const sorted = Float64Array.from(deviations).sort();
  // The MAD of integer ADU can be 0; never clip tighter than one ADU.
  return Math.max(1, 1.4826 * (sorted[sorted.length >> 1] ?? 0));
}

export function fitOverscan(
  raw: ImageF,
  biasSection: Section,
  fitType: OverscanFitType,
  order: number,
): OverscanFit {
  const rows = biasSection.height;
  const rowLevels = new Float64Array(rows);
  const buffer = new Float64Array(biasSection.width);
  if (fitType === 'MEDIAN_PER_ROW') {
    for (let row = 0; row < rows; row++) rowLevels[row] = median(rowValues(raw, biasSection, row, buffer));
  } else {
    const sigma = overscanSigma(raw, biasSection);
    const means = new Float64Array(rows);
    for (let row = 0; row < rows; row++)
      means[row] = clippedMean(rowValues(raw, biasSection, row, buffer), sigma);
    // The row index scaled to [-1, 1] keeps the normal equations well conditioned.
    const t = Float64Array.from({ length: rows }, (_, row) => (rows > 1 ? (2 * row) / (rows - 1) - 1 : 0));
    const use = new Uint8Array(rows).fill(1);
    const effectiveOrder = Math.min(order, rows - 1);
    let coefficients = fitPolynomial(t, means, use, effectiveOrder);
    // One round of rejection of rows far from the fit (a row hit by a cosmic ray in the overscan).
    let sum2 = 0;
    for (let row = 0; row < rows; row++) sum2 += (means[row]! - evaluate(coefficients, t[row]!)) ** 2;
    const rms = Math.sqrt(sum2 / Math.max(1, rows - effectiveOrder - 1));
    let rejected = 0;
    for (let row = 0; row < rows; row++) {
      if (Math.abs(means[row]! - evaluate(coefficients, t[row]!)) > 3 * rms && rms > 0) {
        use[row] = 0;
        rejected++;
      }
    }
    if (rejected > 0 && rows - rejected > effectiveOrder)
      coefficients = fitPolynomial(t, means, use, effectiveOrder);
    for (let row = 0; row < rows; row++) rowLevels[row] = evaluate(coefficients, t[row]!);
  }
  let total = 0;
  for (const v of rowLevels) total += v;
  return { rowLevels, meanLevel: rows > 0 ? total / rows : Number.NaN };
}
