/**
 * Gnomonic (TAN) projection with a linear pixel mapping, in the FITS WCS convention (Calabretta & Greisen 2002,
 * A&A 395, 1077): intermediate world coordinates (ξ, η) in degrees = CD · (p − CRPIX) with p the 1-based FITS
 * pixel. Pixel coordinates returned by this module are 0-based (pixel centres at integers, as in LSST's afw), i.e.
 * FITS pixel − 1.
 */
import { meridianError } from '../errors.js';
import { degToRad, radToDeg } from './angle.js';
import { dot3, UnitVector3, type Vec3 } from './vector.js';

export interface TanWcsParams {
  readonly crvalDeg: [number, number];
  readonly crpix: [number, number];
  readonly cdDeg: [[number, number], [number, number]];
}

export class TanWcs {
  readonly params: TanWcsParams;
  private readonly center: UnitVector3;
  private readonly east: Vec3;
  private readonly north: Vec3;
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
    const lon0 = degToRad(params.crvalDeg[0]);
    const lat0 = degToRad(params.crvalDeg[1]);
    this.center = UnitVector3.fromLonLat(params.crvalDeg[0], params.crvalDeg[1]);
    this.east = { x: -Math.sin(lon0), y: Math.cos(lon0), z: 0 };
    this.north = {
      x: -Math.sin(lat0) * Math.cos(lon0),
      y: -Math.sin(lat0) * Math.sin(lon0),
      z: Math.cos(lat0),
    };
  }

  /** Standard coordinates (ξ, η) in degrees of a direction; undefined on or behind the tangent plane's horizon. */
  project(v: Vec3): [number, number] | undefined {
    const den = dot3(v, this.center);
    if (!(den > 1e-12)) return undefined;
    return [radToDeg(dot3(v, this.east) / den), radToDeg(dot3(v, this.north) / den)];
  }

  deproject(xiDeg: number, etaDeg: number): UnitVector3 {
    const xi = degToRad(xiDeg);
    const eta = degToRad(etaDeg);
    const c = this.center;
    return UnitVector3.fromXyz(
      c.x + xi * this.east.x + eta * this.north.x,
      c.y + xi * this.east.y + eta * this.north.y,
      c.z + xi * this.east.z + eta * this.north.z,
    );
  }

  /** 0-based pixel position of a direction; GEOMETRY_INVALID if it is 90° or more from the tangent point. */
  vectorToPixel(v: Vec3): [number, number] {
    const std = this.project(v);
    if (std === undefined) {
      throw meridianError('GEOMETRY_INVALID', 'position is not on the visible side of the TAN projection', {
        crvalDeg: this.params.crvalDeg,
      });
    }
    const [[a, b], [c, d]] = this.inverseCd;
    const [cx, cy] = this.params.crpix;
    return [cx - 1 + a * std[0] + b * std[1], cy - 1 + c * std[0] + d * std[1]];
  }

  skyToPixel(lonDeg: number, latDeg: number): [number, number] {
    return this.vectorToPixel(UnitVector3.fromLonLat(lonDeg, latDeg));
  }

  pixelToVector(x: number, y: number): UnitVector3 {
    const [[a, b], [c, d]] = this.params.cdDeg;
    const dx = x + 1 - this.params.crpix[0];
    const dy = y + 1 - this.params.crpix[1];
    return this.deproject(a * dx + b * dy, c * dx + d * dy);
  }

  pixelToSky(x: number, y: number): [number, number] {
    const v = this.pixelToVector(x, y);
    return [v.lonDeg(), v.latDeg()];
  }
}
