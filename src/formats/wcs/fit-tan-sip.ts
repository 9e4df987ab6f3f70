/**
 * Fitting a TAN-SIP WCS to pixel <-> sky pairs: the simulator fits its true mapping on a grid with it, the calibrate
 * task fits matched stars.
 *
 * The sky is projected (TAN) about CRVAL; each intermediate world coordinate (xi, eta) is then a polynomial of
 * degrees 1..order in the pixel offsets (u, v) from CRPIX, fitted by least squares (QR, fit-least-squares.ts) in
 * scaled offsets for conditioning. Its linear part is the CD matrix and CD^-1 times the higher terms are the SIP
 * A, B polynomials (Shupe et al. 2005), so the fit is exactly representable in the header. When CRVAL is not given
 * it is solved for: fit with a constant term too, move CRVAL to the sky position of that constant (the plane
 * position of CRPIX), and repeat until the constant vanishes. The inverse polynomials AP, BP are fitted to the
 * forward solution on a grid over the points' bounding box (they only seed Newton's method in tan-sip.ts).
 */

import { meridianError } from '../../errors.js';
import { defaultTanLonpoleDeg, GnomonicProjection } from '../../sphere/index.js';
import { solveLeastSquares } from './fit-least-squares.js';
import { SipEvaluator, type SipPolynomial, sipPolynomial } from './sip.js';
import {
  makeTanSipWcs,
  type PixelPosition,
  pixelToSky,
  type SkyPosition,
  type TanSipWcs,
} from './tan-sip.js';

export interface TanSipFitOptions {
  /** Polynomial order of the pixel -> plane mapping: 1 is a plain TAN, 2 and more add SIP terms of that order. */
  readonly order: number;
  /** FITS 1-based reference pixel; default: the mean pixel position (+1), rounded to a half pixel. */
  readonly crpix?: readonly [number, number];
  /** Tangent point (RA, Dec) degrees, when known; default: solved so that it is the sky position of CRPIX. */
  readonly crval?: readonly [number, number];
  /** Non-negative weight per pair (inverse variance); default: all 1. */
  readonly weights?: ArrayLike<number>;
}

export interface TanSipFit {
  readonly wcs: TanSipWcs;
  readonly order: number;
  /** Number of pairs with a positive weight. */
  readonly count: number;
  /** Root-mean-square and largest sky distance between fitted and given positions (positive weights), mas. */
  readonly rmsResidualMas: number;
  readonly maxResidualMas: number;
}

const MAS_PER_DEGREE = 3.6e6;
const MAX_CRVAL_ITERATIONS = 8;
const INVERSE_GRID = 16;

/** Number of polynomial terms of degrees lowest..order in two variables. */
export function tanSipTermCount(order: number, lowest = 1): number {
  return ((order + 1) * (order + 2)) / 2 - (lowest * (lowest + 1)) / 2;
}

/** Monomial exponents (p, q) with lowest <= p + q <= order, by degree. */
function exponentsOf(lowest: number, order: number): [number, number][] {
  const out: [number, number][] = [];
  for (let degree = lowest; degree <= order; degree++) {
    for (let p = degree; p >= 0; p--) out.push([p, degree - p]);
  }
  return out;
}

/** Weighted least-squares fit of each right-hand side as a polynomial in (u / scale, v / scale); unscaled result. */
function fitPolynomials(
  u: Float64Array,
  v: Float64Array,
  rootWeights: Float64Array,
  scale: number,
  exponents: readonly [number, number][],
  values: readonly Float64Array[],
): Float64Array[] {
  const rows = u.length;
  const columns = exponents.length;
  const design = new Float64Array(rows * columns);
  for (let i = 0; i < rows; i++) {
    const s = u[i] / scale;
    const t = v[i] / scale;
    for (let j = 0; j < columns; j++) {
      design[i * columns + j] = rootWeights[i] * s ** exponents[j][0] * t ** exponents[j][1];
    }
  }
  const weighted = values.map((b) => Float64Array.from(b, (value, i) => value * rootWeights[i]));
  return solveLeastSquares(design, rows, columns, weighted).map((c) =>
    c.map((value, j) => value / scale ** (exponents[j][0] + exponents[j][1])),
  );
}

function polynomial(
  order: number,
  exponents: readonly [number, number][],
  values: ArrayLike<number>,
): SipPolynomial {
  return sipPolynomial(
    order,
    exponents.map(([p, q], j): [number, number, number] => [p, q, values[j]]),
  );
}

/** The normalised mean direction of the sky positions, (RA, Dec) degrees: a first tangent point. */
function meanDirection(sky: readonly SkyPosition[], rootWeights: Float64Array): [number, number] {
  let x = 0;
  let y = 0;
  let z = 0;
  const rad = Math.PI / 180;
  sky.forEach(({ ra, dec }, i) => {
    const w = rootWeights[i] > 0 ? 1 : 0;
    x += w * Math.cos(dec * rad) * Math.cos(ra * rad);
    y += w * Math.cos(dec * rad) * Math.sin(ra * rad);
    z += w * Math.sin(dec * rad);
  });
  const ra = (Math.atan2(y, x) / rad + 360) % 360;
  return [ra, Math.atan2(z, Math.hypot(x, y)) / rad];
}

