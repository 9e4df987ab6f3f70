/**
 * Astrometry against truth: the separation of each matched bright star from its true position (median and 68th
 * percentile, per detector and per magnitude), and AM1-like repeatability.
 *
 * AM1 (LSST SRD, as validate_drp/faro compute it, on the small simulated field): take pairs of isolated stars whose
 * TRUE separation is `separationArcmin` +- `toleranceArcmin` (5' +- 1'); in every visit that measured both (each
 * measurement qualifying as in stars.ts), compute the measured separation; a pair measured in at least
 * `minVisits` visits contributes the sample rms (n - 1) of its separations about their mean; AM1 is the median of
 * these rms over pairs, in mas. Per band (visits of that band) and for all visits pooled. Uncorrelated centroid
 * errors of sigma per axis give a pair rms of sqrt(2) sigma.
 */

import { type MeasuredSources, TRUTH_STAR, type TruthObjects } from './catalogs.js';
import type { CrossMatch } from './crossmatch.js';
import { DeclinationSweep, separationDeg } from './match.js';
import type { Am1Band, Am1Summary, AstrometrySummary } from './model.js';
import { measurementQualifies, type StarGroup, type StarSelection } from './stars.js';
import { abMagFromNanojansky, median, percentile, rounded, sampleStd } from './statistics.js';

export interface AstrometryOptions {
  /** Stars below this PSF S/N are left out of the residuals (20). */
  readonly snrMin: number;
  readonly binWidth: number;
}

export function astrometrySummary(
  sources: MeasuredSources,
  truth: TruthObjects,
  cross: CrossMatch,
  options: AstrometryOptions,
): AstrometrySummary {
  const all: number[] = [];
  const byDetector = new Map<number, number[]>();
  const byMag = new Map<number, number[]>();
  for (let i = 0; i < sources.length; i++) {
    const t = cross.sourceTruth[i]!;
    if (t < 0 || truth.truthType[t] !== TRUTH_STAR || sources.saturated[i] === 1) continue;
    if (!(sources.psfFlux[i]! / sources.psfFluxErr[i]! >= options.snrMin)) continue;
    const sep = cross.sourceSeparationMas[i]!;
    all.push(sep);
    const detector = sources.detector[i]!;
    if (!byDetector.has(detector)) byDetector.set(detector, []);
    byDetector.get(detector)!.push(sep);
    const mag = abMagFromNanojansky(truth.flux[sources.band[i]!]?.[t] ?? Number.NaN);
    if (Number.isFinite(mag)) {
      const bin = Math.floor(mag / options.binWidth) * options.binWidth + options.binWidth / 2;
      if (!byMag.has(bin)) byMag.set(bin, []);
      byMag.get(bin)!.push(sep);
    }
  }
  return {
    nStars: all.length,
    snrMin: options.snrMin,
    medianMas: rounded(median(all), 2),
    p68Mas: rounded(percentile(all, 68), 2),
    perDetector: [...byDetector]
      .sort((a, b) => a[0] - b[0])
      .map(([detector, seps]) => ({
        detector,
        nStars: seps.length,
        medianMas: rounded(median(seps), 2),
        p68Mas: rounded(percentile(seps, 68), 2),
      })),
    byMag: [...byMag]
      .sort((a, b) => a[0] - b[0])
      .map(([mag, seps]) => ({ mag, nStars: seps.length, medianMas: rounded(median(seps), 2) })),
  };
}

export interface Am1Options {
  readonly separationArcmin: number;
  readonly toleranceArcmin: number;
  readonly minVisits: number;
  readonly snrMin: number;
}

/** Per star, the qualifying measurement (row) in each visit of the band (the first one, if several). */
function positionsByVisit(
  sources: MeasuredSources,
  truth: TruthObjects,
  groups: readonly StarGroup[],
  band: string,
  snrMin: number,
  selection: StarSelection,
): Map<number, number>[] {
  return groups.map((g) => {
    const byVisit = new Map<number, number>();
    for (const row of g.rows) {
      if (band !== 'all' && sources.band[row] !== band) continue;
      if (!measurementQualifies(sources, truth, g.truthIndex, row, snrMin, selection.brightMagLimit))
        continue;
      const visit = sources.visit[row]!;
      if (!byVisit.has(visit)) byVisit.set(visit, row);
    }
    return byVisit;
  });
}

function am1ForBand(
  sources: MeasuredSources,
  truth: TruthObjects,
  groups: readonly StarGroup[],
  band: string,
  options: Am1Options,
  selection: StarSelection,
): Am1Band {
  const visits = positionsByVisit(sources, truth, groups, band, options.snrMin, selection);
  const kept = groups.map((_, k) => k).filter((k) => visits[k]!.size >= options.minVisits);
  const reference = {
    ra: kept.map((k) => truth.ra[groups[k]!.truthIndex]!),
    dec: kept.map((k) => truth.dec[groups[k]!.truthIndex]!),
  };
  const sweep = new DeclinationSweep(reference);
  const rmsPerPair: number[] = [];
  const minDeg = (options.separationArcmin - options.toleranceArcmin) / 60;
  const maxDeg = (options.separationArcmin + options.toleranceArcmin) / 60;
  kept.forEach((k, a) => {
    sweep.within(
      reference.ra[a]!,
      reference.dec[a]!,
      maxDeg,
      (b) => {
        if (b <= a) return;
        const first = visits[k]!;
        const second = visits[kept[b]!]!;
        const separations: number[] = [];
        for (const [visit, rowA] of first) {
          const rowB = second.get(visit);
          if (rowB === undefined) continue;
          separations.push(
            separationDeg(sources.ra[rowA]!, sources.dec[rowA]!, sources.ra[rowB]!, sources.dec[rowB]!) *
              3_600_000,
          );
        }
        if (separations.length >= options.minVisits) rmsPerPair.push(sampleStd(separations));
      },
      minDeg,
    );
  });
  return {
    band,
    nStars: kept.length,
    nPairs: rmsPerPair.length,
    am1Mas: rmsPerPair.length > 0 ? rounded(median(rmsPerPair), 2) : null,
  };
}

export function am1Summary(
  sources: MeasuredSources,
  truth: TruthObjects,
  groups: readonly StarGroup[],
  bands: readonly string[],
  options: Am1Options,
  selection: StarSelection,
): Am1Summary {
  return {
    separationArcmin: options.separationArcmin,
    toleranceArcmin: options.toleranceArcmin,
    minVisits: options.minVisits,
    snrMin: options.snrMin,
    perBand: [...bands, 'all'].map((band) => am1ForBand(sources, truth, groups, band, options, selection)),
  };
}
