/**
 * The catalogue files of a survey as column tables: TruthSummary-like truth, supernova light curves sampled at every
 * exposure, and the reference catalogue of bright stars (Gaia-refcat-like, with measurement errors).
 */

import { abMagFromNanojansky, BANDS } from '../obs/index.js';
import { HtmPixelization, UnitVector3 } from '../sphere/index.js';
import type { ExposureRecord } from './cadence.js';
import type { ParquetColumn } from './parquet.js';
import { Random, STREAM } from './random.js';
import { fluxAt, TRUTH_TYPE, type TruthCatalog } from './truth.js';

function idTruthType(catalog: TruthCatalog, i: number): string {
  return `${catalog.id[i]}_${catalog.truthType[i]}`;
}

/**
 * TruthSummary columns of DP0.2 (`id`, `truth_type`, `id_truth_type`, `ra`, `dec`, `redshift`, `is_variable`,
 * `is_pointsource`, `flux_<b>`, `flux_<b>_noMW`, `mag_r`) followed by the simulator's own morphology and
 * variability parameters. There is no Milky Way extinction in the simulation, so `flux_<b>_noMW` = `flux_<b>`.
 */
export function truthSummaryColumns(c: TruthCatalog): ParquetColumn[] {
  const n = c.count;
  const isPointSource = Uint8Array.from(c.truthType, (t) => (t === TRUTH_TYPE.galaxy ? 0 : 1));
  const magR = Float64Array.from(c.flux.r, (f) => abMagFromNanojansky(f));
  return [
    { name: 'id', type: 'BIGINT', values: c.id },
    { name: 'truth_type', type: 'SMALLINT', values: c.truthType },
    {
      name: 'id_truth_type',
      type: 'VARCHAR',
      values: Array.from({ length: n }, (_, i) => idTruthType(c, i)),
    },
    { name: 'ra', type: 'DOUBLE', values: c.ra },
    { name: 'dec', type: 'DOUBLE', values: c.dec },
    { name: 'redshift', type: 'DOUBLE', values: c.redshift },
    { name: 'is_variable', type: 'BOOLEAN', values: c.isVariable },
    { name: 'is_pointsource', type: 'BOOLEAN', values: isPointSource },
    ...BANDS.map((b): ParquetColumn => ({ name: `flux_${b}`, type: 'DOUBLE', values: c.flux[b] })),
    ...BANDS.map((b): ParquetColumn => ({ name: `flux_${b}_noMW`, type: 'DOUBLE', values: c.flux[b] })),
    { name: 'mag_r', type: 'DOUBLE', values: magR },
    ...BANDS.map(
      (b): ParquetColumn => ({ name: `bulge_to_total_${b}`, type: 'DOUBLE', values: c.bulgeToTotal[b] }),
    ),
    { name: 'bulge_hlr_arcsec', type: 'DOUBLE', values: c.bulgeHalfLightArcsec },
    { name: 'disk_hlr_arcsec', type: 'DOUBLE', values: c.diskHalfLightArcsec },
    { name: 'bulge_axis_ratio', type: 'DOUBLE', values: c.bulgeAxisRatio },
    { name: 'disk_axis_ratio', type: 'DOUBLE', values: c.diskAxisRatio },
    { name: 'position_angle', type: 'DOUBLE', values: c.positionAngleDeg },
    { name: 'period_days', type: 'DOUBLE', values: c.periodDays },
    { name: 'amplitude_mag', type: 'DOUBLE', values: c.amplitudeMag },
    { name: 'phase', type: 'DOUBLE', values: c.phase },
    { name: 'peak_mjd', type: 'DOUBLE', values: c.peakMjd },
    { name: 'rise_days', type: 'DOUBLE', values: c.riseDays },
    { name: 'host_id', type: 'BIGINT', values: c.hostId },
  ];
}

