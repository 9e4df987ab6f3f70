import { meridianError } from '../errors.js';
import { Angle, radToDeg } from './angle.js';
import { Box, maxLonOffsetDeg } from './box.js';
import type { Region } from './region.js';
import { relateRegions } from './relate.js';
import { DISJOINT } from './relationship.js';
import { separationRad, UnitVector3 } from './vector.js';

/** A spherical cap: every point within `radius` (great-circle distance, closed) of `center`. Radius in [0, 180]°. */
export class Circle {
  readonly kind = 'circle' as const;
  readonly center: UnitVector3;
  readonly radius: Angle;

  private constructor(center: UnitVector3, radius: Angle) {
    this.center = center;
    this.radius = radius;
    Object.freeze(this);
  }

  static fromDegrees(lonDeg: number, latDeg: number, radiusDeg: number): Circle {
    return Circle.fromRadians(UnitVector3.fromLonLat(lonDeg, latDeg), (radiusDeg * Math.PI) / 180);
  }

  static fromVector(center: UnitVector3, radius: Angle): Circle {
    return Circle.fromRadians(center, radius.radians);
  }

  static fromRadians(center: UnitVector3, radiusRad: number): Circle {
    if (!(radiusRad >= 0 && radiusRad <= Math.PI)) {
      throw meridianError(
        'GEOMETRY_INVALID',
        `circle radius must be in [0, 180] degrees, got ${radToDeg(radiusRad)}`,
        {
          radiusDeg: radToDeg(radiusRad),
        },
      );
    }
    return new Circle(center, Angle.fromRadians(radiusRad));
  }

  static full(): Circle {
    return new Circle(UnitVector3.fromXyz(0, 0, 1), Angle.fromRadians(Math.PI));
  }

  contains(v: UnitVector3): boolean {
    return separationRad(this.center, v) <= this.radius.radians;
  }

  containsLonLat(lonDeg: number, latDeg: number): boolean {
    return this.contains(UnitVector3.fromLonLat(lonDeg, latDeg));
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

  /** Tight lon/lat box (slightly padded for rounding); full longitude when the cap reaches a pole. */
  boundingBox(): Box {
    const r = this.radius.degrees + 1e-10;
    const lat = this.center.latDeg();
    const latMin = Math.max(-90, lat - r);
    const latMax = Math.min(90, lat + r);
    const alpha = maxLonOffsetDeg(r, lat);
    if (alpha >= 180) return Box.fromDegrees(0, latMin, 360, latMax);
    const lon = this.center.lonDeg();
    return Box.fromDegrees(lon - alpha, latMin, lon + alpha, latMax);
  }

  boundingCircle(): Circle {
    return this;
  }

  /** Area in steradians: 2π(1 − cos r). */
  area(): number {
    return 2 * Math.PI * (1 - Math.cos(this.radius.radians));
  }

  toJSON(): { kind: 'circle'; lon: number; lat: number; radius: number } {
    return {
      kind: 'circle',
      lon: this.center.lonDeg(),
      lat: this.center.latDeg(),
      radius: this.radius.degrees,
    };
  }
}
