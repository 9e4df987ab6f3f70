/**
 * Where the light really lands, and the WCS the truth records for it.
 *
 * The true mapping of an exposure: the sky is projected (TAN) about the *true* boresight with the *true* rotator
 * angle onto the focal plane, in pixel units about the optical axis; the optics then move an undistorted offset r to
 * r (1 + k r^2) (radial distortion, k per pixel^2); each detector sees that plane through its own pixel origin. The
 * renderer places sources with `TrueFocalPlane.skyToPixel`.
 *
 * The raw header carries a plain TAN from the camera geometry and the *reported* pointing (`headerWcs`), knowing
 * nothing of the distortion. The truth records, per exposure and detector, a TAN-SIP fit to the true mapping
 * (`fitTrueWcs`: CRPIX at the detector centre, as pipelines write their calibrated WCS), checked on a grid offset from
 * the fit grid (its own spacing) and raised in order until it is good to TRUE_WCS_TOLERANCE_MAS.
 */

import {
  makeTanSipWcs,
  type PixelPosition,
  pixelToSky,
  type SkyPosition,
  sipPolynomial,
  skyToPixel,
  type TanSipWcs,
} from '../formats/index.js';
import {
  type DetectorDescription,
  detectorWcs,
  type InstrumentDescription,
  opticalAxisPixel,
  type Pointing,
} from '../obs/index.js';
import { defaultTanLonpoleDeg, GnomonicProjection } from '../sphere/index.js';
import type { ExposureTruth } from './conditions.js';
import { solveLeastSquares } from './least-squares.js';

/** The recorded true WCS must reproduce the true mapping to this, milliarcseconds (the brief asks < 1 mas). */
export const TRUE_WCS_TOLERANCE_MAS = 0.05;
const MIN_SIP_ORDER = 3;
const MAX_SIP_ORDER = 7;
const FIT_GRID = 16;
const CHECK_GRID = 11;
const MAS_PER_DEGREE = 3.6e6;

/** A plain TAN WCS of a detector for a pointing: the camera geometry without any distortion. */
export function tanDetectorWcs(
  instrument: InstrumentDescription,
  detector: DetectorDescription,
  pointing: Pointing,
): TanSipWcs {
  const { sip: _distortion, ...tan } = detectorWcs(instrument, detector, pointing);
  return makeTanSipWcs(tan);
}

/** The raw header's WCS: a plain TAN at the pointing the telescope reports (the exposure record's). */
export function headerWcs(
  instrument: InstrumentDescription,
  detector: DetectorDescription,
  reported: Pointing,
): TanSipWcs {
  return tanDetectorWcs(instrument, detector, reported);
}

/** The true focal plane of one exposure: true pointing, then radial distortion. */
export class TrueFocalPlane {
  private readonly ideal: TanSipWcs;
  private readonly axis: PixelPosition;
  private readonly k: number;

  constructor(
    private readonly instrument: InstrumentDescription,
    truth: ExposureTruth,
  ) {
    const reference = instrument.detectors[0];
    this.ideal = tanDetectorWcs(instrument, reference, {
      ra: truth.trueRa,
      dec: truth.trueDec,
      rotationDeg: truth.trueRotationDeg,
    });
    this.axis = opticalAxisPixel(instrument, reference);
    this.k = truth.radialDistortionPerPixel2;
  }

  /** Sky -> distorted focal-plane offset from the optical axis, pixels. */
  skyToFocalPlane(ra: number, dec: number): PixelPosition {
    const p = skyToPixel(this.ideal, ra, dec);
    const u = p.x - this.axis.x;
    const v = p.y - this.axis.y;
    const stretch = 1 + this.k * (u * u + v * v);
    return { x: u * stretch, y: v * stretch };
  }

  /** Distorted focal-plane offset (pixels) -> sky: undistort (Newton on r (1 + k r^2) = r'), then TAN. */
  focalPlaneToSky(u: number, v: number): SkyPosition {
    const distorted = Math.hypot(u, v);
    let r = distorted;
    if (this.k !== 0 && distorted > 0) {
      for (let i = 0; i < 50; i++) {
        const step = (r + this.k * r * r * r - distorted) / (1 + 3 * this.k * r * r);
        r -= step;
        if (Math.abs(step) < 1e-13 * distorted) break;
      }
    }
    const shrink = distorted > 0 ? r / distorted : 1;
    return pixelToSky(this.ideal, this.axis.x + u * shrink, this.axis.y + v * shrink);
  }

  /** Sky -> 0-based pixel of a detector, through the true mapping. */
  skyToPixel(detector: DetectorDescription, ra: number, dec: number): PixelPosition {
    const axis = opticalAxisPixel(this.instrument, detector);
    const p = this.skyToFocalPlane(ra, dec);
    return { x: p.x + axis.x, y: p.y + axis.y };
  }

  /** 0-based pixel of a detector -> sky, through the true mapping. */
  pixelToSky(detector: DetectorDescription, x: number, y: number): SkyPosition {
    const axis = opticalAxisPixel(this.instrument, detector);
    return this.focalPlaneToSky(x - axis.x, y - axis.y);
  }
}

export interface TrueWcsFit {
  readonly wcs: TanSipWcs;
  readonly sipOrder: number;
  /** Largest difference between the fitted WCS and the true mapping on the check grid, milliarcseconds. */
  readonly maxResidualMas: number;
}

/** Monomial exponents (p, q) with lowest <= p + q <= order. */
function terms(lowest: number, order: number): [number, number][] {
  const out: [number, number][] = [];
  for (let degree = lowest; degree <= order; degree++) {
    for (let p = degree; p >= 0; p--) out.push([p, degree - p]);
  }
  return out;
}

