/**
 * Supernovae: truth (in galaxies of the static truth), light curves, forced photometry on the calibrated and
 * difference images of every covering visit, DiaSources (difference-image detections at 5σ), DiaObjects with
 * light-curve statistics, and ForcedSourceOnDiaObject for every supernova that became a DiaObject.
 */

import { ALL_BANDS, selectList, type TableName } from './columns.js';
import { offsetPointSql } from './geometry-sql.js';
import {
  AB_MAG_OF_ONE_NANOJANSKY,
  BAND_MODELS,
  FOCAL_PLANE,
  MEASUREMENT,
  OBSERVING,
  POPULATION,
} from './model.js';
import type { CatalogSimulationOptions } from './options.js';
import { coverageSql, SOURCE_ID_FACTOR, VISIT_KEY_FACTOR } from './photometry-sql.js';
import { STREAM } from './random-sql.js';
import type { SkymapTables } from './sky-sql.js';
import { BAND_LETTERS, perBandSql } from './survey-sql.js';
import {
  PATCH_ID_FACTOR,
  skyPlacementSql,
  staticTruthSql,
  TRACT_ID_FACTOR,
  truthIdSql,
  truthSummarySelect,
} from './truth-sql.js';

/** Host candidates drawn per supernova; the first galaxy below the host redshift limit is taken. */
const HOST_CANDIDATES = 16;
/** Dia ids set this bit of the index part so they never equal an Object or Source id. */
const DIA_ID_OFFSET = 2147483648;

