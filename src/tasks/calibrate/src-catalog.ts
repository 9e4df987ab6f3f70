/**
 * The `src` catalog of the calibrate task: the columnar measurements of measure/ as a table with LSST's plugin
 * column names (the DRP contract's "Source columns"), sky positions from the fitted WCS, and the calibration
 * flags. Fluxes stay instrumental (`*_instFlux`, electrons); writeSourceTable/transformSourceTable calibrate them.
 *
 * Units: positions in 0-based parent pixels, second moments in pixels², coord_ra/coord_dec in degrees.
 */
import {
  makeTable,
  type Psf,
  pixelsToSky,
  psfShapeAt,
  type Table,
  type TableColumnValues,
  type TanSipWcs,
} from '../../formats/index.js';
import type { SourceMeasurements } from '../measure/index.js';
import { sourceIdMaker } from './source-ids.js';

/** `base_CircularApertureFlux_<r>` name of an aperture radius in pixels: 3 → `3_0`, 4.5 → `4_5`. */
export function apertureColumnName(radius: number): string {
  const [whole, fraction = '0'] = radius.toFixed(1).split('.');
  return `base_CircularApertureFlux_${whole}_${fraction}`;
}

/** Second moments of the PSF model at a position, pixels² (formats' `psfShapeAt`: ellipticity and position included). */
export function psfMomentsAt(psf: Psf, x: number, y: number): { ixx: number; iyy: number; ixy: number } {
  const { ixx, iyy, ixy } = psfShapeAt(psf, x, y);
  return { ixx, iyy, ixy };
}

export interface SrcCatalogInputs {
  readonly measurements: SourceMeasurements;
  readonly wcs: TanSipWcs;
  readonly psf: Psf;
  readonly ccdVisitId: number;
  /** Per source: used by the final astrometric fit / the zero-point fit (1) or not (0). */
  readonly astrometryUsed: Uint8Array;
  readonly photometryUsed: Uint8Array;
  /** Per source: the PSF-star flags carried from icSrc (matched by position), all 0 when icSrc had none. */
  readonly psfCandidate: Uint8Array;
  readonly psfUsed: Uint8Array;
  readonly psfReserved: Uint8Array;
  /** A source is extended when its adaptive-moment trace exceeds the PSF's by this fraction. */
  readonly extendednessTraceExcess: number;
}

function booleans(values: Uint8Array): boolean[] {
  return Array.from(values, (v) => v !== 0);
}

/**
 * Star/galaxy separation from sizes: 1 when the source's trace Ixx + Iyy exceeds the PSF's by more than
 * `excess` (a fraction), 0 otherwise, NaN when the moments failed. (LSST compares PSF and model fluxes; without a
 * galaxy model fit the moments carry the same information.)
 */
export function extendednessFromMoments(
  ixx: number,
  iyy: number,
  psfIxx: number,
  psfIyy: number,
  excess: number,
): number {
  const trace = ixx + iyy;
  if (!Number.isFinite(trace) || trace <= 0) return Number.NaN;
  return trace > (1 + excess) * (psfIxx + psfIyy) ? 1 : 0;
}