function validate(pixels: readonly PixelPosition[], sky: readonly SkyPosition[], options: TanSipFitOptions) {
  const { order, weights } = options;
  if (!Number.isInteger(order) || order < 1 || order > 9) {
    throw meridianError('INVALID_ARGUMENT', `TAN-SIP fit order must be an integer 1..9, got ${order}`, {
      order,
    });
  }
  if (pixels.length !== sky.length || (weights && weights.length !== pixels.length)) {
    throw meridianError(
      'INVALID_ARGUMENT',
      'TAN-SIP fit needs as many sky positions (and weights) as pixels',
      {
        pixels: pixels.length,
        sky: sky.length,
        weights: weights?.length,
      },
    );
  }
  const rootWeights = Float64Array.from(pixels, (_, i) => {
    const w = weights ? weights[i] : 1;
    if (!(w >= 0) || !Number.isFinite(w)) {
      throw meridianError(
        'INVALID_ARGUMENT',
        `TAN-SIP fit weight ${i} is ${w}; weights must be finite and >= 0`,
        {
          index: i,
        },
      );
    }
    return Math.sqrt(w);
  });
  const count = rootWeights.reduce((n, w) => n + (w > 0 ? 1 : 0), 0);
  // Each pair gives two equations (xi, eta) to two independent polynomials: each polynomial needs its own count.
  const needed = tanSipTermCount(order, options.crval ? 1 : 0);
  if (count < needed) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `a TAN-SIP fit of order ${order} needs at least ${needed} pairs with positive weight, got ${count}`,
      { order, needed, count },
    );
  }
  return { rootWeights, count };
}

/** Fit a TAN-SIP WCS mapping each 0-based pixel position to its sky position. */
export function fitTanSip(
  pixels: readonly PixelPosition[],
  sky: readonly SkyPosition[],
  options: TanSipFitOptions,
): TanSipFit {
  const { order } = options;
  const { rootWeights, count } = validate(pixels, sky, options);
  const n = pixels.length;
  let crpix = options.crpix;
  if (!crpix) {
    let sx = 0;
    let sy = 0;
    let sw = 0;
    pixels.forEach((p, i) => {
      const w = rootWeights[i] > 0 ? 1 : 0;
      sx += w * p.x;
      sy += w * p.y;
      sw += w;
    });
    crpix = [Math.round((2 * sx) / sw) / 2 + 1, Math.round((2 * sy) / sw) / 2 + 1];
  }
  const u = Float64Array.from(pixels, (p) => p.x + 1 - crpix[0]);
  const v = Float64Array.from(pixels, (p) => p.y + 1 - crpix[1]);
  let scale = 1;
  for (let i = 0; i < n; i++) if (rootWeights[i] > 0) scale = Math.max(scale, Math.abs(u[i]), Math.abs(v[i]));
  const xi = new Float64Array(n);
  const eta = new Float64Array(n);
  const project = (crval: readonly [number, number]) => {
    const projection = new GnomonicProjection(crval[0], crval[1], defaultTanLonpoleDeg(crval[1]));
    const plane = new Float64Array(2);
    for (let i = 0; i < n; i++) {
      if (!(projection.skyToPlane(sky[i].ra, sky[i].dec, plane) > 0)) {
        throw meridianError(
          'INVALID_ARGUMENT',
          'TAN-SIP fit: a sky position is 90 degrees or more from the others',
          {
            index: i,
          },
        );
      }
      xi[i] = plane[0];
      eta[i] = plane[1];
    }
    return projection;
  };

  let crval: readonly [number, number] = options.crval ?? meanDirection(sky, rootWeights);
  if (!options.crval) {
    const withConstant = exponentsOf(0, order);
    for (let iteration = 0; iteration < MAX_CRVAL_ITERATIONS; iteration++) {
      const projection = project(crval);
      const [xiC, etaC] = fitPolynomials(u, v, rootWeights, scale, withConstant, [xi, eta]);
      const moved = new Float64Array(2);
      projection.planeToSky(xiC[0], etaC[0], moved);
      crval = [moved[0], moved[1]];
      // 1e-12 degree is 4 nano-arcseconds: the constant is then negligible and is dropped below.
      if (Math.hypot(xiC[0], etaC[0]) < 1e-12) break;
    }
  }
  project(crval);
  const forward = exponentsOf(1, order);
  const [xiCoefficients, etaCoefficients] = fitPolynomials(u, v, rootWeights, scale, forward, [xi, eta]);
  const cd = [
    [xiCoefficients[0], xiCoefficients[1]],
    [etaCoefficients[0], etaCoefficients[1]],
  ] as const;
  const det = cd[0][0] * cd[1][1] - cd[0][1] * cd[1][0];
  if (!(Math.abs(det) > 0) || !Number.isFinite(det)) {
    throw meridianError('INVALID_ARGUMENT', 'TAN-SIP fit: the pixel positions do not determine a CD matrix', {
      count,
    });
  }
  const toPixels = (x: number, y: number): [number, number] => [
    (cd[1][1] * x - cd[0][1] * y) / det,
    (-cd[1][0] * x + cd[0][0] * y) / det,
  ];
  const wcsInput = {
    crpix: [crpix[0], crpix[1]] as const,
    crval: [crval[0], crval[1]] as const,
    cd,
    lonpole: defaultTanLonpoleDeg(crval[1]),
  };
  let wcs: TanSipWcs;
  if (order === 1) {
    wcs = makeTanSipWcs(wcsInput);
  } else {
    const higher = forward.slice(2);
    const a = new Float64Array(higher.length);
    const b = new Float64Array(higher.length);
    higher.forEach((_, j) => {
      [a[j], b[j]] = toPixels(xiCoefficients[j + 2], etaCoefficients[j + 2]);
    });
    const inverse = fitInverse(u, v, rootWeights, scale, order, higher, a, b);
    wcs = makeTanSipWcs({
      ...wcsInput,
      sip: {
        a: polynomial(order, higher, a),
        b: polynomial(order, higher, b),
        ap: polynomial(order, forward, inverse.ap),
        bp: polynomial(order, forward, inverse.bp),
      },
    });
  }
  return Object.freeze({ wcs, order, count, ...residuals(wcs, pixels, sky, rootWeights) });
}