export function transientStatements(o: CatalogSimulationOptions, sky: SkymapTables): string[] {
  const j = 'j';
  const offset = `host_half_light * abs(sim_n(${STREAM.supernovaOffset}, ${j})) / 3600`;
  const position = offsetPointSql(
    'host_ra',
    'host_dec',
    offset,
    `2 * pi() * sim_u(${STREAM.supernovaAngle}, ${j})`,
  );
  const mw = (b: (typeof BAND_MODELS)[number]) =>
    10 ** (-0.4 * b.extinctionCoefficient * OBSERVING.reddeningEbv);
  const peakFluxes = BAND_MODELS.map(
    (
      b,
    ) => `power(10, (${AB_MAG_OF_ONE_NANOJANSKY} - peak_r - ${b.supernovaPeakOffset}) / 2.5) AS flux_${b.band}_noMW,
      power(10, (${AB_MAG_OF_ONE_NANOJANSKY} - peak_r - ${b.supernovaPeakOffset}) / 2.5) * ${mw(b)} AS flux_${b.band}`,
  ).join(',\n');
  const hostFluxes = ALL_BANDS.map((b) => `h.flux_${b} AS host_flux_${b}`).join(', ');
  const key = `j * ${VISIT_KEY_FACTOR} + vidx`;
  const r = MEASUREMENT.calibApertureRadiusPixels * FOCAL_PLANE.pixelScaleArcsec;
  const kappa = MEASUREMENT.templateVarianceFraction;
  const carried = [
    'j',
    'ra',
    'dec',
    'cos_dec',
    'peak_mjd',
    'rise_days',
    'redshift',
    'offset_arcsec',
    'host_half_light',
    'dia_object_id',
    ...ALL_BANDS.map((b) => `flux_${b}`),
    ...ALL_BANDS.map((b) => `host_flux_${b}`),
  ];
  return [
    `CREATE OR REPLACE TEMP TABLE sn_candidates AS
     SELECT j, k, CAST(floor(sim_u(${STREAM.supernovaHost}, j * ${HOST_CANDIDATES} + k) * ${o.objects}) AS BIGINT) AS idx
     FROM range(${o.supernovae}) a(j) CROSS JOIN range(${HOST_CANDIDATES}) b(k)`,
    `CREATE OR REPLACE TEMP TABLE sn_host_truth AS
     ${staticTruthSql(o, sky, '(SELECT DISTINCT idx FROM sn_candidates)')}`,
    `CREATE OR REPLACE TEMP TABLE sn_truth AS
     SELECT *, tract * ${TRACT_ID_FACTOR} + patch * ${PATCH_ID_FACTOR} + ${DIA_ID_OFFSET} + j AS dia_object_id
     FROM (${skyPlacementSql(
       `SELECT *, sin(radians(dec)) AS sin_dec, cos(radians(dec)) AS cos_dec, ${peakFluxes}
        FROM (
          SELECT j, ${o.objects} + j AS idx, host_idx, redshift, host_half_light, ${hostFluxes},
            ${offset} * 3600 AS offset_arcsec, ${position.ra} AS ra, ${position.dec} AS dec,
            ${o.mjdStart} - 20 + ${o.surveyDays + 30} * sim_u(${STREAM.supernovaPeak}, j) AS peak_mjd,
            ${POPULATION.supernovaRiseDays} * (1 + redshift) AS rise_days,
            -- Peak: a standard candle at the luminosity distance (Taylor expansion with q0 = -0.55, H0 = 70).
            ${POPULATION.supernovaAbsoluteMag} + 5 * log10(4282.7 * redshift * (1 + 0.775 * redshift)) + 25
              + 0.15 * sim_n(${STREAM.supernovaBrightness}, j) AS peak_r
          FROM (
            SELECT c.j, arg_min(c.idx, CASE WHEN h.truth_type = 1 AND h.redshift < ${POPULATION.supernovaMaxHostRedshift}
                                          THEN c.k ELSE c.k + ${HOST_CANDIDATES} END) AS host_idx
            FROM sn_candidates c JOIN sn_host_truth h ON h.idx = c.idx GROUP BY c.j
          ) s JOIN (SELECT idx, ra AS host_ra, dec AS host_dec, redshift, half_light AS host_half_light,
                           ${ALL_BANDS.map((b) => `flux_${b}`).join(', ')} FROM sn_host_truth) h ON h.idx = s.host_idx
        )`,
       sky,
     )}) ORDER BY j`,
    // Direct-image flux = supernova + host light under the PSF at the supernova's offset: for Gaussian profiles,
    // F_host · 2σp²/(2σp² + σg²) · exp(−d²/(2(2σp² + σg²))).
    `CREATE OR REPLACE TEMP TABLE sn_phot AS
     SELECT j, vidx, ccd_visit_id, band_idx, mjd_mid, x_pix, y_pix, dia_object_id, ra, dec,
       sn_flux + host_psf + err * n1 AS psf_flux, err AS psf_flux_err,
       sn_flux + err * n1 + template_err * n2 AS diff_flux,
       sqrt(err * err + template_err * template_err) AS diff_flux_err,
       sn_flux * f_ap + err * n1 + sqrt(greatest(ap_err * ap_err - err * err, 0)) * n3 AS ap_flux, ap_err AS ap_flux_err,
       ra + pos_err * sim_n(${STREAM.sourceRaNoise}, ${key}) / 3600 / cos_dec AS dia_ra,
       dec + pos_err * sim_n(${STREAM.sourceDecNoise}, ${key}) / 3600 AS dia_dec,
       sn_flux + err * n1 + template_err * n2
         >= ${MEASUREMENT.detectionThresholdSigma} * sqrt(err * err + template_err * template_err) AS detected
     FROM (
       SELECT *,
         sqrt(sky_var + greatest((sn_flux + host_psf) / njy_per_count, 0)) * njy_per_count AS err,
         sqrt(${kappa} * sky_var) * njy_per_count AS template_err,
         sqrt(ap_var * ${1 + kappa} + greatest(sn_flux * f_ap / njy_per_count, 0)) * njy_per_count AS ap_err,
         greatest(${MEASUREMENT.astrometricFloorArcsec},
           sqrt(2 * sig_p2) / greatest(sn_flux / (sqrt(${1 + kappa} * sky_var) * njy_per_count), 0.001)) AS pos_err,
         sim_n(${STREAM.forcedNoise}, ${key}) AS n1,
         sim_n(${STREAM.templateNoise}, ${key}) AS n2,
         sim_n(${STREAM.calibNoise}, ${key}) AS n3
       FROM (
         SELECT *,
           -- Light curve: quadratic rise over rise_days to the peak, then an exponential decline.
           CASE WHEN mjd_mid - peak_mjd <= -rise_days THEN 0.0
                WHEN mjd_mid <= peak_mjd THEN peak_flux * power((mjd_mid - peak_mjd + rise_days) / rise_days, 2)
                ELSE peak_flux * exp(-(mjd_mid - peak_mjd)
                  / (${perBandSql('band_idx', (b) => b.supernovaDeclineDays)} * (1 + redshift))) END AS sn_flux,
           host_flux * 2 * sig_p2 / (2 * sig_p2 + sg2)
             * exp(-offset_arcsec * offset_arcsec / (2 * (2 * sig_p2 + sg2))) AS host_psf,
           1 - exp(-${r * r} / (2 * sig_p2)) AS f_ap
         FROM (
           SELECT *, power(host_half_light / 1.1774, 2) AS sg2,
             ${perBandSql('band_idx', (b) => `flux_${b.band}`)} AS peak_flux,
             ${perBandSql('band_idx', (b) => `host_flux_${b.band}`)} AS host_flux
           FROM (${coverageSql('sn_truth', carried)})
         )
       )
     )
     ORDER BY j, vidx`,
    `CREATE OR REPLACE TEMP TABLE dia_sources AS SELECT * FROM sn_phot WHERE detected ORDER BY j, vidx`,
    // Light-curve statistics per band; Stetson's J for unpaired observations (Stetson 1996, PASP 108, 851):
    // P_i = n/(n−1)·δ_i² − 1, J = Σ sgn(P_i)·sqrt|P_i| / n, δ_i = (f_i − mean)/σ_i.
    `CREATE OR REPLACE TEMP TABLE dia_band_stats AS
     SELECT d.j, d.band_idx, min(d.diff_flux) AS flux_min, max(d.diff_flux) AS flux_max, m.mean AS flux_mean,
       stddev_samp(d.diff_flux) AS flux_sigma, count(*) AS n,
       sum(power((d.diff_flux - m.mean) / d.diff_flux_err, 2)) AS chi2,
       CASE WHEN m.n > 1 THEN sum(sign(m.n / (m.n - 1) * power((d.diff_flux - m.mean) / d.diff_flux_err, 2) - 1)
         * sqrt(abs(m.n / (m.n - 1) * power((d.diff_flux - m.mean) / d.diff_flux_err, 2) - 1))) / m.n END AS stetson_j,
       sum(d.psf_flux / power(d.psf_flux_err, 2)) / sum(1 / power(d.psf_flux_err, 2)) AS tot_mean,
       stddev_samp(d.psf_flux) AS tot_sigma
     FROM dia_sources d JOIN (
       SELECT j, band_idx, count(*) AS n,
         sum(diff_flux / power(diff_flux_err, 2)) / sum(1 / power(diff_flux_err, 2)) AS mean
       FROM dia_sources GROUP BY j, band_idx
     ) m ON m.j = d.j AND m.band_idx = d.band_idx
     GROUP BY d.j, d.band_idx, m.mean, m.n`,
    // Mean position, averaged as offsets from the true position so that RA wrapping cannot bias it.
    `CREATE OR REPLACE TEMP TABLE dia_objects AS
     SELECT j, any_value(dia_object_id) AS dia_object_id, count(*) AS n_dia,
       (((any_value(ra) + avg(((dia_ra - ra + 540) % 360) - 180)) % 360) + 360) % 360 AS mean_ra,
       avg(dia_dec) AS mean_dec
     FROM dia_sources GROUP BY j ORDER BY j`,
  ];
}

