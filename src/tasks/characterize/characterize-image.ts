/**
 * characterizeImage as a plain function: postISRCCD exposure in, icExp (background subtracted, cosmic rays
 * repaired, the fitted PSF model, the aperture correction in its header), the background models and the icSrc
 * measurements out. The steps:
 *
 * 1. a Gaussian PSF guess: `initialFwhmPixels`, else the header's SEEING over the WCS pixel scale, else
 *    `defaultFwhmPixels`;
 * 2. detectAndMeasure (measure/): background, cosmic rays, detection at 5σ, measurement with the guess; when the
 *    stellar locus of that first pass says the guess was off by more than `reguessTolerance` in σ, once more with
 *    a Gaussian of the locus size (a robust estimate of the seeing);
 * 3. determinePsf (psf-determination.ts) on the background-subtracted image;
 * 4. every footprint measured again with the PSF model (PSF fluxes of the local PSF at each source);
 * 5. the aperture correction from the PSF stars (aperture-correction.ts), applied to the PSF fluxes.
 */
import { z } from 'zod';
import { meridianError } from '../../errors.js';
import {
  Exposure,
  FWHM_PER_SIGMA,
  type HeaderCard,
  headerNumber,
  psfShapeAt,
  valueCard,
} from '../../formats/index.js';
import {
  type BackgroundModel,
  DetectAndMeasureConfig,
  type DetectAndMeasureResult,
  detectAndMeasure,
  measureSources,
  type SourceMeasurements,
} from '../measure/index.js';
import {
  type ApertureCorrection,
  ApertureCorrectionConfig,
  apertureCorrectionAt,
  apertureCorrectionCards,
  measureApertureCorrection,
} from './aperture-correction.js';
import { determinePsf, type PsfDetermination, PsfDeterminationConfig } from './psf-determination.js';
import { selectPsfStars } from './star-selection.js';

export const CharacterizeImageConfig = z
  .object({
    // No deblending here, as in Rubin's characterizeImage: the PSF stars are isolated ones, and the re-measurement
    // with the model runs over the same footprints (calibrate deblends).
    detectAndMeasure: DetectAndMeasureConfig.prefault({ doDeblend: false }),
    psf: PsfDeterminationConfig.prefault({}),
    apertureCorrection: ApertureCorrectionConfig.prefault({}),
    /** FWHM (pixels) of the first Gaussian PSF guess; null: from the header's SEEING and the WCS. */
    initialFwhmPixels: z.number().positive().nullable().default(null),
    /** Guess when neither the config nor the header tells. */
    defaultFwhmPixels: z.number().positive().default(3.5),
    /** Detection and measurement are redone when the stellar locus is this far (in σ) from the guess. */
    reguessTolerance: z.number().positive().default(0.2),
  })
  .strict();
export type CharacterizeImageConfig = z.infer<typeof CharacterizeImageConfig>;

export interface CharacterizeImageResult {
  readonly kind: 'characterizeImageResult';
  /** icExp. */
  readonly exposure: Exposure;
  readonly backgrounds: readonly BackgroundModel[];
  /** Measured with the PSF model; PSF fluxes aperture-corrected. */
  readonly sources: SourceMeasurements;
  /** Correction factor applied to each source's PSF flux. */
  readonly apCorr: Float64Array;
  readonly psf: PsfDetermination;
  readonly apertureCorrection: ApertureCorrection;
  /** Per source (index = row of `sources`): PSF candidate / used in the fit / reserved. */
  readonly psfCandidate: Uint8Array;
  readonly psfUsed: Uint8Array;
  readonly psfReserved: Uint8Array;
  /** The σ (pixels) of the Gaussian the detection ran with. */
  readonly guessSigma: number;
  /** Wall-clock milliseconds per step. */
  readonly timings: Readonly<Record<'detectAndMeasure' | 'psf' | 'measurement', number>>;
}

/** Header SEEING (arcsec) over the WCS pixel scale, in pixels; null when either is missing. */
function headerSeeingPixels(exposure: Exposure): number | null {
  const seeing = headerNumber(exposure.metadata, 'SEEING');
  const wcs = exposure.wcs;
  if (seeing === undefined || !(seeing > 0) || wcs === null) return null;
  const [[a, b], [c, d]] = wcs.cd;
  const scaleArcsec = Math.sqrt(Math.abs(a * d - b * c)) * 3600;
  return scaleArcsec > 0 ? seeing / scaleArcsec : null;
}

function parseConfig(config: unknown): CharacterizeImageConfig {
  const parsed = CharacterizeImageConfig.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw meridianError(
      'INVALID_ARGUMENT',
      `invalid characterizeImage config at ${issue?.path.join('.')}: ${issue?.message}`,
    );
  }
  return parsed.data;
}

/** Replace cards of the same keywords, append the rest. */
function withCards(metadata: readonly HeaderCard[], cards: readonly HeaderCard[]): HeaderCard[] {
  const replaced = new Set(cards.map((c) => (c.kind === 'value' ? c.keyword : '')));
  return [...metadata.filter((c) => !(c.kind === 'value' && replaced.has(c.keyword))), ...cards];
}

