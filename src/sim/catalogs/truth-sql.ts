/**
 * The static truth (stars and galaxies) as SQL over object indices: each column is a function of (seed, index), so
 * a chunk of objects, or any single object (a supernova host), is generated without the others.
 */

import { ALL_BANDS, selectList } from './columns.js';
import { gnomonicSql, offsetPointSql, uniformCapDistanceSql } from './geometry-sql.js';
import { AB_MAG_OF_ONE_NANOJANSKY, BAND_MODELS, OBSERVING, POPULATION } from './model.js';
import type { CatalogSimulationOptions } from './options.js';
import { STREAM } from './random-sql.js';
import { cellOfSql, ringOfSql, type SkymapTables, tractInRingSql } from './sky-sql.js';

/** Object ids encode the tract and patch as DP0.2's do: tract · 2^42 + patch · 2^32 + index. */
export const TRACT_ID_FACTOR = 4398046511104;
export const PATCH_ID_FACTOR = 4294967296;

/** Inverse of the cumulative distribution of dN/dm ∝ 10^(slope·m) on [bright, faint), as SQL of a uniform. */
function powerLawMagnitudeSql(
  uniform: string,
  p: { slope: number; brightMag: number; faintMag: number },
): string {
  const a = 10 ** (p.slope * p.brightMag);
  const b = 10 ** (p.slope * p.faintMag);
  return `(log10(${a} + (${uniform}) * ${b - a}) / ${p.slope})`;
}

/**
 * Columns: idx, truth_type (1 galaxy, 2 star), ra, dec, sin_dec, cos_dec, redshift, is_variable, period,
 * amplitude, phase, half_light (arcsec), ellipticity, position_angle (deg), mag_r (intrinsic), flux_<b> (observed,
 * nJy) and flux_<b>_noMW, cell, tract, patch, tract_x, tract_y. `indices` is a FROM item with an `idx` column.
 */
export function staticTruthSql(o: CatalogSimulationOptions, sky: SkymapTables, indices: string): string {
  const u = (stream: number) => `sim_u(${stream}, idx)`;
  const n = (stream: number) => `sim_n(${stream}, idx)`;
  const position = offsetPointSql(
    String(o.ra),
    String(o.dec),
    uniformCapDistanceSql(u(STREAM.objectPosition), o.radiusDeg),
    `2 * pi() * ${u(STREAM.objectPosition + 1)}`,
  );
  const starMag = powerLawMagnitudeSql(u(STREAM.objectMagnitude), POPULATION.star);
  const galaxyMag = powerLawMagnitudeSql(u(STREAM.objectMagnitude), POPULATION.galaxy);
  const colourKey = `${u(STREAM.objectColour)}`;
  const colourKey2 = `${u(STREAM.objectColour + 1)}`;
  const mwFactor = (b: (typeof BAND_MODELS)[number]) =>
    10 ** (-0.4 * b.extinctionCoefficient * OBSERVING.reddeningEbv);
  const fluxes = BAND_MODELS.map(
    (b) =>
      `power(10, (${AB_MAG_OF_ONE_NANOJANSKY} - mag_${b.band}) / 2.5) AS flux_${b.band}_noMW,
       power(10, (${AB_MAG_OF_ONE_NANOJANSKY} - mag_${b.band}) / 2.5) * ${mwFactor(b)} AS flux_${b.band}`,
  ).join(',\n');
  return skyPlacementSql(
    `
      SELECT *, ${fluxes}
      FROM (
        SELECT *,
          mag_r + gr AS mag_g, mag_r + gr + ug AS mag_u, mag_r - ri AS mag_i,
          mag_r - ri - iz AS mag_z, mag_r - ri - iz - zy AS mag_y
        FROM (
          SELECT idx, truth_type, ra, dec, sin(radians(dec)) AS sin_dec, cos(radians(dec)) AS cos_dec,
            mag_r, redshift, is_variable, period, amplitude, phase, half_light, ellipticity, position_angle,
            -- Stars: a rough stellar locus in g-r (blue halo turn-off stars, red disk dwarfs), with r-i rising
            -- steeply for M dwarfs. Galaxies: red and blue populations whose colours redden with redshift.
            CASE WHEN truth_type = 2 THEN gr_star
                 WHEN red THEN 0.75 + 0.55 * zc ELSE 0.35 + 0.3 * zc END + 0.05 * (${colourKey2} - 0.5) AS gr,
            CASE WHEN truth_type = 2 THEN 0.85 + 1.1 * gr_star WHEN red THEN 1.6 ELSE 0.95 END AS ug,
            CASE WHEN truth_type = 2 THEN 0.35 * gr_star + 2.5 * greatest(0, gr_star - 1.2)
                 WHEN red THEN 0.38 + 0.35 * zc ELSE 0.2 + 0.25 * zc END AS ri,
            CASE WHEN truth_type = 2 THEN 0.02 + 0.45 * (0.35 * gr_star + 2.5 * greatest(0, gr_star - 1.2))
                 WHEN red THEN 0.22 + 0.15 * zc ELSE 0.12 + 0.12 * zc END AS iz,
            CASE WHEN truth_type = 2 THEN 0.1 + 0.1 * greatest(0, gr_star - 1.0) ELSE 0.08 END AS zy
          FROM (
            SELECT *, least(redshift, 1.5) AS zc,
              -- The red fraction of galaxies falls from 50% at r = 17 to about 25% at r = 26.
              truth_type = 1 AND ${colourKey} < 0.5 - 0.028 * (mag_r - 17) AS red,
              CASE WHEN ${colourKey} < 0.6 THEN 0.3 + 0.25 * ${colourKey2} ELSE 0.6 + 0.9 * ${colourKey2} END AS gr_star
            FROM (
              SELECT idx, truth_type, mag_r, ${position.ra} AS ra, ${position.dec} AS dec,
                -- Median redshift grows with magnitude (0.08 at r = 17 to 1 at r = 26), log-normal scatter.
                CASE WHEN truth_type = 1
                  THEN least(3.0, greatest(0.02, (0.08 + 0.1 * (mag_r - 17)) * exp(0.35 * ${n(STREAM.objectRedshift)})))
                  ELSE 0.0 END AS redshift,
                truth_type = 2 AND ${u(STREAM.objectVariability)} < ${POPULATION.variableStarFraction} AS is_variable,
                power(10, log10(0.2) + 2 * ${u(STREAM.objectVariability + 1)}) AS period,
                0.05 + 0.45 * ${u(STREAM.objectVariability + 2)} AS amplitude,
                ${u(STREAM.objectVariability + 3)} AS phase,
                CASE WHEN truth_type = 1
                  THEN least(5.0, greatest(0.05, ${POPULATION.galaxyHalfLightArcsecAtR20}
                       * power(10, -0.1 * (mag_r - 20) + 0.2 * ${n(STREAM.objectSize)})))
                  ELSE 0.0 END AS half_light,
                CASE WHEN truth_type = 1 THEN 0.6 * ${u(STREAM.objectShape)} ELSE 0.0 END AS ellipticity,
                180 * ${u(STREAM.objectShape + 1)} AS position_angle
              FROM (
                SELECT idx, CASE WHEN ${u(STREAM.objectType)} < ${POPULATION.starFraction} THEN 2 ELSE 1 END AS truth_type
                FROM ${indices}
              ) CROSS JOIN LATERAL (
                SELECT CASE WHEN truth_type = 2 THEN ${starMag} ELSE ${galaxyMag} END AS mag_r
              )
            )
          )
        )
      )`,
    sky,
  );
}

