/**
 * The cadence and the observing conditions, in SQL: one row per visit (band, time, dithered pointing, rotation,
 * airmass, seeing, sky, zero point) and one per detector of each visit (CcdVisit), with the sky cells each visit
 * footprint may touch.
 */

import { ALL_BANDS, selectList } from './columns.js';
import { deprojectSql, offsetPointSql, uniformCapDistanceSql } from './geometry-sql.js';
import {
  AB_MAG_OF_ONE_NANOJANSKY,
  BAND_MODELS,
  DETECTOR_SIZE_DEG,
  FOCAL_PLANE,
  focalPlaneDetectors,
  focalPlaneRadiusDeg,
  MEASUREMENT,
  OBSERVING,
} from './model.js';
import type { CatalogSimulationOptions } from './options.js';
import { STREAM } from './random-sql.js';
import { footprintCellsSql } from './sky-sql.js';

/** CcdVisit ids: visit · 1000 + detector (the focal plane has 189 detectors). */
export const CCD_VISIT_FACTOR = 1000;

/** SQL CASE picking a per-band constant by `band_idx` (index into ugrizy). */
export function perBandSql(
  bandIndex: string,
  value: (b: (typeof BAND_MODELS)[number]) => number | string,
): string {
  return `CASE ${bandIndex} ${BAND_MODELS.map((b, i) => `WHEN ${i} THEN ${value(b)}`).join(' ')} END`;
}

/** The SQL list literal of band letters; `${BAND_LETTERS}[band_idx + 1]` is the letter. */
export const BAND_LETTERS = `[${ALL_BANDS.map((b) => `'${b}'`).join(', ')}]`;

/**
 * Band of each visit: the golden-ratio sequence frac(v·φ) read against the cumulative visit shares of the chosen
 * bands gives every band its share of visits to within one, interleaved in time, with no randomness.
 */
function bandIndexSql(options: CatalogSimulationOptions): string {
  const chosen = BAND_MODELS.map((b, i) => ({ b, i })).filter(({ b }) => options.bands.includes(b.band));
  const total = chosen.reduce((s, { b }) => s + b.visitShare, 0);
  let cumulative = 0;
  const whens = chosen.slice(0, -1).map(({ b, i }) => {
    cumulative += b.visitShare / total;
    return `WHEN f < ${cumulative} THEN ${i}`;
  });
  const last = chosen[chosen.length - 1].i;
  return `CASE ${whens.join(' ')} ELSE ${last} END`;
}

/**
 * Measurement noise of PSF and aperture photometry on one detector-visit (columns seeing, zero_point, sky_bg):
 * sig_p2 (PSF Gaussian σ², arcsec²), njy_per_count (calibration), sky_var (sky + read-noise variance in the PSF
 * fit, counts²: 4π σ² pixels for a Gaussian PSF) and ap_var (the same in the 12-pixel aperture).
 */
function noiseColumnsSql(): string {
  const pixelArea = FOCAL_PLANE.pixelScaleArcsec ** 2;
  const r = MEASUREMENT.calibApertureRadiusPixels;
  return `
    power(seeing / 2.3548, 2) AS sig_p2,
    power(10, 0.4 * (${AB_MAG_OF_ONE_NANOJANSKY} - zero_point)) AS njy_per_count,
    4 * pi() * power(seeing / 2.3548, 2) / ${pixelArea} * (sky_bg + ${FOCAL_PLANE.readNoise ** 2}) AS sky_var,
    pi() * ${r * r} * (sky_bg + ${FOCAL_PLANE.readNoise ** 2}) AS ap_var`;
}

