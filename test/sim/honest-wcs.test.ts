/**
 * Honest astrometry: the raw header carries a plain TAN from the reported pointing; the truth records the true
 * pointing (about 1" away) and a TAN-SIP fit to the distorted true mapping that the renderer uses.
 */

import { describe, expect, it } from 'vitest';
import { pixelToSky, skyToPixel } from '../../src/formats/index.js';
import { detectorWcs, meridianCam, opticalAxisPixel } from '../../src/obs/index.js';
import type { ExposureRecord } from '../../src/sim/cadence.js';
import {
  type ConditionKnobs,
  exposureTruth,
  fitTrueWcs,
  headerWcs,
  TrueFocalPlane,
  tanDetectorWcs,
} from '../../src/sim/index.js';
import { renderScene } from '../../src/sim/render.js';
import { buildScenes } from '../../src/sim/scene.js';
import { generateTruth, TRUTH_TYPE } from '../../src/sim/truth.js';

const DEFAULT_KNOBS: ConditionKnobs = {
  pointingErrorArcsec: 1,
  distortion: 2e-11,
  psfVariation: 0.1,
  maxCloudMag: 0.3,
};

/** A realistic camera for the astrometry: 3 x 3 detectors of 2048 pixels (the QA survey of issue 13). */
const camera = meridianCam({ detectorCount: 9, detectorSize: 2048 });

function exposure(id: number, overrides: Partial<ExposureRecord> = {}): ExposureRecord {
  return {
    kind: 'exposure',
    id,
    band: 'r',
    ra: 61.8,
    dec: -35.7,
    rotationDeg: 37,
    mjdStart: 61000,
    exposureTime: 30,
    airmass: 1.2,
    seeingFwhmArcsec: 0.8,
    ...overrides,
  } as ExposureRecord;
}

/** East and north components (arcsec) of b - a on the sky. */
function offsetArcsec(a: { ra: number; dec: number }, b: { ra: number; dec: number }) {
  return {
    east: (((b.ra - a.ra + 540) % 360) - 180) * Math.cos((a.dec * Math.PI) / 180) * 3600,
    north: (b.dec - a.dec) * 3600,
  };
}

describe('pointing errors', () => {
  it('are about 1" rms per axis, seeded and deterministic', () => {
    const east: number[] = [];
    const north: number[] = [];
    for (let id = 1; id <= 400; id++) {
      const truth = exposureTruth(camera, exposure(id), 5, DEFAULT_KNOBS);
      east.push(truth.pointingError.eastArcsec);
      north.push(truth.pointingError.northArcsec);
    }
    const rms = (values: number[]) => Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
    expect(rms(east)).toBeGreaterThan(0.88);
    expect(rms(east)).toBeLessThan(1.12);
    expect(rms(north)).toBeGreaterThan(0.88);
    expect(rms(north)).toBeLessThan(1.12);
    expect(exposureTruth(camera, exposure(7), 5, DEFAULT_KNOBS)).toEqual(
      exposureTruth(camera, exposure(7), 5, DEFAULT_KNOBS),
    );
    expect(exposureTruth(camera, exposure(7), 6, DEFAULT_KNOBS).pointingError).not.toEqual(
      exposureTruth(camera, exposure(7), 5, DEFAULT_KNOBS).pointingError,
    );
  });

  it('move the true boresight from the reported one by exactly the recorded error', () => {
    for (let id = 1; id <= 20; id++) {
      const e = exposure(id);
      const truth = exposureTruth(camera, e, 3, DEFAULT_KNOBS);
      const d = offsetArcsec(e, { ra: truth.trueRa, dec: truth.trueDec });
      // Tangent-plane offsets versus offsets measured on the sphere: equal to a few micro-arcseconds.
      expect(Math.abs(d.east - truth.pointingError.eastArcsec)).toBeLessThan(1e-4);
      expect(Math.abs(d.north - truth.pointingError.northArcsec)).toBeLessThan(1e-4);
      expect(
        Math.abs((truth.trueRotationDeg - e.rotationDeg) * 3600 - truth.pointingError.rotationArcsec),
      ).toBeLessThan(1e-6);
    }
  });
});

