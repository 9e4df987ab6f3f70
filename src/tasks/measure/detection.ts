/**
 * Source detection: smooth the background-subtracted image with a Gaussian of the PSF's σ (convolve.ts), keep the
 * pixels above `thresholdSigma` × the smoothed noise, group them into 8-connected footprints of at least
 * `minPixels` (footprints.ts), find the peaks in each, and set the DETECTED mask plane on their pixels.
 *
 * The smoothed noise at a pixel is the pixel noise σ (the background RMS map, or sqrt(variance)) times
 * `smoothedNoiseFactor(kernel)`; for white noise this makes the false-detection rate on pure noise that of an
 * N σ Gaussian tail per independent smoothed element.
 */
import { z } from 'zod';
import { meridianError } from '../../errors.js';
import type { ImageF, Mask, Psf } from '../../formats/index.js';
import type { NoiseRows } from './background.js';
import { convolveSeparable, gaussianKernel1d, smoothedNoiseFactor } from './convolve.js';
import { componentsOfRuns, type Footprint, findPeaks, type Peak, RunList, spansBox } from './footprints.js';
import { ScratchBuffer } from './scratch.js';

export const DetectionConfig = z
  .object({
    /** Detection threshold in σ of the smoothed image. */
    thresholdSigma: z.number().positive().default(5),
    /** Smallest footprint kept, in pixels above threshold. */
    minPixels: z.number().int().min(1).default(5),
    /** Smoothing kernel σ in pixels; null: the PSF's (effective) σ. */
    kernelSigma: z.number().positive().nullable().default(null),
    /** Peaks closer than this many kernel σ to a brighter peak merge with it. */
    peakMinSeparationSigma: z.number().min(0).default(1.5),
    /** A second peak must rise this many smoothed-noise σ above the saddle towards a brighter one. */
    peakProminenceSigma: z.number().min(0).default(3),
    maxPeaksPerFootprint: z.number().int().min(1).default(50),
  })
  .strict();
export type DetectionConfig = z.infer<typeof DetectionConfig>;

export interface DetectionResult {
  readonly kind: 'detectionResult';
  readonly footprints: readonly Footprint[];
  /** Smoothed-noise σ per unit pixel σ (multiply by the pixel σ). */
  readonly noiseFactor: number;
  readonly kernelSigma: number;
  /** Border width (pixels) where the smoothing kernel was truncated: marked EDGE. */
  readonly edgeWidth: number;
  readonly thresholdSigma: number;
}

/** The σ (pixels) of the Gaussian with the same second moments as a PSF model. */
export function psfEffectiveSigma(psf: Psf): number {
  if (psf.kind === 'gaussian') return psf.sigma;
  // Double Gaussian: amplitude ratio r of the second component; flux weights ∝ amplitude × σ².
  const w1 = psf.sigma1 * psf.sigma1;
  const w2 = psf.ratio * psf.sigma2 * psf.sigma2;
  return Math.sqrt((w1 * psf.sigma1 ** 2 + w2 * psf.sigma2 ** 2) / (w1 + w2));
}

export function parseDetectionConfig(input: unknown = {}): DetectionConfig {
  const parsed = DetectionConfig.safeParse(input);
  if (!parsed.success) {
    throw meridianError('INVALID_ARGUMENT', `invalid detection config: ${parsed.error.issues[0]?.message}`);
  }
  return parsed.data;
}

export interface DetectInputs {
  /** Background-subtracted image. */
  readonly image: ImageF;
  /** Pixel noise σ: a map (e.g. the background RMS), a background model's σ row by row, or one number. */
  readonly noise: ImageF | NoiseRows | number;
  /** DETECTED and EDGE are set here when given. */
  readonly mask?: Mask | null;
  /** Used for the kernel σ when the config leaves it null. */
  readonly psf?: Psf | null;
}

