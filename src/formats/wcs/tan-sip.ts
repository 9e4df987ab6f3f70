/**
 * FITS TAN-SIP world coordinates: the pixel side of an image WCS (CRPIX, SIP distortion, CD matrix) over the
 * gnomonic projection of `sphere/` (`GnomonicProjection`, which owns the projection maths).
 *
 * Conventions:
 * - pixels: the API takes and returns 0-based pixel coordinates, as LSST does: the centre of the first pixel is
 *   (0, 0). Headers use FITS 1-based CRPIX, so pixel x corresponds to FITS p1 = x + 1;
 * - pixel -> plane: (u, v) = p - CRPIX (FITS pixels), SIP adds A(u, v), B(u, v) (Shupe et al. 2005), then the CD
 *   matrix (degrees per pixel) gives intermediate world coordinates in degrees;
 * - plane <-> sky: TAN about CRVAL with LONPOLE (default 180°, 0° at the north pole, as FITS says), degrees.
 */

import { meridianError } from '../../errors.js';
import { defaultTanLonpoleDeg, GnomonicProjection } from '../../sphere/index.js';
import { type SipDistortion, SipEvaluator } from './sip.js';

export interface TanSipWcs {
  readonly kind: 'tan-sip';
  /** Reference pixel, FITS 1-based, as written in CRPIX1/CRPIX2. */
  readonly crpix: readonly [number, number];
  /** Reference sky position (RA, Dec) in degrees. */
  readonly crval: readonly [number, number];
  /** Linear transformation, degrees per pixel: [[CD1_1, CD1_2], [CD2_1, CD2_2]]. */
  readonly cd: readonly [readonly [number, number], readonly [number, number]];
  /** Native longitude of the celestial pole (LONPOLE), degrees. */
  readonly lonpole: number;
  readonly radesys: string;
  readonly sip?: SipDistortion;
}

export interface SkyPosition {
  /** Degrees in [0, 360). */
  readonly ra: number;
  /** Degrees. */
  readonly dec: number;
}

export interface PixelPosition {
  /** 0-based: the centre of the first pixel is 0. */
  readonly x: number;
  readonly y: number;
}

export interface TanSipInput {
  readonly crpix: readonly [number, number];
  readonly crval: readonly [number, number];
  readonly cd: readonly [readonly [number, number], readonly [number, number]];
  readonly lonpole?: number;
  readonly radesys?: string;
  readonly sip?: SipDistortion;
}

export function makeTanSipWcs(input: TanSipInput): TanSipWcs {
  const [[a, b], [c, d]] = input.cd;
  const det = a * d - b * c;
  const numbers = [...input.crpix, ...input.crval, a, b, c, d];
  if (!numbers.every(Number.isFinite) || det === 0 || Math.abs(input.crval[1]) > 90) {
    throw meridianError(
      'WCS_INVALID',
      'TAN WCS needs finite CRPIX/CRVAL, |Dec| <= 90 and an invertible CD matrix',
      {
        crpix: input.crpix,
        crval: input.crval,
        cd: input.cd,
      },
    );
  }
  const wcs: TanSipWcs = {
    kind: 'tan-sip',
    crpix: Object.freeze([input.crpix[0], input.crpix[1]] as const),
    crval: Object.freeze([input.crval[0], input.crval[1]] as const),
    cd: Object.freeze([Object.freeze([a, b] as const), Object.freeze([c, d] as const)] as const),
    lonpole: input.lonpole ?? defaultTanLonpoleDeg(input.crval[1]),
    radesys: input.radesys ?? 'ICRS',
    ...(input.sip ? { sip: Object.freeze({ ...input.sip }) } : {}),
  };
  return Object.freeze(wcs);
}

/** Precomputed constants and scratch evaluators for one WCS. */
class TanSipTransform {
  private readonly projection: GnomonicProjection;
  private readonly inverseCd: [number, number, number, number];
  private readonly a?: SipEvaluator;
  private readonly b?: SipEvaluator;
  private readonly ap?: SipEvaluator;
  private readonly bp?: SipEvaluator;

  constructor(private readonly wcs: TanSipWcs) {
    this.projection = new GnomonicProjection(wcs.crval[0], wcs.crval[1], wcs.lonpole);
    const [[a, b], [c, d]] = wcs.cd;
    const det = a * d - b * c;
    this.inverseCd = [d / det, -b / det, -c / det, a / det];
    if (wcs.sip) {
      this.a = new SipEvaluator(wcs.sip.a);
      this.b = new SipEvaluator(wcs.sip.b);
      if (wcs.sip.ap && wcs.sip.bp) {
        this.ap = new SipEvaluator(wcs.sip.ap);
        this.bp = new SipEvaluator(wcs.sip.bp);
      }
    }
  }

