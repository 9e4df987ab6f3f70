/**
 * The image-analysis sequence of characterizeImage/calibrate in one call, in LSST's order:
 *
 * 1. background.ts  — first background (sources unmasked: the clipping and mode estimator cope), subtracted;
 * 2. cosmic-rays.ts — cosmic rays found on the background-subtracted image, repaired, masked CR;
 * 3. detection.ts   — footprints and peaks above threshold, masked DETECTED;
 * 4. background.ts  — the residual background with DETECTED pixels left out, subtracted (removes the bias of
 *                     step 1 from source light);
 * 5. deblend.ts    — footprints with several separate peaks split into a parent and one child per peak;
 * 6. measure-sources.ts — centroids, shapes, PSF/aperture/Kron fluxes and flags of every parent and child.
 *
 * The input exposure is not modified: the result holds a new background-subtracted, repaired exposure.
 */
import { z } from 'zod';
import { meridianError } from '../../errors.js';
import { Exposure, type ImageF, Mask } from '../../formats/index.js';
import {
  BackgroundConfig,
  type BackgroundModel,
  backgroundNoiseRows,
  backgroundRmsImage,
  backgroundSubtracted,
  estimateBackground,
  subtractBackground,
} from './background.js';
import { CosmicRayConfig, type CosmicRayResult, findAndRepairCosmicRays } from './cosmic-rays.js';
import { DeblendConfig, deblendFootprints } from './deblend.js';
import { DetectionConfig, type DetectionResult, detectSources, psfEffectiveSigma } from './detection.js';
import { MeasurementConfig, measureSources, type SourceMeasurements } from './measure-sources.js';

export const DetectAndMeasureConfig = z
  .object({
    background: BackgroundConfig.prefault({}),
    detection: DetectionConfig.prefault({}),
    cosmicRays: CosmicRayConfig.prefault({}),
    measurement: MeasurementConfig.prefault({}),
    deblend: DeblendConfig.prefault({}),
    doCosmicRays: z.boolean().default(true),
    /** Re-estimate the background with detected pixels masked (step 4). */
    reestimateBackground: z.boolean().default(true),
    /** Split blended footprints into children (step 5). */
    doDeblend: z.boolean().default(true),
  })
  .strict();
export type DetectAndMeasureConfig = z.infer<typeof DetectAndMeasureConfig>;

export interface DetectAndMeasureResult {
  readonly kind: 'detectAndMeasureResult';
  /** Background-subtracted, cosmic-ray-repaired exposure with DETECTED, CR, INTRP and EDGE set. */
  readonly exposure: Exposure;
  /**
   * The background models subtracted, in order (their sum is the total background: `backgroundImage(...models)`,
   * made only when wanted), and the sky noise map (made when first read).
   */
  readonly backgrounds: readonly BackgroundModel[];
  readonly backgroundRms: ImageF;
  readonly cosmicRays: CosmicRayResult | null;
  readonly detection: DetectionResult;
  /** Parents and isolated sources, each parent followed by its deblended children (`parent`, `deblendNChild`). */
  readonly sources: SourceMeasurements;
  /** Wall-clock milliseconds per step. */
  readonly timings: Readonly<Record<'background' | 'cosmicRays' | 'detection' | 'measurement', number>>;
  /** CPU milliseconds per step (user + system, all threads: the fairer figure on a busy machine). */
  readonly cpuTimings: Readonly<Record<'background' | 'cosmicRays' | 'detection' | 'measurement', number>>;
}

export function detectAndMeasure(
  input: Exposure,
  config: z.input<typeof DetectAndMeasureConfig> = {},
): DetectAndMeasureResult {
  const parsed = DetectAndMeasureConfig.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw meridianError(
      'INVALID_ARGUMENT',
      `invalid detect-and-measure config at ${issue?.path.join('.')}: ${issue?.message}`,
    );
  }
  const cfg = parsed.data;
  if (input.psf === null)
    throw meridianError('INVALID_ARGUMENT', 'detection and measurement need a PSF model');
  const clock = { background: 0, cosmicRays: 0, detection: 0, measurement: 0 };
  const cpuClock = { background: 0, cosmicRays: 0, detection: 0, measurement: 0 };
  let t = performance.now();
  let cpu = process.cpuUsage();
  const lap = (step: keyof typeof clock) => {
    const now = performance.now();
    clock[step] += now - t;
    t = now;
    const used = process.cpuUsage(cpu);
    cpuClock[step] += (used.user + used.system) / 1000;
    cpu = process.cpuUsage();
  };
  const first = estimateBackground(input.image, input.mask, cfg.background);
  // The working copy is made by the first subtraction (one pass instead of a copy and a subtraction).
  const exposure = new Exposure({
    ...input,
    image: backgroundSubtracted(input.image, first),
    mask: new Mask(input.mask.array.slice(), input.bbox, input.mask.planes),
  });
  const backgrounds = [first];
  // The sky noise of the first pass serves both thresholds: masking sources changes the sky level, not its noise.
  // Row by row: the full noise image is made only if the caller asks for `backgroundRms`.
  const rms = backgroundNoiseRows(first);
  lap('background');
  const cosmicRays = cfg.doCosmicRays
    ? findAndRepairCosmicRays(
        { image: exposure.image, noise: rms, mask: exposure.mask, psf: input.psf },
        cfg.cosmicRays,
      )
    : null;
  lap('cosmicRays');
  let detection = detectSources(
    { image: exposure.image, noise: rms, mask: exposure.mask, psf: input.psf },
    cfg.detection,
  );
  lap('detection');
  if (cfg.reestimateBackground) {
    const residual = estimateBackground(exposure.image, exposure.mask, cfg.background);
    subtractBackground(exposure.image, residual);
    backgrounds.push(residual);
    lap('background');
  }
  // Deblending is counted in the measurement's time (it is a small part of it).
  const footprints = cfg.doDeblend
    ? deblendFootprints(exposure.image, detection.footprints, psfEffectiveSigma(input.psf), cfg.deblend)
    : detection.footprints;
  const sources = measureSources({ exposure, footprints }, cfg.measurement);
  lap('measurement');
  detection = Object.freeze({ ...detection });
  let noiseImage: ImageF | null = null;
  return Object.freeze({
    kind: 'detectAndMeasureResult',
    exposure,
    backgrounds: Object.freeze(backgrounds),
    get backgroundRms(): ImageF {
      noiseImage ??= backgroundRmsImage(first);
      return noiseImage;
    },
    cosmicRays,
    detection,
    sources,
    timings: Object.freeze(clock),
    cpuTimings: Object.freeze(cpuClock),
  });
}
