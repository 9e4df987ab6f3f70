import { describe, expect, it } from 'vitest';
import { meridianCam } from '../../src/obs/index.js';
import { planExposures } from '../../src/sim/cadence.js';
import { airmassFromZenithAngle, dayObsOf } from '../../src/sim/index.js';
import { angularSeparationDeg } from '../../src/sphere/index.js';

describe('cadence', () => {
  const camera = meridianCam({ detectorCount: 1, detectorSize: 256 });
  const area = { ra: 61.863, dec: -35.79, radiusDeg: 0.5 };
  const exposures = planExposures(camera, {
    seed: 5,
    area,
    visits: 24,
    nights: 4,
    bands: ['u', 'g', 'r', 'i', 'z', 'y'],
    exposureTime: 30,
  });

  it('numbers exposures by day and sequence, in time order', () => {
    expect(new Set(exposures.map((e) => e.id)).size).toBe(24);
    for (const e of exposures) {
      expect(e.id).toBe(e.dayObs * 100000 + e.seqNum);
      expect(e.obsId).toBe(`MC_O_${e.dayObs}_${String(e.seqNum).padStart(6, '0')}`);
      expect(e.dayObs).toBe(dayObsOf(e.mjdStart));
    }
    for (let i = 1; i < exposures.length; i++)
      expect(exposures[i].mjdStart).toBeGreaterThan(exposures[i - 1].mjdStart);
    expect(new Set(exposures.map((e) => e.dayObs)).size).toBe(4);
  });

  it('observes at night at the site, inside the area, with consistent airmass', () => {
    for (const e of exposures) {
      // Local solar time at longitude -70.75: UTC - 4.7 h; the field is observed within 2.5 h of its transit, which
      // is within about an hour of local midnight (the run is moved to the nearest new moon).
      const localHour = ((((e.mjdStart % 1) * 24 - 4.72) % 24) + 24) % 24;
      expect(localHour > 20 || localHour < 4).toBe(true);
      expect(angularSeparationDeg(e.ra, e.dec, area.ra, area.dec)).toBeLessThanOrEqual(area.radiusDeg);
      expect(e.airmass).toBeCloseTo(airmassFromZenithAngle(e.zenithAngleDeg), 12);
      expect(e.airmass).toBeGreaterThanOrEqual(1);
      expect(e.seeingFwhmArcsec).toBeGreaterThan(0.4);
      expect(e.seeingFwhmArcsec).toBeLessThanOrEqual(2.5);
    }
    expect(new Set(exposures.map((e) => e.band)).size).toBe(6);
  });

  it('observes around new moon, so skies are close to dark', () => {
    for (const e of exposures) {
      const dark = camera.filters.find((f) => f.band === e.band)!.darkSkyMagPerArcsec2;
      expect(e.skyMagPerArcsec2).toBeGreaterThan(dark - 0.8);
    }
  });

  it('uses the day_obs convention: UTC date 12 hours earlier', () => {
    // MJD 61366.1 is 2026-11-22 02:24 UTC, which belongs to the night of 2026-11-21.
    expect(dayObsOf(61366.1)).toBe(20261121);
    expect(dayObsOf(61366.6)).toBe(20261122);
  });

  it('Kasten-Young airmass is 1 at the zenith and close to sec z at moderate angles', () => {
    expect(airmassFromZenithAngle(0)).toBeCloseTo(1, 3);
    expect(airmassFromZenithAngle(60)).toBeCloseTo(2, 1);
  });
});