export function characterizeImage(
  input: Exposure,
  config: z.input<typeof CharacterizeImageConfig> = {},
): CharacterizeImageResult {
  const cfg = parseConfig(config);
  const clock = { detectAndMeasure: 0, psf: 0, measurement: 0 };
  let t = performance.now();
  const lap = (step: keyof typeof clock) => {
    const now = performance.now();
    clock[step] += now - t;
    t = now;
  };
  const fwhm = cfg.initialFwhmPixels ?? headerSeeingPixels(input) ?? cfg.defaultFwhmPixels;
  let guessSigma = fwhm / FWHM_PER_SIGMA;
  const run = (sigma: number): DetectAndMeasureResult =>
    detectAndMeasure(new Exposure({ ...input, psf: { kind: 'gaussian', sigma } }), cfg.detectAndMeasure);
  let first = run(guessSigma);
  // Adaptive moments of a star are about its core σ²: the locus ln(ixx + iyy) = ln(2σ²).
  const locus = selectPsfStars(first.sources, guessSigma, cfg.psf.selection).locusLogSize;
  const locusSigma = Math.sqrt(Math.exp(locus) / 2);
  if (Number.isFinite(locusSigma) && Math.abs(locusSigma / guessSigma - 1) > cfg.reguessTolerance) {
    guessSigma = locusSigma;
    first = run(guessSigma);
  }
  lap('detectAndMeasure');

  const psf = determinePsf(first.exposure, first.sources, guessSigma, cfg.psf);
  lap('psf');

  const modelExposure = new Exposure({ ...first.exposure, psf: psf.psf });
  const measured = measureSources(
    { exposure: modelExposure, footprints: first.detection.footprints },
    cfg.detectAndMeasure.measurement,
  );
  const n = measured.count;
  const psfCandidate = new Uint8Array(n);
  const psfUsed = new Uint8Array(n);
  const psfReserved = new Uint8Array(n);
  for (const i of psf.selection.candidates) psfCandidate[i] = 1;
  for (const star of psf.stars) {
    if (star.reserved) psfReserved[star.source] = 1;
    else if (!star.rejected) psfUsed[star.source] = 1;
  }
  const radiusIndex = measured.apertureRadii.indexOf(cfg.apertureCorrection.radius);
  if (radiusIndex < 0) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `the aperture correction radius ${cfg.apertureCorrection.radius} is not a measured aperture radius (${measured.apertureRadii.join(', ')})`,
    );
  }
  const stars = [...psfUsed.keys()].filter((i) => psfUsed[i] === 1);
  const apertureCorrection = measureApertureCorrection(
    {
      x: stars.map((i) => measured.x[i]),
      y: stars.map((i) => measured.y[i]),
      psfFlux: stars.map((i) => measured.psfFlux[i]),
      apertureFlux: stars.map((i) => measured.apFlux[radiusIndex][i]),
    },
    input.bbox,
    cfg.apertureCorrection.radius,
    cfg.apertureCorrection,
  );
  const apCorr = new Float64Array(n);
  const psfFlux = new Float64Array(n);
  const psfFluxErr = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    apCorr[i] = Number.isFinite(measured.x[i])
      ? apertureCorrectionAt(apertureCorrection, measured.x[i], measured.y[i])
      : Number.NaN;
    psfFlux[i] = measured.psfFlux[i] * apCorr[i];
    psfFluxErr[i] = measured.psfFluxErr[i] * apCorr[i];
  }
  const sources: SourceMeasurements = Object.freeze({ ...measured, psfFlux, psfFluxErr });
  lap('measurement');

  const { x0, y0, width, height } = input.bbox;
  const centre = psfShapeAt(psf.psf, x0 + (width - 1) / 2, y0 + (height - 1) / 2);
  const metadata = withCards(input.metadata, [
    valueCard('PSFSIGMA', centre.sigma, '[pixel] PSF model sigma, (ixx iyy - ixy^2)^1/4, at the centre'),
    valueCard(
      'NPSFSTAR',
      psfUsed.reduce((a, v) => a + v, 0),
      'stars used in the PSF fit',
    ),
    valueCard('PSFNRSV', psf.reservedResidual.count, 'PSF stars reserved to test the model'),
    valueCard(
      'PSFRSVRS',
      Number.isFinite(psf.reservedResidual.rms) ? psf.reservedResidual.rms : 0,
      'rms of reserved star sigma / model sigma - 1',
    ),
    ...apertureCorrectionCards(apertureCorrection),
  ]);
  const exposure = new Exposure({ ...modelExposure, metadata });
  return Object.freeze({
    kind: 'characterizeImageResult',
    exposure,
    backgrounds: first.backgrounds,
    sources,
    apCorr,
    psf,
    apertureCorrection,
    psfCandidate,
    psfUsed,
    psfReserved,
    guessSigma,
    timings: Object.freeze(clock),
  });
}