/** Flux of every supernova at the middle of every exposure, in that exposure's band. */
export function supernovaLightCurveColumns(
  c: TruthCatalog,
  exposures: readonly ExposureRecord[],
): ParquetColumn[] {
  const id: number[] = [];
  const idType: string[] = [];
  const exposure: number[] = [];
  const band: string[] = [];
  const mjd: number[] = [];
  const flux: number[] = [];
  for (let i = 0; i < c.count; i++) {
    if (c.truthType[i] !== TRUTH_TYPE.supernova) continue;
    for (const e of exposures) {
      const middle = e.mjdStart + e.exposureTime / 2 / 86400;
      id.push(c.id[i]);
      idType.push(idTruthType(c, i));
      exposure.push(e.id);
      band.push(e.band);
      mjd.push(middle);
      flux.push(fluxAt(c, i, e.band, middle));
    }
  }
  return [
    { name: 'id', type: 'BIGINT', values: id },
    { name: 'id_truth_type', type: 'VARCHAR', values: idType },
    { name: 'exposure', type: 'BIGINT', values: exposure },
    { name: 'band', type: 'VARCHAR', values: band },
    { name: 'mjd', type: 'DOUBLE', values: mjd },
    { name: 'flux', type: 'DOUBLE', values: flux },
  ];
}

export const REFCAT_HTM_LEVEL = 7;
/** Stars brighter than this r magnitude are in the reference catalogue. */
export const REFCAT_MAG_LIMIT = 20;

/**
 * Reference-catalogue columns plus an `htm7` column (the shard key, not written to the shard files). Fluxes are the
 * truth plus a Gaussian measurement error of 0.003 + 0.02 * 10^(0.4 (r - 20)) mag; positions are the truth plus an
 * error of 2 mas * 10^(0.2 (r - 16)) per coordinate, recorded in coord_raErr/coord_decErr (degrees).
 */
export function refcatColumns(c: TruthCatalog, seed: number): ParquetColumn[] {
  const rng = new Random([seed, STREAM.refcat]);
  const htm = new HtmPixelization(REFCAT_HTM_LEVEL);
  const rows: number[] = [];
  for (let i = 0; i < c.count; i++) {
    if (c.truthType[i] === TRUTH_TYPE.star && abMagFromNanojansky(c.flux.r[i]) < REFCAT_MAG_LIMIT)
      rows.push(i);
  }
  const n = rows.length;
  const ra = new Float64Array(n);
  const dec = new Float64Array(n);
  const positionErr = new Float64Array(n);
  const htm7 = new Float64Array(n);
  const fluxes = BANDS.map(() => new Float64Array(n));
  const fluxErrs = BANDS.map(() => new Float64Array(n));
  rows.forEach((i, k) => {
    const rMag = abMagFromNanojansky(c.flux.r[i]);
    const sigmaDeg = (0.002 * 10 ** (0.2 * (rMag - 16))) / 3600;
    positionErr[k] = sigmaDeg;
    dec[k] = c.dec[i] + sigmaDeg * rng.normal();
    ra[k] = (c.ra[i] + (sigmaDeg * rng.normal()) / Math.cos((c.dec[i] * Math.PI) / 180) + 360) % 360;
    htm7[k] = htm.index(UnitVector3.fromLonLat(ra[k], dec[k]));
    const sigmaMag = 0.003 + 0.02 * 10 ** (0.4 * (rMag - 20));
    BANDS.forEach((b, j) => {
      const err = (c.flux[b][i] * sigmaMag) / 1.0857;
      fluxErrs[j][k] = err;
      fluxes[j][k] = c.flux[b][i] + err * rng.normal();
    });
  });
  return [
    { name: 'id', type: 'BIGINT', values: rows.map((i) => c.id[i]) },
    { name: 'coord_ra', type: 'DOUBLE', values: ra },
    { name: 'coord_dec', type: 'DOUBLE', values: dec },
    { name: 'coord_raErr', type: 'DOUBLE', values: positionErr },
    { name: 'coord_decErr', type: 'DOUBLE', values: positionErr },
    ...BANDS.flatMap((b, j): ParquetColumn[] => [
      { name: `${b}_flux`, type: 'DOUBLE', values: fluxes[j] },
      { name: `${b}_fluxErr`, type: 'DOUBLE', values: fluxErrs[j] },
    ]),
    { name: 'htm7', type: 'BIGINT', values: htm7 },
  ];
}
