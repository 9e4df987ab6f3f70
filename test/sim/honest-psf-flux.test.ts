/**
 * Honest PSF and photometry: stars rendered (noise-free) across the focal plane have the size and ellipticity the
 * recorded PSF field gives at their position; source fluxes carry the recorded cloud extinction, so the recorded
 * zero point turns truth magnitudes into electrons.
 */

import { describe, expect, it } from 'vitest';
import { abMagFromNanojansky, meridianCam, opticalAxisPixel } from '../../src/obs/index.js';
import type { ExposureRecord } from '../../src/sim/cadence.js';
import { type ConditionKnobs, exposureTruth, MOMENT_SIGMA_PER_FWHM, truePsfAt } from '../../src/sim/index.js';
import { renderScene, type Scene } from '../../src/sim/render.js';
import { buildScenes } from '../../src/sim/scene.js';
import { generateTruth, TRUTH_TYPE } from '../../src/sim/truth.js';

const camera = meridianCam({ detectorCount: 9, detectorSize: 2048 });
const KNOBS: ConditionKnobs = {
  pointingErrorArcsec: 1,
  distortion: 2e-11,
  psfVariation: 0.1,
  maxCloudMag: 0.3,
};
const KNOBS_OFF: ConditionKnobs = { pointingErrorArcsec: 0, distortion: 0, psfVariation: 0, maxCloudMag: 0 };

function exposure(id: number): ExposureRecord {
  return {
    kind: 'exposure',
    id,
    band: 'i',
    ra: 10,
    dec: -30,
    rotationDeg: 0,
    mjdStart: 61000,
    exposureTime: 30,
    airmass: 1.3,
    seeingFwhmArcsec: 0.75,
  } as ExposureRecord;
}

const noGalaxies = {
  kind: 'galaxies' as const,
  x: new Float64Array(0),
  y: new Float64Array(0),
  bulgeElectrons: new Float64Array(0),
  diskElectrons: new Float64Array(0),
  bulgeShape: new Float64Array(0),
  diskShape: new Float64Array(0),
};

/** Unweighted second moments of a noise-free star drawn at (x, y) of a detector, in a 121-pixel stamp. */
function measureStar(truth: ReturnType<typeof exposureTruth>, detectorId: number, x: number, y: number) {
  const size = 121;
  const x0 = Math.round(x) - 60;
  const y0 = Math.round(y) - 60;
  const axis = opticalAxisPixel(camera, camera.detectors[detectorId]);
  const stamp = new Float32Array(size * size);
  const scene: Scene = {
    kind: 'scene',
    points: {
      kind: 'points',
      x: Float64Array.of(x - x0),
      y: Float64Array.of(y - y0),
      electrons: Float64Array.of(1e6),
    },
    galaxies: noGalaxies,
  };
  renderScene(
    { data: stamp, width: size, height: size },
    { kind: 'detector-psf-field', model: truth.psf, opticalAxis: { x: axis.x - x0, y: axis.y - y0 } },
    scene,
  );
  let sum = 0;
  let sx = 0;
  let sy = 0;
  stamp.forEach((v, i) => {
    sum += v;
    sx += v * (i % size);
    sy += v * Math.floor(i / size);
  });
  const cx = sx / sum;
  const cy = sy / sum;
  let xx = 0;
  let yy = 0;
  let xy = 0;
  stamp.forEach((v, i) => {
    const dx = (i % size) - cx;
    const dy = Math.floor(i / size) - cy;
    xx += v * dx * dx;
    yy += v * dy * dy;
    xy += v * dx * dy;
  });
  // The pixel response adds 1/12 pixel^2 to each second moment; the truth describes the PSF before it.
  const ixx = xx / sum - 1 / 12;
  const iyy = yy / sum - 1 / 12;
  const ixy = xy / sum;
  const sigma = Math.sqrt(Math.sqrt(ixx * iyy - ixy * ixy));
  return {
    fwhmPixels: sigma / MOMENT_SIGMA_PER_FWHM,
    e1: (ixx - iyy) / (ixx + iyy),
    e2: (2 * ixy) / (ixx + iyy),
  };
}

