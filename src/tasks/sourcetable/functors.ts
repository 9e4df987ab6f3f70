/**
 * The DP0.2 Source columns as a declarative mapping from the `source` table (LSST plugin names, instrumental
 * fluxes, plus writeSourceTable's calibration columns), after Rubin's transformSourceTable functors (Column,
 * LocalNanojansky, LocalNanojanskyErr, ...). Each entry names the output column, what it is computed from, how,
 * its unit and type: docs/tasks.md lists them from this table.
 *
 * Calibration: `flux [nJy] = instFlux × base_LocalPhotoCalib` (nJy per count), exactly one multiplication, and
 * `fluxErr = √((instFluxErr · c)² + (instFlux · cErr)²)`, as Rubin's LocalNanojanskyErr.
 */
import { meridianError } from '../../errors.js';
import { makeTable, type Table, type TableColumnValues } from '../../formats/index.js';

/** How a column is computed. */
export type ColumnTransform =
  /** A copy of the one `from` column. */
  | 'copy'
  /** `from[0]` (an instrumental flux, counts) × base_LocalPhotoCalib: nJy. */
  | 'nanojansky'
  /** The error of `nanojansky` from `from` = [instFlux, instFluxErr] and base_LocalPhotoCalib(Err). */
  | 'nanojanskyErr'
  /** A value of the quantum's data ID (`from[0]` is the dimension), else the column of that name. */
  | 'dataId'
  /** Not a deblended parent (deblend_nChild = 0) and not on the edge. */
  | 'isPrimary';

export type ColumnType = 'BIGINT' | 'INTEGER' | 'DOUBLE' | 'BOOLEAN' | 'VARCHAR';

export interface ColumnFunctor {
  readonly name: string;
  readonly from: readonly string[];
  readonly transform: ColumnTransform;
  readonly type: ColumnType;
  /** IVOA-style unit string ('' for dimensionless). */
  readonly unit: string;
  readonly doc: string;
}

/** The per-source calibration columns writeSourceTable adds (nJy per count, from the calexp's PhotoCalib). */
export const LOCAL_PHOTO_CALIB = 'base_LocalPhotoCalib';
export const LOCAL_PHOTO_CALIB_ERR = 'base_LocalPhotoCalibErr';

const copy = (name: string, from: string, type: ColumnType, unit: string, doc: string): ColumnFunctor => ({
  name,
  from: [from],
  transform: 'copy',
  type,
  unit,
  doc,
});

/** A calibrated flux and its error from an LSST flux plugin (`<plugin>_instFlux`, `<plugin>_instFluxErr`). */
function fluxPair(name: string, plugin: string, what: string): ColumnFunctor[] {
  return [
    { name, from: [`${plugin}_instFlux`], transform: 'nanojansky', type: 'DOUBLE', unit: 'nJy', doc: what },
    {
      name: `${name}Err`,
      from: [`${plugin}_instFlux`, `${plugin}_instFluxErr`],
      transform: 'nanojanskyErr',
      type: 'DOUBLE',
      unit: 'nJy',
      doc: `Uncertainty of ${name}.`,
    },
  ];
}

/** DP0.2 aperture columns (radius in pixels) that the measurement makes. */
const APERTURES: readonly [string, string][] = [
  ['ap03Flux', '3_0'],
  ['ap06Flux', '6_0'],
  ['ap09Flux', '9_0'],
  ['ap12Flux', '12_0'],
  ['ap17Flux', '17_0'],
  ['ap25Flux', '25_0'],
];

