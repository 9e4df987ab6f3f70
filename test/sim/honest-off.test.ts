/**
 * Every honest-raw knob at 0 reproduces the idealised survey of manifest version 1: the raw pixels are identical to
 * the ones the simulator wrote before the knobs existed (hashes recorded from that version with its distortion set
 * to 0), and the header WCS is the true WCS.
 */

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pixelToSky, readFits, wcsFromHeader } from '../../src/formats/index.js';
import { type SurveyResult, trueDetectorWcs, truePsfAt } from '../../src/sim/index.js';
import { removeTemporaryDirectories, smallSurvey } from './helpers.js';

afterAll(removeTemporaryDirectories);

const KNOBS_OFF = { pointingErrorArcsec: 0, distortion: 0, psfVariation: 0, maxCloudMag: 0 };

/** sha256 (first 16 hex digits) of each raw's pixel data, written by the simulator before the knobs existed. */
const IDEALISED_PIXEL_HASHES: Record<string, string> = {
  'raw/20261109/2026110900001/raw_2026110900001_000.fits': '81d49e4503e0873a',
  'raw/20261109/2026110900001/raw_2026110900001_001.fits': '72d3ce9ef301b846',
  'raw/20261109/2026110900001/raw_2026110900001_002.fits': '0ba1d7d0e05732f4',
  'raw/20261109/2026110900001/raw_2026110900001_003.fits': '9fa6804a61e95eef',
  'raw/20261109/2026110900002/raw_2026110900002_000.fits': 'cb320a2ea45ae2ac',
  'raw/20261109/2026110900002/raw_2026110900002_001.fits': '0edad282309fbe1e',
  'raw/20261109/2026110900002/raw_2026110900002_002.fits': '1c6c66953b724056',
  'raw/20261109/2026110900002/raw_2026110900002_003.fits': '4d7cf3c8316426ec',
  'raw/20261110/2026111000001/raw_2026111000001_000.fits': '952cd11eaa47a0b0',
  'raw/20261110/2026111000001/raw_2026111000001_001.fits': 'e3b303a509eec26d',
  'raw/20261110/2026111000001/raw_2026111000001_002.fits': '5c443188a7cca036',
  'raw/20261110/2026111000001/raw_2026111000001_003.fits': '26e0f79e5894b1bb',
};

let run: SurveyResult;

beforeAll(async () => {
  run = await smallSurvey('knobs-off', { detectors: 4, detectorSize: 128, visits: 3, ...KNOBS_OFF });
});

describe('every knob at 0', () => {
  it('renders the same pixels as the idealised simulator', async () => {
    const hashes: Record<string, string> = {};
    for (const exposure of run.manifest.exposures) {
      for (const raw of exposure.raws) {
        const image = await (await readFits(join(run.outDir, raw.path))).readImage(0);
        const bytes = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
        hashes[raw.path] = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
      }
    }
    expect(hashes).toEqual(IDEALISED_PIXEL_HASHES);
  });

  it('records no pointing error, no cloud, a round uniform PSF, and a header WCS equal to the true one', async () => {
    const { instrument } = run.manifest;
    for (const exposure of run.manifest.exposures) {
      const { truth } = exposure;
      expect(truth.pointingError).toEqual({ eastArcsec: 0, northArcsec: 0, rotationArcsec: 0 });
      expect([truth.trueRa, truth.trueDec, truth.trueRotationDeg]).toEqual([
        exposure.ra,
        exposure.dec,
        exposure.rotationDeg,
      ]);
      expect(truth.cloudExtinctionMag).toBe(0);
      expect(truePsfAt(instrument, truth, 3, 0, 0)).toEqual({
        fwhmArcsec: exposure.seeingFwhmArcsec,
        fwhmPixels: exposure.seeingFwhmArcsec / instrument.pixelScaleArcsec,
        e1: 0,
        e2: 0,
      });
      for (const raw of exposure.raws) {
        const header = wcsFromHeader((await readFits(join(run.outDir, raw.path))).hdu(0).header);
        expect(header.sip).toBeUndefined();
        const trueWcs = trueDetectorWcs(instrument, truth, raw.detector).wcs;
        for (const [x, y] of [
          [0, 0],
          [127, 0],
          [64, 100],
        ]) {
          const a = pixelToSky(header, x, y);
          const b = pixelToSky(trueWcs, x, y);
          expect(Math.abs(a.ra - b.ra) * 3.6e6).toBeLessThan(0.01);
          expect(Math.abs(a.dec - b.dec) * 3.6e6).toBeLessThan(0.01);
        }
      }
    }
  });
});
