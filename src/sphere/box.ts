import { meridianError } from '../errors.js';
import { normalizeLonDeg } from './angle.js';
import { Circle } from './circle.js';
import { boxDistanceRangeRad } from './edges.js';
import type { Region } from './region.js';
import { relateRegions } from './relate.js';
import { DISJOINT } from './relationship.js';
import { UnitVector3 } from './vector.js';

/** Extra margin (degrees) used where a bounding box is derived from other shapes, to absorb rounding. */
const LON_EPS_DEG = 1e-12;

/**
 * A longitude/latitude box: latitudes in [latMin, latMax], longitudes from lonMin eastwards to lonMax. The
 * longitude interval wraps through 0 when lonMin > lonMax; a width of 360 degrees is the full circle. Edges
 * are parallels and meridians (not great circles). Closed: the boundary belongs to the box.
 */
export class Box {
  readonly kind = 'box' as const;
  /** In [0, 360). */
  readonly lonMinDeg: number;
  /** In [0, 360]; 360 only for the full circle or a box ending exactly at 360. */
  readonly lonMaxDeg: number;
  readonly latMinDeg: number;
  readonly latMaxDeg: number;

  private constructor(lonMin: number, latMin: number, lonMax: number, latMax: number) {
    this.lonMinDeg = lonMin;
    this.lonMaxDeg = lonMax;
    this.latMinDeg = latMin;
    this.latMaxDeg = latMax;
    Object.freeze(this);
  }

  /**
   * Longitudes may be any finite values: a span of 360 degrees or more gives the full circle; otherwise both are
   * normalised into [0, 360] and lonMin > lonMax means the box wraps through longitude 0.
   */
  static fromDegrees(lonMin: number, latMin: number, lonMax: number, latMax: number): Box {
    const finite = [lonMin, latMin, lonMax, latMax].every(Number.isFinite);
    if (!finite || latMin < -90 || latMax > 90 || latMin > latMax) {
      throw meridianError(
        'GEOMETRY_INVALID',
        `invalid box lon [${lonMin}, ${lonMax}] lat [${latMin}, ${latMax}]: need -90 <= latMin <= latMax <= 90`,
        { lonMin, latMin, lonMax, latMax },
      );
    }
    if (lonMax - lonMin >= 360) return new Box(0, latMin, 360, latMax);
    const lo = normalizeLonDeg(lonMin);
    const hi = lonMax >= 0 && lonMax <= 360 ? lonMax : normalizeLonDeg(lonMax);
    return new Box(lo, latMin, hi, latMax);
  }

  static fullSky(): Box {
    return new Box(0, -90, 360, 90);
  }

  /** Width of the longitude interval in degrees, in [0, 360]. */
  get lonWidthDeg(): number {
    if (this.lonMaxDeg - this.lonMinDeg >= 360) return 360;
    const w = this.lonMaxDeg - this.lonMinDeg;
    return w >= 0 ? w : w + 360;
  }

  get isFullLon(): boolean {
    return this.lonWidthDeg >= 360;
  }

  /** Longitude of the middle of the longitude interval, in [0, 360). */
  get lonCenterDeg(): number {
    return normalizeLonDeg(this.lonMinDeg + this.lonWidthDeg / 2);
  }

  /** Whether longitude `lon` (any value, degrees) lies in the closed longitude interval. */
  containsLon(lon: number): boolean {
    if (this.isFullLon) return true;
    const offset = normalizeLonDeg(normalizeLonDeg(lon) - this.lonMinDeg);
    return offset <= this.lonWidthDeg || (this.lonMaxDeg === 360 && normalizeLonDeg(lon) === 0);
  }

  containsLonLat(lonDeg: number, latDeg: number): boolean {
    if (latDeg < this.latMinDeg || latDeg > this.latMaxDeg) return false;
    // At a pole every longitude names the same point.
    if (latDeg >= 90 || latDeg <= -90) return true;
    return this.containsLon(lonDeg);
  }

  contains(v: UnitVector3): boolean {
    return this.containsLonLat(v.lonDeg(), v.latDeg());
  }

  relate(other: Region): number {
    return relateRegions(this, other);
  }

  isDisjointFrom(other: Region): boolean {
    return (this.relate(other) & DISJOINT) !== 0;
  }

  /** True unless the regions are certainly disjoint ("may intersect"). */
  intersects(other: Region): boolean {
    return !this.isDisjointFrom(other);
  }

  boundingBox(): Box {
    return this;
  }

  /** A circle containing the box: centred at the box middle (or a pole for full-longitude caps). */
  boundingCircle(): Circle {
    if (this.isFullLon) {
      if (this.latMinDeg <= -90 && this.latMaxDeg >= 90) return Circle.full();
      const north = this.latMinDeg + this.latMaxDeg >= 0;
      const radius = north ? 90 - this.latMinDeg : this.latMaxDeg + 90;
      return Circle.fromDegrees(0, north ? 90 : -90, Math.min(180, radius + LON_EPS_DEG));
    }
    const center = UnitVector3.fromLonLat(this.lonCenterDeg, (this.latMinDeg + this.latMaxDeg) / 2);
    const { max } = boxDistanceRangeRad(center, this);
    return Circle.fromRadians(center, Math.min(Math.PI, max * (1 + 1e-12) + 1e-14));
  }

  /** A box grown by `deg` in latitude and by the matching longitude half-width at its most polar edge. */
  dilatedBy(deg: number): Box {
    if (!(deg >= 0)) throw meridianError('GEOMETRY_INVALID', `dilation must be >= 0, got ${deg}`, { deg });
    if (deg === 0) return this;
    const latMin = Math.max(-90, this.latMinDeg - deg);
    const latMax = Math.min(90, this.latMaxDeg + deg);
    if (this.isFullLon) return new Box(0, latMin, 360, latMax);
    const alpha = maxLonOffsetDeg(deg, Math.max(Math.abs(this.latMinDeg), Math.abs(this.latMaxDeg)));
    if (alpha >= 180 || this.lonWidthDeg + 2 * alpha >= 360) return new Box(0, latMin, 360, latMax);
    return Box.fromDegrees(this.lonMinDeg - alpha, latMin, this.lonMinDeg + this.lonWidthDeg + alpha, latMax);
  }

  /** Area in steradians: Δλ (sin φmax − sin φmin). */
  area(): number {
    const dLon = (this.lonWidthDeg * Math.PI) / 180;
    return dLon * (Math.sin((this.latMaxDeg * Math.PI) / 180) - Math.sin((this.latMinDeg * Math.PI) / 180));
  }

  toJSON(): { kind: 'box'; lonMin: number; latMin: number; lonMax: number; latMax: number } {
    return {
      kind: 'box',
      lonMin: this.lonMinDeg,
      latMin: this.latMinDeg,
      lonMax: this.lonMaxDeg,
      latMax: this.latMaxDeg,
    };
  }
}

/**
 * Largest longitude offset (degrees) of any point within `radiusDeg` of a point at latitude `latDeg`
 * (the half-width of a circle's bounding box): sin Δλ = sin r / cos φ, or 180 when the circle reaches a pole.
 */
export function maxLonOffsetDeg(radiusDeg: number, latDeg: number): number {
  if (radiusDeg <= 0) return 0;
  if (Math.abs(latDeg) + radiusDeg >= 90) return 180;
  const s = Math.sin((radiusDeg * Math.PI) / 180) / Math.cos((latDeg * Math.PI) / 180);
  if (s >= 1) return 180;
  return (Math.asin(s) * 180) / Math.PI;
}
