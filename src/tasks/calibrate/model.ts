/**
 * The plain data the calibration algorithms exchange: detected sources on a detector, reference stars on the sky,
 * and matches between them (indices into the two lists the caller passed).
 */

/** A detection: 0-based pixel centroid (the centre of the first pixel is 0) and instrumental flux (counts). */
export interface DetectedSource {
  readonly x: number;
  readonly y: number;
  readonly flux: number;
  /** Centroid error per axis, mas; when given it replaces the fit's `centroidErrorMas` for this source. */
  readonly positionErrMas?: number;
}

/** A reference-catalog star: ICRS position in degrees and a magnitude in the band of the exposure. */
export interface ReferenceStar {
  readonly ra: number;
  readonly dec: number;
  readonly mag: number;
  /** Position error per axis, mas (the refcat's coord_raErr / coord_decErr); weights the astrometric fit. */
  readonly positionErrMas?: number;
}

/** One source matched to one reference star; `distanceArcsec` is their separation under the WCS that matched them. */
export interface SourceMatch {
  readonly source: number;
  readonly reference: number;
  readonly distanceArcsec: number;
}

/** An affine map from pixel offsets (about `centre`) to tangent-plane offsets in arcsec: p = M (x - centre) + t. */
export interface AffineTransform {
  readonly centre: readonly [number, number];
  /** Row-major 2 x 2 linear part, arcsec per pixel. */
  readonly matrix: readonly [number, number, number, number];
  /** Plane position of `centre`, arcsec. */
  readonly offset: readonly [number, number];
}

export function applyAffine(t: AffineTransform, x: number, y: number): [number, number] {
  const dx = x - t.centre[0];
  const dy = y - t.centre[1];
  const [m11, m12, m21, m22] = t.matrix;
  return [m11 * dx + m12 * dy + t.offset[0], m21 * dx + m22 * dy + t.offset[1]];
}

/** Whether a source has a finite position (detections with a failed centroid carry NaN and are left out). */
export function hasPosition(s: DetectedSource): boolean {
  return Number.isFinite(s.x) && Number.isFinite(s.y);
}

/** Bounding box [minX, maxX, minY, maxY] of the sources with a position, pixels. */
export function sourceBounds(sources: readonly DetectedSource[]): [number, number, number, number] {
  let minX = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (const s of sources) {
    if (!hasPosition(s)) continue;
    minX = Math.min(minX, s.x);
    maxX = Math.max(maxX, s.x);
    minY = Math.min(minY, s.y);
    maxY = Math.max(maxY, s.y);
  }
  return [minX, maxX, minY, maxY];
}