describe('header WCS versus true WCS', () => {
  const e = exposure(11);
  const truth = exposureTruth(camera, e, 3, DEFAULT_KNOBS);
  const focalPlane = new TrueFocalPlane(camera, truth);
  const truePointing = { ra: truth.trueRa, dec: truth.trueDec, rotationDeg: truth.trueRotationDeg };

  it('differ at the optical axis by the pointing error', () => {
    const centre = camera.detectors[4];
    const axis = opticalAxisPixel(camera, centre);
    const reported = pixelToSky(headerWcs(camera, centre, e), axis.x, axis.y);
    const recorded = pixelToSky(fitTrueWcs(focalPlane, centre).wcs, axis.x, axis.y);
    const d = offsetArcsec(reported, recorded);
    expect(Math.hypot(truth.pointingError.eastArcsec, truth.pointingError.northArcsec)).toBeGreaterThan(0.1);
    expect(Math.abs(d.east - truth.pointingError.eastArcsec)).toBeLessThan(0.001);
    expect(Math.abs(d.north - truth.pointingError.northArcsec)).toBeLessThan(0.001);
  });

  it('differ beyond the pointing by the radial distortion k r^3, largest at the edge of the field', () => {
    const k = truth.radialDistortionPerPixel2;
    let edge = 0;
    let centreLargest = 0;
    for (const detector of camera.detectors) {
      const fit = fitTrueWcs(focalPlane, detector).wcs;
      const undistorted = tanDetectorWcs(camera, detector, truePointing);
      const axis = opticalAxisPixel(camera, detector);
      for (const [x, y] of [
        [0, 0],
        [2047, 0],
        [0, 2047],
        [2047, 2047],
        [1023.5, 1023.5],
      ]) {
        const sky = pixelToSky(fit, x, y);
        const ideal = skyToPixel(undistorted, sky.ra, sky.dec);
        const shift = Math.hypot(x - ideal.x, y - ideal.y);
        const idealRadius = Math.hypot(ideal.x - axis.x, ideal.y - axis.y);
        // The radial shift is k r^3 for an undistorted radius r (to 0.002 pixel, the fit's tolerance and more).
        expect(Math.abs(shift - k * idealRadius ** 3)).toBeLessThan(0.002);
        if (detector.id === 4) centreLargest = Math.max(centreLargest, shift);
        edge = Math.max(edge, shift);
      }
    }
    // A realistic camera: about 1.8 pixels at the far corners, a few hundredths on the central detector.
    expect(edge).toBeGreaterThan(1.5);
    expect(edge).toBeLessThan(2.5);
    expect(centreLargest).toBeLessThan(0.1);
  });
});

describe('the recorded TAN-SIP true WCS', () => {
  it.each([
    ['3x3 of 2k', meridianCam({ detectorCount: 9, detectorSize: 2048 }), 2e-11],
    ['3x3 of 4k, strong distortion', meridianCam({ detectorCount: 9, detectorSize: 4096 }), 1e-10],
  ])('matches the renderer’s true mapping to < 1 mas on every detector (%s)', (_name, instrument, k) => {
    const truth = exposureTruth(instrument, exposure(5), 8, { ...DEFAULT_KNOBS, distortion: k });
    const focalPlane = new TrueFocalPlane(instrument, truth);
    for (const detector of instrument.detectors) {
      const fit = fitTrueWcs(focalPlane, detector);
      expect(fit.maxResidualMas).toBeLessThan(1);
      // Independent points, both directions: pixel -> sky, and sky -> pixel as the renderer places sources.
      for (let i = 0; i < 25; i++) {
        const x = -0.5 + ((i * 0.37) % 1) * detector.width;
        const y = -0.5 + ((i * 0.61) % 1) * detector.height;
        const recorded = pixelToSky(fit.wcs, x, y);
        const d = offsetArcsec(recorded, focalPlane.pixelToSky(detector, x, y));
        expect(Math.hypot(d.east, d.north) * 1000).toBeLessThan(1);
        const placed = focalPlane.skyToPixel(detector, recorded.ra, recorded.dec);
        expect(Math.hypot(placed.x - x, placed.y - y)).toBeLessThan(0.005);
      }
    }
  });
});

