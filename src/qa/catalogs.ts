/**
 * The QA's view of its inputs as parallel typed arrays: the measured sources (DP0.2 Source columns of
 * `sourceTable_visit`), the simulator's truth (`truth_summary.parquet`, `ccd_visit_truth.parquet`), the per-detector
 * calibration summaries (`visitSummary`, `globalPhotoCalib`) and the isolated-star association. Converting a butler
 * `Table` checks the columns the metrics need and names a missing one.
 */

import { meridianError } from '../errors.js';
import type { Table, TableColumnValues, TanSipWcs } from '../formats/index.js';

export const BANDS = ['u', 'g', 'r', 'i', 'z', 'y'] as const;

/** Truth types of the simulator's TruthSummary (docs/simulator.md). */
export const TRUTH_GALAXY = 1;
export const TRUTH_STAR = 2;
export const TRUTH_SUPERNOVA = 3;

export interface MeasuredSources {
  readonly length: number;
  /** 64-bit source ids as decimal strings (exact whatever the Parquet integer type). */
  readonly sourceId: readonly string[];
  readonly ra: Float64Array;
  readonly dec: Float64Array;
  readonly visit: Float64Array;
  readonly detector: Float64Array;
  readonly band: readonly string[];
  /** nJy. */
  readonly psfFlux: Float64Array;
  readonly psfFluxErr: Float64Array;
  /** 0 point-like .. 1 extended; NaN when not measured. */
  readonly extendedness: Float64Array;
  readonly saturated: Uint8Array;
  /** Primary (deblended child or isolated), not on an edge: the sources the metrics count. */
  readonly usable: Uint8Array;
}

export interface TruthObjects {
  readonly length: number;
  readonly id: Float64Array;
  readonly truthType: Int8Array;
  readonly ra: Float64Array;
  readonly dec: Float64Array;
  readonly isVariable: Uint8Array;
  /** Band to flux above the atmosphere, nJy. */
  readonly flux: Readonly<Record<string, Float64Array>>;
}

/** The truth of one exposure x detector (one exposure per visit, so visit = exposure). */
export interface CcdVisitTruth {
  readonly visit: number;
  readonly detector: number;
  readonly band: string;
  readonly zeroPointMag: number;
  readonly psfFwhmArcsec: number;
  /** True PSF second-moment sigma at the detector centre, pixels (sqrt of the unweighted moments' det^(1/2)). */
  readonly psfSigmaPixels: number;
  readonly wcs: TanSipWcs;
  readonly width: number;
  readonly height: number;
}

/** One row of `visitSummary` or `globalPhotoCalib`: what the pipeline says about one detector of one visit. */
export interface DetectorCalibration {
  readonly visit: number;
  readonly detector: number;
  readonly band: string;
  /** AB magnitude of one count (electron) in the exposure. */
  readonly zeroPoint: number;
  /** PSF second-moment sigma at the detector centre, pixels (NaN when absent). */
  readonly psfSigma: number;
  /** 5-sigma point-source limiting magnitude (NaN when absent). */
  readonly maglim: number;
}

/** Isolated-star association: which stars the sources belong to (`isolated_star_sources`). */
export interface StarAssociation {
  readonly sourceId: readonly string[];
  readonly starId: readonly string[];
}

function columnOf(
  table: Table,
  names: readonly string[],
  what: string,
  required: boolean,
): TableColumnValues | null {
  for (const name of names) {
    const column = table.columns[name];
    if (column !== undefined) return column;
  }
  if (!required) return null;
  throw meridianError(
    'QA_INPUT_MISSING',
    `${what} has no column ${names.join(' or ')}; the QA needs it (DP0.2 Source/CcdVisit columns, docs/qa.md)`,
    { columns: names },
  );
}

function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  return Number.NaN;
}

/** A numeric column as Float64Array (bigint to number, null to NaN); NaN-filled when absent and optional. */
export function numbers(table: Table, names: readonly string[], what: string, required = true): Float64Array {
  const column = columnOf(table, names, what, required);
  if (column === null) return new Float64Array(table.length).fill(Number.NaN);
  return Float64Array.from(column as ArrayLike<unknown>, toNumber);
}

/** A column as decimal strings (exact for 64-bit ids). */
export function strings(table: Table, names: readonly string[], what: string): string[] {
  const column = columnOf(table, names, what, true)!;
  return Array.from(column as ArrayLike<unknown>, (v) => (v === null || v === undefined ? '' : String(v)));
}

/** A flag column as 0/1 (missing values and an absent optional column give `fallback`). */
export function flags(table: Table, names: readonly string[], what: string, fallback: 0 | 1): Uint8Array {
  const column = columnOf(table, names, what, false);
  const out = new Uint8Array(table.length).fill(fallback);
  if (column === null) return out;
  for (let i = 0; i < table.length; i++) {
    const v = (column as ArrayLike<unknown>)[i];
    if (v !== null && v !== undefined) out[i] = toNumber(v) !== 0 ? 1 : 0;
  }
  return out;
}