/**
 * Inverse polynomials: u = U + AP(U, V), where (U, V) = (u + A, v + B), fitted on a grid over the bounding box of
 * the weighted points.
 */
function fitInverse(
  u: Float64Array,
  v: Float64Array,
  rootWeights: Float64Array,
  scale: number,
  order: number,
  higher: readonly [number, number][],
  a: Float64Array,
  b: Float64Array,
): { ap: Float64Array; bp: Float64Array } {
  let minU = Infinity;
  let maxU = -Infinity;
  let minV = Infinity;
  let maxV = -Infinity;
  for (let i = 0; i < u.length; i++) {
    if (rootWeights[i] === 0) continue;
    minU = Math.min(minU, u[i]);
    maxU = Math.max(maxU, u[i]);
    minV = Math.min(minV, v[i]);
    maxV = Math.max(maxV, v[i]);
  }
  const gridU = new Float64Array(INVERSE_GRID * INVERSE_GRID);
  const gridV = new Float64Array(gridU.length);
  const bigU = new Float64Array(gridU.length);
  const bigV = new Float64Array(gridU.length);
  const aPoly = new SipEvaluator(polynomial(order, higher, a));
  const bPoly = new SipEvaluator(polynomial(order, higher, b));
  for (let i = 0; i < INVERSE_GRID; i++) {
    for (let j = 0; j < INVERSE_GRID; j++) {
      const k = i * INVERSE_GRID + j;
      gridU[k] = minU + ((maxU - minU) * i) / (INVERSE_GRID - 1);
      gridV[k] = minV + ((maxV - minV) * j) / (INVERSE_GRID - 1);
      bigU[k] = gridU[k] + aPoly.value(gridU[k], gridV[k]);
      bigV[k] = gridV[k] + bPoly.value(gridU[k], gridV[k]);
    }
  }
  const [ap, bp] = fitPolynomials(
    bigU,
    bigV,
    new Float64Array(gridU.length).fill(1),
    scale,
    exponentsOf(1, order),
    [
      Float64Array.from(gridU, (value, k) => value - bigU[k]),
      Float64Array.from(gridV, (value, k) => value - bigV[k]),
    ],
  );
  return { ap, bp };
}

/** Sky distance between a WCS's positions for pixels and the given sky positions, mas. */
export function skyResidualsMas(
  wcs: TanSipWcs,
  pixels: readonly PixelPosition[],
  sky: readonly SkyPosition[],
): Float64Array {
  return Float64Array.from(pixels, (p, i) => separationMas(pixelToSky(wcs, p.x, p.y), sky[i]));
}

function residuals(
  wcs: TanSipWcs,
  pixels: readonly PixelPosition[],
  sky: readonly SkyPosition[],
  rootWeights: Float64Array,
): { rmsResidualMas: number; maxResidualMas: number } {
  const distances = skyResidualsMas(wcs, pixels, sky);
  let sum = 0;
  let max = 0;
  let count = 0;
  distances.forEach((d, i) => {
    if (rootWeights[i] === 0) return;
    sum += d * d;
    max = Math.max(max, d);
    count++;
  });
  return { rmsResidualMas: Math.sqrt(sum / count), maxResidualMas: max };
}

/**
 * Angular distance between two sky positions, mas (haversine: exact at the milliarcsecond scale where the
 * flat-sky difference of RA and Dec is not).
 */
export function separationMas(a: SkyPosition, b: SkyPosition): number {
  const rad = Math.PI / 180;
  const sinDDec = Math.sin(((b.dec - a.dec) * rad) / 2);
  const sinDRa = Math.sin(((b.ra - a.ra) * rad) / 2);
  const h = sinDDec * sinDDec + Math.cos(a.dec * rad) * Math.cos(b.dec * rad) * sinDRa * sinDRa;
  return ((2 * Math.asin(Math.min(1, Math.sqrt(h)))) / rad) * MAS_PER_DEGREE;
}