/** Fit each right-hand side as a polynomial in (u / scale, v / scale); coefficients returned unscaled. */
function fitPolynomials(
  u: Float64Array,
  v: Float64Array,
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
    exponents.forEach(([p, q], j) => {
      design[i * columns + j] = s ** p * t ** q;
    });
  }
  return solveLeastSquares(design, rows, columns, values).map((c) =>
    c.map((value, j) => value / scale ** (exponents[j][0] + exponents[j][1])),
  );
}

/** n x n points evenly spaced over the imaging area, its outer pixel edges (-0.5 and width - 0.5) included. */
function grid(detector: DetectorDescription, n: number) {
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      x.push(-0.5 + (detector.width * i) / (n - 1));
      y.push(-0.5 + (detector.height * j) / (n - 1));
    }
  }
  return { x, y };
}

/** Angular distance between two nearby sky positions, milliarcseconds. */
function separationMas(a: SkyPosition, b: SkyPosition): number {
  const dRa = (((a.ra - b.ra + 540) % 360) - 180) * Math.cos((a.dec * Math.PI) / 180);
  return Math.hypot(dRa, a.dec - b.dec) * MAS_PER_DEGREE;
}

function polynomial(order: number, exponents: readonly [number, number][], values: ArrayLike<number>) {
  return sipPolynomial(
    order,
    exponents.map(([p, q], j): [number, number, number] => [p, q, values[j]]),
  );
}

function fitOfOrder(
  focalPlane: TrueFocalPlane,
  detector: DetectorDescription,
  order: number,
): { wcs: TanSipWcs; maxResidualMas: number } {
  const cx = (detector.width - 1) / 2;
  const cy = (detector.height - 1) / 2;
  const crval = focalPlane.pixelToSky(detector, cx, cy);
  const lonpole = defaultTanLonpoleDeg(crval.dec);
  const projection = new GnomonicProjection(crval.ra, crval.dec, lonpole);
  const points = grid(detector, FIT_GRID);
  const n = points.x.length;
  const u = Float64Array.from(points.x, (x) => x - cx);
  const v = Float64Array.from(points.y, (y) => y - cy);
  const xi = new Float64Array(n);
  const eta = new Float64Array(n);
  const plane = new Float64Array(2);
  for (let i = 0; i < n; i++) {
    const sky = focalPlane.pixelToSky(detector, points.x[i], points.y[i]);
    projection.skyToPlane(sky.ra, sky.dec, plane);
    xi[i] = plane[0];
    eta[i] = plane[1];
  }
  const scale = Math.max(detector.width, detector.height) / 2;
  // Forward: (xi, eta) = CD (u + A, v + B). Fit xi and eta over degrees 1..order; the linear part is CD.
  const forward = terms(1, order);
  const [xiCoefficients, etaCoefficients] = fitPolynomials(u, v, scale, forward, [xi, eta]);
  const cd = [
    [xiCoefficients[0], xiCoefficients[1]],
    [etaCoefficients[0], etaCoefficients[1]],
  ] as const;
  const det = cd[0][0] * cd[1][1] - cd[0][1] * cd[1][0];
  const toPixels = (x: number, y: number): [number, number] => [
    (cd[1][1] * x - cd[0][1] * y) / det,
    (-cd[1][0] * x + cd[0][0] * y) / det,
  ];
  const higher = forward.slice(2);
  const a = new Float64Array(higher.length);
  const b = new Float64Array(higher.length);
  higher.forEach((_, j) => {
    [a[j], b[j]] = toPixels(xiCoefficients[j + 2], etaCoefficients[j + 2]);
  });
  // Inverse polynomials AP, BP: u = U + AP(U, V), with (U, V) = CD^-1 (xi, eta). Newton refines the inverse
  // anyway (formats/wcs); AP/BP are for readers that use them as given.
  const bigU = new Float64Array(n);
  const bigV = new Float64Array(n);
  for (let i = 0; i < n; i++) [bigU[i], bigV[i]] = toPixels(xi[i], eta[i]);
  const inverse = terms(1, order);
  const [ap, bp] = fitPolynomials(bigU, bigV, scale, inverse, [
    Float64Array.from(u, (value, i) => value - bigU[i]),
    Float64Array.from(v, (value, i) => value - bigV[i]),
  ]);
  const wcs = makeTanSipWcs({
    crpix: [cx + 1, cy + 1],
    crval: [crval.ra, crval.dec],
    cd,
    lonpole,
    sip: {
      a: polynomial(order, higher, a),
      b: polynomial(order, higher, b),
      ap: polynomial(order, inverse, ap),
      bp: polynomial(order, inverse, bp),
    },
  });
  const check = grid(detector, CHECK_GRID);
  let maxResidualMas = 0;
  for (let i = 0; i < check.x.length; i++) {
    const fitted = pixelToSky(wcs, check.x[i], check.y[i]);
    const truth = focalPlane.pixelToSky(detector, check.x[i], check.y[i]);
    maxResidualMas = Math.max(maxResidualMas, separationMas(fitted, truth));
  }
  return { wcs, maxResidualMas };
}

/** A TAN-SIP fit to the true mapping over one detector, good to TRUE_WCS_TOLERANCE_MAS (order raised until it is). */
export function fitTrueWcs(focalPlane: TrueFocalPlane, detector: DetectorDescription): TrueWcsFit {
  let best: TrueWcsFit | undefined;
  for (let order = MIN_SIP_ORDER; order <= MAX_SIP_ORDER; order++) {
    const fit = fitOfOrder(focalPlane, detector, order);
    if (!best || fit.maxResidualMas < best.maxResidualMas) best = { ...fit, sipOrder: order };
    if (fit.maxResidualMas <= TRUE_WCS_TOLERANCE_MAS) break;
  }
  return best!;
}
