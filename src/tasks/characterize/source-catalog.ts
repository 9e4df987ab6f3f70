/**
 * The icSrc table (storage class SourceCatalog, written as Parquet): one row per measured source, columns in LSST's
 * plugin naming (docs/tasks.md, "characterizeImage"; the DRP contract's Source columns), and the background models
 * as the JSON of icExpBackground.
 */
import type { Box2I, Table, TanSipWcs } from '../../formats/index.js';
import { box2i, makeTable, pixelToSky } from '../../formats/index.js';
import { parentSourceIds } from '../calibrate/src-catalog.js';
import type { BackgroundModel, SourceMeasurements } from '../measure/index.js';

/** Aperture column infix of a radius: 3 → `3_0`, 4.5 → `4_5` (LSST's base_CircularApertureFlux names). */
export function apertureName(radius: number): string {
  return radius.toFixed(1).replace('.', '_');
}

/** A star is extended when its aperture-corrected PSF flux is below this fraction of its Kron flux. */
export const EXTENDEDNESS_FLUX_RATIO = 0.95;

export interface SourceCatalogInputs {
  readonly sources: SourceMeasurements;
  /** PSF-flux aperture correction applied to each source (1 when none). */
  readonly apCorr: Float64Array;
  readonly wcs: TanSipWcs | null;
  /** Source ids, one per source (calibrate's `sourceIdMaker`). */
  readonly ids: BigInt64Array;
  /** Per-source roles in the PSF determination. */
  readonly psfCandidate: Uint8Array;
  readonly psfUsed: Uint8Array;
  readonly psfReserved: Uint8Array;
}

const bool = (a: Uint8Array) => Array.from(a, (v) => v !== 0);

export function sourceCatalogTable(inputs: SourceCatalogInputs): Table {
  const { sources: s, apCorr } = inputs;
  const n = s.count;
  const ra = new Float64Array(n).fill(Number.NaN);
  const dec = new Float64Array(n).fill(Number.NaN);
  if (inputs.wcs !== null) {
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(s.x[i])) continue;
      const sky = pixelToSky(inputs.wcs, s.x[i], s.y[i]);
      ra[i] = sky.ra;
      dec[i] = sky.dec;
    }
  }
  const id = inputs.ids;
  const extendedness = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ratio = s.psfFlux[i] / s.kronFlux[i];
    extendedness[i] =
      Number.isFinite(ratio) && s.kronFlux[i] > 0 ? (ratio < EXTENDEDNESS_FLUX_RATIO ? 1 : 0) : Number.NaN;
  }
  const apertures: Record<string, Float64Array> = {};
  s.apertureRadii.forEach((r, k) => {
    apertures[`base_CircularApertureFlux_${apertureName(r)}_instFlux`] = s.apFlux[k];
    apertures[`base_CircularApertureFlux_${apertureName(r)}_instFluxErr`] = s.apFluxErr[k];
  });
  return makeTable({
    id,
    parent: parentSourceIds(s, id),
    coord_ra: ra,
    coord_dec: dec,
    slot_Centroid_x: s.x,
    slot_Centroid_y: s.y,
    slot_Centroid_xErr: s.xErr,
    slot_Centroid_yErr: s.yErr,
    base_SdssShape_xx: s.ixx,
    base_SdssShape_yy: s.iyy,
    base_SdssShape_xy: s.ixy,
    base_PsfFlux_instFlux: s.psfFlux,
    base_PsfFlux_instFluxErr: s.psfFluxErr,
    base_PsfFlux_apCorr: apCorr,
    ...apertures,
    base_KronFlux_instFlux: s.kronFlux,
    base_KronFlux_instFluxErr: s.kronFluxErr,
    base_KronFlux_radius: s.kronRadius,
    base_ClassificationExtendedness_value: extendedness,
    detect_significance: s.significance,
    base_PixelFlags_flag_edge: bool(s.flags.edge),
    base_PixelFlags_flag_saturated: bool(s.flags.saturated),
    base_PixelFlags_flag_saturatedCenter: bool(s.flags.saturatedCenter),
    base_PixelFlags_flag_interpolated: bool(s.flags.interpolated),
    base_PixelFlags_flag_interpolatedCenter: bool(s.flags.interpolatedCenter),
    base_PixelFlags_flag_cr: bool(s.flags.cr),
    base_SdssCentroid_flag: bool(s.flags.badCentroid),
    base_SdssShape_flag: bool(s.flags.shapeFailed),
    base_PsfFlux_flag: bool(s.flags.psfFluxFailed),
    base_CircularApertureFlux_flag_truncated: bool(s.flags.apertureTruncated),
    base_KronFlux_flag: bool(s.flags.kronFailed),
    deblend_nChild: Int32Array.from(s.deblendNChild),
    deblend_blended: bool(s.flags.blended),
    calib_psf_candidate: bool(inputs.psfCandidate),
    calib_psf_used: bool(inputs.psfUsed),
    calib_psf_reserved: bool(inputs.psfReserved),
    calib_astrometry_used: new Array<boolean>(n).fill(false),
    calib_photometry_used: new Array<boolean>(n).fill(false),
  });
}

/** icExpBackground / calexpBackground: the background models subtracted, in order, as JSON-able data. */
export interface BackgroundListJson {
  readonly kind: 'backgroundList';
  readonly version: 1;
  readonly models: readonly {
    readonly bbox: { x0: number; y0: number; width: number; height: number };
    readonly cellsX: number;
    readonly cellsY: number;
    readonly cellLevel: readonly number[];
    readonly cellSigma: readonly number[];
    readonly centreX: readonly number[];
    readonly centreY: readonly number[];
    readonly medianLevel: number;
    readonly medianSigma: number;
  }[];
}

export function backgroundListToJson(models: readonly BackgroundModel[]): BackgroundListJson {
  return {
    kind: 'backgroundList',
    version: 1,
    models: models.map((m) => ({
      bbox: { x0: m.bbox.x0, y0: m.bbox.y0, width: m.bbox.width, height: m.bbox.height },
      cellsX: m.cellsX,
      cellsY: m.cellsY,
      cellLevel: Array.from(m.cellLevel),
      cellSigma: Array.from(m.cellSigma),
      centreX: Array.from(m.centreX),
      centreY: Array.from(m.centreY),
      medianLevel: m.medianLevel,
      medianSigma: m.medianSigma,
    })),
  };
}

/** The background models back from their JSON (then `backgroundImage(...models)` is the total background). */
export function backgroundListFromJson(json: BackgroundListJson): BackgroundModel[] {
  return json.models.map((m) =>
    Object.freeze({
      kind: 'backgroundModel' as const,
      bbox: box2i(m.bbox.x0, m.bbox.y0, m.bbox.width, m.bbox.height) as Box2I,
      cellsX: m.cellsX,
      cellsY: m.cellsY,
      cellLevel: Float32Array.from(m.cellLevel),
      cellSigma: Float32Array.from(m.cellSigma),
      centreX: Float64Array.from(m.centreX),
      centreY: Float64Array.from(m.centreY),
      medianLevel: m.medianLevel,
      medianSigma: m.medianSigma,
    }),
  );
}
