/** Survey options: one defaults table and one validated, resolved type (zod at the boundary, then trusted). */

import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { meridianError } from '../errors.js';
import { BANDS, type Band, DEFAULT_CAMERA_LAYOUT } from '../obs/index.js';

/** The DC2 field centre (RA 61.863, Dec -35.790), so the demo survey looks like the data DP0 served. */
export const SURVEY_DEFAULTS = Object.freeze({
  seed: 1,
  ra: 61.863,
  dec: -35.79,
  radiusDeg: 0.3,
  visits: 6,
  nights: 2,
  bands: Object.freeze(['g', 'r', 'i'] as Band[]),
  detectors: DEFAULT_CAMERA_LAYOUT.detectorCount,
  detectorSize: DEFAULT_CAMERA_LAYOUT.detectorSize,
  exposureTime: 30,
  starsPerDeg2: 3000,
  galaxiesPerDeg2: 40_000,
  supernovae: 5,
  cosmicRays: true,
  /**
   * Bad columns and hot pixels on every detector, listed in the manifest for the `defects` calibration. Off by
   * default so that surveys made before defects existed render the same pixels; pipelines runs turn it on.
   */
  defects: false,
  /** RMS error of the reported boresight per axis, arcsec (the rotator errs by 10x as many arcsec). */
  pointingErrorArcsec: 1,
  /** Radial distortion k per pixel^2 (r -> r (1 + k r^2)): about 1.8 pixels at the corners of 3x3 2k detectors. */
  distortion: 2e-11,
  /** Scale of the PSF's variation across the focal plane: ~10% FWHM growth and ~0.05 ellipticity at the corners. */
  psfVariation: 0.1,
  /** Thin cloud: extinction uniform in 0..maxCloudMag per visit. */
  maxCloudMag: 0.3,
});

const optionsSchema = z.object({
  outDir: z.string().min(1),
  seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  ra: z.number().min(0).lt(360),
  dec: z.number().min(-90).max(90),
  radiusDeg: z.number().positive().max(10),
  visits: z.number().int().min(1).max(100_000),
  nights: z.number().int().min(1).max(10_000),
  bands: z
    .array(z.enum(BANDS))
    .min(1)
    .refine((b) => new Set(b).size === b.length, 'bands must not repeat'),
  detectors: z.number().int().min(1).max(189),
  detectorSize: z.number().int().min(64).max(8192),
  exposureTime: z.number().positive().max(3600),
  starsPerDeg2: z.number().min(0).max(1e6),
  galaxiesPerDeg2: z.number().min(0).max(1e6),
  supernovae: z.number().int().min(0).max(10_000),
  cosmicRays: z.boolean(),
  defects: z.boolean(),
  pointingErrorArcsec: z.number().min(0).max(3600),
  distortion: z.number().min(0).max(1e-9),
  psfVariation: z.number().min(0).max(0.5),
  maxCloudMag: z.number().min(0).max(5),
  workers: z.number().int().min(1).max(256),
});

export type SurveyOptions = Readonly<z.infer<typeof optionsSchema>>;
export type SurveyOptionsInput = Partial<SurveyOptions> & {
  readonly outDir: string;
  /** Called as raws are rendered (`done` of `total` files) and as the calibrations and catalogs are written. */
  readonly onProgress?: (progress: { phase: string; done: number; total?: number; unit?: string }) => void;
};

export function defaultWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/** Fill defaults and validate; a bad value is an INVALID_ARGUMENT naming the option. */
export function resolveSurveyOptions(input: SurveyOptionsInput): SurveyOptions {
  const { onProgress: _onProgress, ...values } = input;
  const merged = { ...SURVEY_DEFAULTS, workers: defaultWorkers(), ...stripUndefined(values) };
  const parsed = optionsSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const option = issue.path.join('.') || 'options';
    throw meridianError('INVALID_ARGUMENT', `survey option ${option}: ${issue.message}`, {
      option,
      issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  return Object.freeze({ ...parsed.data, bands: Object.freeze([...parsed.data.bands]) }) as SurveyOptions;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
