/**
 * Where things are on the sky, in SQL: the tract and patch of a position in the DC2-like rings skymap, and a coarse
 * grid of sky cells that turns "which visits can cover this object" into an equi-join (each visit lists the cells
 * its footprint can touch; each object has one cell), so the cost follows the number of ForcedSource rows rather
 * than objects × visits.
 */

import { DC2_SKYMAP_CONFIG, DC2_SKYMAP_NAME, RingsSkyMap } from '../../sphere/index.js';

export { DC2_SKYMAP_CONFIG };

export const SKYMAP_NAME = DC2_SKYMAP_NAME;

/** Height of a declination zone of the cell grid, degrees. */
export const CELL_ZONE_DEG = 0.5;
/** Cell key = zone · 2^20 + RA bin. */
const CELL_ZONE_FACTOR = 1048576;

/** Number of RA bins in a zone: bins are at least CELL_ZONE_DEG wide on the sky at the zone's far edge. */
function raBinsSql(zone: string): string {
  const h = CELL_ZONE_DEG;
  const edge = `least(90.0, greatest(abs((${zone}) * ${h} - 90), abs(((${zone}) + 1) * ${h} - 90)))`;
  return `CAST(greatest(1, floor(360 * cos(radians(${edge})) / ${h})) AS BIGINT)`;
}

function zoneSql(dec: string): string {
  return `CAST(floor(((${dec}) + 90) / ${CELL_ZONE_DEG}) AS BIGINT)`;
}

/** The cell of a position (ra in [0, 360)). */
export function cellOfSql(ra: string, dec: string): string {
  const zone = zoneSql(dec);
  const bins = raBinsSql(zone);
  return `(${zone} * ${CELL_ZONE_FACTOR} + CAST(floor((${ra}) / (360.0 / ${bins})) AS BIGINT) % ${bins})`;
}

/**
 * Cells that a circle of radius `radiusDeg` around each row of `table` (columns vidx, ra, decl) may touch: every
 * zone the circle's declination range meets, and in each the RA bins of the circle's RA extent,
 * sin(ΔRA) = sin(r) / cos(dec) (all bins when the circle reaches a pole).
 */
export function footprintCellsSql(table: string, radiusDeg: number): string {
  const r = radiusDeg;
  const halfWidth = `CASE WHEN abs(decl) + ${r} >= 89.9 THEN 180.0
      ELSE degrees(asin(least(1.0, sin(radians(${r})) / cos(radians(decl))))) END`;
  return `
    WITH zones AS (
      SELECT vidx, ra, decl, unnest(range(${zoneSql(`decl - ${r}`)}, ${zoneSql(`decl + ${r}`)} + 1)) AS zone
      FROM ${table}
    ), spans AS (
      SELECT vidx, zone, ${raBinsSql('zone')} AS bins, ${halfWidth} AS half_width, ra FROM zones
    ), bounds AS (
      SELECT vidx, zone, bins,
        CAST(floor((ra - half_width) / (360.0 / bins)) AS BIGINT) AS b0,
        CAST(floor((ra + half_width) / (360.0 / bins)) AS BIGINT) AS b1
      FROM spans
    )
    SELECT DISTINCT vidx, zone * ${CELL_ZONE_FACTOR} + ((b % bins) + bins) % bins AS cell
    FROM (
      SELECT vidx, zone, bins,
        unnest(CASE WHEN b1 - b0 + 1 >= bins THEN range(0, bins) ELSE range(b0, b1 + 1) END) AS b
      FROM bounds
    )`;
}

export interface SkymapTables {
  readonly ringsValues: string;
  readonly tractsValues: string;
  readonly capLatDeg: number;
  readonly ringSizeDeg: number;
  readonly numRings: number;
  readonly patchSize: readonly [number, number];
  readonly pixelScaleDeg: number;
}

/** The rings (first tract id, tracts in ring) and tract WCSs that an area of the sky may need. */
export function skymapTables(decMinDeg: number, decMaxDeg: number): SkymapTables {
  const skymap = new RingsSkyMap(SKYMAP_NAME, DC2_SKYMAP_CONFIG);
  const ringSize = skymap.ringSizeDeg;
  const capLat = 90 - 0.5 * ringSize;
  const numRings = DC2_SKYMAP_CONFIG.numRings;
  const rings: string[] = [];
  const tracts: string[] = [];
  let first = 1;
  for (let ring = 0; ring < numRings; ring++) {
    const n = skymap.tractsPerRing[ring];
    const latMin = (ring + 0.5) * ringSize - 90;
    const latMax = latMin + ringSize;
    if (latMax >= decMinDeg - 1 && latMin <= decMaxDeg + 1) {
      rings.push(`(${ring}, ${first}, ${n})`);
      for (let k = 0; k < n; k++) {
        const t = skymap.tract(first + k);
        const { crvalDeg, crpix, cdDeg } = t.wcs;
        tracts.push(
          `(${t.id}, ${crvalDeg[0]}, ${crvalDeg[1]}, ${crpix[0]}, ${crpix[1]}, ${cdDeg[1][1]}, ${t.numPatches[0]}, ${t.numPatches[1]})`,
        );
      }
    }
    first += n;
  }
  return Object.freeze({
    ringsValues: rings.join(', '),
    tractsValues: tracts.join(', '),
    capLatDeg: capLat,
    ringSizeDeg: ringSize,
    numRings,
    patchSize: DC2_SKYMAP_CONFIG.patchInnerDimensions,
    pixelScaleDeg: DC2_SKYMAP_CONFIG.pixelScaleArcsec / 3600,
  });
}

/** Statements creating `sky_rings(ring, first_tract, n)` and `sky_tracts(tract, crval/crpix/scale, nx, ny)`. */
export function skymapTableStatements(t: SkymapTables): string[] {
  return [
    `CREATE OR REPLACE TEMP TABLE sky_rings AS SELECT * FROM (VALUES ${t.ringsValues}) v(ring, first_tract, n)`,
    `CREATE OR REPLACE TEMP TABLE sky_tracts AS SELECT tract, crval_ra, crval_dec, crpix1, crpix2, scale, nx, ny,
       sin(radians(crval_dec)) AS sin_dec0, cos(radians(crval_dec)) AS cos_dec0
     FROM (VALUES ${t.tractsValues}) v(tract, crval_ra, crval_dec, crpix1, crpix2, scale, nx, ny)`,
  ];
}

/** The ring a declination falls in (the arithmetic of RingsSkyMap.findTract). */
export function ringOfSql(dec: string, t: SkymapTables): string {
  return `CAST(least(${t.numRings - 1}, floor(((${dec}) + ${t.capLatDeg}) / ${t.ringSizeDeg})) AS BIGINT)`;
}

/** The position in its ring of the tract owning `ra`, given the ring's tract count `n`. */
export function tractInRingSql(ra: string, n: string): string {
  return `CAST(floor((${ra}) / (360.0 / ${n}) + 0.5) AS BIGINT) % ${n}`;
}
