/**
 * GlobalPhotoCalibTask (label globalPhotoCalib), one quantum per instrument: the ubercal solution (ubercal.ts) from
 * every tract's isolated stars, applied to the per-detector zero points of the visit summaries. Output
 * `globalPhotoCalib`: one row per (visit, detector) with the corrected zeroPoint (AB mag of one count),
 * zeroPointErr, calibrationMean (nJy per count), the change made and the number of measurements behind it; and
 * `globalPhotoCalibSummary`: the repeatability of the stars before and after, per band, and how each band was
 * anchored.
 *
 * The reference catalogue reaches this task through isolated_star_cat's `<band>_refMag` (the association task,
 * which has a tract region to look shards up by, matches it): an instrument-wide quantum has no region.
 */
import { z } from 'zod';
import { makeTable, type Table } from '../../formats/index.js';
import { defineTask, Input, noWorkFound, Output } from '../../pipe/index.js';
import { ccdVisitIdOf } from '../calibrate/source-ids.js';
import { bigintColumn, type ColumnSpec, numberColumn, stringColumn, tableFromRows } from './table-columns.js';
import { DEFAULT_UBERCAL_CONFIG, solveUbercal, type UbercalResult } from './ubercal.js';
import { AB_MAG_OF_NJY } from './visit-summary.js';

export const GlobalPhotoCalibConfig = z.object({
  /** One offset per visit × detector instead of per visit. */
  perDetector: z.boolean().default(false),
  maxIterations: z.number().int().min(1).default(DEFAULT_UBERCAL_CONFIG.maxIterations),
  tolerance: z.number().positive().default(DEFAULT_UBERCAL_CONFIG.tolerance),
  clipSigma: z.number().positive().default(DEFAULT_UBERCAL_CONFIG.clipSigma),
  clipIterations: z.number().int().min(0).default(DEFAULT_UBERCAL_CONFIG.clipIterations),
  errorFloorMag: z.number().min(0).default(DEFAULT_UBERCAL_CONFIG.errorFloorMag),
  minReferenceStars: z.number().int().min(1).default(DEFAULT_UBERCAL_CONFIG.minReferenceStars),
});
export type GlobalPhotoCalibConfig = z.output<typeof GlobalPhotoCalibConfig>;

export const GLOBAL_PHOTO_CALIB_COLUMNS: readonly ColumnSpec[] = Object.freeze([
  ['visit', 'BIGINT'],
  ['detector', 'INTEGER'],
  ['ccdVisitId', 'BIGINT'],
  ['band', 'VARCHAR'],
  ['zeroPoint', 'DOUBLE'],
  ['zeroPointErr', 'DOUBLE'],
  ['calibrationMean', 'DOUBLE'],
  ['calibrationErr', 'DOUBLE'],
  /** New minus old zero point (mag). */
  ['zeroPointOffset', 'DOUBLE'],
  /** Star measurements behind the offset; 0: the per-detector zero point is kept. */
  ['nSource', 'INTEGER'],
] as const);

export interface GlobalPhotoCalibResult {
  readonly table: Table;
  readonly solution: UbercalResult;
  readonly summary: {
    readonly units: number;
    readonly unitsSolved: number;
    readonly observations: number;
    readonly clipped: number;
    readonly iterations: number;
    readonly unmatchedSources: number;
    readonly bands: Record<string, { rmsBefore: number; rmsAfter: number; stars: number; anchor: string }>;
  };
}

const MAG_PER_LN = 2.5 / Math.LN10;

