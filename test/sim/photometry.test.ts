/**
 * Sources appear where and as bright as the truth says: run the raws through a minimal instrument-signature removal
 * (overscan, master bias, master flat), then measure bright isolated truth stars at their WCS position.
 */

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skyToPixel, wcsFromHeader } from '../../src/formats/index.js';
import { electronsFromFlux, filterForBand } from '../../src/obs/index.js';
import type { SurveyResult } from '../../src/sim/index.js';
import { angularSeparationDeg } from '../../src/sphere/index.js';
import {
  calibratedElectrons,
  median,
  readParquet,
  removeTemporaryDirectories,
  smallSurvey,
} from './helpers.js';

afterAll(removeTemporaryDirectories);

interface TruthRow {
  id: number;
  truth_type: number;
  ra: number;
  dec: number;
  is_variable: boolean;
  [flux: string]: unknown;
}

let run: SurveyResult;
let truth: TruthRow[];

beforeAll(async () => {
  run = await smallSurvey('photometry', {
    detectors: 1,
    detectorSize: 512,
    visits: 3,
    bands: ['r', 'i'],
    radiusDeg: 0.01,
    starsPerDeg2: 80_000,
    galaxiesPerDeg2: 5_000,
    supernovae: 0,
    cosmicRays: false,
    // The idealised survey: header WCS = truth, no cloud, one PSF (honest raws are checked in honest-*.test.ts).
    pointingErrorArcsec: 0,
    distortion: 0,
    psfVariation: 0,
    maxCloudMag: 0,
  });
  truth = (await readParquet(join(run.outDir, run.manifest.truth.summary))) as unknown as TruthRow[];
});

function calibratedImage(rawPath: string, band: string) {
  return calibratedElectrons(run.outDir, rawPath, band, 0);
}

describe('photometry and astrometry of the raws', () => {
  it('bright isolated stars have the truth flux (x zero point, extinction) at the WCS position', async () => {
    let measured = 0;
    for (const exposure of run.manifest.exposures) {
      const filter = filterForBand(run.manifest.instrument, exposure.band);
      const image = await calibratedImage(exposure.raws[0].path, exposure.band);
      const wcs = wcsFromHeader(image.header);
      const fwhm = exposure.seeingFwhmArcsec / 0.2;
      const radius = Math.ceil(3 * fwhm);
      const fluxColumn = `flux_${exposure.band}`;
      for (const star of truth) {
        if (star.truth_type !== 2 || star.is_variable) continue;
        const flux = star[fluxColumn] as number;
        const expected = electronsFromFlux(filter, flux, exposure.exposureTime, exposure.airmass);
        // Bright enough for a precise test, faint enough not to saturate.
        if (expected < 3e4 || expected > 1e6) continue;
        const p = skyToPixel(wcs, star.ra, star.dec);
        const margin = radius + 12;
        if (p.x < margin || p.y < margin || p.x > image.width - margin || p.y > image.height - margin)
          continue;
        const crowded = truth.some(
          (o) =>
            o.id !== star.id &&
            (o[fluxColumn] as number) > 0.01 * flux &&
            angularSeparationDeg(o.ra, o.dec, star.ra, star.dec) * 3600 < 12,
        );
        if (crowded) continue;
        let sum = 0;
        let pixels = 0;
        const annulus: number[] = [];
        const cx = Math.round(p.x);
        const cy = Math.round(p.y);
        for (let y = cy - radius - 10; y <= cy + radius + 10; y++) {
          for (let x = cx - radius - 10; x <= cx + radius + 10; x++) {
            const r = Math.hypot(x - p.x, y - p.y);
            const v = image.electrons[y * image.width + x];
            if (r <= radius) {
              sum += v;
              pixels++;
            } else if (r > radius + 3 && r <= radius + 10) annulus.push(v);
          }
        }
        const sky = median(annulus);
        const total = sum - pixels * sky;
        const noise = Math.sqrt(expected + pixels * (sky + 25));
        expect(Math.abs(total - expected), `star ${star.id} in ${exposure.obsId}`).toBeLessThan(
          5 * noise + 0.02 * expected,
        );
        // Centroid: sky-subtracted first moment inside one FWHM (small, so sky noise hardly moves it).
        let weight = 0;
        let sumX = 0;
        let sumY = 0;
        for (let y = cy - radius; y <= cy + radius; y++) {
          for (let x = cx - radius; x <= cx + radius; x++) {
            if (Math.hypot(x - p.x, y - p.y) > fwhm) continue;
            const v = image.electrons[y * image.width + x] - sky;
            weight += v;
            sumX += v * (x - p.x);
            sumY += v * (y - p.y);
          }
        }
        expect(Math.hypot(sumX / weight, sumY / weight), `star ${star.id} centroid`).toBeLessThan(0.1);
        measured++;
      }
    }
    expect(measured).toBeGreaterThanOrEqual(3);
  });
});
