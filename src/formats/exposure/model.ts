/**
 * The Exposure object model, after LSST's afw `Exposure`: a float image with a bit mask and a variance plane, all
 * on one pixel grid that may be offset from its parent (`xy0`), plus the WCS, a PSF model, the photometric
 * calibration, the visit information and free-form header metadata.
 *
 * Pixel convention: 0-based parent coordinates, as in LSST. Pixel (x, y) of the parent is element
 * `(y - y0) * width + (x - x0)` of an array; the WCS maps parent pixel coordinates to the sky.
 */

import { meridianError } from '../../errors.js';
import type { HeaderCard, TanSipWcs } from '../index.js';

/** An integer pixel box in parent coordinates: the pixels x0 .. x0 + width - 1, y0 .. y0 + height - 1. */
export interface Box2I {
  readonly kind: 'box2i';
  readonly x0: number;
  readonly y0: number;
  readonly width: number;
  readonly height: number;
}

export function box2i(x0: number, y0: number, width: number, height: number): Box2I {
  for (const [name, v] of [
    ['x0', x0],
    ['y0', y0],
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(v))
      throw meridianError('INVALID_ARGUMENT', `box ${name} must be an integer, got ${v}`);
  }
  if (width < 0 || height < 0) {
    throw meridianError('INVALID_ARGUMENT', `box size must not be negative, got ${width}x${height}`);
  }
  return Object.freeze({ kind: 'box2i', x0, y0, width, height });
}

/** True when `inner` lies entirely inside `outer`. */
export function boxContains(outer: Box2I, inner: Box2I): boolean {
  return (
    inner.x0 >= outer.x0 &&
    inner.y0 >= outer.y0 &&
    inner.x0 + inner.width <= outer.x0 + outer.width &&
    inner.y0 + inner.height <= outer.y0 + outer.height
  );
}

/** A 2-d float image on a pixel grid whose first pixel is (x0, y0) in parent coordinates. */
export class ImageF {
  readonly array: Float32Array;
  readonly bbox: Box2I;

  constructor(array: Float32Array, bbox: Box2I) {
    if (array.length !== bbox.width * bbox.height) {
      throw meridianError(
        'INVALID_ARGUMENT',
        `image array has ${array.length} pixels, its box ${bbox.width}x${bbox.height} needs ${bbox.width * bbox.height}`,
      );
    }
    this.array = array;
    this.bbox = bbox;
  }

  static zeros(bbox: Box2I): ImageF {
    return new ImageF(new Float32Array(bbox.width * bbox.height), bbox);
  }

  get width(): number {
    return this.bbox.width;
  }

  get height(): number {
    return this.bbox.height;
  }

  /** Value at parent pixel (x, y). */
  get(x: number, y: number): number {
    return this.array[(y - this.bbox.y0) * this.bbox.width + (x - this.bbox.x0)]!;
  }

  /** A copy of the pixels inside `box` (parent coordinates). */
  subset(box: Box2I): ImageF {
    return new ImageF(copyBox(this.array, this.bbox, box, Float32Array), box);
  }
}

/** Standard mask planes and their bits, as LSST's afw defines the first ones. */
export const DEFAULT_MASK_PLANES: Readonly<Record<string, number>> = Object.freeze({
  BAD: 0,
  SAT: 1,
  INTRP: 2,
  CR: 3,
  EDGE: 4,
  DETECTED: 5,
  DETECTED_NEGATIVE: 6,
  SUSPECT: 7,
  NO_DATA: 8,
});

/** A 32-bit mask: each named plane is one bit. */
export class Mask {
  readonly array: Int32Array;
  readonly bbox: Box2I;
  readonly planes: Readonly<Record<string, number>>;

  constructor(
    array: Int32Array,
    bbox: Box2I,
    planes: Readonly<Record<string, number>> = DEFAULT_MASK_PLANES,
  ) {
    if (array.length !== bbox.width * bbox.height) {
      throw meridianError(
        'INVALID_ARGUMENT',
        `mask array has ${array.length} pixels, its box ${bbox.width}x${bbox.height} needs ${bbox.width * bbox.height}`,
      );
    }
    for (const [name, bit] of Object.entries(planes)) {
      if (!/^[A-Z][A-Z0-9_]*$/.test(name) || !Number.isInteger(bit) || bit < 0 || bit > 31) {
        throw meridianError(
          'INVALID_ARGUMENT',
          `invalid mask plane ${name}=${bit} (upper-case name, bit 0..31)`,
        );
      }
    }
    this.array = array;
    this.bbox = bbox;
    this.planes = Object.freeze({ ...planes });
  }

