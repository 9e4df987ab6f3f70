/**
 * Instrument signature removal of one raw, in the order a CCD needs it:
 *
 *   1. per amplifier (amplifier.ts): saturation (SAT where the raw ADU reach the amplifier's SATURATE, before
 *      anything is subtracted), the overscan fit (overscan.ts) subtracted row by row, trimming to the data section
 *      and assembly into the detector image, the master bias (ADU) subtracted, the gain applied (electrons), and the
 *      variance max(image, 0) + readNoise² (e-²) — one pass over the pixels
 *   2. bleed trails: SAT grown along columns while the trail stays above a fraction of the saturation level, then
 *      by a small radius (masking.ts)
 *   3. defects: BAD from the `defects` calibration
 *   4. flat: image / flat, variance / flat² (a flat pixel that is not positive: BAD)
 *   5. interpolation over SAT and BAD along rows (INTRP)
 *
 * The result is `postISRCCD`: image in electrons, mask, variance, the raw's WCS (moved to the trimmed grid), its
 * visit info, and its header plus the ISR cards (ISR_CARDS).
 */
import { z } from 'zod';
import { meridianError } from '../../errors.js';
import { box2i, Exposure, type HeaderCard, ImageF, Mask, shiftWcs, valueCard } from '../../formats/index.js';
import { type Amplifier, amplifiersFromHeader, assembledSize } from './amplifier.js';
import { growSaturation, interpolateMasked, maskDefects, parseDefects } from './masking.js';
import { fitOverscan } from './overscan.js';

export const IsrConfigSchema = z.object({
  /** Subtract the serial-overscan level of each row. */
  doOverscan: z.boolean().default(true),
  /**
   * POLY by default: the simulated camera has no row-to-row bias structure, so a low-order fit through the row
   * means is unbiased for integer ADU and adds no per-row noise; MEDIAN_PER_ROW follows row structure.
   */
  overscanFitType: z.enum(['MEDIAN_PER_ROW', 'POLY']).default('POLY'),
  overscanOrder: z.number().int().min(0).max(10).default(1),
  /** Subtract the master bias (the `bias` prerequisite, ADU). */
  doBias: z.boolean().default(true),
  /** Divide by the flat (the `flat` prerequisite of the exposure's physical filter). */
  doFlat: z.boolean().default(true),
  /** Mask the `defects` calibration's boxes as BAD. */
  doDefect: z.boolean().default(true),
  /** SAT where the raw ADU reach the amplifier's saturation level (header SATURATE). */
  doSaturation: z.boolean().default(true),
  /** Grow SAT along columns where a bleed trail continues below the saturation level. */
  doBleed: z.boolean().default(true),
  /** A bleed trail continues while a pixel holds more than this fraction of the saturation level (electrons). */
  bleedThresholdFraction: z.number().gt(0).max(1).default(0.5),
  /** Then SAT grows by this many pixels in every direction. */
  saturatedGrowRadius: z.number().int().min(0).max(10).default(1),
  /** Interpolate over the pixels of `maskListToInterpolate` along rows and set INTRP. */
  doInterpolate: z.boolean().default(true),
  maskListToInterpolate: z.array(z.enum(['SAT', 'BAD', 'CR', 'SUSPECT'])).default(['SAT', 'BAD']),
  /** Compute the variance plane from the image, gain and read noise. */
  doVariance: z.boolean().default(true),
});
export type IsrConfig = z.output<typeof IsrConfigSchema>;

export interface IsrCalibrations {
  /** Master bias, ADU, the size of the trimmed detector. */
  readonly bias?: Exposure | null;
  /** Relative pixel response, the size of the trimmed detector. */
  readonly flat?: Exposure | null;
  /** The `defects` dataset: `{ boxes: [{ x0, y0, width, height }] }` in trimmed pixels. */
  readonly defects?: unknown;
}

export interface IsrSummary {
  readonly amplifiers: number;
  /** Mean overscan level of each amplifier, ADU (null when the overscan was not fitted). */
  readonly overscanLevels: readonly (number | null)[];
  readonly biasApplied: boolean;
  readonly flatApplied: boolean;
  readonly defectsApplied: boolean;
  readonly saturatedPixels: number;
  readonly badPixels: number;
  readonly interpolatedPixels: number;
}

export interface IsrResult {
  readonly exposure: Exposure;
  readonly summary: IsrSummary;
}

