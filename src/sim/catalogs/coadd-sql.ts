/**
 * Coadd measurements in SQL: the Object table and the truth match. A coadd's depth in a band is the inverse-variance
 * sum of the forced-photometry errors of the visits that cover the object in that band, and its PSF is their
 * weighted mean; the coadd PSF, model (cModel) and aperture fluxes get noise from that depth. An object is detected,
 * and gets an Object row, when its coadd PSF flux is at least 5σ in some band.
 */

import { ALL_BANDS, selectList } from './columns.js';
import { FOCAL_PLANE, MEASUREMENT, REFERENCE_BAND_PRIORITY } from './model.js';
import { STREAM } from './random-sql.js';
import { PATCH_ID_FACTOR, TRACT_ID_FACTOR, truthIdSql } from './truth-sql.js';

const bandIndex = (b: string) => (ALL_BANDS as readonly string[]).indexOf(b);

/**
 * Inverse-variance sums are taken in 128-bit fixed point (weights are 1e-12 to 1e-2 nJy⁻², so 1e24 keeps at least
 * twelve digits): integer sums do not depend on the order in which parallel threads add them, so the coadds, and
 * the files, are the same bit for bit on every run.
 */
const FIXED_POINT = '1e24';
const exactSum = (value: string) => `sum(CAST((${value}) * ${FIXED_POINT} AS HUGEINT))`;

/**
 * CREATE TABLE `name`: every static truth object of `truth` with its coadd measurements (NULL in bands without
 * visits), `detected`, `object_id`, the measured position and the match statistics; ordered by index.
 */
export function coaddStatement(name: string, truth: string, phot: string): string {
  // Two steps: sums per object and band, then one row per object with a column per band.
  const perBand = `SELECT idx, band_idx, count(*) AS n, ${exactSum('weight')} AS ivar, ${exactSum('weight * sig_p2')} AS wsp
    FROM ${phot} GROUP BY idx, band_idx`;
  const aggregates = ALL_BANDS.map((b, j) =>
    [
      `sum(n) FILTER (WHERE band_idx = ${j}) AS n_${b}`,
      `sum(ivar) FILTER (WHERE band_idx = ${j}) / ${FIXED_POINT} AS ivar_${b}`,
      `sum(wsp) FILTER (WHERE band_idx = ${j}) / ${FIXED_POINT} AS wsp_${b}`,
    ].join(', '),
  ).join(',\n');
  const depth = ALL_BANDS.map((b, j) => {
    const key = `t.idx * 8 + ${j}`;
    return `coalesce(n_${b}, 0) AS count_${b},
      CASE WHEN n_${b} > 0 THEN 1 / sqrt(ivar_${b}) END AS err_${b},
      wsp_${b} / ivar_${b} AS sp2_${b},
      sim_n(${STREAM.coaddPsfNoise}, ${key}) AS z1_${b},
      sim_n(${STREAM.coaddModelNoise}, ${key}) AS z2_${b},
      sim_n(${STREAM.coaddCalibNoise}, ${key}) AS z3_${b}`;
  }).join(',\n');
  const r = MEASUREMENT.calibApertureRadiusPixels * FOCAL_PLANE.pixelScaleArcsec;
  const rho = MEASUREMENT.cModelPsfNoiseCorrelation;
  const measured = ALL_BANDS.map(
    (b) => `flux_${b} * 2 * sp2_${b} / (2 * sp2_${b} + sg2) + err_${b} * z1_${b} AS psf_${b},
      err_${b} * sqrt((sp2_${b} + sg2) / sp2_${b}) AS cm_err_${b},
      err_${b} * ${r} / (2 * sqrt(sp2_${b})) AS cal_err_${b},
      flux_${b} * (1 - exp(-${r * r} / (2 * (sp2_${b} + sg2)))) AS cal_true_${b}`,
  ).join(',\n');
  const modelled = ALL_BANDS.map((b) => {
    const c = `${rho} * err_${b} / cm_err_${b}`;
    return `flux_${b} + cm_err_${b} * (${c} * z1_${b} + sqrt(1 - power(${c}, 2)) * z2_${b}) AS cm_${b},
      cal_true_${b} + cal_err_${b} * z3_${b} AS cal_${b},
      psf_${b} / err_${b} AS snr_${b}`;
  }).join(',\n');
  const extendedness = ALL_BANDS.map(
    (b) => `CASE WHEN count_${b} > 0 THEN CASE WHEN psf_${b} < ${MEASUREMENT.extendednessFluxRatio} * cm_${b}
      THEN 1.0 ELSE 0.0 END END AS ext_${b}`,
  ).join(',\n');
  const threshold = MEASUREMENT.detectionThresholdSigma;
  const refBand = `CASE ${REFERENCE_BAND_PRIORITY.map((b) => `WHEN snr_${b} >= ${threshold} THEN ${bandIndex(b)}`).join(' ')} END`;
  const byRef = (column: (b: string) => string) =>
    `CASE ref_band ${ALL_BANDS.map((b, j) => `WHEN ${j} THEN ${column(b)}`).join(' ')} END`;
  const chisqTerms = ALL_BANDS.map((b) => `coalesce(power((cm_${b} - flux_${b}) / cm_err_${b}, 2), 0)`).join(
    ' + ',
  );
  const finiteTerms = ALL_BANDS.map((b) => `CASE WHEN count_${b} > 0 THEN 1 ELSE 0 END`).join(' + ');
  const pixel = FOCAL_PLANE.pixelScaleArcsec;
  return `
  CREATE OR REPLACE TEMP TABLE ${name} AS
  SELECT *,
    tract_x - (coord_ra - ra) * cos_dec * 3600 / ${pixel} AS x,
    tract_y + (coord_dec - dec) * 3600 / ${pixel} AS y,
    sqrt(power((coord_ra - ra) * cos_dec, 2) + power(coord_dec - dec, 2)) * 3600 AS separation,
    -- Second moments of the PSF-convolved image (Gaussian approximation), arcsec².
    (ref_sp2 + sg2) * (1 + ellipticity * cos(radians(2 * position_angle))) AS shape_xx,
    (ref_sp2 + sg2) * ellipticity * sin(radians(2 * position_angle)) AS shape_xy,
    (ref_sp2 + sg2) * (1 - ellipticity * cos(radians(2 * position_angle))) AS shape_yy
  FROM (
    SELECT *,
      tract * ${TRACT_ID_FACTOR} + patch * ${PATCH_ID_FACTOR} + idx AS object_id,
      ra + pos_err * sim_n(${STREAM.objectRaNoise}, idx) / 3600 / cos_dec AS coord_ra,
      dec + pos_err * sim_n(${STREAM.objectDecNoise}, idx) / 3600 AS coord_dec
    FROM (
      SELECT *,
        ref_band IS NOT NULL AS detected,
        ${byRef((b) => `ext_${b}`)} AS ref_extendedness,
        ${byRef((b) => `sp2_${b}`)} AS ref_sp2,
        greatest(${MEASUREMENT.astrometricFloorArcsec},
          sqrt(2 * (${byRef((b) => `sp2_${b}`)} + sg2)) / ${byRef((b) => `snr_${b}`)}) AS pos_err,
        ${chisqTerms} AS chisq,
        ${finiteTerms} AS n_finite
      FROM (
        SELECT *, ${extendedness}, ${refBand} AS ref_band
        FROM (
          SELECT *, ${modelled}
          FROM (
            SELECT *, ${measured}
            FROM (
              SELECT t.*, power(t.half_light / 1.1774, 2) AS sg2, ${depth}
              FROM ${truth} t LEFT JOIN (SELECT idx, ${aggregates} FROM (${perBand}) GROUP BY idx) a ON a.idx = t.idx
            )
          )
        )
      )
    )
  )
  ORDER BY idx`;
}

