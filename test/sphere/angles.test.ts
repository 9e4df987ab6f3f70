import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Angle, angularSeparationDeg, separation, UnitVector3 } from '../../src/sphere/index.js';
import { lonLatArb, vectorArb } from './arbitraries.js';

describe('Angle', () => {
  it('converts between degrees and radians', () => {
    expect(Angle.fromDegrees(180).radians).toBeCloseTo(Math.PI, 15);
    expect(Angle.fromRadians(Math.PI / 2).degrees).toBeCloseTo(90, 13);
    expect(Angle.fromArcseconds(3600).degrees).toBeCloseTo(1, 14);
  });
  it('rejects NaN with GEOMETRY_INVALID', () => {
    expect(() => Angle.fromDegrees(Number.NaN)).toThrow(
      expect.objectContaining({ code: 'GEOMETRY_INVALID' }),
    );
  });
});

describe('UnitVector3', () => {
  it('round-trips lon/lat and normalises longitude into [0, 360)', () => {
    const v = UnitVector3.fromLonLat(-30, 45);
    expect(v.lonDeg()).toBeCloseTo(330, 12);
    expect(v.latDeg()).toBeCloseTo(45, 12);
    expect(Math.hypot(v.x, v.y, v.z)).toBeCloseTo(1, 15);
    expect(UnitVector3.fromLonLat(0, 90).lonDeg()).toBe(0);
    expect(UnitVector3.fromLonLat(123, -90).latDeg()).toBe(-90);
  });
  it('normalises fromXyz and rejects the zero vector and bad latitudes', () => {
    const v = UnitVector3.fromXyz(0, 3, 4);
    expect([v.x, v.y, v.z]).toEqual([0, 0.6, 0.8]);
    expect(() => UnitVector3.fromXyz(0, 0, 0)).toThrow(expect.objectContaining({ code: 'GEOMETRY_INVALID' }));
    expect(() => UnitVector3.fromLonLat(0, 90.5)).toThrow(
      expect.objectContaining({ code: 'GEOMETRY_INVALID' }),
    );
  });
  it('computes dot and cross products', () => {
    const x = UnitVector3.fromXyz(1, 0, 0);
    const y = UnitVector3.fromXyz(0, 1, 0);
    expect(x.dot(y)).toBe(0);
    expect(x.cross(y)).toEqual({ x: 0, y: 0, z: 1 });
  });
  it('lon/lat round trip holds everywhere (property)', () => {
    fc.assert(
      fc.property(lonLatArb, ([lon, lat]) => {
        const v = UnitVector3.fromLonLat(lon, lat);
        expect(v.latDeg()).toBeCloseTo(lat, 9);
        if (Math.abs(lat) < 89.999)
          expect(angularSeparationDeg(v.lonDeg(), v.latDeg(), lon, lat)).toBeLessThan(1e-9);
      }),
    );
  });
});

describe('angular separation', () => {
  it('gives known values', () => {
    expect(angularSeparationDeg(0, 0, 90, 0)).toBeCloseTo(90, 12);
    expect(angularSeparationDeg(10, 20, 10, 20)).toBe(0);
    expect(angularSeparationDeg(0, 90, 180, -90)).toBeCloseTo(180, 12);
    expect(angularSeparationDeg(359.5, 0, 0.5, 0)).toBeCloseTo(1, 12);
  });
  it('is accurate for tiny separations (1 milliarcsecond, where acos of the dot product gives 0)', () => {
    // The separation actually representable between 30 and 30 + 1 mas.
    const d = 30 + 1e-3 / 3600 - 30;
    expect(angularSeparationDeg(45, 30, 45, 30 + d) / d).toBeCloseTo(1, 6);
    const a = UnitVector3.fromLonLat(45, 30);
    const b = UnitVector3.fromLonLat(45, 30 + d);
    expect(separation(a, b).degrees / d).toBeCloseTo(1, 6);
  });
  it('is accurate near 180 degrees', () => {
    const d = 1e-6 / 3600;
    // 180 has a float spacing of 2.8e-14 degrees, so compare at that precision.
    expect(Math.abs(180 - angularSeparationDeg(0, 0, 180, d) - d)).toBeLessThan(1e-13);
    const a = UnitVector3.fromLonLat(0, 0);
    const b = UnitVector3.fromLonLat(180, d);
    expect((180 - separation(a, b).degrees) / d).toBeCloseTo(1, 3);
  });
  it('is symmetric, agrees between forms and obeys the triangle inequality (property)', () => {
    fc.assert(
      fc.property(vectorArb, vectorArb, vectorArb, (a, b, c) => {
        const ab = separation(a, b).degrees;
        expect(ab).toBeCloseTo(separation(b, a).degrees, 12);
        expect(ab).toBeCloseTo(angularSeparationDeg(a.lonDeg(), a.latDeg(), b.lonDeg(), b.latDeg()), 9);
        expect(ab).toBeGreaterThanOrEqual(0);
        expect(ab).toBeLessThanOrEqual(180);
        expect(ab).toBeLessThanOrEqual(separation(a, c).degrees + separation(c, b).degrees + 1e-9);
      }),
      { numRuns: 500 },
    );
  });
});