  /** 0-based pixel -> (RA, Dec) in degrees, written to out[0], out[1]. */
  pixelToSky(x: number, y: number, out: Float64Array): void {
    let u = x + 1 - this.wcs.crpix[0];
    let v = y + 1 - this.wcs.crpix[1];
    if (this.a && this.b) {
      const du = this.a.value(u, v);
      const dv = this.b.value(u, v);
      u += du;
      v += dv;
    }
    const [[c11, c12], [c21, c22]] = this.wcs.cd;
    this.projection.planeToSky(c11 * u + c12 * v, c21 * u + c22 * v, out);
  }

  /** (RA, Dec) degrees -> 0-based pixel; NaN for points 90 deg or more from the tangent point. */
  skyToPixel(raDeg: number, decDeg: number, out: Float64Array): void {
    if (!(this.projection.skyToPlane(raDeg, decDeg, out) > 0)) return;
    const [i11, i12, i21, i22] = this.inverseCd;
    const uTarget = i11 * out[0] + i12 * out[1];
    const vTarget = i21 * out[0] + i22 * out[1];
    const [u, v] = this.undistort(uTarget, vTarget);
    out[0] = u + this.wcs.crpix[0] - 1;
    out[1] = v + this.wcs.crpix[1] - 1;
  }

  /**
   * Solve u + A(u, v) = U, v + B(u, v) = V. AP/BP (when present) give the starting point; Newton's method then
   * makes the result exact to ~1e-12 pixel, so the inverse agrees with the forward transform rather than with the
   * accuracy of a fitted AP/BP.
   */
  private undistort(uTarget: number, vTarget: number): [number, number] {
    const { a, b } = this;
    if (!a || !b) return [uTarget, vTarget];
    let u = uTarget;
    let v = vTarget;
    if (this.ap && this.bp) {
      u += this.ap.value(uTarget, vTarget);
      v += this.bp.value(uTarget, vTarget);
    }
    for (let iteration = 0; iteration < 50; iteration++) {
      const fu = u + a.value(u, v) - uTarget;
      const [au, av] = a.gradient();
      const fv = v + b.value(u, v) - vTarget;
      const [bu, bv] = b.gradient();
      // Jacobian [[1 + A_u, A_v], [B_u, 1 + B_v]].
      const j11 = 1 + au;
      const j22 = 1 + bv;
      const det = j11 * j22 - av * bu;
      const du = (fu * j22 - av * fv) / det;
      const dv = (j11 * fv - bu * fu) / det;
      u -= du;
      v -= dv;
      if (Math.abs(du) < 1e-12 && Math.abs(dv) < 1e-12) break;
    }
    return [u, v];
  }
}

const transforms = new WeakMap<TanSipWcs, TanSipTransform>();

function transformFor(wcs: TanSipWcs): TanSipTransform {
  let t = transforms.get(wcs);
  if (!t) {
    t = new TanSipTransform(wcs);
    transforms.set(wcs, t);
  }
  return t;
}

export function pixelToSky(wcs: TanSipWcs, x: number, y: number): SkyPosition {
  const out = new Float64Array(2);
  transformFor(wcs).pixelToSky(x, y, out);
  return { ra: out[0], dec: out[1] };
}

export function skyToPixel(wcs: TanSipWcs, ra: number, dec: number): PixelPosition {
  const out = new Float64Array(2);
  transformFor(wcs).skyToPixel(ra, dec, out);
  return { x: out[0], y: out[1] };
}

function checkLengths(first: Float64Array, second: Float64Array): void {
  if (first.length !== second.length) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `coordinate arrays differ in length (${first.length} vs ${second.length})`,
      {},
    );
  }
}

/** Vectorised pixelToSky over 0-based pixel arrays. */
export function pixelsToSky(
  wcs: TanSipWcs,
  x: Float64Array,
  y: Float64Array,
): { ra: Float64Array; dec: Float64Array } {
  checkLengths(x, y);
  const t = transformFor(wcs);
  const out = new Float64Array(2);
  const ra = new Float64Array(x.length);
  const dec = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    t.pixelToSky(x[i], y[i], out);
    ra[i] = out[0];
    dec[i] = out[1];
  }
  return { ra, dec };
}

/** Vectorised skyToPixel; returns 0-based pixel arrays. */
export function skyToPixels(
  wcs: TanSipWcs,
  ra: Float64Array,
  dec: Float64Array,
): { x: Float64Array; y: Float64Array } {
  checkLengths(ra, dec);
  const t = transformFor(wcs);
  const out = new Float64Array(2);
  const x = new Float64Array(ra.length);
  const y = new Float64Array(ra.length);
  for (let i = 0; i < ra.length; i++) {
    t.skyToPixel(ra[i], dec[i], out);
    x[i] = out[0];
    y[i] = out[1];
  }
  return { x, y };
}
