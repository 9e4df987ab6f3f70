/**
 * An honest survey end to end: the raws' header WCS is the reported plain TAN, the truth files record the true WCS
 * and conditions, and bright stars in the calibrated raws sit at the true WCS position with the flux the true zero
 * point gives, not where the header WCS says.
 */

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pixelToSky, readFits, skyToPixel, type TanSipWcs, wcsFromHeader } from '../../src/formats/index.js';
import { abMagFromNanojansky } from '../../src/obs/index.js';
import {
  headerWcs,
  readSurveyTruth,
  type SurveyResult,
  TRUE_WCS_TOLERANCE_MAS,
  trueDetectorWcs,
  trueWcsFromJson,
} from '../../src/sim/index.js';
import { angularSeparationDeg } from '../../src/sphere/index.js';
import {
  calibratedElectrons,
  median,
  readParquet,
  removeTemporaryDirectories,
  smallSurvey,
  temporaryDirectory,
} from './helpers.js';

afterAll(removeTemporaryDirectories);

let run: SurveyResult;
let ccdVisits: Record<string, unknown>[];

beforeAll(async () => {
  run = await smallSurvey('honest', {
    detectors: 2,
    detectorSize: 384,
    visits: 3,
    bands: ['r'],
    radiusDeg: 0.01,
    starsPerDeg2: 60_000,
    galaxiesPerDeg2: 5_000,
    supernovae: 0,
    cosmicRays: false,
  });
  ccdVisits = await readParquet(join(run.outDir, run.manifest.truth.ccdVisits));
});

describe('an honest survey', () => {
  it('records its knobs, and the truth of every exposure and detector', async () => {
    const { manifest } = run;
    expect(manifest.version).toBe(2);
    expect(manifest.options).toMatchObject({
      pointingErrorArcsec: 1,
      distortion: 2e-11,
      psfVariation: 0.1,
      maxCloudMag: 0.3,
    });
    expect(manifest.instrument.radialDistortionPerPixel2).toBe(2e-11);
    expect(ccdVisits).toHaveLength(manifest.exposures.length * 2);
    for (const exposure of manifest.exposures) {
      for (const raw of exposure.raws) {
        const row = ccdVisits.find(
          (r) => Number(r.exposure) === exposure.id && Number(r.detector) === raw.detector,
        )!;
        expect(row.zero_point_mag).toBe(exposure.truth.zeroPointMag);
        expect(row.cloud_extinction_mag).toBe(exposure.truth.cloudExtinctionMag);
        expect(row.pointing_error_east_arcsec).toBe(exposure.truth.pointingError.eastArcsec);
        expect(row.wcs_fit_max_residual_mas as number).toBeLessThanOrEqual(TRUE_WCS_TOLERANCE_MAS);
        const recorded = trueWcsFromJson(row.wcs_json as string);
        const recomputed = trueDetectorWcs(manifest.instrument, exposure.truth, raw.detector).wcs;
        expect(recorded).toEqual(JSON.parse(JSON.stringify(recomputed)));
        // The raw header: the reported pointing as a plain TAN, about the pointing error away from the truth.
        const header = wcsFromHeader((await readFits(join(run.outDir, raw.path))).hdu(0).header);
        expect(header).toEqual(
          headerWcs(manifest.instrument, manifest.instrument.detectors[raw.detector], exposure),
        );
        const a = pixelToSky(header, 191.5, 191.5);
        const b = pixelToSky(recorded, 191.5, 191.5);
        const offset = angularSeparationDeg(a.ra, a.dec, b.ra, b.dec) * 3600;
        expect(offset).toBeCloseTo(row.header_wcs_offset_arcsec as number, 6);
        expect(offset).toBeLessThan(6);
      }
    }
  });

  it('puts bright stars at the true WCS position with the true zero point’s flux', async () => {
    const truth = (await readParquet(join(run.outDir, run.manifest.truth.summary))) as {
      id: number;
      truth_type: number;
      ra: number;
      dec: number;
      is_variable: boolean;
      flux_r: number;
    }[];
    let measured = 0;
    let headerFurther = 0;
    for (const exposure of run.manifest.exposures) {
      for (const raw of exposure.raws) {
        const image = await calibratedElectrons(run.outDir, raw.path, 'r', raw.detector);
        const row = ccdVisits.find(
          (r) => Number(r.exposure) === exposure.id && Number(r.detector) === raw.detector,
        )!;
        const wcs: TanSipWcs = trueWcsFromJson(row.wcs_json as string);
        const header = wcsFromHeader(image.header);
        const fwhm = exposure.seeingFwhmArcsec / 0.2;
        const radius = Math.ceil(3.5 * fwhm);
        for (const star of truth) {
          if (star.truth_type !== 2 || star.is_variable) continue;
          const expected = 10 ** (-0.4 * (abMagFromNanojansky(star.flux_r) - exposure.truth.zeroPointMag));
          if (expected < 3e4 || expected > 1e6) continue;
          const p = skyToPixel(wcs, star.ra, star.dec);
          const margin = radius + 12;
          if (p.x < margin || p.y < margin || p.x > image.width - margin || p.y > image.height - margin)
            continue;
          const crowded = truth.some(
            (o) =>
              o.id !== star.id &&
              o.flux_r > 0.01 * star.flux_r &&
              angularSeparationDeg(o.ra, o.dec, star.ra, star.dec) * 3600 < 12,
          );
          if (crowded) continue;
          const cx = Math.round(p.x);
          const cy = Math.round(p.y);
          const annulus: number[] = [];
          for (let y = cy - radius - 10; y <= cy + radius + 10; y++) {
            for (let x = cx - radius - 10; x <= cx + radius + 10; x++) {
              const r = Math.hypot(x - p.x, y - p.y);
              if (r > radius + 3 && r <= radius + 10) annulus.push(image.electrons[y * image.width + x]);
            }
          }
          const sky = median(annulus);
          let sum = 0;
          let pixels = 0;
          let sumX = 0;
          let sumY = 0;
          let weight = 0;
          for (let y = cy - radius; y <= cy + radius; y++) {
            for (let x = cx - radius; x <= cx + radius; x++) {
              const r = Math.hypot(x - p.x, y - p.y);
              if (r > radius) continue;
              const v = image.electrons[y * image.width + x] - sky;
              sum += v;
              pixels++;
              if (r <= fwhm) {
                weight += v;
                sumX += v * (x - p.x);
                sumY += v * (y - p.y);
              }
            }
          }
          const noise = Math.sqrt(expected + pixels * (sky + 25));
          expect(Math.abs(sum - expected), `star ${star.id}`).toBeLessThan(5 * noise + 0.02 * expected);
          expect(Math.hypot(sumX / weight, sumY / weight), `star ${star.id} centroid`).toBeLessThan(0.1);
          const h = skyToPixel(header, star.ra, star.dec);
          if (Math.hypot(h.x - p.x, h.y - p.y) > 0.5) headerFurther++;
          measured++;
        }
      }
    }
    expect(measured).toBeGreaterThanOrEqual(3);
    // The header WCS is off by the pointing error (about 1" = 5 pixels) for most stars.
    expect(headerFurther).toBeGreaterThan(measured / 2);
  });

  it('refuses to read the truth of a version 1 manifest, with a clear message', async () => {
    const dir = temporaryDirectory('v1');
    const { version: _version, ...rest } = run.manifest;
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...rest, version: 1 }));
    await expect(readSurveyTruth(dir)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('simulate the survey again'),
    });
    expect((await readSurveyTruth(run.outDir)).exposures[0].truth.kind).toBe('exposure-truth');
  });
});