/** The DP0.2 Source columns of `sourceTable`, in order. */
export const SOURCE_TABLE_FUNCTORS: readonly ColumnFunctor[] = Object.freeze([
  copy(
    'sourceId',
    'id',
    'BIGINT',
    '',
    'Unique id: ccdVisitId · 2^32 + row (see docs/tasks.md for large visit ids).',
  ),
  copy('coord_ra', 'coord_ra', 'DOUBLE', 'deg', 'Right ascension (ICRS) from the calibrated WCS.'),
  copy('coord_dec', 'coord_dec', 'DOUBLE', 'deg', 'Declination (ICRS) from the calibrated WCS.'),
  copy('ra', 'coord_ra', 'DOUBLE', 'deg', 'Right ascension (ICRS); same as coord_ra.'),
  copy('decl', 'coord_dec', 'DOUBLE', 'deg', 'Declination (ICRS); same as coord_dec.'),
  copy('ccdVisitId', 'ccdVisitId', 'BIGINT', '', 'Detector-visit id: visit · 1000 + detector.'),
  { name: 'visit', from: ['visit'], transform: 'dataId', type: 'BIGINT', unit: '', doc: 'Visit id.' },
  {
    name: 'detector',
    from: ['detector'],
    transform: 'dataId',
    type: 'INTEGER',
    unit: '',
    doc: 'Detector id.',
  },
  {
    name: 'band',
    from: ['band'],
    transform: 'dataId',
    type: 'VARCHAR',
    unit: '',
    doc: 'Abstract filter (ugrizy).',
  },
  {
    name: 'physical_filter',
    from: ['physical_filter'],
    transform: 'dataId',
    type: 'VARCHAR',
    unit: '',
    doc: 'Physical filter of the visit.',
  },
  copy('x', 'slot_Centroid_x', 'DOUBLE', 'pixel', 'Centroid column, 0-based parent pixels.'),
  copy('y', 'slot_Centroid_y', 'DOUBLE', 'pixel', 'Centroid row, 0-based parent pixels.'),
  copy('xErr', 'slot_Centroid_xErr', 'DOUBLE', 'pixel', 'Uncertainty of x.'),
  copy('yErr', 'slot_Centroid_yErr', 'DOUBLE', 'pixel', 'Uncertainty of y.'),
  ...fluxPair(
    'psfFlux',
    'base_PsfFlux',
    'PSF flux (linear least-squares fit of the PSF model at the centroid).',
  ),
  ...fluxPair(
    'calibFlux',
    'base_CircularApertureFlux_12_0',
    'Flux in a 12-pixel aperture, the calibration flux.',
  ),
  ...APERTURES.flatMap(([name, radius]) =>
    fluxPair(
      name,
      `base_CircularApertureFlux_${radius}`,
      `Flux in a circular aperture of radius ${Number(radius.replace('_', '.'))} pixels.`,
    ),
  ),
  ...fluxPair('kronFlux', 'base_KronFlux', 'Kron-like flux in 2.5 Kron radii.'),
  copy('ixx', 'base_SdssShape_xx', 'DOUBLE', 'pixel**2', 'Adaptive second moment xx.'),
  copy('iyy', 'base_SdssShape_yy', 'DOUBLE', 'pixel**2', 'Adaptive second moment yy.'),
  copy('ixy', 'base_SdssShape_xy', 'DOUBLE', 'pixel**2', 'Adaptive second moment xy.'),
  copy('ixxPSF', 'base_SdssShape_psf_xx', 'DOUBLE', 'pixel**2', 'PSF model second moment xx at the source.'),
  copy('iyyPSF', 'base_SdssShape_psf_yy', 'DOUBLE', 'pixel**2', 'PSF model second moment yy at the source.'),
  copy('ixyPSF', 'base_SdssShape_psf_xy', 'DOUBLE', 'pixel**2', 'PSF model second moment xy at the source.'),
  copy(
    'extendedness',
    'base_ClassificationExtendedness_value',
    'DOUBLE',
    '',
    '1 extended, 0 point-like (moments).',
  ),
  {
    name: 'detect_isPrimary',
    from: ['deblend_nChild', 'base_PixelFlags_flag_edge'],
    transform: 'isPrimary',
    type: 'BOOLEAN',
    unit: '',
    doc: 'Not a deblended parent and not on the edge: the sources to use.',
  },
  copy(
    'pixelFlags_edge',
    'base_PixelFlags_flag_edge',
    'BOOLEAN',
    '',
    'Footprint touches the edge of the image.',
  ),
  copy(
    'pixelFlags_saturated',
    'base_PixelFlags_flag_saturated',
    'BOOLEAN',
    '',
    'Saturated pixels in the footprint.',
  ),
  copy(
    'pixelFlags_saturatedCenter',
    'base_PixelFlags_flag_saturatedCenter',
    'BOOLEAN',
    '',
    'Saturated pixels in the 3x3 centre.',
  ),
  copy(
    'pixelFlags_interpolated',
    'base_PixelFlags_flag_interpolated',
    'BOOLEAN',
    '',
    'Interpolated pixels in the footprint.',
  ),
  copy(
    'pixelFlags_interpolatedCenter',
    'base_PixelFlags_flag_interpolatedCenter',
    'BOOLEAN',
    '',
    'Interpolated pixels in the 3x3 centre.',
  ),
  copy('pixelFlags_cr', 'base_PixelFlags_flag_cr', 'BOOLEAN', '', 'Cosmic-ray pixels in the footprint.'),
  copy(
    'centroid_flag',
    'base_SdssCentroid_flag',
    'BOOLEAN',
    '',
    'The centroid failed (position is the peak).',
  ),
  copy('shape_flag', 'base_SdssShape_flag', 'BOOLEAN', '', 'The adaptive moments failed.'),
  copy('psfFlux_flag', 'base_PsfFlux_flag', 'BOOLEAN', '', 'The PSF flux failed.'),
  copy('kronFlux_flag', 'base_KronFlux_flag', 'BOOLEAN', '', 'The Kron flux failed.'),
  copy(
    'deblend_nChild',
    'deblend_nChild',
    'INTEGER',
    '',
    'Children the deblender split this source into (0: not deblended).',
  ),
  copy('deblend_nPeaks', 'deblend_nPeaks', 'INTEGER', '', 'Peaks in the footprint (> 1: blended).'),
  copy(
    'parentSourceId',
    'parent',
    'BIGINT',
    '',
    'sourceId of the deblended parent, 0 for top-level sources.',
  ),
  copy('calib_astrometry_used', 'calib_astrometry_used', 'BOOLEAN', '', 'Used by the astrometric fit.'),
  copy('calib_photometry_used', 'calib_photometry_used', 'BOOLEAN', '', 'Used by the zero-point fit.'),
  copy('calib_psf_used', 'calib_psf_used', 'BOOLEAN', '', 'Used by the PSF model.'),
]);

