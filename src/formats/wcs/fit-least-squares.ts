/**
 * Linear least squares by Householder QR (Golub & Van Loan, "Matrix Computations", 4th ed., sec. 5.3): the TAN-SIP
 * fits of fit-tan-sip.ts use it (the simulator's true WCS, the calibrate task's astrometry). QR rather than the
 * normal equations because the polynomial bases are moderately ill-conditioned and the fit must be good to a
 * millionth of its range.
 */

import { meridianError } from '../../errors.js';

/**
 * The x minimising |A x - b| for a design matrix `rows` x `columns` (row-major in `design`) and one or more
 * right-hand sides (each of length `rows`); returns one solution per right-hand side.
 */
export function solveLeastSquares(
  design: Float64Array,
  rows: number,
  columns: number,
  rightHandSides: readonly Float64Array[],
): Float64Array[] {
  if (rows < columns) {
    throw meridianError('INVALID_ARGUMENT', `least squares needs at least ${columns} rows, got ${rows}`, {
      rows,
      columns,
    });
  }
  const a = Float64Array.from(design);
  const rhs = rightHandSides.map((b) => Float64Array.from(b));
  const diagonal = new Float64Array(columns);
  for (let k = 0; k < columns; k++) {
    let norm = 0;
    for (let i = k; i < rows; i++) norm += a[i * columns + k] ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) {
      throw meridianError('INVALID_ARGUMENT', `least-squares design matrix is rank deficient (column ${k})`, {
        column: k,
      });
    }
    const alpha = a[k * columns + k] > 0 ? -norm : norm;
    // Householder vector v = x - alpha e1, stored in place of column k below the diagonal.
    a[k * columns + k] -= alpha;
    let vNorm2 = 0;
    for (let i = k; i < rows; i++) vNorm2 += a[i * columns + k] ** 2;
    diagonal[k] = alpha;
    if (vNorm2 === 0) continue;
    const reflect = (get: (i: number) => number, set: (i: number, value: number) => void) => {
      let dot = 0;
      for (let i = k; i < rows; i++) dot += a[i * columns + k] * get(i);
      const factor = (2 * dot) / vNorm2;
      for (let i = k; i < rows; i++) set(i, get(i) - factor * a[i * columns + k]);
    };
    for (let j = k + 1; j < columns; j++) {
      reflect(
        (i) => a[i * columns + j],
        (i, value) => {
          a[i * columns + j] = value;
        },
      );
    }
    for (const b of rhs) {
      reflect(
        (i) => b[i],
        (i, value) => {
          b[i] = value;
        },
      );
    }
  }
  // Back substitution with R (diagonal in `diagonal`, strictly upper part in `a`).
  return rhs.map((b) => {
    const x = new Float64Array(columns);
    for (let k = columns - 1; k >= 0; k--) {
      let sum = b[k];
      for (let j = k + 1; j < columns; j++) sum -= a[k * columns + j] * x[j];
      x[k] = sum / diagonal[k];
    }
    return x;
  });
}