describe('the PSF across the focal plane', () => {
  it('measured star FWHM and ellipticity follow the recorded model within a few per cent', () => {
    const fwhms: number[] = [];
    for (const id of [1, 2, 3]) {
      const truth = exposureTruth(camera, exposure(id), 12, KNOBS);
      for (const detectorId of [0, 2, 4, 6, 8]) {
        for (const [x, y] of [
          [100, 100],
          [1024, 1024],
          [1950, 1900],
          [300, 1800],
        ]) {
          const measured = measureStar(truth, detectorId, x, y);
          const model = truePsfAt(camera, truth, detectorId, x, y);
          fwhms.push(model.fwhmArcsec);
          const where = `exposure ${id} detector ${detectorId} (${x}, ${y})`;
          expect(Math.abs(measured.fwhmPixels / model.fwhmPixels - 1), where).toBeLessThan(0.01);
          const modelE = Math.hypot(model.e1, model.e2);
          expect(Math.abs(measured.e1 - model.e1), where).toBeLessThan(0.03 * modelE + 0.002);
          expect(Math.abs(measured.e2 - model.e2), where).toBeLessThan(0.03 * modelE + 0.002);
        }
      }
    }
    // The field really varies: several per cent in size across the focal plane.
    expect(Math.max(...fwhms) / Math.min(...fwhms)).toBeGreaterThan(1.04);
  });

  it('grows and elongates radially towards the corners (defocus and astigmatism)', () => {
    const truth = exposureTruth(camera, exposure(9), 12, { ...KNOBS, psfVariation: 0.3 });
    const centre = truePsfAt(camera, truth, 4, 1023.5, 1023.5);
    const corner = truePsfAt(camera, truth, 8, 2047, 2047);
    expect(Math.abs(centre.fwhmArcsec / truth.psf.seeingFwhmArcsec - 1)).toBeLessThan(0.01);
    expect(corner.fwhmArcsec).toBeGreaterThan(centre.fwhmArcsec);
    // At the (+x, +y) corner the astigmatism term gives e2 = 2 a X Y > 0: elongated along the diagonal.
    expect(corner.e2 - truth.psf.e2).toBeGreaterThan(0.05);
  });

  it('is round and the same everywhere with psfVariation 0', () => {
    const truth = exposureTruth(camera, exposure(9), 12, { ...KNOBS, psfVariation: 0 });
    for (const [d, x, y] of [
      [0, 0, 0],
      [8, 2047, 2047],
    ]) {
      expect(truePsfAt(camera, truth, d, x, y)).toMatchObject({ fwhmArcsec: 0.75, e1: 0, e2: 0 });
      const measured = measureStar(truth, d, x + 100, y + 100);
      expect(Math.abs(measured.e1)).toBeLessThan(1e-4);
      expect(Math.abs(measured.fwhmPixels / (0.75 / 0.2) - 1)).toBeLessThan(0.01);
    }
  });
});

describe('transparency', () => {
  function oneStar(flux: number) {
    const catalog = generateTruth({
      seed: 1,
      cap: { ra: 10, dec: -30, radiusDeg: 0.0001 },
      densities: { starsPerDeg2: 1e8, galaxiesPerDeg2: 0, supernovae: 0 },
      mjdRange: [0, 1],
    });
    catalog.ra[0] = 10;
    catalog.dec[0] = -30;
    catalog.flux.i[0] = flux;
    return { ...catalog, count: 1, truthType: Uint8Array.of(TRUTH_TYPE.star), isVariable: Uint8Array.of(0) };
  }

  it('cloud is 0..0.3 mag per visit, seeded', () => {
    const clouds = Array.from(
      { length: 300 },
      (_, i) => exposureTruth(camera, exposure(i + 1), 3, KNOBS).cloudExtinctionMag,
    );
    expect(Math.min(...clouds)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...clouds)).toBeLessThanOrEqual(0.3);
    expect(Math.max(...clouds)).toBeGreaterThan(0.25);
    expect(new Set(clouds).size).toBe(300);
  });

  it('dims every source by the recorded extinction, and the recorded zero point gives its electrons', () => {
    const flux = 2e5;
    const star = oneStar(flux);
    for (const id of [1, 2, 3, 4]) {
      const e = exposure(id);
      const clear = exposureTruth(camera, e, 3, KNOBS_OFF);
      const cloudy = exposureTruth(camera, e, 3, KNOBS);
      expect(cloudy.cloudExtinctionMag).toBeGreaterThan(0);
      const electrons = (truth: typeof clear) =>
        buildScenes(camera, e, [camera.detectors[4]], star, truth)[0].points.electrons[0];
      expect(electrons(cloudy) / electrons(clear)).toBeCloseTo(10 ** (-0.4 * cloudy.cloudExtinctionMag), 12);
      // True zero point: AB magnitude giving 1 electron in the exposure, after airmass and cloud.
      for (const truth of [clear, cloudy]) {
        expect(electrons(truth)).toBeCloseTo(
          10 ** (-0.4 * (abMagFromNanojansky(flux) - truth.zeroPointMag)),
          6,
        );
        expect(truth.zeroPointMag).toBeCloseTo(
          truth.instrumentalZeroPointMag +
            2.5 * Math.log10(30) -
            truth.airmassExtinctionMag -
            truth.cloudExtinctionMag,
          12,
        );
      }
    }
  });
});
