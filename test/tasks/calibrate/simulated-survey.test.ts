/**
 * End to end on the honest simulator: the raw header's WCS (reported pointing, about 1" off, no distortion) is the
 * start; the simulator's refcat shards are the reference catalog; the true positions of the stars on the detector
 * stand in for detections until the detection task lands (their fluxes in electrons from the true zero point).
 * The fitted WCS must agree with the true WCS to 10 mas, and the zero point from the matched refcat stars with the
 * true one within its error.
 */

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pixelToSky, readFits, separationMas, wcsFromHeader } from '../../../src/formats/index.js';
import { abMagFromNanojansky } from '../../../src/obs/index.js';
import {
  readSurveyTruth,
  type SurveyManifest,
  TRUTH_TYPE,
  TrueFocalPlane,
  trueDetectorWcs,
} from '../../../src/sim/index.js';
import {
  type DetectedSource,
  fitZeroPoint,
  type ReferenceStar,
  solveAstrometry,
} from '../../../src/tasks/index.js';
import { readParquet, removeTemporaryDirectories, smallSurvey } from '../../sim/helpers.js';

const SIZE = 1024;
let simDir: string;
let manifest: SurveyManifest;
let stars: { ra: number; dec: number; flux_r: number }[];
let references: ReferenceStar[];
const refMagErrs: number[] = [];

afterAll(removeTemporaryDirectories);

beforeAll(async () => {
  // 3 x 3 detectors of 1024 pixels: the corner detectors see the radial distortion (about 0.5 pixel).
  const run = await smallSurvey('astrom', {
    detectors: 9,
    detectorSize: SIZE,
    visits: 2,
    nights: 1,
    bands: ['r'],
    radiusDeg: 0.15,
    starsPerDeg2: 300_000,
    galaxiesPerDeg2: 0,
    supernovae: 0,
    cosmicRays: false,
  });
  simDir = run.outDir;
  manifest = await readSurveyTruth(simDir);
  const truth = (await readParquet(join(simDir, manifest.truth.summary))) as {
    truth_type: number;
    ra: number;
    dec: number;
    flux_r: number;
  }[];
  stars = truth.filter((row) => row.truth_type === TRUTH_TYPE.star);
  references = [];
  for (const shard of manifest.refcat.shards) {
    const rows = (await readParquet(
      join(simDir, shard.path),
      'coord_ra, coord_dec, coord_decErr, r_flux, r_fluxErr',
    )) as {
      coord_ra: number;
      coord_dec: number;
      coord_decErr: number;
      r_flux: number;
      r_fluxErr: number;
    }[];
    for (const row of rows) {
      references.push({
        ra: row.coord_ra,
        dec: row.coord_dec,
        mag: abMagFromNanojansky(row.r_flux),
        positionErrMas: row.coord_decErr * 3.6e6,
      });
      refMagErrs.push((1.0857 * row.r_fluxErr) / row.r_flux);
    }
  }
}, 300_000);

describe('calibration algorithms on a simulated raw', () => {
  it('fit a WCS within 10 mas of the truth from the raw header WCS, and the true zero point, on every detector', async () => {
    const { instrument } = manifest;
    for (const exposure of manifest.exposures) {
      const focalPlane = new TrueFocalPlane(instrument, exposure.truth);
      for (const raw of exposure.raws) {
        const detector = instrument.detectors[raw.detector];
        const header = wcsFromHeader((await readFits(join(simDir, raw.path))).hdu(0).header);
        // Electrons in the exposure of each star (the truth's zero point includes airmass and cloud).
        const electronsPerNanojansky = 10 ** (-0.4 * (31.4 - exposure.truth.zeroPointMag));
        const sources: DetectedSource[] = [];
        for (const star of stars) {
          const p = focalPlane.skyToPixel(detector, star.ra, star.dec);
          if (p.x >= 0 && p.x <= SIZE - 1 && p.y >= 0 && p.y <= SIZE - 1) {
            sources.push({ x: p.x, y: p.y, flux: star.flux_r * electronsPerNanojansky });
          }
        }
        const detectorSize = { width: SIZE, height: SIZE };
        // Order 2: across a 1k detector the radial distortion's quadratic part is ~5 mas and its cubic part ~0.5 mas,
        // below what ~100 refcat stars of 2-20 mas can constrain (order 3 is for 4k detectors).
        const { match, fit } = solveAstrometry(sources, references, header, {
          detectorSize,
          fit: { order: 2 },
        });
        // The header is only off by the pointing error: no rotation, flip or scale error to find.
        expect(Math.abs(match.rotationDeg)).toBeLessThan(0.05);
        expect(match.flipped).toBe(false);
        expect(Math.abs(match.scale - 1)).toBeLessThan(0.002);
        const truth = trueDetectorWcs(instrument, exposure.truth, raw.detector).wcs;
        let worst = 0;
        let headerWorst = 0;
        for (let i = 0; i <= 10; i++) {
          for (let j = 0; j <= 10; j++) {
            const x = ((SIZE - 1) * i) / 10;
            const y = ((SIZE - 1) * j) / 10;
            worst = Math.max(worst, separationMas(pixelToSky(fit.wcs, x, y), pixelToSky(truth, x, y)));
            headerWorst = Math.max(
              headerWorst,
              separationMas(pixelToSky(header, x, y), pixelToSky(truth, x, y)),
            );
          }
        }
        expect(fit.matches.length).toBeGreaterThan(40);
        expect(worst).toBeLessThan(10);
        expect(headerWorst).toBeGreaterThan(100);
        // The refcat's own position errors (2 mas at r = 16 to 20 mas at r = 21) dominate the residuals.
        expect(fit.rmsResidualMas).toBeLessThan(30);
        // The zero point from the matched refcat stars: the refcat's photometric noise is the only scatter.
        const zeroPoint = fitZeroPoint(
          fit.matches.map((m) => ({
            instFlux: sources[m.source].flux,
            refMag: references[m.reference].mag,
            refMagErr: refMagErrs[m.reference],
          })),
        );
        expect(Math.abs(zeroPoint.zeroPoint - exposure.truth.zeroPointMag)).toBeLessThan(
          4 * zeroPoint.zeroPointErr,
        );
        expect(zeroPoint.zeroPointErr).toBeLessThan(0.005);
      }
    }
  });
});
