/**
 * A skymap tract's pixel grid: the gnomonic projection (`GnomonicProjection`, which owns the maths) plus a linear
 * pixel mapping, in the FITS WCS convention (Calabretta & Greisen 2002, A&A 395, 1077).
 *
 * Conventions:
 * - pixels are 0-based (pixel centres at integers, as in LSST's afw), i.e. FITS pixel − 1; `crpix` is FITS
 *   1-based, as a header would hold it;
 * - the CD matrix is in degrees per pixel: standard coordinates (ξ, η) in degrees = CD · (p − CRPIX), p the FITS
 *   pixel;
 * - (ξ, η) are the TAN plane's intermediate world coordinates with LONPOLE 180°, ξ toward increasing longitude and
 *   η toward the north, at every tangent point including the poles (a FITS header of a polar tract must therefore
 *   say LONPOLE = 180);
 * - sky positions are (lon, lat) in degrees or unit vectors.
 * `formats/`'s TAN-SIP WCS is the same projection with SIP distortion and a free LONPOLE, for image headers.
 */
import { meridianError } from '../errors.js';
import { radToDeg } from './angle.js';
import { GnomonicProjection } from './gnomonic.js';
import { UnitVector3, type Vec3 } from './vector.js';

export interface TanWcsParams {
  readonly crvalDeg: [number, number];
  readonly crpix: [number, number];
  readonly cdDeg: [[number, number], [number, number]];
}

/** Points closer than this (in sin θ, the cosine of the angle from the tangent point) to the horizon have no image. */
const HORIZON = 1e-12;

export class TanWcs {
  readonly params: TanWcsParams;
  private readonly projection: GnomonicProjection;
  private readonly inverseCd: [[number, number], [number, number]];

  constructor(params: TanWcsParams) {
    const [[a, b], [c, d]] = params.cdDeg;
    const det = a * d - b * c;
    if (!(Math.abs(det) > 0))
      throw meridianError('GEOMETRY_INVALID', 'TAN WCS CD matrix is singular', { ...params });
    this.params = Object.freeze({
      crvalDeg: [...params.crvalDeg] as [number, number],
      crpix: [...params.crpix] as [number, number],
      cdDeg: [
        [a, b],
        [c, d],
      ] as [[number, number], [number, number]],
    });
    this.inverseCd = [
      [d / det, -b / det],
      [-c / det, a / det],
    ];
    this.projection = new GnomonicProjection(params.crvalDeg[0], params.crvalDeg[1], 180);
  }

  /** Standard coordinates (ξ, η) in degrees of a direction; undefined on or behind the tangent plane's horizon. */
  project(v: Vec3): [number, number] | undefined {
    // Longitude and latitude of the direction (v need not be of unit length).
    const lonDeg = v.x === 0 && v.y === 0 ? 0 : radToDeg(Math.atan2(v.y, v.x));
    const latDeg = radToDeg(Math.atan2(v.z, Math.sqrt(v.x * v.x + v.y * v.y)));
    return this.projectLonLat(lonDeg, latDeg);
  }

  private projectLonLat(lonDeg: number, latDeg: number): [number, number] | undefined {
    const out: [number, number] = [0, 0];
    return this.projection.skyToPlane(lonDeg, latDeg, out) > HORIZON ? out : undefined;
  }

  /** The direction at standard coordinates (ξ, η), degrees. */
  deproject(xiDeg: number, etaDeg: number): UnitVector3 {
    const sky: [number, number] = [0, 0];
    this.projection.planeToSky(xiDeg, etaDeg, sky);
    return UnitVector3.fromLonLat(sky[0], sky[1]);
  }

  /** 0-based pixel position of a direction; GEOMETRY_INVALID if it is 90° or more from the tangent point. */
  vectorToPixel(v: Vec3): [number, number] {
    return this.planeToPixel(this.project(v));
  }

  skyToPixel(lonDeg: number, latDeg: number): [number, number] {
    UnitVector3.fromLonLat(lonDeg, latDeg); // GEOMETRY_INVALID for a position that is not on the sphere
    return this.planeToPixel(this.projectLonLat(lonDeg, latDeg));
  }

  private planeToPixel(std: [number, number] | undefined): [number, number] {
    if (std === undefined) {
      throw meridianError('GEOMETRY_INVALID', 'position is not on the visible side of the TAN projection', {
        crvalDeg: this.params.crvalDeg,
      });
    }
    const [[a, b], [c, d]] = this.inverseCd;
    const [cx, cy] = this.params.crpix;
    // The same order of operations as formats' TAN-SIP skyToPixel, so the two agree to the bit.
    return [a * std[0] + b * std[1] + cx - 1, c * std[0] + d * std[1] + cy - 1];
  }

  pixelToVector(x: number, y: number): UnitVector3 {
    const [lonDeg, latDeg] = this.pixelToSky(x, y);
    return UnitVector3.fromLonLat(lonDeg, latDeg);
  }

  /** (lon, lat) in degrees, lon in [0, 360), of a 0-based pixel position. */
  pixelToSky(x: number, y: number): [number, number] {
    const [[a, b], [c, d]] = this.params.cdDeg;
    const dx = x + 1 - this.params.crpix[0];
    const dy = y + 1 - this.params.crpix[1];
    const sky: [number, number] = [0, 0];
    this.projection.planeToSky(a * dx + b * dy, c * dx + d * dy, sky);
    return sky;
  }
}