/** Header keywords ISR adds to postISRCCD's metadata (documented in docs/tasks.md). */
export const ISR_CARDS = [
  'BUNIT',
  'ISROSCAN',
  'ISRBIAS',
  'ISRFLAT',
  'ISRDEFCT',
  'OSCANLVL',
  'NSATPIX',
  'NBADPIX',
  'NINTPIX',
] as const;

function calibrationMismatch(name: string, exposure: Exposure, width: number, height: number): Error {
  return meridianError(
    'ISR_CALIBRATION_MISMATCH',
    `the ${name} is ${exposure.width}x${exposure.height} pixels; the trimmed raw is ${width}x${height}`,
    { calibration: name, calibrationSize: [exposure.width, exposure.height], rawSize: [width, height] },
  );
}

/** Pixels with each of `planes` set, in one pass. */
function countPlanes(mask: Mask, planes: readonly string[]): number[] {
  const bits = planes.map((p) => mask.bitMask(p));
  const counts = planes.map(() => 0);
  const any = bits.reduce((a, b) => a | b, 0);
  const a = mask.array;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if ((v & any) === 0) continue;
    for (let k = 0; k < bits.length; k++) if (v & bits[k]!) counts[k]!++;
  }
  return counts;
}

/** Run ISR on a raw Exposure (as the raw formatter reads it: counts as floats, overscan included). */
export function runIsr(raw: Exposure, calibrations: IsrCalibrations, config: IsrConfig): IsrResult {
  const rawBox = raw.image.bbox;
  const amps = amplifiersFromHeader(raw.metadata, rawBox.x0 + rawBox.width, rawBox.y0 + rawBox.height);
  const { width, height } = assembledSize(amps);
  const bias = config.doBias ? (calibrations.bias ?? null) : null;
  const flat = config.doFlat ? (calibrations.flat ?? null) : null;
  if (bias !== null && (bias.width !== width || bias.height !== height)) {
    throw calibrationMismatch('bias', bias, width, height);
  }
  if (flat !== null && (flat.width !== width || flat.height !== height)) {
    throw calibrationMismatch('flat', flat, width, height);
  }
  const defects =
    config.doDefect && calibrations.defects != null
      ? parseDefects(calibrations.defects, width, height)
      : null;

  const box = box2i(0, 0, width, height);
  const image = ImageF.zeros(box);
  const mask = Mask.zeros(box);
  const variance = config.doVariance ? ImageF.zeros(box) : null;
  // Per column of the assembled image: the level (electrons) a bleed trail stays above.
  const bleedThreshold = new Float64Array(width).fill(Number.POSITIVE_INFINITY);
  const overscanLevels: (number | null)[] = [];
  for (const amp of amps) {
    const level = assembleAmplifier(raw.image, amp, bias, image, variance, mask, config);
    overscanLevels.push(config.doOverscan ? level : null);
    const saturationElectrons = (amp.saturation - level) * amp.gain;
    const { x0, width: w } = amp.detectorSection;
    for (let x = x0; x < x0 + w; x++) bleedThreshold[x] = config.bleedThresholdFraction * saturationElectrons;
  }
  if (config.doSaturation && config.doBleed) {
    growSaturation(image, mask, bleedThreshold, config.saturatedGrowRadius);
  }
  if (defects !== null) maskDefects(mask, defects);
  if (flat !== null) applyFlat(image, variance, mask, flat.image.array);
  const interpolatedPixels = config.doInterpolate
    ? interpolateMasked(image, variance, mask, config.maskListToInterpolate)
    : 0;

  const [saturatedPixels, badPixels] = countPlanes(mask, ['SAT', 'BAD']) as [number, number];
  const summary: IsrSummary = {
    amplifiers: amps.length,
    overscanLevels,
    biasApplied: bias !== null,
    flatApplied: flat !== null,
    defectsApplied: defects !== null,
    saturatedPixels,
    badPixels,
    interpolatedPixels,
  };
  // The raw WCS maps raw pixels; the first amplifier's data section starts the trimmed grid's offset.
  const first = amps[0]!;
  const dx = first.dataSection.x0 - first.detectorSection.x0;
  const dy = first.dataSection.y0 - first.detectorSection.y0;
  const wcs = raw.wcs === null ? null : dx === 0 && dy === 0 ? raw.wcs : shiftWcs(raw.wcs, -dx, -dy);
  const exposure = new Exposure({
    image,
    mask,
    variance,
    wcs,
    psf: null,
    photoCalib: null,
    visitInfo: raw.visitInfo,
    metadata: isrMetadata(raw.metadata, summary, config),
  });
  return { exposure, summary };
}