  static zeros(bbox: Box2I, planes?: Readonly<Record<string, number>>): Mask {
    return new Mask(new Int32Array(bbox.width * bbox.height), bbox, planes);
  }

  /** The bit value of a plane (1 << bit). */
  bitMask(plane: string): number {
    const bit = this.planes[plane];
    if (bit === undefined) {
      throw meridianError(
        'INVALID_ARGUMENT',
        `no mask plane ${plane}; planes: ${Object.keys(this.planes).join(', ')}`,
      );
    }
    return 1 << bit;
  }

  get(x: number, y: number): number {
    return this.array[(y - this.bbox.y0) * this.bbox.width + (x - this.bbox.x0)]!;
  }

  subset(box: Box2I): Mask {
    return new Mask(copyBox(this.array, this.bbox, box, Int32Array), box, this.planes);
  }
}

/**
 * A spatially varying PSF (built by the characterizeImage task's PSF determination): an elliptical double
 * Gaussian whose core covariance (ixx, iyy, ixy: second moments of the continuous core before pixelisation, pixels²)
 * is a 2-d polynomial of the parent pixel position, and whose wing has the core's shape scaled by sigma2/sigma1
 * with peak ratio `ratio`. See psf-model.ts for the polynomial basis and `psfShapeAt`.
 */
export interface PolynomialDoubleGaussianPsf {
  readonly kind: 'polynomialDoubleGaussian';
  /**
   * The circularised PSF at the centre of `bbox` as a round double Gaussian (core σ = det(C)^¼, wing σ), for code
   * that needs one PSF for the whole image (the detection kernel, the cosmic-ray test).
   */
  readonly sigma1: number;
  readonly sigma2: number;
  /** Peak amplitude of the wing relative to the core (the same for the elliptical and the round form). */
  readonly ratio: number;
  /** Total degree of the polynomials. */
  readonly order: number;
  /** Positions are normalised to [-1, 1] across this box; outside it the PSF at the nearest edge is used. */
  readonly bbox: Box2I;
  /** Coefficients of the core's ixx, iyy, ixy in the basis of `polynomialTerms(order)`. */
  readonly coreIxx: readonly number[];
  readonly coreIyy: readonly number[];
  readonly coreIxy: readonly number[];
}

/** A PSF model simple enough to serialise as header keywords. Widths are Gaussian sigmas in pixels. */
export type Psf =
  | { readonly kind: 'gaussian'; readonly sigma: number }
  | {
      readonly kind: 'doubleGaussian';
      readonly sigma1: number;
      readonly sigma2: number;
      /** Peak amplitude of the second Gaussian relative to the first. */
      readonly ratio: number;
    }
  | PolynomialDoubleGaussianPsf;

/** FWHM of a Gaussian of standard deviation sigma: 2 sqrt(2 ln 2) sigma. */
export const FWHM_PER_SIGMA = 2 * Math.sqrt(2 * Math.LN2);

/** Instrumental flux (counts) to nJy: flux_nJy = counts * calibrationMean. */
export interface PhotoCalib {
  readonly kind: 'photoCalib';
  /** nJy per count. */
  readonly calibrationMean: number;
  readonly calibrationErr: number;
}

export interface Observatory {
  readonly longitudeDeg: number;
  readonly latitudeDeg: number;
  readonly elevationM: number;
}

/** What was observed, when and how (LSST's afw `VisitInfo`, the fields Meridian uses). Null means unknown. */
export interface VisitInfo {
  readonly kind: 'visitInfo';
  readonly exposureId: number | null;
  /** Seconds. */
  readonly exposureTime: number | null;
  readonly darkTime: number | null;
  /** Exposure start, ISO 8601 on the TAI scale (`2026-11-23T03:01:14.318`). */
  readonly date: string | null;
  /** Boresight [ra, dec], degrees. */
  readonly boresightRaDec: readonly [number, number] | null;
  /** Sky position angle of the pixel +y axis, degrees east of north. */
  readonly boresightRotAngle: number | null;
  readonly airmass: number | null;
  readonly zenithAngle: number | null;
  readonly observatory: Observatory | null;
  readonly instrument: string | null;
}

