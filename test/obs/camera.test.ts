import { describe, expect, it } from 'vitest';
import { pixelToSky, skyToPixel } from '../../src/formats/index.js';
import { detectorWcs, filterForBand, meridianCam, opticalAxisPixel } from '../../src/obs/index.js';
import { angularSeparationDeg } from '../../src/sphere/index.js';

describe('MeridianCam', () => {
  const camera = meridianCam({ detectorCount: 10, detectorSize: 512 });

  it('names detectors uniquely with raft and sensor, and filters MC-u..MC-y', () => {
    const names = camera.detectors.map((d) => d.fullName);
    expect(new Set(names).size).toBe(10);
    expect(names[0]).toBe('R00_S00');
    expect(camera.detectors.every((d) => d.fullName === `${d.raft}_${d.nameInRaft}`)).toBe(true);
    expect(camera.filters.map((f) => f.physicalFilter)).toEqual([
      'MC-u',
      'MC-g',
      'MC-r',
      'MC-i',
      'MC-z',
      'MC-y',
    ]);
    // r zero point 28.36: 10^((31.4 - 28.36) / 2.5) = 16.44 nJy per e-/s.
    expect(filterForBand(camera, 'r').nJyPerElectronPerSecond).toBeCloseTo(16.44, 2);
  });

  it('places detectors without overlap, centred on the optical axis', () => {
    const xs = camera.detectors.map((d) => d.focalPlaneXMm);
    const ys = camera.detectors.map((d) => d.focalPlaneYMm);
    const pitch = 5.12 + 0.5;
    for (const a of camera.detectors) {
      for (const b of camera.detectors) {
        if (a.id >= b.id) continue;
        const apart = Math.max(
          Math.abs(a.focalPlaneXMm - b.focalPlaneXMm),
          Math.abs(a.focalPlaneYMm - b.focalPlaneYMm),
        );
        expect(apart).toBeGreaterThanOrEqual(pitch - 1e-9);
      }
    }
    expect(Math.min(...xs) + Math.max(...xs)).toBeCloseTo(0, 9);
    expect(Math.min(...ys) + Math.max(...ys)).toBeCloseTo(0, 9);
  });

  it('saturation is bias plus the full well in ADU, less a 50 ADU margin', () => {
    for (const d of camera.detectors) {
      expect(d.saturation).toBe(Math.floor(d.biasLevel + d.fullWell / d.gain) - 50);
      expect(d.saturation).toBeLessThan(65535);
    }
  });

  describe('detectorWcs', () => {
    const pointing = { ra: 61.9, dec: -35.8, rotationDeg: 30 };

    it('puts the boresight at the optical axis of every detector', () => {
      for (const d of camera.detectors) {
        const axis = opticalAxisPixel(camera, d);
        const sky = pixelToSky(detectorWcs(camera, d, pointing), axis.x, axis.y);
        expect(angularSeparationDeg(sky.ra, sky.dec, pointing.ra, pointing.dec) * 3600).toBeLessThan(1e-6);
      }
    });

    it('has a 0.2"/pixel scale and the pixel +y axis at the rotation angle (east of north)', () => {
      const d = camera.detectors[4];
      const wcs = detectorWcs(camera, d, pointing);
      const a = pixelToSky(wcs, 256, 256);
      const b = pixelToSky(wcs, 256, 356);
      expect(angularSeparationDeg(a.ra, a.dec, b.ra, b.dec) * 3600).toBeCloseTo(20, 1);
      const east = (b.ra - a.ra) * Math.cos((a.dec * Math.PI) / 180);
      const north = b.dec - a.dec;
      expect((Math.atan2(east, north) * 180) / Math.PI).toBeCloseTo(30, 1);
    });

    it('round-trips sky -> pixel -> sky through the SIP distortion', () => {
      const wcs = detectorWcs(camera, camera.detectors[9], pointing);
      const sky = pixelToSky(wcs, 10, 500);
      const pixel = skyToPixel(wcs, sky.ra, sky.dec);
      expect(pixel.x).toBeCloseTo(10, 6);
      expect(pixel.y).toBeCloseTo(500, 6);
    });
  });
});