/** The calibration from the association outputs and the visit summaries (pure; the task reads and writes). */
export function globalPhotoCalib(
  starSources: readonly Table[],
  starCats: readonly Table[],
  visitSummaries: readonly Table[],
  config: GlobalPhotoCalibConfig,
): GlobalPhotoCalibResult {
  // Units from the visit summaries: every (visit, detector) the output will have a row for.
  const unitIndex = new Map<string, number>();
  const unitBand: string[] = [];
  const rows: {
    visit: number;
    detector: number;
    band: string;
    zeroPoint: number;
    zeroPointErr: number;
    unit: number;
  }[] = [];
  const unitKey = (visit: number, detector: number) =>
    config.perDetector ? `${visit}/${detector}` : `${visit}`;
  for (const t of visitSummaries) {
    const visit = numberColumn(t, 'visit', 'visitSummary');
    const detector = numberColumn(t, 'detector', 'visitSummary');
    const band = stringColumn(t, 'band', 'visitSummary');
    const zp = numberColumn(t, 'zeroPoint', 'visitSummary');
    const zpErr = numberColumn(t, 'zeroPointErr', 'visitSummary');
    for (let i = 0; i < t.length; i++) {
      const key = unitKey(visit[i]!, detector[i]!);
      let unit = unitIndex.get(key);
      if (unit === undefined) {
        unit = unitBand.length;
        unitIndex.set(key, unit);
        unitBand.push(band[i] ?? '');
      }
      rows.push({
        visit: visit[i]!,
        detector: detector[i]!,
        band: band[i] ?? '',
        zeroPoint: zp[i]!,
        zeroPointErr: zpErr[i]!,
        unit,
      });
    }
  }

  // Reference magnitudes by (isolated star, band).
  const refMag = new Map<string, number>();
  for (const cat of starCats) {
    const ids = bigintColumn(cat, 'isolated_star_id', 'isolated_star_cat');
    for (const name of Object.keys(cat.columns)) {
      const m = /^([a-z]+)_refMag$/.exec(name);
      if (m === null) continue;
      const values = numberColumn(cat, name, 'isolated_star_cat');
      for (let i = 0; i < cat.length; i++)
        if (Number.isFinite(values[i]!)) refMag.set(`${ids[i]}/${m[1]}`, values[i]!);
    }
  }

  const starIndex = new Map<string, number>();
  const starBand: string[] = [];
  const starRef: number[] = [];
  const obsStar: number[] = [];
  const obsUnit: number[] = [];
  const obsMag: number[] = [];
  const obsErr: number[] = [];
  let unmatchedSources = 0;
  for (const t of starSources) {
    const what = 'isolated_star_sources';
    const ids = bigintColumn(t, 'isolated_star_id', what);
    const visit = numberColumn(t, 'visit', what);
    const detector = numberColumn(t, 'detector', what);
    const band = stringColumn(t, 'band', what);
    const flux = numberColumn(t, 'psfFlux', what);
    const fluxErr = numberColumn(t, 'psfFluxErr', what);
    for (let i = 0; i < t.length; i++) {
      const unit = unitIndex.get(unitKey(visit[i]!, detector[i]!));
      if (unit === undefined) {
        unmatchedSources++;
        continue;
      }
      if (!(flux[i]! > 0 && fluxErr[i]! > 0)) continue;
      const key = `${ids[i]}/${band[i]}`;
      let star = starIndex.get(key);
      if (star === undefined) {
        star = starBand.length;
        starIndex.set(key, star);
        starBand.push(band[i] ?? '');
        starRef.push(refMag.get(key) ?? Number.NaN);
      }
      obsStar.push(star);
      obsUnit.push(unit);
      obsMag.push(AB_MAG_OF_NJY - 2.5 * Math.log10(flux[i]!));
      obsErr.push((MAG_PER_LN * fluxErr[i]!) / flux[i]!);
    }
  }

  const solution = solveUbercal(
    {
      star: Int32Array.from(obsStar),
      unit: Int32Array.from(obsUnit),
      mag: Float64Array.from(obsMag),
      magErr: Float64Array.from(obsErr),
      starBand,
      unitBand,
      starRefMag: Float64Array.from(starRef),
    },
    config,
  );

  const out = rows
    .sort((a, b) => a.visit - b.visit || a.detector - b.detector)
    .map((r) => {
      const solved = solution.unitSources[r.unit]! > 0;
      // Measured magnitudes were δ too faint (m = M + δ): the corrected zero point is δ smaller.
      const offset = solved ? -solution.unitOffset[r.unit]! : 0;
      const zeroPoint = r.zeroPoint + offset;
      const zeroPointErr = solved ? solution.unitOffsetErr[r.unit]! : r.zeroPointErr;
      const calibrationMean = 10 ** ((AB_MAG_OF_NJY - zeroPoint) / 2.5);
      return {
        visit: r.visit,
        detector: r.detector,
        ccdVisitId: ccdVisitIdOf(r.visit, r.detector),
        band: r.band,
        zeroPoint,
        zeroPointErr,
        calibrationMean,
        calibrationErr: (calibrationMean * zeroPointErr) / MAG_PER_LN,
        zeroPointOffset: offset,
        nSource: solution.unitSources[r.unit]!,
      };
    });

  const bands: GlobalPhotoCalibResult['summary']['bands'] = {};
  for (const [band, rep] of Object.entries(solution.repeatability)) {
    bands[band] = {
      rmsBefore: rep.rmsBefore,
      rmsAfter: rep.rmsAfter,
      stars: rep.stars,
      anchor: solution.anchors[band]?.kind ?? 'median',
    };
  }
  return {
    table: makeTable(tableFromRows(GLOBAL_PHOTO_CALIB_COLUMNS, out)),
    solution,
    summary: {
      units: unitBand.length,
      unitsSolved: solution.unitSources.filter((n) => n > 0).length,
      observations: obsMag.length,
      clipped: solution.clipped,
      iterations: solution.iterations,
      unmatchedSources,
      bands,
    },
  };
}

