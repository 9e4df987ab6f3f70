/**
 * Raw-frame statistics: the first real tasks on the simulated survey, small enough for the demo. Per raw
 * (exposure × detector): the overscan level and read noise, the imaging-section sky level and its noise after
 * overscan and master-bias subtraction, and the saturated pixel count. Per exposure: the same summarised over its
 * detectors. The numbers are checkable against the simulator (its read noise and gain are in the raw header).
 */
import { z } from 'zod';
import { meridianError } from '../../errors.js';
import { type Exposure, headerValue } from '../../formats/index.js';
import { defineTask, Input, noWorkFound, Output, PrerequisiteInput } from '../../pipe/index.js';

/** 0-based pixel box from a FITS section `[x1:x2,y1:y2]` (1-based, inclusive). */
export interface Section {
  readonly x0: number;
  readonly y0: number;
  readonly width: number;
  readonly height: number;
}

export function parseFitsSection(text: string, keyword: string): Section {
  const m = /^\[(\d+):(\d+),(\d+):(\d+)\]$/.exec(text.replace(/\s/g, ''));
  if (m === null)
    throw meridianError('INVALID_ARGUMENT', `${keyword} is not a FITS section [x1:x2,y1:y2]: ${text}`);
  const [x1, x2, y1, y2] = m.slice(1).map(Number) as [number, number, number, number];
  if (x2 < x1 || y2 < y1) throw meridianError('INVALID_ARGUMENT', `${keyword} is an empty section: ${text}`);
  return { x0: x1 - 1, y0: y1 - 1, width: x2 - x1 + 1, height: y2 - y1 + 1 };
}

/** The pixels of `section` (parent coordinates of the image's own box) as a new array. */
export function sectionPixels(exposure: Exposure, section: Section): Float32Array {
  const { image } = exposure;
  const { x0, y0, width } = image.bbox;
  if (
    section.x0 < x0 ||
    section.y0 < y0 ||
    section.x0 + section.width > x0 + width ||
    section.y0 + section.height > y0 + image.height
  ) {
    throw meridianError('INVALID_ARGUMENT', 'a header section lies outside the image');
  }
  const out = new Float32Array(section.width * section.height);
  for (let row = 0; row < section.height; row++) {
    const start = (section.y0 - y0 + row) * width + (section.x0 - x0);
    out.set(image.array.subarray(start, start + section.width), row * section.width);
  }
  return out;
}

/** Median and the MAD-based robust sigma (1.4826 × median absolute deviation) of finite values. */
export function robustStatistics(values: Float32Array): { median: number; sigma: number; n: number } {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return { median: Number.NaN, sigma: Number.NaN, n: 0 };
  finite.sort();
  const median = medianOfSorted(finite);
  const dev = new Float32Array(finite.length);
  for (let i = 0; i < finite.length; i++) dev[i] = Math.abs(finite[i]! - median);
  dev.sort();
  return { median, sigma: 1.4826 * medianOfSorted(dev), n: finite.length };
}

/**
 * Mean and standard deviation after iterative clipping at `nSigma` about the median. Unlike the MAD, the standard
 * deviation is not biased by integer-quantised data such as raw ADU (a MAD of 2 ADU stands for any sigma from
 * about 2.5 to 3.5 ADU).
 */
export function clippedStatistics(
  values: Float32Array,
  nSigma = 3,
  iterations = 3,
): { mean: number; sigma: number; n: number } {
  const robust = robustStatistics(values);
  let center = robust.median;
  let sigma = robust.sigma > 0 ? robust.sigma : Number.POSITIVE_INFINITY;
  let mean = Number.NaN;
  let n = 0;
  for (let it = 0; it < iterations; it++) {
    let sum = 0;
    let sum2 = 0;
    n = 0;
    for (const v of values) {
      if (!Number.isFinite(v) || Math.abs(v - center) > nSigma * sigma) continue;
      sum += v;
      sum2 += v * v;
      n++;
    }
    if (n < 2) return { mean: Number.NaN, sigma: Number.NaN, n };
    mean = sum / n;
    sigma = Math.sqrt(Math.max(0, (sum2 - n * mean * mean) / (n - 1)));
    center = mean;
  }
  return { mean, sigma, n };
}

function medianOfSorted(a: Float32Array): number {
  const mid = a.length >> 1;
  return a.length % 2 === 1 ? a[mid]! : (a[mid - 1]! + a[mid]!) / 2;
}

function numberCard(exposure: Exposure, keyword: string): number {
  const v = headerValue(exposure.metadata, keyword);
  if (typeof v !== 'number') {
    throw meridianError('INVALID_ARGUMENT', `the raw header has no numeric ${keyword}`, { keyword });
  }
  return v;
}

function stringCard(exposure: Exposure, keyword: string): string {
  const v = headerValue(exposure.metadata, keyword);
  if (typeof v !== 'string')
    throw meridianError('INVALID_ARGUMENT', `the raw header has no ${keyword}`, { keyword });
  return v;
}

export interface RawStatistics {
  readonly exposure: number;
  readonly detector: number;
  /** ADU. */
  readonly overscanLevel: number;
  /** Read noise measured in the overscan (3-sigma clipped standard deviation), electrons. */
  readonly readNoise: number;
  /** Read noise the header states, electrons. */
  readonly headerReadNoise: number;
  /** Median of the imaging section after overscan and bias subtraction, electrons. */
  readonly skyLevel: number;
  /** Robust sigma of the same, electrons. */
  readonly skyNoise: number;
  readonly saturatedPixels: number;
  readonly biasSubtracted: boolean;
}