/** Detect sources above threshold; footprints and peaks are in parent pixel coordinates. */
export function detectSources(inputs: DetectInputs, config: Partial<DetectionConfig> = {}): DetectionResult {
  const cfg = parseDetectionConfig(config);
  const { image, noise } = inputs;
  const mask = inputs.mask ?? null;
  const kernelSigma = cfg.kernelSigma ?? (inputs.psf ? psfEffectiveSigma(inputs.psf) : null);
  if (kernelSigma === null) {
    throw meridianError('INVALID_ARGUMENT', 'detection needs a PSF or an explicit kernelSigma');
  }
  if (typeof noise !== 'number' && (noise.width !== image.width || noise.height !== image.height)) {
    throw meridianError('INVALID_ARGUMENT', 'the noise map and the image have different sizes');
  }
  const { width, height } = image;
  const kernel = gaussianKernel1d(kernelSigma);
  const noiseFactor = smoothedNoiseFactor(kernel);
  // The smoothed image is scratch (only the footprints and peaks leave this function): its buffer is kept for the
  // next detection of an image of the same size, which saves a fresh image's page faults and its garbage.
  const s = convolveSeparable(image, kernel, { out: smoothedScratch.get(width * height) }).array;
  const runs = runsAboveThreshold(s, width, height, cfg.thresholdSigma * noiseFactor, noise);
  const components = componentsOfRuns(runs, cfg.minPixels);
  const { x0, y0 } = image.bbox;
  const footprints: Footprint[] = [];
  const noiseAt = (x: number, y: number) =>
    typeof noise === 'number' ? noise : 'kind' in noise ? noise.at(x, y) : noise.array[y * width + x];
  for (const local of components.spans) {
    const peaks = findPeaks(s, width, height, local, {
      minSeparation: cfg.peakMinSeparationSigma * kernelSigma,
      minProminence: cfg.peakProminenceSigma * noiseFactor * noiseAt(local[1], local[0]),
      maxPeaks: cfg.maxPeaksPerFootprint,
    });
    const spans = local.slice();
    for (let i = 0; i < spans.length; i += 3) {
      spans[i] += y0;
      spans[i + 1] += x0;
      spans[i + 2] += x0;
    }
    const { bbox, area } = spansBox(local, x0, y0);
    footprints.push(
      Object.freeze({
        kind: 'footprint',
        id: footprints.length + 1,
        spans,
        area,
        bbox,
        peaks: Object.freeze(
          peaks.map(
            (p): Peak =>
              Object.freeze({
                x: p.x + x0,
                y: p.y + y0,
                value: p.value,
                significance: p.value / (noiseFactor * noiseAt(p.x, p.y)),
              }),
          ),
        ),
      }),
    );
  }
  const edgeWidth = (kernel.length - 1) >> 1;
  if (mask !== null) markDetections(mask, footprints, edgeWidth);
  return Object.freeze({
    kind: 'detectionResult',
    footprints: Object.freeze(footprints),
    noiseFactor,
    kernelSigma,
    edgeWidth,
    thresholdSigma: cfg.thresholdSigma,
  });
}

/** The smoothed image's buffer, reused by the next detection of an image of the same size. */
const smoothedScratch = new ScratchBuffer((n) => new Float32Array(n));

/** Runs of pixels where smoothed > factor × noise (the threshold test and run finding fused: one pass, no mask). */
function runsAboveThreshold(
  smoothed: Float32Array,
  width: number,
  height: number,
  factor: number,
  noise: ImageF | NoiseRows | number,
): RunList {
  const runs = new RunList();
  // The per-pixel threshold (a row of the map, or of the model filled into `line`), or one number: two copies of
  // the loop so neither tests which it has per pixel.
  const line = typeof noise === 'object' && 'kind' in noise ? new Float32Array(width) : null;
  const constant = typeof noise === 'number' ? factor * noise : 0;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let start = -1;
    if (typeof noise === 'number') {
      for (let x = 0; x < width; x++) {
        if (smoothed[row + x] > constant) {
          if (start < 0) start = x;
        } else if (start >= 0) {
          runs.push(y, start, x - 1);
          start = -1;
        }
      }
    } else {
      let sigma: Float32Array;
      let at: number;
      if (line !== null) {
        (noise as NoiseRows).fillRow(y, line);
        sigma = line;
        at = 0;
      } else {
        sigma = (noise as ImageF).array;
        at = row;
      }
      for (let x = 0; x < width; x++) {
        if (smoothed[row + x] > factor * sigma[at + x]) {
          if (start < 0) start = x;
        } else if (start >= 0) {
          runs.push(y, start, x - 1);
          start = -1;
        }
      }
    }
    if (start >= 0) runs.push(y, start, width - 1);
  }
  return runs;
}

/** Set DETECTED on footprint pixels and EDGE on the border where the smoothing kernel was truncated. */
function markDetections(mask: Mask, footprints: readonly Footprint[], edgeWidth: number): void {
  const detected = mask.bitMask('DETECTED');
  const { x0, y0, width, height } = mask.bbox;
  const m = mask.array;
  for (const fp of footprints) {
    const sp = fp.spans;
    for (let i = 0; i < sp.length; i += 3) {
      const row = (sp[i] - y0) * width - x0;
      for (let x = sp[i + 1]; x <= sp[i + 2]; x++) m[row + x] |= detected;
    }
  }
  if (!('EDGE' in mask.planes)) return;
  const edge = mask.bitMask('EDGE');
  for (let y = 0; y < height; y++) {
    const row = y * width;
    if (y < edgeWidth || y >= height - edgeWidth) {
      for (let x = 0; x < width; x++) m[row + x] |= edge;
    } else {
      for (let x = 0; x < Math.min(edgeWidth, width); x++) {
        m[row + x] |= edge;
        m[row + width - 1 - x] |= edge;
      }
    }
  }
}