/** The src table (contract columns, in this order). */
export function buildSrcCatalog(inputs: SrcCatalogInputs): Table {
  const m = inputs.measurements;
  const n = m.count;
  const makeId = sourceIdMaker(inputs.ccdVisitId);
  const id = new BigInt64Array(n);
  for (let i = 0; i < n; i++) id[i] = makeId(i);
  const sky = pixelsToSky(inputs.wcs, m.x, m.y);
  const psfXx = new Float64Array(n);
  const psfYy = new Float64Array(n);
  const psfXy = new Float64Array(n);
  const extendedness = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = psfMomentsAt(inputs.psf, m.x[i]!, m.y[i]!);
    psfXx[i] = p.ixx;
    psfYy[i] = p.iyy;
    psfXy[i] = p.ixy;
    extendedness[i] = m.flags.shapeFailed[i]
      ? Number.NaN
      : extendednessFromMoments(m.ixx[i]!, m.iyy[i]!, p.ixx, p.iyy, inputs.extendednessTraceExcess);
  }
  const apertures: Record<string, TableColumnValues> = {};
  m.apertureRadii.forEach((radius, k) => {
    const name = apertureColumnName(radius);
    apertures[`${name}_instFlux`] = m.apFlux[k]!;
    apertures[`${name}_instFluxErr`] = m.apFluxErr[k]!;
  });
  const smallest = apertureColumnName(Math.min(...m.apertureRadii));
  const nPeaks = Int32Array.from(m.peakCount);
  const f = m.flags;
  return makeTable({
    id,
    parent: parentSourceIds(m, id),
    coord_ra: sky.ra,
    coord_dec: sky.dec,
    slot_Centroid_x: m.x,
    slot_Centroid_y: m.y,
    slot_Centroid_xErr: m.xErr,
    slot_Centroid_yErr: m.yErr,
    base_SdssCentroid_flag: booleans(f.badCentroid),
    base_SdssShape_xx: m.ixx,
    base_SdssShape_yy: m.iyy,
    base_SdssShape_xy: m.ixy,
    base_SdssShape_psf_xx: psfXx,
    base_SdssShape_psf_yy: psfYy,
    base_SdssShape_psf_xy: psfXy,
    base_SdssShape_flag: booleans(f.shapeFailed),
    base_PsfFlux_instFlux: m.psfFlux,
    base_PsfFlux_instFluxErr: m.psfFluxErr,
    base_PsfFlux_flag: booleans(f.psfFluxFailed),
    ...apertures,
    [`${smallest}_flag_apertureTruncated`]: booleans(f.apertureTruncated),
    base_KronFlux_instFlux: m.kronFlux,
    base_KronFlux_instFluxErr: m.kronFluxErr,
    base_KronFlux_radius: m.kronRadius,
    base_KronFlux_flag: booleans(f.kronFailed),
    base_ClassificationExtendedness_value: extendedness,
    base_PixelFlags_flag_edge: booleans(f.edge),
    base_PixelFlags_flag_saturated: booleans(f.saturated),
    base_PixelFlags_flag_saturatedCenter: booleans(f.saturatedCenter),
    base_PixelFlags_flag_interpolated: booleans(f.interpolated),
    base_PixelFlags_flag_interpolatedCenter: booleans(f.interpolatedCenter),
    base_PixelFlags_flag_cr: booleans(f.cr),
    deblend_nChild: Int32Array.from(m.deblendNChild),
    deblend_nPeaks: nPeaks,
    base_Detection_significance: m.significance,
    calib_psf_candidate: booleans(inputs.psfCandidate),
    calib_psf_used: booleans(inputs.psfUsed),
    calib_psf_reserved: booleans(inputs.psfReserved),
    calib_astrometry_used: booleans(inputs.astrometryUsed),
    calib_photometry_used: booleans(inputs.photometryUsed),
  });
}

/**
 * LSST's `parent` column: a deblended child's parent source id, 0 for top-level records. Measurements name a child's
 * parent by footprint id; the parent's own row carries that footprint id and children (`deblendNChild` > 0).
 */
export function parentSourceIds(m: SourceMeasurements, ids: ArrayLike<bigint>): BigInt64Array {
  const parentRow = new Map<number, number>();
  for (let i = 0; i < m.count; i++) if (m.deblendNChild[i]! > 0) parentRow.set(m.footprintId[i]!, i);
  const out = new BigInt64Array(m.count);
  for (let i = 0; i < m.count; i++) {
    const row = m.parent[i]! === 0 ? undefined : parentRow.get(m.parent[i]!);
    if (row !== undefined) out[i] = BigInt(ids[row]!);
  }
  return out;
}
