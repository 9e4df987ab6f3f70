/**
 * Single-visit measurements in SQL: which detectors of which visits cover each object (the footprint test), and
 * the forced PSF photometry, difference-image photometry and aperture photometry of each covered object, with
 * noise from that detector's sky, seeing and zero point. Sources are the forced measurements above 5σ.
 */

import { selectList } from './columns.js';
import { DETECTOR_SIZE_DEG, FOCAL_PLANE, MEASUREMENT } from './model.js';
import { STREAM } from './random-sql.js';
import { BAND_LETTERS, perBandSql } from './survey-sql.js';

/** Random-stream key of one object in one visit (object index < 2^28, visit index < 2^20). */
export const VISIT_KEY_FACTOR = 1048576;
/** Source ids: ccdVisitId · 2^32 + truth index. */
export const SOURCE_ID_FACTOR = 4294967296;

/**
 * Rows (object, detector-visit) for every detector that covers an object of `truth` (which needs idx, ra, dec,
 * sin_dec, cos_dec and cell), with the object's columns `truthColumns`, the CcdVisit's noise terms (survey-sql.ts) and
 * the pixel position on the detector. A position is covered when its focal-plane coordinates fall on a detector.
 */
export function coverageSql(truth: string, truthColumns: readonly string[]): string {
  // The gnomonic projection of geometry-sql.ts, with each trigonometric term computed once per pair.
  const inner = [...new Set([...truthColumns, 'sin_dec', 'cos_dec'])].map((c) => `t.${c}`).join(', ');
  const half = FOCAL_PLANE.gridSize / 2;
  const s = DETECTOR_SIZE_DEG;
  const px = FOCAL_PLANE.detectorPixels;
  const carried = truthColumns.map((c) => `p.${c}`).join(', ');
  return `
  SELECT ${carried}, p.vidx, c.ccd_visit_id, c.visit, c.detector, c.band_idx, c.mjd_mid, c.sig_p2,
    c.njy_per_count, c.sky_var, c.ap_var, (p.fx / ${s} + ${half} - c.col) * ${px} - 0.5 AS x_pix, (p.fy / ${s} + ${half} - c.row) * ${px} - 0.5 AS y_pix
  FROM (
    SELECT *, xi * cos_rot + eta * sin_rot AS fx, eta * cos_rot - xi * sin_rot AS fy
    FROM (
      SELECT *, degrees(cos_dec * sin_dra / cos_distance) AS xi,
        degrees((cos_dec0 * sin_dec - sin_dec0 * cos_dec * cos_dra) / cos_distance) AS eta
      FROM (
        SELECT *, sin_dec0 * sin_dec + cos_dec0 * cos_dec * cos_dra AS cos_distance
        FROM (
          SELECT ${inner}, v.vidx, v.cos_rot, v.sin_rot,
            v.sin_dec AS sin_dec0, v.cos_dec AS cos_dec0,
            cos(radians(t.ra - v.ra)) AS cos_dra, sin(radians(t.ra - v.ra)) AS sin_dra
          FROM ${truth} t JOIN visit_cells vc ON vc.cell = t.cell JOIN visits v ON v.vidx = vc.vidx
        )
      )
      WHERE cos_distance > 0.5
    )
  ) p JOIN ccds c ON c.vidx = p.vidx
    AND c.col = CAST(floor(p.fx / ${s} + ${half}) AS BIGINT) AND c.row = CAST(floor(p.fy / ${s} + ${half}) AS BIGINT)`;
}

/**
 * CREATE TABLE `name` of forced measurements of the static objects in `truth` (a staticTruthSql relation):
 *   true flux F(t) (variable stars vary), PSF-fit fraction f = 2σp²/(2σp² + σg²) of a Gaussian galaxy of σg seen
 *   through a Gaussian PSF σp, error² = sky_var + F f / gain-calibrated counts (Poisson), measured = F f + error·N;
 *   difference flux = (F(t) − F̄) f plus the same noise and the template's; aperture flux = F × the Gaussian's
 *   enclosed fraction in 12 pixels, sharing the PSF noise. Unordered: the writers sort what they write.
 */