const DIA_BAND_STATS: readonly (readonly [string, string])[] = [
  ['PSFluxMin', 'flux_min'],
  ['PSFluxMax', 'flux_max'],
  ['PSFluxMean', 'flux_mean'],
  ['PSFluxSigma', 'flux_sigma'],
  ['PSFluxNdata', 'n'],
  ['PSFluxChi2', 'chi2'],
  ['PSFluxStetsonJ', 'stetson_j'],
  ['TOTFluxMean', 'tot_mean'],
  ['TOTFluxSigma', 'tot_sigma'],
];

/** The SELECTs writing the supernova rows of TruthSummary and MatchesTruth and the three Dia tables. */
export function transientTableSelects(): (readonly [TableName, string])[] {
  const pivot = ALL_BANDS.flatMap((b, k) =>
    DIA_BAND_STATS.map(
      ([column, stat]) => `max(s.${stat}) FILTER (WHERE s.band_idx = ${k}) AS "${b}${column}"`,
    ),
  ).join(',\n');
  const statColumns: Record<string, string> = {};
  for (const b of ALL_BANDS) {
    for (const [column] of DIA_BAND_STATS) statColumns[`${b}${column}`] = `"${b}${column}"`;
  }
  const diaObject = `SELECT ${selectList('DiaObject', {
    diaObjectId: 'o.dia_object_id',
    ra: 'o.mean_ra',
    decl: 'o.mean_dec',
    nDiaSources: 'o.n_dia',
    ...statColumns,
  })}
  FROM dia_objects o JOIN (SELECT s.j, ${pivot} FROM dia_band_stats s GROUP BY s.j) p ON p.j = o.j
  ORDER BY o.j`;
  const diaSource = `SELECT ${selectList('DiaSource', {
    diaSourceId: `ccd_visit_id * ${SOURCE_ID_FACTOR} + ${DIA_ID_OFFSET} + j`,
    diaObjectId: 'dia_object_id',
    ccdVisitId: 'ccd_visit_id',
    ra: 'dia_ra',
    decl: 'dia_dec',
    filterName: `${BAND_LETTERS}[band_idx + 1]`,
    midPointTai: 'mjd_mid',
    psFlux: 'diff_flux',
    psFluxErr: 'diff_flux_err',
    totFlux: 'psf_flux',
    totFluxErr: 'psf_flux_err',
    apFlux: 'ap_flux',
    apFluxErr: 'ap_flux_err',
    snr: 'diff_flux / diff_flux_err',
    ssObjectId: '0',
    x: 'x_pix',
    y: 'y_pix',
  })}
  FROM dia_sources ORDER BY j, vidx`;
  const forcedOnDia = `SELECT ${selectList('ForcedSourceOnDiaObject', {
    forcedSourceOnDiaObjectId: `p.ccd_visit_id * ${SOURCE_ID_FACTOR} + ${DIA_ID_OFFSET} + p.j`,
    diaObjectId: 'p.dia_object_id',
    ccdVisitId: 'p.ccd_visit_id',
    band: `${BAND_LETTERS}[p.band_idx + 1]`,
    psfFlux: 'p.psf_flux',
    psfFluxErr: 'p.psf_flux_err',
    psfDiffFlux: 'p.diff_flux',
    psfDiffFluxErr: 'p.diff_flux_err',
    coord_ra: 'o.mean_ra',
    coord_dec: 'o.mean_dec',
  })}
  FROM sn_phot p JOIN dia_objects o ON o.j = p.j ORDER BY p.j, p.vidx`;
  const truth = truthSummarySelect(
    `(SELECT *, ${truthIdSql('idx')} AS truth_id, 3 AS truth_type, true AS is_variable,
        host_idx + 1 AS host_galaxy FROM sn_truth ORDER BY j)`,
    'truth_id',
  );
  const matches = `SELECT ${selectList('MatchesTruth', {
    id_truth_type: `${truthIdSql('idx')} || '_3'`,
    match_objectId: '-1',
    match_candidate: 'false',
    match_count: '0',
    match_chisq: 'NULL',
    match_n_chisq_finite: '0',
    match_sep: 'NULL',
  })}
  FROM sn_truth ORDER BY j`;
  return [
    ['TruthSummary', truth],
    ['MatchesTruth', matches],
    ['DiaObject', diaObject],
    ['DiaSource', diaSource],
    ['ForcedSourceOnDiaObject', forcedOnDia],
  ];
}