describe("the camera's own distortion model (obs detectorWcs)", () => {
  it('at the true pointing agrees with the true WCS to first order (< 0.01 pixel)', () => {
    const truth = exposureTruth(camera, exposure(31), 2, DEFAULT_KNOBS);
    const focalPlane = new TrueFocalPlane(camera, truth);
    const pointing = { ra: truth.trueRa, dec: truth.trueDec, rotationDeg: truth.trueRotationDeg };
    for (const detector of [camera.detectors[0], camera.detectors[8]]) {
      const model = detectorWcs(camera, detector, pointing);
      for (const [x, y] of [
        [0, 0],
        [2047, 2047],
        [1000, 30],
      ]) {
        const sky = focalPlane.pixelToSky(detector, x, y);
        const p = skyToPixel(model, sky.ra, sky.dec);
        expect(Math.hypot(p.x - x, p.y - y)).toBeLessThan(0.01);
      }
    }
  });
});

describe('a star rendered at a known true position', () => {
  it('has its noise-free centroid at the true WCS position to < 0.02 pixel, at the field edge', () => {
    const e = exposure(21);
    const truth = exposureTruth(camera, e, 4, DEFAULT_KNOBS);
    const focalPlane = new TrueFocalPlane(camera, truth);
    const detector = camera.detectors[8];
    const fit = fitTrueWcs(focalPlane, detector).wcs;
    // A star near the outer corner of a corner detector, where distortion and PSF ellipticity are largest.
    const star = pixelToSky(fit, 1990.3, 1970.8);
    const catalog = generateTruth({
      seed: 1,
      cap: { ra: star.ra, dec: star.dec, radiusDeg: 0.0001 },
      densities: { starsPerDeg2: 1e8, galaxiesPerDeg2: 0, supernovae: 0 },
      mjdRange: [0, 1],
    });
    catalog.ra[0] = star.ra;
    catalog.dec[0] = star.dec;
    catalog.flux.r[0] = 1e6;
    const one = {
      ...catalog,
      count: 1,
      truthType: Uint8Array.of(TRUTH_TYPE.star),
      isVariable: Uint8Array.of(0),
    };
    const [scene] = buildScenes(camera, e, [detector], one, truth);
    expect(scene.points.x).toHaveLength(1);
    const expected = skyToPixel(fit, star.ra, star.dec);
    // Render a 101 x 101 stamp around the star: shift the scene and the PSF field's optical axis alike.
    const x0 = Math.round(expected.x) - 50;
    const y0 = Math.round(expected.y) - 50;
    const axis = opticalAxisPixel(camera, detector);
    const stamp = new Float32Array(101 * 101);
    renderScene(
      { data: stamp, width: 101, height: 101 },
      { kind: 'detector-psf-field', model: truth.psf, opticalAxis: { x: axis.x - x0, y: axis.y - y0 } },
      {
        ...scene,
        points: {
          ...scene.points,
          x: Float64Array.of(scene.points.x[0] - x0),
          y: Float64Array.of(scene.points.y[0] - y0),
        },
      },
    );
    let sum = 0;
    let sx = 0;
    let sy = 0;
    stamp.forEach((value, i) => {
      sum += value;
      sx += value * (i % 101);
      sy += value * Math.floor(i / 101);
    });
    expect(Math.abs(sx / sum + x0 - expected.x)).toBeLessThan(0.02);
    expect(Math.abs(sy / sum + y0 - expected.y)).toBeLessThan(0.02);
    // ... while the header WCS puts it about 1" (5 pixels) away.
    const header = skyToPixel(headerWcs(camera, detector, e), star.ra, star.dec);
    expect(Math.hypot(header.x - expected.x, header.y - expected.y)).toBeGreaterThan(0.5);
  });
});