/** The statistics of one raw, with an optional master bias (same imaging size, ADU). */
export function measureRaw(
  raw: Exposure,
  bias: Exposure | null,
  ids: { exposure: number; detector: number },
) {
  const dataSec = parseFitsSection(stringCard(raw, 'DATASEC'), 'DATASEC');
  const biasSec = parseFitsSection(stringCard(raw, 'BIASSEC'), 'BIASSEC');
  const gain = numberCard(raw, 'GAIN');
  const saturation = numberCard(raw, 'SATURATE');
  const overscanPixels = sectionPixels(raw, biasSec);
  const overscan = robustStatistics(overscanPixels);
  const overscanNoise = clippedStatistics(overscanPixels);
  const data = sectionPixels(raw, dataSec);
  let saturated = 0;
  for (const v of data) if (v >= saturation) saturated++;
  let biasSubtracted = false;
  const biasPixels =
    bias !== null && bias.width === dataSec.width && bias.height === dataSec.height ? bias.image.array : null;
  for (let i = 0; i < data.length; i++) {
    data[i] = (data[i]! - overscan.median - (biasPixels === null ? 0 : biasPixels[i]!)) * gain;
  }
  if (biasPixels !== null) biasSubtracted = true;
  const sky = robustStatistics(data);
  const stats: RawStatistics = {
    exposure: ids.exposure,
    detector: ids.detector,
    overscanLevel: overscan.median,
    readNoise: overscanNoise.sigma * gain,
    headerReadNoise: numberCard(raw, 'RDNOISE'),
    skyLevel: sky.median,
    skyNoise: sky.sigma,
    saturatedPixels: saturated,
    biasSubtracted,
  };
  return stats;
}

export const RawStatisticsTask = defineTask({
  name: 'meridian.tasks.stats.RawStatisticsTask',
  doc: 'Overscan level and read noise, bias-subtracted sky level and noise, saturated pixels of each raw.',
  config: z.object({
    /** Subtract the certified master bias (a prerequisite input) after the overscan. */
    doBias: z.boolean().default(true),
  }),
  templates: { rawName: 'raw', outputName: 'rawStatistics' },
  dimensions: ['instrument', 'exposure', 'detector'],
  connections: (c) => ({
    raw: Input({
      name: '{rawName}',
      storageClass: 'Exposure',
      dimensions: ['instrument', 'exposure', 'detector'],
    }),
    ...(c.doBias
      ? {
          bias: PrerequisiteInput({
            name: 'bias',
            storageClass: 'Exposure',
            dimensions: ['instrument', 'detector'],
            isCalibration: true,
          }),
        }
      : {}),
    statistics: Output({
      name: '{outputName}',
      storageClass: 'StructuredDataDict',
      dimensions: ['instrument', 'exposure', 'detector'],
    }),
  }),
  async runQuantum(ctx) {
    const inputs = await ctx.getInputs();
    const ids = {
      exposure: Number(ctx.dataId.values.exposure),
      detector: Number(ctx.dataId.values.detector),
    };
    const stats = measureRaw(inputs.raw as Exposure, (inputs.bias as Exposure | undefined) ?? null, ids);
    ctx.log.info(
      `exposure ${ids.exposure} detector ${ids.detector}: read noise ${stats.readNoise.toFixed(2)} e- (header ${stats.headerReadNoise}), sky ${stats.skyLevel.toFixed(1)} e-`,
    );
    await ctx.putOutputs({ statistics: stats });
  },
});

export const ExposureSummaryTask = defineTask({
  name: 'meridian.tasks.stats.ExposureSummaryTask',
  doc: 'Summarises the raw statistics of every detector of an exposure.',
  config: z.object({
    /** Fewest detectors an exposure needs for a summary (fewer: NoWorkFound). */
    minDetectors: z.number().int().min(1).default(1),
  }),
  templates: { inputName: 'rawStatistics', outputName: 'exposureSummary' },
  dimensions: ['instrument', 'exposure'],
  connections: (c) => ({
    statistics: Input({
      name: '{inputName}',
      storageClass: 'StructuredDataDict',
      dimensions: ['instrument', 'exposure', 'detector'],
      multiple: true,
      minimum: c.minDetectors,
    }),
    summary: Output({
      name: '{outputName}',
      storageClass: 'StructuredDataDict',
      dimensions: ['instrument', 'exposure'],
    }),
  }),
  async runQuantum(ctx) {
    const { statistics } = await ctx.getInputs();
    const rows = statistics as RawStatistics[];
    if (rows.length < ctx.config.minDetectors) throw noWorkFound(`only ${rows.length} detectors`);
    const mean = (f: (r: RawStatistics) => number) => rows.reduce((s, r) => s + f(r), 0) / rows.length;
    await ctx.putOutputs({
      summary: {
        exposure: Number(ctx.dataId.values.exposure),
        band: ctx.dataId.values.band ?? null,
        detectors: rows.length,
        meanSkyLevel: mean((r) => r.skyLevel),
        meanSkyNoise: mean((r) => r.skyNoise),
        meanReadNoise: mean((r) => r.readNoise),
        saturatedPixels: rows.reduce((s, r) => s + r.saturatedPixels, 0),
      },
    });
  },
});
