/**
 * Photometry against truth: PA1-like repeatability, and the per-visit zero-point and PSF-size residuals.
 *
 * PA1 (LSST SRD, computed as validate_drp/faro do): for each qualifying isolated star (stars.ts) measured at least
 * twice in a band, draw one random pair of its measurements and take the magnitude difference / sqrt 2; PA1 is the
 * rms of these over stars (and, robustly, IQR / 1.349); the draw is repeated `shuffles` times with a fixed seed and
 * the median reported, in mmag. With `globalPhotoCalib`, each measurement is re-calibrated by the global zero
 * point of its detector and visit (m + (zp_global - zp_visitSummary)) and PA1 computed again.
 *
 * Zero point: visitSummary `zeroPoint` (AB mag of one electron in the exposure) minus the true zero point of the
 * same exposure; PSF size: (visitSummary `psfSigma` - true sigma) / true sigma at the detector centre, where the true
 * sigma is the unweighted second-moment size of the simulated PSF before pixelisation (docs/qa.md).
 */

import type { CcdVisitTruth, DetectorCalibration, MeasuredSources, TruthObjects } from './catalogs.js';
import type { CalibrationSummary, Pa1Band, Pa1Summary, VisitCalibration } from './model.js';
import { measurementQualifies, type StarGroup, type StarSelection } from './stars.js';
import { abMagFromNanojansky, iqrSigma, median, rms, rounded, seededRandom } from './statistics.js';

export interface Pa1Options {
  readonly snrMin: number;
  readonly shuffles: number;
  readonly seed: number;
}

function ccdKey(visit: number, detector: number): number {
  return visit * 1000 + detector;
}

/** zp_global - zp_visitSummary per exposure x detector: what the global calibration changes. */
export function globalZeroPointShifts(
  visitSummary: readonly DetectorCalibration[],
  global: readonly DetectorCalibration[],
): Map<number, number> {
  const perDetector = new Map(visitSummary.map((r) => [ccdKey(r.visit, r.detector), r.zeroPoint]));
  const shifts = new Map<number, number>();
  for (const g of global) {
    const zp = perDetector.get(ccdKey(g.visit, g.detector));
    if (zp !== undefined && Number.isFinite(zp) && Number.isFinite(g.zeroPoint)) {
      shifts.set(ccdKey(g.visit, g.detector), g.zeroPoint - zp);
    }
  }
  return shifts;
}

/** PA1 over `magsPerStar` (each star's repeat magnitudes): [rms, iqr] in mmag, medians over the shuffles. */
export function pa1FromRepeats(
  magsPerStar: readonly (readonly number[])[],
  options: Pa1Options,
): [number, number] {
  const usable = magsPerStar.filter((m) => m.length >= 2);
  if (usable.length === 0) return [Number.NaN, Number.NaN];
  const random = seededRandom(options.seed);
  const rmsDraws: number[] = [];
  const iqrDraws: number[] = [];
  for (let s = 0; s < options.shuffles; s++) {
    const diffs = usable.map((mags) => {
      const i = Math.floor(random() * mags.length);
      let j = Math.floor(random() * (mags.length - 1));
      if (j >= i) j++;
      return ((mags[i]! - mags[j]!) * 1000) / Math.SQRT2;
    });
    rmsDraws.push(rms(diffs));
    iqrDraws.push(iqrSigma(diffs));
  }
  return [median(rmsDraws), median(iqrDraws)];
}