export function surveyStatements(o: CatalogSimulationOptions): string[] {
  const u = (stream: number, key = 'vidx') => `sim_u(${stream}, ${key})`;
  const n = (stream: number, key = 'vidx') => `sim_n(${stream}, ${key})`;
  const pointing = offsetPointSql(
    String(o.ra),
    String(o.dec),
    uniformCapDistanceSql(u(STREAM.visitPosition), o.radiusDeg),
    `2 * pi() * ${u(STREAM.visitPosition + 1)}`,
  );
  const t = OBSERVING.exposureTimeSeconds;
  const detectors = focalPlaneDetectors()
    .map((d) => `(${d.detector}, ${d.column}, ${d.row})`)
    .join(', ');
  const half = FOCAL_PLANE.gridSize / 2;
  const s = DETECTOR_SIZE_DEG;
  // Focal-plane (fx, fy) to tangent-plane (xi, eta): a rotation by the sky rotation angle.
  const corner = (dx: number, dy: number) => {
    const fx = `((col + ${dx} - ${half}) * ${s})`;
    const fy = `((row + ${dy} - ${half}) * ${s})`;
    return deprojectSql(
      `(${fx} * cos_rot - ${fy} * sin_rot)`,
      `(${fx} * sin_rot + ${fy} * cos_rot)`,
      'visit_ra',
      'visit_dec',
    );
  };
  const centre = corner(0.5, 0.5);
  const ll = corner(0, 0);
  const ul = corner(0, 1);
  const ur = corner(1, 1);
  const lr = corner(1, 0);
  const pixelArea = FOCAL_PLANE.pixelScaleArcsec ** 2;
  const rn2 = FOCAL_PLANE.readNoise ** 2;
  return [
    `CREATE OR REPLACE TEMP TABLE fp_detectors AS SELECT * FROM (VALUES ${detectors}) v(detector, col, row)`,
    `CREATE OR REPLACE TEMP TABLE visits AS
     SELECT *, sin(radians(decl)) AS sin_dec, cos(radians(decl)) AS cos_dec,
       cos(radians(sky_rotation)) AS cos_rot, sin(radians(sky_rotation)) AS sin_rot,
       ${perBandSql('band_idx', (b) => `'${b.physicalFilter}'`)} AS physical_filter,
       mjd_mid - ${t / 2 / 86400} AS mjd_start,
       -- Seeing: log-normal free atmosphere scaled by airmass^0.6 and wavelength^-0.2, plus the instrument.
       sqrt(power(${OBSERVING.medianSeeingArcsec} * exp(${OBSERVING.seeingLogScatter} * ${n(STREAM.visitSeeing)})
                  * power(airmass, 0.6)
                  * power(${perBandSql('band_idx', (b) => b.effectiveWavelengthNm)} / 500.0, -0.2), 2)
            + ${OBSERVING.instrumentSeeingArcsec ** 2}) AS seeing,
       ${perBandSql('band_idx', (b) => b.darkSkyMag)}
         - ${OBSERVING.maxMoonBrighteningMag} * power(${u(STREAM.visitSky)}, 2) AS sky_mag,
       -- Zero point of the exposure: magnitude giving 1 electron in ${t} s, after extinction and clouds.
       ${perBandSql('band_idx', (b) => b.zeroPoint1s)} + ${2.5 * Math.log10(t)}
         - ${perBandSql('band_idx', (b) => b.extinctionPerAirmass)} * (airmass - 1)
         - abs(${OBSERVING.cloudExtinctionScatterMag} * ${n(STREAM.visitCloud)}) AS zero_point
     FROM (
       SELECT vidx, vidx + 1 AS visit, band_idx, ${BAND_LETTERS}[band_idx + 1] AS band,
         ${pointing.ra} AS ra, ${pointing.dec} AS decl,
         360 * ${u(STREAM.visitRotation)} AS sky_rotation,
         least(${OBSERVING.maxAirmass}, 1 + abs(${OBSERVING.airmassScatter} * ${n(STREAM.visitAirmass)})) AS airmass,
         -- Night of the survey, then an observing time between 0.05 and 0.35 of the day (Chilean night in UTC).
         ${o.mjdStart} + floor(${o.surveyDays} * (vidx + ${u(STREAM.visitTime)}) / ${o.visits})
           + 0.05 + 0.3 * ${u(STREAM.visitTime + 1)} AS mjd_mid
       FROM (SELECT vidx, ((vidx + 1) * 0.6180339887498949) % 1 AS f FROM range(${o.visits}) r(vidx))
         CROSS JOIN LATERAL (SELECT ${bandIndexSql(o)} AS band_idx)
     )`,
    `CREATE OR REPLACE TEMP TABLE ccds AS
     SELECT *, sqrt(sky_bg + ${rn2}) AS sky_noise, seeing / 2.3548 / ${FOCAL_PLANE.pixelScaleArcsec} AS psf_sigma_px,
       ${noiseColumnsSql()}
     FROM (
       SELECT v.vidx, v.visit, d.detector, v.visit * ${CCD_VISIT_FACTOR} + d.detector AS ccd_visit_id,
         v.band_idx, v.band, v.physical_filter, v.mjd_mid, v.mjd_start, d.col, d.row,
         v.seeing * exp(${OBSERVING.detectorSeeingScatter} * ${n(STREAM.detectorSeeing, `v.vidx * ${CCD_VISIT_FACTOR} + d.detector`)}) AS seeing,
         v.zero_point + ${OBSERVING.detectorZeroPointScatterMag} * ${n(STREAM.detectorZeroPoint, `v.vidx * ${CCD_VISIT_FACTOR} + d.detector`)} AS zero_point,
         v.sky_mag, v.ra AS visit_ra, v.decl AS visit_dec,
         cos(radians(v.sky_rotation)) AS cos_rot, sin(radians(v.sky_rotation)) AS sin_rot
       FROM visits v CROSS JOIN fp_detectors d
     ) CROSS JOIN LATERAL (
       -- Sky counts per pixel in the exposure, from the sky brightness and the zero point (gain 1 e-/ADU).
       SELECT power(10, -0.4 * (sky_mag - zero_point)) * ${pixelArea} AS sky_bg,
         ${centre.ra} AS ra, ${centre.dec} AS decl,
         ${ll.ra} AS llcra, ${ll.dec} AS llcdec, ${ul.ra} AS ulcra, ${ul.dec} AS ulcdec,
         ${ur.ra} AS urcra, ${ur.dec} AS urcdec, ${lr.ra} AS lrcra, ${lr.dec} AS lrcdec
     )`,
    `CREATE OR REPLACE TEMP TABLE visit_cells AS ${footprintCellsSql('visits', focalPlaneRadiusDeg() + 0.01)}`,
  ];
}