/** The measured sources of a `sourceTable_visit` (or `sourceTable`) table. */
export function measuredSourcesFromTable(table: Table, what = 'sourceTable_visit'): MeasuredSources {
  const visit = numbers(table, ['visit'], what, false);
  const detector = numbers(table, ['detector'], what, false);
  const ccdVisitId = numbers(table, ['ccdVisitId'], what, false);
  for (let i = 0; i < table.length; i++) {
    // ccdVisitId = visit * 1000 + detector (DP0.2, and the contract): fills either when only it is present.
    if (Number.isNaN(visit[i]!)) visit[i] = Math.floor(ccdVisitId[i]! / 1000);
    if (Number.isNaN(detector[i]!)) detector[i] = ccdVisitId[i]! % 1000;
  }
  if (table.length > 0 && Number.isNaN(visit[0]!)) columnOf(table, ['visit', 'ccdVisitId'], what, true);
  const primary = flags(table, ['detect_isPrimary'], what, 1);
  const edge = flags(table, ['pixelFlags_edge'], what, 0);
  const usable = primary.map((p, i) => (p === 1 && edge[i] === 0 ? 1 : 0));
  return Object.freeze({
    length: table.length,
    sourceId: strings(table, ['sourceId', 'id'], what),
    ra: numbers(table, ['coord_ra', 'ra'], what),
    dec: numbers(table, ['coord_dec', 'decl', 'dec'], what),
    visit,
    detector,
    band: strings(table, ['band'], what),
    psfFlux: numbers(table, ['psfFlux'], what),
    psfFluxErr: numbers(table, ['psfFluxErr'], what),
    extendedness: numbers(table, ['extendedness'], what, false),
    saturated: flags(table, ['pixelFlags_saturated'], what, 0),
    usable,
  });
}

/** Several source tables as one (the QA reads one `sourceTable_visit` per visit). */
export function concatSources(parts: readonly MeasuredSources[]): MeasuredSources {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const floats = (key: 'ra' | 'dec' | 'visit' | 'detector' | 'psfFlux' | 'psfFluxErr' | 'extendedness') => {
    const out = new Float64Array(length);
    let offset = 0;
    for (const p of parts) {
      out.set(p[key], offset);
      offset += p.length;
    }
    return out;
  };
  const bytes = (key: 'saturated' | 'usable') => {
    const out = new Uint8Array(length);
    let offset = 0;
    for (const p of parts) {
      out.set(p[key], offset);
      offset += p.length;
    }
    return out;
  };
  return Object.freeze({
    length,
    sourceId: parts.flatMap((p) => p.sourceId),
    ra: floats('ra'),
    dec: floats('dec'),
    visit: floats('visit'),
    detector: floats('detector'),
    band: parts.flatMap((p) => p.band),
    psfFlux: floats('psfFlux'),
    psfFluxErr: floats('psfFluxErr'),
    extendedness: floats('extendedness'),
    saturated: bytes('saturated'),
    usable: bytes('usable'),
  });
}

/** The truth objects of `truth_summary.parquet`. */
export function truthObjectsFromTable(table: Table): TruthObjects {
  const what = 'truth_summary.parquet';
  const flux: Record<string, Float64Array> = {};
  for (const band of BANDS) flux[band] = numbers(table, [`flux_${band}`], what, false);
  return Object.freeze({
    length: table.length,
    id: numbers(table, ['id'], what),
    truthType: Int8Array.from(numbers(table, ['truth_type'], what)),
    ra: numbers(table, ['ra'], what),
    dec: numbers(table, ['dec'], what),
    isVariable: flags(table, ['is_variable'], what, 0),
    flux: Object.freeze(flux),
  });
}

/** Rows of a `visitSummary` or `globalPhotoCalib` table. */
export function detectorCalibrationsFromTable(table: Table, what: string): DetectorCalibration[] {
  const visit = numbers(table, ['visit'], what);
  const detector = numbers(table, ['detector'], what);
  const band = table.columns.band === undefined ? null : strings(table, ['band'], what);
  const zeroPoint = numbers(table, ['zeroPoint'], what);
  const psfSigma = numbers(table, ['psfSigma'], what, false);
  const maglim = numbers(table, ['maglim'], what, false);
  return Array.from({ length: table.length }, (_, i) =>
    Object.freeze({
      visit: visit[i]!,
      detector: detector[i]!,
      band: band?.[i] ?? '',
      zeroPoint: zeroPoint[i]!,
      psfSigma: psfSigma[i]!,
      maglim: maglim[i]!,
    }),
  );
}

/** The association of `isolated_star_sources` (sourceId, isolated_star_id). */
export function starAssociationFromTable(table: Table): StarAssociation {
  const what = 'isolated_star_sources';
  return Object.freeze({
    sourceId: strings(table, ['sourceId'], what),
    starId: strings(table, ['isolated_star_id', 'obj_index'], what),
  });
}
