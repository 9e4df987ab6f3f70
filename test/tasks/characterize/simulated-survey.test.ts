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
const results: { detector: number; result: CharacterizeImageResult }[] = [];

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
    results.push({ detector: raw.detector, result: characterizeImage(input) });
  }
}, 240_000);

describe('characterizeImage on a simulated survey', () => {
  it('fits a PSF whose size is within 1% of the truth at the reserved stars', () => {
    const exposure = manifest.exposures[0]!;
    for (const { detector, result } of results) {
      const reserved = result.psf.stars.filter((s) => s.reserved);
      const ratios = reserved.map((s) => {
        const truth = truePsfAt(manifest.instrument, exposure.truth!, detector, s.x, s.y);
        return (
          psfShapeAt(result.exposure.psf!, s.x, s.y).sigma / (MOMENT_SIGMA_PER_FWHM * truth.fwhmPixels) - 1
        );
      });
      const median = [...ratios].sort((a, b) => a - b)[ratios.length >> 1]!;
      const rms = Math.sqrt(ratios.reduce((a, r) => a + r * r, 0) / ratios.length);
      expect(reserved.length).toBeGreaterThanOrEqual(5);
      expect(Math.abs(median)).toBeLessThan(0.01);
      expect(rms).toBeLessThan(0.015);
      // Against the reserved stars' own measured moments.
      expect(Math.abs(result.psf.reservedResidual.median)).toBeLessThan(0.01);
      expect(result.psf.reservedResidual.rms).toBeLessThan(0.025);
    }
  });

  it('flags PSF stars, corrects PSF fluxes to the 12-pixel aperture and writes it in the icExp header', () => {
    for (const { result } of results) {
      const used = [...result.psfUsed.keys()].filter((i) => result.psfUsed[i] === 1);
      expect(used.length).toBeGreaterThanOrEqual(20);
      for (const i of used) expect(result.psfCandidate[i]).toBe(1);
      for (let i = 0; i < result.sources.count; i++)
        expect(result.psfUsed[i] & result.psfReserved[i]).toBe(0);
      // Corrected PSF fluxes of the used stars agree with their 12-pixel aperture fluxes (median ratio ~1).
      const k = result.sources.apertureRadii.indexOf(12);
      const ratios = used
        .map((i) => result.sources.psfFlux[i] / result.sources.apFlux[k][i])
        .sort((a, b) => a - b);
      expect(Math.abs(ratios[ratios.length >> 1]! - 1)).toBeLessThan(0.005);
      const stored = apertureCorrectionFromMetadata(result.exposure.metadata);
      expect(stored?.coefficients).toEqual(result.apertureCorrection.coefficients);
      expect(stored?.apertureRadius).toBe(12);
      expect(headerNumber(result.exposure.metadata, 'NPSFSTAR')).toBe(used.length);
      // The first-pass guess came from the header's SEEING: no second detection pass was needed.
      expect(result.guessSigma).toBeGreaterThan(0.8);
    }
  });
});
