/**
 * One raw: one detector of one exposure. A render task is plain data (structured-cloneable) so it can be rendered
 * in a worker thread or in the calling thread with identical results: every random number comes from streams named
 * by (seed, exposure, detector).
 */

import { type HeaderCard, writeFits } from '../formats/index.js';
import type { Band } from '../obs/index.js';
import {
  addCosmicRays,
  applyDefects,
  biasStructure,
  bleedSaturatedColumns,
  type DetectorGeometry,
  detectorDefects,
  flatFieldPattern,
} from './detector-effects.js';
import { Random, STREAM } from './random.js';
import { type RenderPsf, renderScene, type Scene } from './render.js';

export interface RawRenderTask {
  readonly kind: 'raw-render-task';
  readonly seed: number;
  readonly exposureId: number;
  readonly band: Band;
  readonly darkTime: number;
  readonly geometry: DetectorGeometry;
  readonly pixelSizeMm: number;
  /** Sky background before the flat field, electrons per pixel over the exposure. */
  readonly skyElectronsPerPixel: number;
  /** The PSF: one round PSF, or the exposure's PSF field placed on this detector. */
  readonly psf: RenderPsf;
  readonly scene: Scene;
  /** Whether to add cosmic rays (off in tests that measure fluxes). */
  readonly cosmicRays: boolean;
  /** Whether to add the detector's bad columns and hot pixels (`detectorDefects`); absent = no defects. */
  readonly defects?: boolean;
}

export interface RawFileTask {
  readonly kind: 'raw-file-task';
  readonly render: RawRenderTask;
  readonly path: string;
  /** Header cards of the primary HDU (everything except the structural keywords). */
  readonly cards: readonly HeaderCard[];
}

export interface RawRenderResult {
  /** Raw pixels, (width + overscan) x height, NAXIS1 fastest. */
  readonly pixels: Uint16Array;
  readonly rawWidth: number;
  readonly height: number;
  readonly cosmicRays: number;
  /** Pixels at or above the SATURATE level. */
  readonly saturatedPixels: number;
  /** Overscan (bias) level of this exposure before read noise, ADU. */
  readonly biasLevel: number;
}

/** Per-exposure drift of the bias level, ADU (standard deviation); the overscan records it. */
const BIAS_DRIFT_SIGMA = 2;
const MAX_ADU = 65535;
/** Mean above which Random.poisson uses the normal approximation; the same rule is applied here. */
const POISSON_NORMAL_LIMIT = 30;

export function renderRaw(task: RawRenderTask): RawRenderResult {
  const { detector } = task.geometry;
  const { width, height, overscanColumns, gain, readNoise, fullWell } = detector;
  const rng = new Random([task.seed, STREAM.exposureNoise, task.exposureId, detector.id]);
  const signal = new Float32Array(width * height);
  renderScene({ data: signal, width, height }, task.psf, task.scene);
  const flat = flatFieldPattern(task.geometry, task.band, task.seed);
  const sky = task.skyElectronsPerPixel;
  if (task.defects === true)
    applyDefects(signal, width, detectorDefects(detector, task.seed), sky, flat, task.darkTime);
  // Photon noise and read noise together: where the normal approximation to Poisson applies they add in
  // quadrature, one deviate per pixel. Adding read noise before bleeding differs only in saturated pixels, where a
  // few electrons of noise against a full well of 85,000 do not matter.
  const readVariance = readNoise * readNoise;
  for (let i = 0; i < signal.length; i++) {
    const mean = (signal[i] + sky) * flat[i];
    signal[i] =
      mean >= POISSON_NORMAL_LIMIT
        ? mean + Math.sqrt(mean + readVariance) * rng.normal()
        : rng.poisson(mean) + readNoise * rng.normal();
  }
  const cosmicRays = task.cosmicRays
    ? addCosmicRays(
        signal,
        detector,
        task.pixelSizeMm,
        task.darkTime,
        new Random([task.seed, STREAM.cosmicRays, task.exposureId, detector.id]),
      )
    : 0;
  bleedSaturatedColumns(signal, width, height, fullWell);

  const biasLevel = detector.biasLevel + BIAS_DRIFT_SIGMA * rng.normal();
  const structure = biasStructure(detector, task.seed);
  const rawWidth = width + overscanColumns;
  const pixels = new Uint16Array(rawWidth * height);
  const readNoiseAdu = readNoise / gain;
  let saturatedPixels = 0;
  for (let y = 0; y < height; y++) {
    const rawRow = y * rawWidth;
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const adu = Math.round(biasLevel + structure[row + x] + signal[row + x] / gain);
      const clamped = Math.max(0, Math.min(MAX_ADU, adu));
      if (clamped >= detector.saturation) saturatedPixels++;
      pixels[rawRow + x] = clamped;
    }
    for (let x = width; x < rawWidth; x++) {
      pixels[rawRow + x] = Math.round(biasLevel + readNoiseAdu * rng.normal());
    }
  }
  return { pixels, rawWidth, height, cosmicRays, saturatedPixels, biasLevel };
}

export interface RawFileSummary {
  readonly path: string;
  readonly cosmicRays: number;
  readonly saturatedPixels: number;
}

/** Render a raw and write it as a single-HDU FITS file (uint16 as BITPIX 16 + BZERO 32768) with checksums. */
export async function writeRaw(task: RawFileTask): Promise<RawFileSummary> {
  const result = renderRaw(task.render);
  await writeFits(
    task.path,
    [{ kind: 'image', data: result.pixels, shape: [result.rawWidth, result.height], cards: task.cards }],
    { checksum: true },
  );
  return { path: task.path, cosmicRays: result.cosmicRays, saturatedPixels: result.saturatedPixels };
}