function column(table: Table, name: string, target: string): TableColumnValues {
  const values = table.columns[name];
  if (values === undefined) {
    throw meridianError('INVALID_ARGUMENT', `the source table has no column ${name} (needed for ${target})`, {
      column: name,
    });
  }
  return values;
}

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return Number.NaN;
}

/** Values in the column type the functor declares (typed arrays for numbers, plain arrays otherwise). */
function typed(type: ColumnType, values: ArrayLike<unknown>): TableColumnValues {
  const n = values.length;
  switch (type) {
    case 'DOUBLE':
      return values instanceof Float64Array
        ? values
        : Float64Array.from({ length: n }, (_, i) => toNumber(values[i]));
    case 'INTEGER':
      return values instanceof Int32Array
        ? values
        : Int32Array.from({ length: n }, (_, i) => toNumber(values[i]));
    case 'BIGINT':
      return values instanceof BigInt64Array
        ? values
        : BigInt64Array.from({ length: n }, (_, i) => {
            const v = values[i];
            return typeof v === 'bigint' ? v : BigInt(Math.trunc(toNumber(v)));
          });
    case 'BOOLEAN':
      return Array.from({ length: n }, (_, i) => {
        const v = values[i];
        return v === null || v === undefined ? null : Boolean(typeof v === 'bigint' ? v !== 0n : v);
      });
    case 'VARCHAR':
      return Array.from({ length: n }, (_, i) => (values[i] === null ? null : String(values[i])));
  }
}

/**
 * Apply `functors` to the `source` table of one detector. `dataId` holds the quantum's data-ID values (visit,
 * detector, band, physical_filter); a value missing there is read from the source column of the same name.
 */
export function transformSourceTable(
  source: Table,
  dataId: Readonly<Record<string, string | number | bigint>>,
  functors: readonly ColumnFunctor[] = SOURCE_TABLE_FUNCTORS,
): Table {
  const n = source.length;
  const out: Record<string, TableColumnValues> = {};
  for (const f of functors) {
    switch (f.transform) {
      case 'copy':
        out[f.name] = typed(f.type, column(source, f.from[0]!, f.name));
        break;
      case 'nanojansky': {
        const flux = column(source, f.from[0]!, f.name) as ArrayLike<number>;
        const calib = column(source, LOCAL_PHOTO_CALIB, f.name) as ArrayLike<number>;
        const values = new Float64Array(n);
        for (let i = 0; i < n; i++) values[i] = flux[i]! * calib[i]!;
        out[f.name] = values;
        break;
      }
      case 'nanojanskyErr': {
        const flux = column(source, f.from[0]!, f.name) as ArrayLike<number>;
        const fluxErr = column(source, f.from[1]!, f.name) as ArrayLike<number>;
        const calib = column(source, LOCAL_PHOTO_CALIB, f.name) as ArrayLike<number>;
        const calibErr = column(source, LOCAL_PHOTO_CALIB_ERR, f.name) as ArrayLike<number>;
        const values = new Float64Array(n);
        for (let i = 0; i < n; i++) values[i] = Math.hypot(fluxErr[i]! * calib[i]!, flux[i]! * calibErr[i]!);
        out[f.name] = values;
        break;
      }
      case 'dataId': {
        const key = f.from[0]!;
        const value = dataId[key];
        out[f.name] =
          value === undefined
            ? typed(f.type, column(source, key, f.name))
            : typed(
                f.type,
                Array.from({ length: n }, () => value),
              );
        break;
      }
      case 'isPrimary': {
        const nChild = column(source, f.from[0]!, f.name);
        const edge = column(source, f.from[1]!, f.name);
        out[f.name] = Array.from({ length: n }, (_, i) => toNumber(nChild[i]) === 0 && !toNumber(edge[i]));
        break;
      }
    }
  }
  return makeTable(out);
}
