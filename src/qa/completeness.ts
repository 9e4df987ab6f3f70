/**
 * Detection quality against truth: completeness (matched truth / truth on the detectors) per true magnitude bin,
 * purity (matched / all usable sources) per measured magnitude bin, star/galaxy separation, and the depth numbers
 * (50% completeness magnitude, the magnitude where the median PSF S/N is 5, and the completeness there).
 */

import {
  type CcdVisitTruth,
  type MeasuredSources,
  TRUTH_GALAXY,
  TRUTH_STAR,
  type TruthObjects,
} from './catalogs.js';
import type { CrossMatch } from './crossmatch.js';
import type { CompletenessBin, DepthSummary, ObjectClass, PurityBin, StarGalaxyBin } from './model.js';
import { abMagFromNanojansky, median, rounded } from './statistics.js';

export interface DetectionOptions {
  /** Magnitude bin width (0.5). */
  readonly binWidth: number;
  /** A bin with fewer objects than this is left out of the depth interpolation (5). */
  readonly minPerBin: number;
}

interface Counter {
  total: number;
  hit: number;
}

function binOf(mag: number, width: number): number {
  return Math.floor(mag / width) * width + width / 2;
}

function bump(map: Map<string, Counter>, key: string, hit: boolean): void {
  let c = map.get(key);
  if (c === undefined) map.set(key, (c = { total: 0, hit: 0 }));
  c.total++;
  if (hit) c.hit++;
}

function classOf(truthType: number): ObjectClass | null {
  if (truthType === TRUTH_STAR) return 'star';
  if (truthType === TRUTH_GALAXY) return 'galaxy';
  return null;
}

export function completenessBins(
  truth: TruthObjects,
  cross: CrossMatch,
  options: DetectionOptions,
): CompletenessBin[] {
  const counts = new Map<string, Counter>();
  const { instances, ccds } = cross;
  for (let i = 0; i < instances.length; i++) {
    const band = ccds[instances.ccd[i]!]!.band;
    const mag = binOf(instances.mag[i]!, options.binWidth);
    const objectClass = classOf(truth.truthType[instances.truthIndex[i]!]!);
    const hit = instances.matchedSource[i]! >= 0;
    for (const b of [band, 'all']) {
      bump(counts, `${b}|all|${mag}`, hit);
      if (objectClass !== null) bump(counts, `${b}|${objectClass}|${mag}`, hit);
    }
  }
  return [...counts]
    .map(([key, c]) => {
      const [band, objectClass, mag] = key.split('|') as [string, ObjectClass, string];
      return {
        band,
        objectClass,
        mag: Number(mag),
        nTrue: c.total,
        nMatched: c.hit,
        completeness: rounded(c.hit / c.total, 4),
      };
    })
    .sort(
      (a, b) => a.band.localeCompare(b.band) || a.objectClass.localeCompare(b.objectClass) || a.mag - b.mag,
    );
}

export function purityBins(
  sources: MeasuredSources,
  cross: CrossMatch,
  options: DetectionOptions,
): PurityBin[] {
  const counts = new Map<string, Counter>();
  for (let i = 0; i < sources.length; i++) {
    if (sources.usable[i] !== 1 || cross.sourceCcd[i]! < 0) continue;
    const mag = abMagFromNanojansky(sources.psfFlux[i]!);
    if (!Number.isFinite(mag)) continue;
    const hit = cross.sourceTruth[i]! >= 0;
    const bin = binOf(mag, options.binWidth);
    bump(counts, `${sources.band[i]}|${bin}`, hit);
    bump(counts, `all|${bin}`, hit);
  }
  return [...counts]
    .map(([key, c]) => {
      const [band, mag] = key.split('|') as [string, string];
      return {
        band,
        mag: Number(mag),
        nSources: c.total,
        nMatched: c.hit,
        purity: rounded(c.hit / c.total, 4),
      };
    })
    .sort((a, b) => a.band.localeCompare(b.band) || a.mag - b.mag);
}

/** Star/galaxy separation of matched sources with a measured extendedness, all bands together. */
export function starGalaxyBins(
  sources: MeasuredSources,
  truth: TruthObjects,
  cross: CrossMatch,
  options: DetectionOptions,
): StarGalaxyBin[] {
  const bins = new Map<
    number,
    { stars: number; starsAsStars: number; galaxies: number; galaxiesAsStars: number }
  >();
  for (let i = 0; i < sources.length; i++) {
    const t = cross.sourceTruth[i]!;
    const ext = sources.extendedness[i]!;
    if (t < 0 || !Number.isFinite(ext)) continue;
    const objectClass = classOf(truth.truthType[t]!);
    const flux = truth.flux[sources.band[i]!];
    if (objectClass === null || flux === undefined) continue;
    const mag = abMagFromNanojansky(flux[t]!);
    if (!Number.isFinite(mag)) continue;
    const bin = binOf(mag, options.binWidth);
    let b = bins.get(bin);
    if (b === undefined) bins.set(bin, (b = { stars: 0, starsAsStars: 0, galaxies: 0, galaxiesAsStars: 0 }));
    const asStar = ext < 0.5;
    if (objectClass === 'star') {
      b.stars++;
      if (asStar) b.starsAsStars++;
    } else {
      b.galaxies++;
      if (asStar) b.galaxiesAsStars++;
    }
  }
  return [...bins]
    .map(([mag, b]) => ({
      mag,
      nTrueStars: b.stars,
      nTrueGalaxies: b.galaxies,
      starCompleteness: b.stars > 0 ? rounded(b.starsAsStars / b.stars, 4) : null,
      starContamination:
        b.starsAsStars + b.galaxiesAsStars > 0
          ? rounded(b.galaxiesAsStars / (b.starsAsStars + b.galaxiesAsStars), 4)
          : null,
    }))
    .sort((a, b) => a.mag - b.mag);
}

