/**
 * PSF star selection (after LSST's objectSizeStarSelector): from the sources of a first detection and measurement,
 * keep those that are
 *
 * 1. clean: no edge, saturation, interpolated centre, cosmic ray, blend, failed centroid/shape/PSF flux flag;
 * 2. bright: PSF-flux S/N ≥ `minSignalToNoise` (the detection significance when there is no variance plane);
 * 3. isolated: no other source's centroid within `isolationSigma` PSF σ;
 * 4. not extended: their adaptive size T = ixx + iyy within `sizeTolerance` (in ln T) of the stellar locus, the
 *    mode of the ln T histogram of the sources that passed 1–3 (stars pile up at the PSF size, galaxies spread
 *    above it; a 0.02-wide bin histogram smoothed over 5 bins finds the pile);
 *
 * and then the `maxCandidates` brightest of them.
 */
import { z } from 'zod';
import type { SourceFlag, SourceMeasurements } from '../measure/index.js';

export const StarSelectionConfig = z
  .object({
    minSignalToNoise: z.number().positive().default(50),
    /** Nearest other source at least this many PSF σ away. */
    isolationSigma: z.number().min(0).default(8),
    /** Half width of the stellar locus in ln(ixx + iyy) (0.15: ±16% in size², ±8% in σ). */
    sizeTolerance: z.number().positive().default(0.15),
    maxCandidates: z.number().int().min(1).default(300),
  })
  .strict();
export type StarSelectionConfig = z.infer<typeof StarSelectionConfig>;

/** Flags that disqualify a PSF star. */
const REJECTING_FLAGS: readonly SourceFlag[] = [
  'edge',
  'saturated',
  'saturatedCenter',
  'interpolatedCenter',
  'cr',
  'blended',
  'badCentroid',
  'shapeFailed',
  'psfFluxFailed',
];

export interface StarSelection {
  /** Indices into the sources, brightest first. */
  readonly candidates: readonly number[];
  /** ln(ixx + iyy) of the stellar locus (NaN when nothing passed the first cuts). */
  readonly locusLogSize: number;
  /** How many sources passed each cut, in order: clean, bright, isolated, on the locus. */
  readonly counts: Readonly<{ clean: number; bright: number; isolated: number; locus: number }>;
}

function signalToNoise(sources: SourceMeasurements, i: number): number {
  const snr = sources.psfFlux[i] / sources.psfFluxErr[i];
  return Number.isFinite(snr) ? snr : sources.significance[i];
}

/** Sources with another source within `radius` pixels, by a grid of `radius`-sized cells. */
function crowdedSources(sources: SourceMeasurements, radius: number): Uint8Array {
  const crowded = new Uint8Array(sources.count);
  if (radius <= 0) return crowded;
  const cells = new Map<string, number[]>();
  const key = (cx: number, cy: number) => `${cx},${cy}`;
  for (let i = 0; i < sources.count; i++) {
    const k = key(Math.floor(sources.x[i] / radius), Math.floor(sources.y[i] / radius));
    const list = cells.get(k);
    if (list) list.push(i);
    else cells.set(k, [i]);
  }
  const r2 = radius * radius;
  for (let i = 0; i < sources.count; i++) {
    const cx = Math.floor(sources.x[i] / radius);
    const cy = Math.floor(sources.y[i] / radius);
    for (let dy = -1; dy <= 1 && !crowded[i]; dy++) {
      for (let dx = -1; dx <= 1 && !crowded[i]; dx++) {
        for (const j of cells.get(key(cx + dx, cy + dy)) ?? []) {
          if (j !== i && (sources.x[j] - sources.x[i]) ** 2 + (sources.y[j] - sources.y[i]) ** 2 < r2) {
            crowded[i] = 1;
            break;
          }
        }
      }
    }
  }
  return crowded;
}

/** The mode of the values' histogram (bins of `binWidth`, smoothed over `smooth` bins either side). */
function histogramMode(values: readonly number[], binWidth = 0.02, smooth = 2): number {
  if (values.length === 0) return Number.NaN;
  const lo = Math.min(...values);
  const bins = new Float64Array(Math.floor((Math.max(...values) - lo) / binWidth) + 1);
  for (const v of values) bins[Math.floor((v - lo) / binWidth)]++;
  let best = 0;
  let bestCount = -1;
  for (let b = 0; b < bins.length; b++) {
    let count = 0;
    for (let k = Math.max(0, b - smooth); k <= Math.min(bins.length - 1, b + smooth); k++) count += bins[k];
    if (count > bestCount) {
      bestCount = count;
      best = b;
    }
  }
  // The mean of the values in the winning window: finer than a bin.
  const inWindow = values.filter(
    (v) => Math.abs(v - (lo + (best + 0.5) * binWidth)) <= (smooth + 0.5) * binWidth,
  );
  return inWindow.reduce((s, v) => s + v, 0) / inWindow.length;
}

/** Select PSF star candidates; `psfSigma` is the σ of the PSF the sources were measured with (pixels). */
export function selectPsfStars(
  sources: SourceMeasurements,
  psfSigma: number,
  config: StarSelectionConfig,
): StarSelection {
  const clean: number[] = [];
  for (let i = 0; i < sources.count; i++) {
    if (REJECTING_FLAGS.every((f) => sources.flags[f][i] === 0) && Number.isFinite(sources.ixx[i]))
      clean.push(i);
  }
  const bright = clean.filter((i) => signalToNoise(sources, i) >= config.minSignalToNoise);
  const crowded = crowdedSources(sources, config.isolationSigma * psfSigma);
  const isolated = bright.filter((i) => crowded[i] === 0);
  const logSize = (i: number) => Math.log(sources.ixx[i] + sources.iyy[i]);
  const locusLogSize = histogramMode(isolated.map(logSize));
  const onLocus = isolated.filter((i) => Math.abs(logSize(i) - locusLogSize) <= config.sizeTolerance);
  onLocus.sort((a, b) => signalToNoise(sources, b) - signalToNoise(sources, a));
  return Object.freeze({
    candidates: Object.freeze(onLocus.slice(0, config.maxCandidates)),
    locusLogSize,
    counts: Object.freeze({
      clean: clean.length,
      bright: bright.length,
      isolated: isolated.length,
      locus: onLocus.length,
    }),
  });
}
