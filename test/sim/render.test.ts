import { describe, expect, it } from 'vitest';
import { skyToPixel } from '../../src/formats/index.js';
import { detectorWcs, meridianCam } from '../../src/obs/index.js';
import type { ExposureRecord } from '../../src/sim/cadence.js';
import { exposureTruth } from '../../src/sim/conditions.js';
import { doubleGaussianPsf, psfValue } from '../../src/sim/psf.js';
import { renderScene, type Scene } from '../../src/sim/render.js';
import { buildScenes } from '../../src/sim/scene.js';
import { generateTruth, TRUTH_TYPE, type TruthCatalog } from '../../src/sim/truth.js';

function moments(data: Float32Array, width: number) {
  let sum = 0;
  let sx = 0;
  let sy = 0;
  data.forEach((v, i) => {
    sum += v;
    sx += v * (i % width);
    sy += v * Math.floor(i / width);
  });
  const cx = sx / sum;
  const cy = sy / sum;
  let xx = 0;
  let yy = 0;
  let xy = 0;
  data.forEach((v, i) => {
    const dx = (i % width) - cx;
    const dy = Math.floor(i / width) - cy;
    xx += v * dx * dx;
    yy += v * dy * dy;
    xy += v * dx * dy;
  });
  return { sum, cx, cy, xx: xx / sum, yy: yy / sum, xy: xy / sum };
}

const emptyGalaxies = {
  kind: 'galaxies' as const,
  x: new Float64Array(0),
  y: new Float64Array(0),
  bulgeElectrons: new Float64Array(0),
  diskElectrons: new Float64Array(0),
  bulgeShape: new Float64Array(0),
  diskShape: new Float64Array(0),
};

describe('PSF', () => {
  it('has the requested FWHM', () => {
    const psf = doubleGaussianPsf(4);
    expect(psfValue(psf, 2) / psfValue(psf, 0)).toBeCloseTo(0.5, 9);
  });
});

describe('renderScene', () => {
  it('a star holds its flux and is centred on its position', () => {
    const data = new Float32Array(101 * 101);
    const scene: Scene = {
      kind: 'scene',
      points: {
        kind: 'points',
        x: Float64Array.of(50.3),
        y: Float64Array.of(49.8),
        electrons: Float64Array.of(1e5),
      },
      galaxies: emptyGalaxies,
    };
    renderScene({ data, width: 101, height: 101 }, doubleGaussianPsf(4), scene);
    const m = moments(data, 101);
    expect(m.sum / 1e5).toBeCloseTo(1, 4);
    expect(m.cx).toBeCloseTo(50.3, 3);
    expect(m.cy).toBeCloseTo(49.8, 3);
  });
});

describe('buildScenes: galaxies in the pixel frame', () => {
  const camera = meridianCam({ detectorCount: 1, detectorSize: 200 });
  /** One elongated disk galaxy at the boresight with its major axis at position angle 0 (north). */
  function oneGalaxy(): TruthCatalog {
    const truth = generateTruth({
      seed: 1,
      cap: { ra: 30, dec: -20, radiusDeg: 0.001 },
      densities: { starsPerDeg2: 0, galaxiesPerDeg2: 3e6, supernovae: 0 },
      mjdRange: [0, 1],
    });
    const i = 0;
    truth.ra[i] = 30;
    truth.dec[i] = -20;
    truth.flux.r[i] = 1e5;
    truth.bulgeToTotal.r[i] = 0;
    truth.diskHalfLightArcsec[i] = 2;
    truth.diskAxisRatio[i] = 0.3;
    truth.positionAngleDeg[i] = 0;
    return { ...truth, count: 1, truthType: Uint8Array.of(TRUTH_TYPE.galaxy) };
  }

  function renderAt(rotationDeg: number) {
    const exposure = {
      kind: 'exposure',
      id: 1,
      band: 'r',
      ra: 30,
      dec: -20,
      rotationDeg,
      mjdStart: 0,
      exposureTime: 30,
      airmass: 1,
    } as unknown as ExposureRecord;
    // The idealised exposure (every knob at 0): true pointing = reported, no distortion, no cloud.
    const conditions = exposureTruth(camera, exposure, 1, {
      pointingErrorArcsec: 0,
      distortion: 0,
      psfVariation: 0,
      maxCloudMag: 0,
    });
    const [scene] = buildScenes(camera, exposure, camera.detectors, oneGalaxy(), conditions);
    expect(scene.galaxies.x).toHaveLength(1);
    const data = new Float32Array(200 * 200);
    renderScene({ data, width: 200, height: 200 }, doubleGaussianPsf(3), scene);
    return moments(data, 200);
  }

  it.each([0, 45, 90, 200])(
    'at rotation %i the major axis (PA 0) points where the WCS puts north',
    (rotationDeg) => {
      const m = renderAt(rotationDeg);
      const wcs = detectorWcs(camera, camera.detectors[0], { ra: 30, dec: -20, rotationDeg });
      const centre = skyToPixel(wcs, 30, -20);
      const north = skyToPixel(wcs, 30, -20 + 1 / 3600);
      const length = Math.hypot(north.x - centre.x, north.y - centre.y);
      const [ux, uy] = [(north.x - centre.x) / length, (north.y - centre.y) / length];
      const along = ux * ux * m.xx + 2 * ux * uy * m.xy + uy * uy * m.yy;
      const across = uy * uy * m.xx - 2 * ux * uy * m.xy + ux * ux * m.yy;
      expect(along).toBeGreaterThan(3 * across);
      expect(Math.hypot(m.cx - centre.x, m.cy - centre.y)).toBeLessThan(0.01);
    },
  );

  it('a galaxy holds its flux (the Sérsic mixture is normalised)', () => {
    const m = renderAt(0);
    // 1e5 nJy in r at airmass 1 for 30 s: 1e5 / 16.44 * 30 electrons; light beyond the 200-pixel image is lost.
    expect(m.sum / ((1e5 / 16.444) * 30)).toBeGreaterThan(0.97);
    expect(m.sum / ((1e5 / 16.444) * 30)).toBeLessThan(1.001);
  });
});