export function visitInfo(fields: Partial<Omit<VisitInfo, 'kind'>>): VisitInfo {
  return Object.freeze({
    kind: 'visitInfo',
    exposureId: fields.exposureId ?? null,
    exposureTime: fields.exposureTime ?? null,
    darkTime: fields.darkTime ?? null,
    date: fields.date ?? null,
    boresightRaDec: fields.boresightRaDec ?? null,
    boresightRotAngle: fields.boresightRotAngle ?? null,
    airmass: fields.airmass ?? null,
    zenithAngle: fields.zenithAngle ?? null,
    observatory: fields.observatory ?? null,
    instrument: fields.instrument ?? null,
  });
}

export interface ExposureParts {
  readonly image: ImageF;
  readonly mask?: Mask;
  /** Null when unknown (a raw read as written has no variance). */
  readonly variance?: ImageF | null;
  readonly wcs?: TanSipWcs | null;
  readonly psf?: Psf | null;
  readonly photoCalib?: PhotoCalib | null;
  readonly visitInfo?: VisitInfo | null;
  /** Header cards kept with the exposure (written to the primary HDU). */
  readonly metadata?: readonly HeaderCard[];
}

/** An image with its mask, variance and calibration objects. */
export class Exposure {
  readonly image: ImageF;
  readonly mask: Mask;
  readonly variance: ImageF | null;
  readonly wcs: TanSipWcs | null;
  readonly psf: Psf | null;
  readonly photoCalib: PhotoCalib | null;
  readonly visitInfo: VisitInfo | null;
  readonly metadata: readonly HeaderCard[];

  constructor(parts: ExposureParts) {
    const bbox = parts.image.bbox;
    const mask = parts.mask ?? Mask.zeros(bbox);
    for (const [name, plane] of [
      ['mask', mask],
      ['variance', parts.variance ?? null],
    ] as const) {
      if (plane !== null && !sameBox(plane.bbox, bbox)) {
        throw meridianError('INVALID_ARGUMENT', `exposure ${name} box differs from the image box`);
      }
    }
    this.image = parts.image;
    this.mask = mask;
    this.variance = parts.variance ?? null;
    this.wcs = parts.wcs ?? null;
    this.psf = parts.psf ?? null;
    this.photoCalib = parts.photoCalib ?? null;
    this.visitInfo = parts.visitInfo ?? null;
    this.metadata = Object.freeze([...(parts.metadata ?? [])]);
  }

  get bbox(): Box2I {
    return this.image.bbox;
  }

  get width(): number {
    return this.image.width;
  }

  get height(): number {
    return this.image.height;
  }

  /** The part of the exposure inside `box` (parent coordinates); the calibration objects are shared. */
  subset(box: Box2I): Exposure {
    if (!boxContains(this.bbox, box)) {
      throw meridianError(
        'INVALID_ARGUMENT',
        `box ${describeBox(box)} is not inside the exposure ${describeBox(this.bbox)}`,
      );
    }
    return new Exposure({
      ...this,
      image: this.image.subset(box),
      mask: this.mask.subset(box),
      variance: this.variance?.subset(box) ?? null,
    });
  }
}

export function describeBox(b: Box2I): string {
  return `[x ${b.x0}..${b.x0 + b.width - 1}, y ${b.y0}..${b.y0 + b.height - 1}]`;
}

function sameBox(a: Box2I, b: Box2I): boolean {
  return a.x0 === b.x0 && a.y0 === b.y0 && a.width === b.width && a.height === b.height;
}

function copyBox<T extends Float32Array | Int32Array>(
  source: T,
  from: Box2I,
  box: Box2I,
  ctor: { new (n: number): T },
): T {
  if (!boxContains(from, box)) {
    throw meridianError('INVALID_ARGUMENT', `box ${describeBox(box)} is not inside ${describeBox(from)}`);
  }
  const out = new ctor(box.width * box.height);
  for (let y = 0; y < box.height; y++) {
    const start = (box.y0 - from.y0 + y) * from.width + (box.x0 - from.x0);
    out.set(source.subarray(start, start + box.width), y * box.width);
  }
  return out;
}