/**
 * Step 1 for one amplifier; returns the mean overscan level (ADU; 0 without overscan correction). Reads the raw
 * data section row by row and writes the amplifier's detector section of `image`, `variance` and `mask`.
 */
function assembleAmplifier(
  raw: ImageF,
  amp: Amplifier,
  bias: Exposure | null,
  image: ImageF,
  variance: ImageF | null,
  mask: Mask,
  config: IsrConfig,
): number {
  const overscan = config.doOverscan
    ? fitOverscan(raw, amp.biasSection, config.overscanFitType, config.overscanOrder)
    : null;
  const { dataSection: data, detectorSection: det, gain, saturation } = amp;
  const readVariance = amp.readNoise * amp.readNoise;
  const rawPixels = raw.array;
  const rawWidth = raw.bbox.width;
  const out = image.array;
  const outVariance = variance?.array ?? null;
  const bits = mask.array;
  const biasPixels = bias?.image.array ?? null;
  const sat = config.doSaturation ? mask.bitMask('SAT') : 0;
  const width = image.bbox.width;
  // Separate simple loops per row (each monomorphic, no branches inside) run several times faster in V8 than
  // one loop that tests for the bias, the saturation and the variance at every pixel.
  for (let row = 0; row < data.height; row++) {
    const level = overscan === null ? 0 : overscan.rowLevels[row]!;
    const rawStart = (data.y0 + row - raw.bbox.y0) * rawWidth + (data.x0 - raw.bbox.x0);
    const outStart = (det.y0 + row) * width + det.x0;
    const n = data.width;
    if (biasPixels === null) {
      for (let x = 0; x < n; x++) out[outStart + x] = (rawPixels[rawStart + x]! - level) * gain;
    } else {
      for (let x = 0; x < n; x++) {
        out[outStart + x] = (rawPixels[rawStart + x]! - level - biasPixels[outStart + x]!) * gain;
      }
    }
    if (sat !== 0) {
      for (let x = 0; x < n; x++) if (rawPixels[rawStart + x]! >= saturation) bits[outStart + x]! |= sat;
    }
    if (outVariance !== null) {
      for (let x = 0; x < n; x++) outVariance[outStart + x] = Math.max(out[outStart + x]!, 0) + readVariance;
    }
  }
  return overscan === null ? 0 : overscan.meanLevel;
}

/** Divide by the flat; pixels whose flat is not a positive number become BAD (left at 0 for interpolation). */
function applyFlat(image: ImageF, variance: ImageF | null, mask: Mask, flat: Float32Array): void {
  const bad = mask.bitMask('BAD');
  const out = image.array;
  const outVariance = variance?.array ?? null;
  for (let i = 0; i < out.length; i++) {
    const f = flat[i]!;
    if (f > 0 && f < Number.POSITIVE_INFINITY) {
      out[i] = out[i]! / f;
      if (outVariance !== null) outVariance[i] = outVariance[i]! / (f * f);
    } else {
      out[i] = 0;
      mask.array[i]! |= bad;
    }
  }
}

function isrMetadata(raw: readonly HeaderCard[], summary: IsrSummary, config: IsrConfig): HeaderCard[] {
  const replaced = new Set<string>(ISR_CARDS);
  const kept = raw.filter(
    (c) => !(c.kind === 'value' && (replaced.has(c.keyword) || /^OSCAN\d+$/.test(c.keyword))),
  );
  const levels = summary.overscanLevels.filter((v): v is number => v !== null);
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return [
    ...kept,
    valueCard('BUNIT', 'electron', 'pixel unit after ISR'),
    valueCard('ISROSCAN', config.doOverscan, `overscan subtracted (${config.overscanFitType})`),
    valueCard('ISRBIAS', summary.biasApplied, 'master bias subtracted'),
    valueCard('ISRFLAT', summary.flatApplied, 'divided by the flat'),
    valueCard('ISRDEFCT', summary.defectsApplied, 'defects masked as BAD'),
    ...(levels.length === 0
      ? []
      : [
          valueCard(
            'OSCANLVL',
            round(levels.reduce((s, v) => s + v, 0) / levels.length),
            '[adu] mean overscan level',
          ),
          ...levels.map((v, k) =>
            valueCard(`OSCAN${k + 1}`, round(v), `[adu] overscan level, amplifier ${k + 1}`),
          ),
        ]),
    valueCard('NSATPIX', summary.saturatedPixels, 'pixels masked SAT'),
    valueCard('NBADPIX', summary.badPixels, 'pixels masked BAD'),
    valueCard('NINTPIX', summary.interpolatedPixels, 'pixels interpolated (INTRP)'),
  ];
}