export function pa1Summary(
  sources: MeasuredSources,
  truth: TruthObjects,
  groups: readonly StarGroup[],
  bands: readonly string[],
  association: Pa1Summary['association'],
  shifts: ReadonlyMap<number, number> | null,
  options: Pa1Options,
  selection: StarSelection,
): Pa1Summary {
  const perBand: Pa1Band[] = bands.map((band) => {
    const mags: number[][] = [];
    const globalMags: number[][] = [];
    for (const g of groups) {
      const own: number[] = [];
      const global: number[] = [];
      for (const row of g.rows) {
        if (sources.band[row] !== band) continue;
        if (
          !measurementQualifies(sources, truth, g.truthIndex, row, options.snrMin, selection.brightMagLimit)
        ) {
          continue;
        }
        const mag = abMagFromNanojansky(sources.psfFlux[row]!);
        own.push(mag);
        const shift = shifts?.get(ccdKey(sources.visit[row]!, sources.detector[row]!));
        // The zero point is the AB magnitude of one count (m = zp - 2.5 log10 counts): a higher zero point makes
        // every calibrated magnitude fainter by as much, m_global = m + (zp_global - zp_visitSummary).
        if (shift !== undefined) global.push(mag + shift);
      }
      if (own.length >= 2) mags.push(own);
      if (global.length >= 2) globalMags.push(global);
    }
    const [pa1, pa1Iqr] = pa1FromRepeats(mags, options);
    const [pa1Global, pa1GlobalIqr] =
      shifts === null ? [Number.NaN, Number.NaN] : pa1FromRepeats(globalMags, options);
    return {
      band,
      nStars: mags.length,
      pa1Mmag: rounded(pa1, 2),
      pa1IqrMmag: rounded(pa1Iqr, 2),
      pa1GlobalMmag: rounded(pa1Global, 2),
      pa1GlobalIqrMmag: rounded(pa1GlobalIqr, 2),
    };
  });
  return { association, snrMin: options.snrMin, perBand };
}

function percentFromMmag(mmag: number): number {
  return (10 ** (0.4 * (mmag / 1000)) - 1) * 100;
}

/** rms of values about their median (a scatter insensitive to one offset visit dominating the mean). */
function scatterAboutMedian(values: readonly number[]): number {
  const m = median(values);
  return rms(values.map((v) => v - m));
}

export function calibrationSummary(
  ccds: readonly CcdVisitTruth[],
  visitSummary: readonly DetectorCalibration[],
  global: readonly DetectorCalibration[] | null,
): CalibrationSummary {
  const truthByCcd = new Map(ccds.map((c) => [ccdKey(c.visit, c.detector), c]));
  const globalByCcd = new Map((global ?? []).map((g) => [ccdKey(g.visit, g.detector), g]));
  const visits = new Map<number, { band: string; zp: number[]; gzp: number[]; psf: number[] }>();
  const allPsf: number[] = [];
  for (const row of visitSummary) {
    const truthRow = truthByCcd.get(ccdKey(row.visit, row.detector));
    if (truthRow === undefined) continue;
    let v = visits.get(row.visit);
    if (v === undefined) visits.set(row.visit, (v = { band: truthRow.band, zp: [], gzp: [], psf: [] }));
    if (Number.isFinite(row.zeroPoint)) v.zp.push((row.zeroPoint - truthRow.zeroPointMag) * 1000);
    const g = globalByCcd.get(ccdKey(row.visit, row.detector));
    if (g !== undefined && Number.isFinite(g.zeroPoint))
      v.gzp.push((g.zeroPoint - truthRow.zeroPointMag) * 1000);
    if (Number.isFinite(row.psfSigma)) {
      const pct = ((row.psfSigma - truthRow.psfSigmaPixels) / truthRow.psfSigmaPixels) * 100;
      v.psf.push(pct);
      allPsf.push(pct);
    }
  }
  const perVisit: VisitCalibration[] = [...visits]
    .sort((a, b) => a[0] - b[0])
    .map(([visit, v]) => {
      const zp = median(v.zp);
      return {
        visit,
        band: v.band,
        nDetectors: Math.max(v.zp.length, v.psf.length),
        zeroPointResidualMmag: rounded(zp, 2),
        zeroPointResidualPct: rounded(percentFromMmag(zp), 3),
        globalZeroPointResidualMmag: rounded(median(v.gzp), 2),
        psfSigmaResidualPct: rounded(median(v.psf), 3),
      };
    });
  const finite = (values: (number | null)[]) => values.filter((x): x is number => x !== null);
  const zps = finite(perVisit.map((v) => v.zeroPointResidualMmag));
  const gzps = finite(perVisit.map((v) => v.globalZeroPointResidualMmag));
  return {
    perVisit,
    zeroPointMedianMmag: rounded(median(zps), 2),
    zeroPointScatterMmag: rounded(scatterAboutMedian(zps), 2),
    globalZeroPointMedianMmag: rounded(median(gzps), 2),
    globalZeroPointScatterMmag: rounded(scatterAboutMedian(gzps), 2),
    psfSigmaMedianPct: rounded(median(allPsf), 3),
    psfSigmaMedianAbsPct: rounded(median(allPsf.map(Math.abs)), 3),
  };
}