export function objectSelect(objects: string): string {
  const perBand: Record<string, string> = {};
  for (const b of ALL_BANDS) {
    perBand[`${b}_psfFlux`] = `psf_${b}`;
    perBand[`${b}_psfFluxErr`] = `err_${b}`;
    perBand[`${b}_psfFlux_flag`] = `count_${b} = 0`;
    perBand[`${b}_cModelFlux`] = `cm_${b}`;
    perBand[`${b}_cModelFluxErr`] = `cm_err_${b}`;
    perBand[`${b}_calibFlux`] = `cal_${b}`;
    perBand[`${b}_calibFluxErr`] = `cal_err_${b}`;
    perBand[`${b}_extendedness`] = `ext_${b}`;
    perBand[`${b}_inputCount`] = `count_${b}`;
  }
  return `SELECT ${selectList('Object', {
    objectId: 'object_id',
    coord_ra: 'coord_ra',
    coord_dec: 'coord_dec',
    detect_isPrimary: 'true',
    refExtendedness: 'ref_extendedness',
    refBand: `['u', 'g', 'r', 'i', 'z', 'y'][ref_band + 1]`,
    tract: 'tract',
    patch: 'patch',
    parentObjectId: '0',
    deblend_nChild: '0',
    x: 'x',
    y: 'y',
    shape_xx: 'shape_xx',
    shape_xy: 'shape_xy',
    shape_yy: 'shape_yy',
    ...perBand,
  })}
  FROM ${objects} WHERE detected ORDER BY idx`;
}

/** One MatchesTruth row per static truth object: its Object if detected (match_objectId −1 if not). */
export function matchesTruthSelect(objects: string): string {
  return `SELECT ${selectList('MatchesTruth', {
    id_truth_type: `${truthIdSql('idx')} || '_' || CAST(truth_type AS VARCHAR)`,
    match_objectId: 'CASE WHEN detected THEN object_id ELSE -1 END',
    match_candidate: 'true',
    match_count: 'CASE WHEN detected THEN 1 ELSE 0 END',
    match_chisq: 'CASE WHEN detected THEN chisq END',
    match_n_chisq_finite: 'CASE WHEN detected THEN n_finite ELSE 0 END',
    match_sep: 'CASE WHEN detected THEN separation END',
  })}
  FROM ${objects} ORDER BY idx`;
}