export function visitSelect(): string {
  return `SELECT ${selectList('Visit', {
    visit: 'visit',
    band: 'band',
    physical_filter: 'physical_filter',
    ra: 'ra',
    decl: 'decl',
    skyRotation: 'sky_rotation',
    airmass: 'airmass',
    zenithDistance: 'degrees(acos(1 / airmass))',
    expTime: String(OBSERVING.exposureTimeSeconds),
    expMidptMJD: 'mjd_mid',
    obsStartMJD: 'mjd_start',
  })}
  FROM visits ORDER BY vidx`;
}

export function ccdVisitSelect(): string {
  return `SELECT ${selectList('CcdVisit', {
    ccdVisitId: 'ccd_visit_id',
    visitId: 'visit',
    detector: 'detector',
    band: 'band',
    physical_filter: 'physical_filter',
    ra: 'ra',
    decl: 'decl',
    expMidptMJD: 'mjd_mid',
    obsStartMJD: 'mjd_start',
    expTime: String(OBSERVING.exposureTimeSeconds),
    seeing: 'seeing',
    zeroPoint: 'zero_point',
    psfSigma: 'psf_sigma_px',
    skyBg: 'sky_bg',
    skyNoise: 'sky_noise',
    llcra: 'llcra',
    llcdec: 'llcdec',
    ulcra: 'ulcra',
    ulcdec: 'ulcdec',
    urcra: 'urcra',
    urcdec: 'urcdec',
    lrcra: 'lrcra',
    lrcdec: 'lrcdec',
  })}
  FROM ccds ORDER BY ccd_visit_id`;
}