export function staticPhotometryStatement(name: string, truth: string): string {
  const carried = [
    'idx',
    'ra',
    'dec',
    'cos_dec',
    'half_light',
    'is_variable',
    'period',
    'amplitude',
    'phase',
  ];
  const fluxColumns = ['flux_u', 'flux_g', 'flux_r', 'flux_i', 'flux_z', 'flux_y'];
  const r = MEASUREMENT.calibApertureRadiusPixels * FOCAL_PLANE.pixelScaleArcsec;
  const key = `idx * ${VISIT_KEY_FACTOR} + vidx`;
  return `
  CREATE OR REPLACE TEMP TABLE ${name} AS
  SELECT idx, vidx, ccd_visit_id, visit, detector, band_idx, x_pix, y_pix, sig_p2,
    true_psf + err * n1 AS psf_flux, err AS psf_flux_err,
    (flux_now - flux_band) * f_psf + err * n1 + template_err * n2 AS diff_flux,
    sqrt(err * err + template_err * template_err) AS diff_flux_err,
    flux_now * f_ap + err * n1 + sqrt(greatest(calib_err * calib_err - err * err, 0)) * n3 AS calib_flux,
    calib_err AS calib_flux_err,
    1 / (err * err) AS weight, ra, dec, cos_dec, pos_err,
    sim_u(${STREAM.badPixel}, ${key}) < ${MEASUREMENT.badPixelFraction} AS bad
  FROM (
    SELECT *,
      -- Centroid error per axis: about sqrt(2)·σ/SNR for a Gaussian image (PSF-fit centroiding).
      greatest(${MEASUREMENT.astrometricFloorArcsec},
               sqrt(2 * (sig_p2 + sig_g2)) / greatest(true_psf / err, 0.001)) AS pos_err
    FROM (
      SELECT *,
        sqrt(sky_var + greatest(true_psf / njy_per_count, 0)) * njy_per_count AS err,
        sqrt(ap_var + greatest(flux_now * f_ap / njy_per_count, 0)) * njy_per_count AS calib_err,
        sqrt(${MEASUREMENT.templateVarianceFraction} * sky_var) * njy_per_count AS template_err
      FROM (
        SELECT *, flux_now * f_psf AS true_psf,
          sim_n(${STREAM.forcedNoise}, ${key}) AS n1,
          sim_n(${STREAM.templateNoise}, ${key}) AS n2,
          sim_n(${STREAM.calibNoise}, ${key}) AS n3
        FROM (
          SELECT *, 2 * sig_p2 / (2 * sig_p2 + sig_g2) AS f_psf,
            1 - exp(-${r * r} / (2 * (sig_p2 + sig_g2))) AS f_ap
          FROM (
            SELECT *, power(half_light / 1.1774, 2) AS sig_g2,
              flux_band * CASE WHEN is_variable
                THEN power(10, -0.4 * amplitude * sin(2 * pi() * (mjd_mid / period + phase))) ELSE 1 END AS flux_now
            FROM (
              SELECT *, ${perBandSql('band_idx', (b) => `flux_${b.band}`)} AS flux_band
              FROM (${coverageSql(truth, [...carried, ...fluxColumns])})
            )
          )
        )
      )
    )
  )`;
}

/** Source rows: forced measurements of `phot` detected at 5σ or more. */
export function sourceSelect(phot: string): string {
  // Centroid noise is drawn here, for detections only.
  const key = `idx * ${VISIT_KEY_FACTOR} + vidx`;
  return `SELECT ${selectList('Source', {
    sourceId: `ccd_visit_id * ${SOURCE_ID_FACTOR} + idx`,
    coord_ra: `ra + pos_err * sim_n(${STREAM.sourceRaNoise}, ${key}) / 3600 / cos_dec`,
    coord_dec: `dec + pos_err * sim_n(${STREAM.sourceDecNoise}, ${key}) / 3600`,
    ccdVisitId: 'ccd_visit_id',
    visit: 'visit',
    detector: 'detector',
    band: `${BAND_LETTERS}[band_idx + 1]`,
    psfFlux: 'psf_flux',
    psfFluxErr: 'psf_flux_err',
    calibFlux: 'calib_flux',
    calibFluxErr: 'calib_flux_err',
    extendedness: `CASE WHEN psf_flux < ${MEASUREMENT.extendednessFluxRatio} * calib_flux THEN 1.0 ELSE 0.0 END`,
    detect_isPrimary: 'true',
    x: 'x_pix',
    y: 'y_pix',
  })}
  FROM ${phot}
  WHERE psf_flux >= ${MEASUREMENT.detectionThresholdSigma} * psf_flux_err
  ORDER BY idx, vidx`;
}

/** ForcedSource rows: every measurement of `phot` whose object is in Object (`objects` with detected = true). */
export function forcedSourceSelect(phot: string, objects: string): string {
  return `SELECT ${selectList('ForcedSource', {
    forcedSourceId: `p.idx * ${VISIT_KEY_FACTOR} + p.vidx`,
    objectId: 'o.object_id',
    ccdVisitId: 'p.ccd_visit_id',
    band: `${BAND_LETTERS}[p.band_idx + 1]`,
    psfFlux: 'p.psf_flux',
    psfFluxErr: 'p.psf_flux_err',
    psfDiffFlux: 'p.diff_flux',
    psfDiffFluxErr: 'p.diff_flux_err',
    coord_ra: 'o.coord_ra',
    coord_dec: 'o.coord_dec',
    tract: 'o.tract',
    patch: 'o.patch',
    detect_isPrimary: 'true',
    pixelFlags_bad: 'p.bad',
  })}
  FROM ${phot} p JOIN ${objects} o ON o.idx = p.idx
  WHERE o.detected
  ORDER BY p.idx, p.vidx`;
}
