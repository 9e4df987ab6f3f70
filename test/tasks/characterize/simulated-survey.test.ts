/**
 * characterizeImage on the honest simulator: raws with a PSF that varies in size and ellipticity across the focal
 * plane, cosmic rays and galaxies, made into post-ISR exposures here (overscan, bias, gain, flat: the isr task is
 * written in parallel) with the raw header's WCS and metadata. The PSF model must match the TRUE PSF (from the
 * survey's truth) at the reserved stars to 1% in size.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  box2i,
  Exposure,
  headerNumber,
  ImageF,
  Mask,
  metadataCards,
  psfShapeAt,
  wcsFromHeader,
} from '../../../src/formats/index.js';
import {
  MOMENT_SIGMA_PER_FWHM,
  readSurveyTruth,
  type SurveyManifest,
  truePsfAt,
} from '../../../src/sim/index.js';
import {
  apertureCorrectionFromMetadata,
  type CharacterizeImageResult,
  characterizeImage,
} from '../../../src/tasks/index.js';
import { calibratedElectrons, removeTemporaryDirectories, smallSurvey } from '../../sim/helpers.js';

const SIZE = 1024;
let manifest: SurveyManifest;
const results: { detector: number; result: CharacterizeImageResult; seconds: number }[] = [];

afterAll(removeTemporaryDirectories);

beforeAll(async () => {
  const run = await smallSurvey('charimg', {
    detectors: 4,
    detectorSize: SIZE,
    visits: 1,
    nights: 1,
    bands: ['r'],
    radiusDeg: 0.1,
    starsPerDeg2: 200_000,
    psfVariation: 0.3,
  });
  manifest = await readSurveyTruth(run.outDir);
  const exposure = manifest.exposures[0]!;
  for (const raw of exposure.raws) {
    const isr = await calibratedElectrons(run.outDir, raw.path, exposure.band, raw.detector);
    const bbox = box2i(0, 0, isr.width, isr.height);
    const readNoise = headerNumber(isr.header, 'RDNOISE') ?? 5;
    const image = Float32Array.from(isr.electrons);
    const variance = Float32Array.from(image, (v) => Math.max(v, 0) + readNoise * readNoise);
    const input = new Exposure({
      image: new ImageF(image, bbox),
      mask: Mask.zeros(bbox),
      variance: new ImageF(variance, bbox),
      wcs: wcsFromHeader(isr.header),
      metadata: metadataCards(isr.header),
    });
    const t0 = performance.now();
    const result = characterizeImage(input);
    results.push({ detector: raw.detector, result, seconds: (performance.now() - t0) / 1000 });
  }
}, 240_000);

describe('characterizeImage on a simulated survey', () => {
  it('fits a PSF whose size is within 1% of the truth at the reserved stars', () => {
    const exposure = manifest.exposures[0]!;
    for (const { detector, result, seconds } of results) {
      const reserved = result.psf.stars.filter((s) => s.reserved);
      const ratios = reserved.map((s) => {
        const truth = truePsfAt(manifest.instrument, exposure.truth!, detector, s.x, s.y);
        return psfShapeAt(result.exposure.psf!, s.x, s.y).sigma / (MOMENT_SIGMA_PER_FWHM * truth.fwhmPixels) - 1;
      });
      const median = [...ratios].sort((a, b) => a - b)[ratios.length >> 1]!;
      const rms = Math.sqrt(ratios.reduce((a, r) => a + r * r, 0) / ratios.length);
      console.log(detector, seconds.toFixed(2), result.sources.count, result.psf.selection.counts, reserved.length, result.psf.wingScale, result.psf.wingFraction, median, rms, result.psf.reservedResidual, result.apertureCorrection.coefficients);
      expect(reserved.length).toBeGreaterThanOrEqual(5);
      expect(Math.abs(median)).toBeLessThan(0.01);
      expect(rms).toBeLessThan(0.015);
      // Against the reserved stars' own measured moments.
      expect(Math.abs(result.psf.reservedResidual.median)).toBeLessThan(0.01);
    }
  });
});
