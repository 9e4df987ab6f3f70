import { meridianError } from '../errors.js';

const DEG_PER_RAD = 180 / Math.PI;
const RAD_PER_DEG = Math.PI / 180;

/** An angle that carries its unit. Stored in radians; any finite value is allowed (no wrapping). */
export class Angle {
  readonly radians: number;

  private constructor(radians: number) {
    if (!Number.isFinite(radians)) {
      throw meridianError('GEOMETRY_INVALID', `angle must be finite, got ${radians}`, { radians });
    }
    this.radians = radians;
    Object.freeze(this);
  }

  static fromDegrees(d: number): Angle {
    return new Angle(d * RAD_PER_DEG);
  }

  static fromRadians(r: number): Angle {
    return new Angle(r);
  }

  static fromArcseconds(a: number): Angle {
    return new Angle((a / 3600) * RAD_PER_DEG);
  }

  get degrees(): number {
    return this.radians * DEG_PER_RAD;
  }

  get arcseconds(): number {
    return this.degrees * 3600;
  }

  add(o: Angle): Angle {
    return new Angle(this.radians + o.radians);
  }

  subtract(o: Angle): Angle {
    return new Angle(this.radians - o.radians);
  }

  scale(f: number): Angle {
    return new Angle(this.radians * f);
  }

  toString(): string {
    return `${this.degrees}°`;
  }
}

export function degToRad(d: number): number {
  return d * RAD_PER_DEG;
}

export function radToDeg(r: number): number {
  return r * DEG_PER_RAD;
}

/** Longitude normalised into [0, 360). */
export function normalizeLonDeg(lon: number): number {
  const r = lon % 360;
  const n = r < 0 ? r + 360 : r;
  // -1e-17 % 360 + 360 rounds to exactly 360.
  return n >= 360 ? 0 : n;
}
