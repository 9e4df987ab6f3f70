/**
 * Least-squares fits of low-order 2-d polynomials over a detector, in the basis of the PSF model
 * (`polynomialTerms`, positions normalised to [-1, 1] across the box), with the order lowered when there are too
 * few points to constrain it. The PSF determination fits the core moments with it, the aperture correction its
 * ratio.
 */
import {
  type Box2I,
  evaluatePolynomial,
  normalisedPosition,
  polynomialTermCount,
  polynomialTerms,
  solveLeastSquares,
} from '../../formats/index.js';

export interface SpatialPolynomial {
  readonly order: number;
  readonly bbox: Box2I;
  readonly coefficients: readonly number[];
}

/** The highest order ≤ `order` with at least `pointsPerTerm` points per term (0 when even that is short). */
export function supportedOrder(order: number, points: number, pointsPerTerm = 2): number {
  let o = order;
  while (o > 0 && points < pointsPerTerm * polynomialTermCount(o)) o--;
  return o;
}

/**
 * Fit one or more value columns at the same positions; `use[i]` false leaves point i out. Returns the coefficients
 * per column (the order must already suit the number of points used: see `supportedOrder`).
 */
export function fitSpatialPolynomials(
  bbox: Box2I,
  order: number,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  columns: readonly ArrayLike<number>[],
  use: ArrayLike<boolean | number>,
): number[][] {
  const terms = polynomialTermCount(order);
  const rows: number[] = [];
  for (let i = 0; i < x.length; i++) if (use[i]) rows.push(i);
  const design = new Float64Array(rows.length * terms);
  const basis = new Float64Array(terms);
  rows.forEach((i, r) => {
    const [u, v] = normalisedPosition(bbox, x[i], y[i]);
    design.set(polynomialTerms(order, u, v, basis), r * terms);
  });
  const rhs = columns.map((column) => Float64Array.from(rows, (i) => column[i]));
  return solveLeastSquares(design, rows.length, terms, rhs).map((c) => Array.from(c));
}

/** The polynomial's value at parent pixel (x, y). */
export function evaluateSpatialPolynomial(p: SpatialPolynomial, x: number, y: number): number {
  const [u, v] = normalisedPosition(p.bbox, x, y);
  return evaluatePolynomial(p.coefficients, p.order, u, v);
}

/** Median of the finite values (NaN when there are none). */
export function median(values: Iterable<number>): number {
  const sorted = [...values].filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** 1.4826 × the median absolute deviation from `centre`: σ for Gaussian scatter, robust to outliers. */
export function robustSigma(values: readonly number[], centre = median(values)): number {
  return 1.4826 * median(values.map((v) => Math.abs(v - centre)));
}
