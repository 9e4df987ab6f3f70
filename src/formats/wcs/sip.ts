/**
 * SIP distortion polynomials (Shupe et al. 2005, "The SIP Convention for Representing Distortion in FITS Image
 * Headers"): f(u, v) = sum over p + q <= order of A_p_q u^p v^q, in pixels relative to CRPIX.
 */

export interface SipPolynomial {
  readonly order: number;
  /** coefficients[p][q] multiplies u^p v^q; entries with p + q > order are zero. */
  readonly coefficients: readonly (readonly number[])[];
}

export interface SipDistortion {
  /** Forward: pixel offsets (u, v) -> (u + A(u, v), v + B(u, v)) before the CD matrix. */
  readonly a: SipPolynomial;
  readonly b: SipPolynomial;
  /** Optional inverse polynomials AP/BP: (U, V) -> (U + AP(U, V), V + BP(U, V)). */
  readonly ap?: SipPolynomial;
  readonly bp?: SipPolynomial;
}

export function sipPolynomial(
  order: number,
  terms: Iterable<[p: number, q: number, value: number]>,
): SipPolynomial {
  const coefficients = Array.from({ length: order + 1 }, () => new Array<number>(order + 1).fill(0));
  for (const [p, q, value] of terms) coefficients[p][q] = value;
  return Object.freeze({ order, coefficients: Object.freeze(coefficients.map((row) => Object.freeze(row))) });
}

/** Powers 0..order of a value, into `out`. */
function powers(value: number, order: number, out: Float64Array): void {
  out[0] = 1;
  for (let i = 1; i <= order; i++) out[i] = out[i - 1] * value;
}

/** Evaluates a polynomial and, for Newton's method, its partial derivatives. Reuses scratch arrays. */
export class SipEvaluator {
  private readonly up: Float64Array;
  private readonly vp: Float64Array;

  constructor(private readonly poly: SipPolynomial) {
    this.up = new Float64Array(poly.order + 1);
    this.vp = new Float64Array(poly.order + 1);
  }

  value(u: number, v: number): number {
    const { order, coefficients } = this.poly;
    powers(u, order, this.up);
    powers(v, order, this.vp);
    let sum = 0;
    for (let p = 0; p <= order; p++) {
      const row = coefficients[p];
      for (let q = 0; q <= order - p; q++) sum += row[q] * this.up[p] * this.vp[q];
    }
    return sum;
  }

  /** [d/du, d/dv] at (u, v); call right after `value(u, v)`, whose powers it reuses. */
  gradient(): [number, number] {
    const { order, coefficients } = this.poly;
    let du = 0;
    let dv = 0;
    for (let p = 0; p <= order; p++) {
      const row = coefficients[p];
      for (let q = 0; q <= order - p; q++) {
        const c = row[q];
        if (c === 0) continue;
        if (p > 0) du += c * p * this.up[p - 1] * this.vp[q];
        if (q > 0) dv += c * q * this.up[p] * this.vp[q - 1];
      }
    }
    return [du, dv];
  }
}
