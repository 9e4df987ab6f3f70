/**
 * Light curves (pure, no DOM, tested in Node by test/portal/lightcurve.test.ts): the ADQL that fetches an object's
 * forced photometry with each visit's mid-exposure time, and the shaping of that result into one series per band,
 * in flux (nJy) or AB magnitude, with errors.
 */

import type { Cell, ResultTable } from '../api/json-result.js';

/** DP0.2 `objectId`s are unsigned 64-bit integers; anything else is refused before it reaches ADQL. */
const OBJECT_ID = /^\d{1,20}$/;

export function isObjectId(text: string): boolean {
  return OBJECT_ID.test(text.trim());
}

/** The object's ForcedSource rows joined to their CcdVisit for the time (column names as in config/catalog/dp02.yaml). */
export function lightCurveQuery(objectId: string): string {
  const id = objectId.trim();
  if (!isObjectId(id)) throw new Error(`"${objectId}" is not an objectId (digits only)`);
  return `SELECT fs.band, v.expMidptMJD, fs.psfFlux, fs.psfFluxErr
FROM dp02_dc2_catalogs.ForcedSource AS fs
JOIN dp02_dc2_catalogs.CcdVisit AS v ON v.ccdVisitId = fs.ccdVisitId
WHERE fs.objectId = ${id}
ORDER BY v.expMidptMJD`;
}

/** LSST's bands in wavelength order, and a colour for each that stays apart from its neighbours. */
export const BAND_ORDER = ['u', 'g', 'r', 'i', 'z', 'y'] as const;
export const BAND_COLOURS: Readonly<Record<string, string>> = Object.freeze({
  u: '#6a3d9a',
  g: '#1f78b4',
  r: '#33a02c',
  i: '#e6ab02',
  z: '#e31a1c',
  y: '#7f2704',
});
const OTHER_COLOUR = '#555555';

export function bandColour(band: string): string {
  return BAND_COLOURS[band] ?? OTHER_COLOUR;
}

/** DP0.2 fluxes are in nJy: m_AB = -2.5 log10(f / 3631 Jy) = -2.5 log10(f nJy) + 31.4. */
export const AB_ZERO_POINT_NJY = 31.4;
/** dm = 2.5 / ln 10 × df / f, the first-order propagation of the flux error. */
const MAG_ERROR_FACTOR = 2.5 / Math.LN10;

export function abMagnitude(fluxNJy: number): number | null {
  return fluxNJy > 0 && Number.isFinite(fluxNJy) ? -2.5 * Math.log10(fluxNJy) + AB_ZERO_POINT_NJY : null;
}

export function abMagnitudeError(fluxNJy: number, fluxErrNJy: number | null): number | null {
  if (fluxErrNJy === null || !(fluxNJy > 0) || !Number.isFinite(fluxErrNJy)) return null;
  return (MAG_ERROR_FACTOR * fluxErrNJy) / fluxNJy;
}

export type LightCurveUnit = 'flux' | 'mag';

/** One band's points in time order; `value`/`error` are in the unit asked for (null where it has none). */
export interface BandSeries {
  readonly band: string;
  readonly mjd: readonly number[];
  readonly value: readonly (number | null)[];
  readonly error: readonly (number | null)[];
}

export interface LightCurve {
  readonly unit: LightCurveUnit;
  readonly bands: readonly BandSeries[];
  /** Rows without a time or a flux, which no plot can place. */
  readonly skipped: number;
}

function asNumber(cell: Cell | undefined): number | null {
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : null;
  if (typeof cell === 'bigint') return Number(cell);
  return null;
}

function columnIndex(table: ResultTable, name: string): number {
  const index = table.columns.findIndex((c) => c.name.toLowerCase() === name.toLowerCase());
  if (index < 0) throw new Error(`the light-curve result has no ${name} column`);
  return index;
}

/** Splits the rows by band (in ugrizy order, unknown bands after), sorted by MJD, in flux or AB magnitude. */
export function shapeLightCurve(table: ResultTable, unit: LightCurveUnit): LightCurve {
  const [band, mjd, flux, fluxErr] = ['band', 'expMidptMJD', 'psfFlux', 'psfFluxErr'].map((name) =>
    columnIndex(table, name),
  );
  const points = new Map<string, { mjd: number; value: number | null; error: number | null }[]>();
  let skipped = 0;
  for (let row = 0; row < table.rowCount; row++) {
    const time = asNumber(table.values[mjd][row]);
    const f = asNumber(table.values[flux][row]);
    const name = table.values[band][row];
    if (time === null || f === null || typeof name !== 'string') {
      skipped++;
      continue;
    }
    const err = asNumber(table.values[fluxErr][row]);
    const point =
      unit === 'flux'
        ? { mjd: time, value: f, error: err }
        : { mjd: time, value: abMagnitude(f), error: abMagnitudeError(f, err) };
    const list = points.get(name) ?? [];
    list.push(point);
    points.set(name, list);
  }
  const rank = (b: string) => {
    const i = (BAND_ORDER as readonly string[]).indexOf(b);
    return i < 0 ? BAND_ORDER.length : i;
  };
  const bands = [...points.keys()]
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .map((name) => {
      const list = points.get(name)!.sort((a, b) => a.mjd - b.mjd);
      return Object.freeze({
        band: name,
        mjd: Object.freeze(list.map((p) => p.mjd)),
        value: Object.freeze(list.map((p) => p.value)),
        error: Object.freeze(list.map((p) => p.error)),
      });
    });
  return Object.freeze({ unit, bands: Object.freeze(bands), skipped });
}

/**
 * uPlot wants one x array shared by all series: the union of the bands' times, each band's values at its own times
 * and null elsewhere (its points are drawn unjoined, so the nulls leave no gaps to see).
 */
export function alignedSeries(bands: readonly BandSeries[]): {
  readonly x: number[];
  readonly values: (number | null)[][];
  readonly errors: (number | null)[][];
} {
  const x = [...new Set(bands.flatMap((b) => b.mjd))].sort((a, b) => a - b);
  const at = new Map(x.map((t, i) => [t, i]));
  const values = bands.map(() => new Array<number | null>(x.length).fill(null));
  const errors = bands.map(() => new Array<number | null>(x.length).fill(null));
  bands.forEach((b, s) => {
    b.mjd.forEach((t, k) => {
      const i = at.get(t)!;
      values[s][i] = b.value[k];
      errors[s][i] = b.error[k];
    });
  });
  return { x, values, errors };
}

/** The objectId of the first selected row, as exact decimal text, if the table has an objectId column. */
export function selectedObjectId(table: ResultTable, selected: ReadonlySet<number>): string | null {
  const column = table.columns.findIndex((c) => c.name.toLowerCase() === 'objectid');
  if (column < 0 || selected.size === 0) return null;
  const row = Math.min(...selected);
  const cell = table.values[column][row];
  if (typeof cell === 'bigint') return cell.toString();
  if (typeof cell === 'number' && Number.isSafeInteger(cell) && cell >= 0) return String(cell);
  if (typeof cell === 'string' && isObjectId(cell)) return cell.trim();
  return null;
}