/**
 * Adds cell, tract, tract_x, tract_y (pixels on the tract grid) and patch to a relation with ra, dec, sin_dec and
 * cos_dec: the tract owning the position (RingsSkyMap.findTract's ring arithmetic) and the patch holding its pixel.
 */
export function skyPlacementSql(relation: string, sky: SkymapTables): string {
  const gnomonic = gnomonicSql({
    ra: 'ra',
    sinDec: 'sin_dec',
    cosDec: 'cos_dec',
    ra0: 'tr.crval_ra',
    sinDec0: 'tr.sin_dec0',
    cosDec0: 'tr.cos_dec0',
  });
  const [patchWidth, patchHeight] = sky.patchSize;
  return `
  SELECT * EXCLUDE (nx, ny),
    CAST(least(nx - 1, greatest(0, floor((tract_x + 0.5) / ${patchWidth})))
      + nx * least(ny - 1, greatest(0, floor((tract_y + 0.5) / ${patchHeight}))) AS BIGINT) AS patch
  FROM (
    SELECT t.*, ${cellOfSql('t.ra', 't.dec')} AS cell, tr.tract, tr.nx, tr.ny,
      tr.crpix1 - 1 - ${gnomonic.xi} / tr.scale AS tract_x,
      tr.crpix2 - 1 + ${gnomonic.eta} / tr.scale AS tract_y
    FROM (${relation}) t
    JOIN sky_rings rg ON rg.ring = ${ringOfSql('t.dec', sky)}
    JOIN sky_tracts tr ON tr.tract = rg.first_tract + ${tractInRingSql('t.ra', 'rg.n')}
  )`;
}

/** Truth id of a static object (its index + 1) and of supernova j (after all static objects). */
export function truthIdSql(index: string): string {
  return `CAST((${index}) + 1 AS VARCHAR)`;
}

/** TruthSummary columns from a relation with the staticTruthSql columns plus host_galaxy. */
export function truthSummarySelect(from: string, idColumn: string): string {
  const fluxes: Record<string, string> = {};
  for (const b of ALL_BANDS) {
    fluxes[`flux_${b}`] = `flux_${b}`;
    fluxes[`flux_${b}_noMW`] = `flux_${b}_noMW`;
  }
  return `SELECT ${selectList('TruthSummary', {
    id_truth_type: `${idColumn} || '_' || CAST(truth_type AS VARCHAR)`,
    id: idColumn,
    truth_type: 'truth_type',
    ra: 'ra',
    dec: 'dec',
    redshift: 'redshift',
    is_variable: 'is_variable',
    is_pointsource: 'truth_type <> 1',
    host_galaxy: 'host_galaxy',
    ...fluxes,
    mag_r: `${AB_MAG_OF_ONE_NANOJANSKY} - 2.5 * log10(flux_r)`,
    tract: 'tract',
    patch: 'patch',
  })}
  FROM ${from}`;
}