/** Where a decreasing curve (x ascending) first falls below `level`, linearly interpolated; null if never. */
export function crossing(points: readonly { x: number; y: number }[], level: number): number | null {
  let seenAbove = false;
  for (let k = 0; k < points.length; k++) {
    const p = points[k]!;
    if (p.y >= level) {
      seenAbove = true;
      continue;
    }
    if (!seenAbove) continue;
    const q = points[k - 1]!;
    return q.x + ((q.y - level) / (q.y - p.y)) * (p.x - q.x);
  }
  return null;
}

function interpolate(points: readonly { x: number; y: number }[], x: number): number | null {
  for (let k = 1; k < points.length; k++) {
    const [a, b] = [points[k - 1]!, points[k]!];
    if (x >= a.x && x <= b.x) return a.y + ((x - a.x) / (b.x - a.x)) * (b.y - a.y);
  }
  return null;
}

/** S/N range (median per bin) of the straight-line fit of log S/N against magnitude. */
const SNR_FIT_RANGE = [3, 50] as const;

/**
 * The magnitude where the median S/N is 5. A detection threshold of 5 sigma leaves few sources below it, so the
 * curve rarely crosses 5 inside the data: log10 S/N, linear in magnitude for background-limited sources (slope
 * -0.4), is fitted by least squares over the bins with a median S/N in SNR_FIT_RANGE and solved for S/N = 5.
 */
export function magnitudeAtSnr5(curve: readonly { x: number; y: number }[]): number | null {
  const [lo, hi] = SNR_FIT_RANGE.map(Math.log10) as [number, number];
  const points = curve.filter((p) => p.y >= lo && p.y <= hi);
  if (points.length < 2) return null;
  const mx = points.reduce((a, p) => a + p.x, 0) / points.length;
  const my = points.reduce((a, p) => a + p.y, 0) / points.length;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) * (p.x - mx);
  }
  const slope = sxy / sxx;
  if (!(slope < 0)) return null;
  return mx + (Math.log10(5) - my) / slope;
}

export function depthSummaries(
  sources: MeasuredSources,
  cross: CrossMatch,
  completeness: readonly CompletenessBin[],
  maglimByBand: ReadonlyMap<string, number[]>,
  options: DetectionOptions,
): DepthSummary[] {
  const bands = [...new Set(cross.ccds.map((c: CcdVisitTruth) => c.band))].sort();
  const snrWidth = options.binWidth / 2;
  return [...bands, 'all'].map((band) => {
    const curve = completeness
      .filter((b) => b.band === band && b.objectClass === 'all' && b.nTrue >= options.minPerBin)
      .map((b) => ({ x: b.mag, y: b.completeness ?? 0 }));
    const snrByBin = new Map<number, number[]>();
    for (let i = 0; i < sources.length; i++) {
      if (sources.usable[i] !== 1 || (band !== 'all' && sources.band[i] !== band)) continue;
      const mag = abMagFromNanojansky(sources.psfFlux[i]!);
      const snr = sources.psfFlux[i]! / sources.psfFluxErr[i]!;
      if (!Number.isFinite(mag) || !Number.isFinite(snr)) continue;
      const bin = binOf(mag, snrWidth);
      let list = snrByBin.get(bin);
      if (list === undefined) snrByBin.set(bin, (list = []));
      list.push(snr);
    }
    const snrCurve = [...snrByBin]
      .filter(([, list]) => list.length >= options.minPerBin)
      .sort((a, b) => a[0] - b[0])
      .map(([x, list]) => ({ x, y: Math.log10(median(list)) }));
    const snr5Mag = magnitudeAtSnr5(snrCurve);
    const maglims = band === 'all' ? [...maglimByBand.values()].flat() : (maglimByBand.get(band) ?? []);
    const finiteMaglims = maglims.filter(Number.isFinite);
    return {
      band,
      completeness50Mag: rounded(crossing(curve, 0.5) ?? Number.NaN),
      snr5Mag: rounded(snr5Mag ?? Number.NaN),
      completenessAtSnr5: snr5Mag === null ? null : rounded(interpolate(curve, snr5Mag) ?? Number.NaN, 4),
      visitSummaryMaglim: finiteMaglims.length > 0 ? rounded(median(finiteMaglims)) : null,
    };
  });
}