export const GlobalPhotoCalibTask = defineTask({
  name: 'meridian.tasks.visit.GlobalPhotoCalibTask',
  doc: 'Ubercal: per-visit (or per-detector) zero points that make repeat measurements of isolated stars agree.',
  config: GlobalPhotoCalibConfig,
  dimensions: ['instrument'],
  connections: {
    isolatedStarSources: Input({
      name: 'isolated_star_sources',
      storageClass: 'DataFrame',
      dimensions: ['instrument', 'skymap', 'tract'],
      multiple: true,
    }),
    isolatedStarCats: Input({
      name: 'isolated_star_cat',
      storageClass: 'DataFrame',
      dimensions: ['instrument', 'skymap', 'tract'],
      multiple: true,
    }),
    visitSummaries: Input({
      name: 'visitSummary',
      storageClass: 'DataFrame',
      dimensions: ['instrument', 'visit'],
      multiple: true,
    }),
    globalPhotoCalib: Output({
      name: 'globalPhotoCalib',
      storageClass: 'DataFrame',
      dimensions: ['instrument'],
    }),
    summary: Output({
      name: 'globalPhotoCalibSummary',
      storageClass: 'StructuredDataDict',
      dimensions: ['instrument'],
    }),
  },
  async runQuantum(ctx) {
    const inputs = await ctx.getInputs();
    const sources = inputs.isolatedStarSources as Table[];
    if (sources.every((t) => t.length === 0)) throw noWorkFound('no isolated star measurements');
    const result = globalPhotoCalib(
      sources,
      inputs.isolatedStarCats as Table[],
      inputs.visitSummaries as Table[],
      ctx.config,
    );
    const { summary } = result;
    if (summary.unmatchedSources > 0) {
      ctx.log.warn(
        `${summary.unmatchedSources} star measurements are on detectors without a visit summary: not used`,
      );
    }
    for (const [band, b] of Object.entries(summary.bands)) {
      ctx.log.info(
        `band ${band}: repeatability ${(b.rmsBefore * 1000).toFixed(1)} → ${(b.rmsAfter * 1000).toFixed(1)} mmag over ${b.stars} stars, anchored to the ${b.anchor === 'reference' ? 'reference catalogue' : 'median per-detector zero point'}`,
      );
    }
    ctx.addMetadata('unitsSolved', summary.unitsSolved);
    ctx.addMetadata('clipped', summary.clipped);
    await ctx.putOutputs({ globalPhotoCalib: result.table, summary });
  },
});
