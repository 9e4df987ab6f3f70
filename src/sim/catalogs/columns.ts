/**
 * The columns of every table `meridian sim catalogs` writes: names and types follow the DP0.2-shaped catalog schema
 * (`config/catalog/dp02.yaml`, a subset of Rubin's sdm_schemas dp02_dc2.yaml); a test checks the two agree. Each
 * table's SELECT is built from this list, so a Parquet file never has a column the schema lacks or the reverse.
 */

import { meridianError } from '../../errors.js';

/** DuckDB types used for the schema's datatypes: long, int, double, boolean, char/string. */
export type OutputType = 'BIGINT' | 'INTEGER' | 'DOUBLE' | 'BOOLEAN' | 'VARCHAR';

export interface OutputColumn {
  readonly name: string;
  readonly type: OutputType;
}

export const TABLE_NAMES = [
  'Object',
  'Source',
  'ForcedSource',
  'DiaObject',
  'DiaSource',
  'ForcedSourceOnDiaObject',
  'CcdVisit',
  'Visit',
  'TruthSummary',
  'MatchesTruth',
] as const;
export type TableName = (typeof TABLE_NAMES)[number];

/** The six LSST bands in wavelength order; every per-band column exists for all six, NULL where not simulated. */
export const ALL_BANDS = ['u', 'g', 'r', 'i', 'z', 'y'] as const;
export type BandName = (typeof ALL_BANDS)[number];

type Spec = readonly (readonly [string, OutputType])[];

const OBJECT_BAND_COLUMNS: Spec = [
  ['psfFlux', 'DOUBLE'],
  ['psfFluxErr', 'DOUBLE'],
  ['psfFlux_flag', 'BOOLEAN'],
  ['cModelFlux', 'DOUBLE'],
  ['cModelFluxErr', 'DOUBLE'],
  ['calibFlux', 'DOUBLE'],
  ['calibFluxErr', 'DOUBLE'],
  ['extendedness', 'DOUBLE'],
  ['inputCount', 'INTEGER'],
];

const DIA_OBJECT_BAND_COLUMNS: Spec = [
  ['PSFluxMin', 'DOUBLE'],
  ['PSFluxMax', 'DOUBLE'],
  ['PSFluxMean', 'DOUBLE'],
  ['PSFluxSigma', 'DOUBLE'],
  ['PSFluxNdata', 'INTEGER'],
  ['PSFluxChi2', 'DOUBLE'],
  ['PSFluxStetsonJ', 'DOUBLE'],
  ['TOTFluxMean', 'DOUBLE'],
  ['TOTFluxSigma', 'DOUBLE'],
];

const SPECS: Readonly<Record<TableName, Spec>> = {
  Object: [
    ['objectId', 'BIGINT'],
    ['coord_ra', 'DOUBLE'],
    ['coord_dec', 'DOUBLE'],
    ['detect_isPrimary', 'BOOLEAN'],
    ['refExtendedness', 'DOUBLE'],
    ['refBand', 'VARCHAR'],
    ['tract', 'BIGINT'],
    ['patch', 'BIGINT'],
    ['parentObjectId', 'BIGINT'],
    ['deblend_nChild', 'INTEGER'],
    ['x', 'DOUBLE'],
    ['y', 'DOUBLE'],
    ['shape_xx', 'DOUBLE'],
    ['shape_xy', 'DOUBLE'],
    ['shape_yy', 'DOUBLE'],
    ...ALL_BANDS.flatMap((b) => OBJECT_BAND_COLUMNS.map(([n, t]) => [`${b}_${n}`, t] as const)),
  ],
  Source: [
    ['sourceId', 'BIGINT'],
    ['coord_ra', 'DOUBLE'],
    ['coord_dec', 'DOUBLE'],
    ['ccdVisitId', 'BIGINT'],
    ['visit', 'BIGINT'],
    ['detector', 'INTEGER'],
    ['band', 'VARCHAR'],
    ['psfFlux', 'DOUBLE'],
    ['psfFluxErr', 'DOUBLE'],
    ['calibFlux', 'DOUBLE'],
    ['calibFluxErr', 'DOUBLE'],
    ['extendedness', 'DOUBLE'],
    ['detect_isPrimary', 'BOOLEAN'],
    ['x', 'DOUBLE'],
    ['y', 'DOUBLE'],
  ],
  ForcedSource: [
    ['forcedSourceId', 'BIGINT'],
    ['objectId', 'BIGINT'],
    ['ccdVisitId', 'BIGINT'],
    ['band', 'VARCHAR'],
    ['psfFlux', 'DOUBLE'],
    ['psfFluxErr', 'DOUBLE'],
    ['psfDiffFlux', 'DOUBLE'],
    ['psfDiffFluxErr', 'DOUBLE'],
    ['coord_ra', 'DOUBLE'],
    ['coord_dec', 'DOUBLE'],
    ['tract', 'BIGINT'],
    ['patch', 'BIGINT'],
    ['detect_isPrimary', 'BOOLEAN'],
    ['pixelFlags_bad', 'BOOLEAN'],
  ],
  DiaObject: [
    ['diaObjectId', 'BIGINT'],
    ['ra', 'DOUBLE'],
    ['decl', 'DOUBLE'],
    ['nDiaSources', 'INTEGER'],
    ...ALL_BANDS.flatMap((b) => DIA_OBJECT_BAND_COLUMNS.map(([n, t]) => [`${b}${n}`, t] as const)),
  ],
  DiaSource: [
    ['diaSourceId', 'BIGINT'],
    ['diaObjectId', 'BIGINT'],
    ['ccdVisitId', 'BIGINT'],
    ['ra', 'DOUBLE'],
    ['decl', 'DOUBLE'],
    ['filterName', 'VARCHAR'],
    ['midPointTai', 'DOUBLE'],
    ['psFlux', 'DOUBLE'],
    ['psFluxErr', 'DOUBLE'],
    ['totFlux', 'DOUBLE'],
    ['totFluxErr', 'DOUBLE'],
    ['apFlux', 'DOUBLE'],
    ['apFluxErr', 'DOUBLE'],
    ['snr', 'DOUBLE'],
    ['ssObjectId', 'BIGINT'],
    ['x', 'DOUBLE'],
    ['y', 'DOUBLE'],
  ],
  ForcedSourceOnDiaObject: [
    ['forcedSourceOnDiaObjectId', 'BIGINT'],
    ['diaObjectId', 'BIGINT'],
    ['ccdVisitId', 'BIGINT'],
    ['band', 'VARCHAR'],
    ['psfFlux', 'DOUBLE'],
    ['psfFluxErr', 'DOUBLE'],
    ['psfDiffFlux', 'DOUBLE'],
    ['psfDiffFluxErr', 'DOUBLE'],
    ['coord_ra', 'DOUBLE'],
    ['coord_dec', 'DOUBLE'],
  ],
  CcdVisit: [
    ['ccdVisitId', 'BIGINT'],
    ['visitId', 'BIGINT'],
    ['detector', 'INTEGER'],
    ['band', 'VARCHAR'],
    ['physical_filter', 'VARCHAR'],
    ['ra', 'DOUBLE'],
    ['decl', 'DOUBLE'],
    ['expMidptMJD', 'DOUBLE'],
    ['obsStartMJD', 'DOUBLE'],
    ['expTime', 'DOUBLE'],
    ['seeing', 'DOUBLE'],
    ['zeroPoint', 'DOUBLE'],
    ['psfSigma', 'DOUBLE'],
    ['skyBg', 'DOUBLE'],
    ['skyNoise', 'DOUBLE'],
    ['llcra', 'DOUBLE'],
    ['llcdec', 'DOUBLE'],
    ['ulcra', 'DOUBLE'],
    ['ulcdec', 'DOUBLE'],
    ['urcra', 'DOUBLE'],
    ['urcdec', 'DOUBLE'],
    ['lrcra', 'DOUBLE'],
    ['lrcdec', 'DOUBLE'],
  ],
  Visit: [
    ['visit', 'BIGINT'],
    ['band', 'VARCHAR'],
    ['physical_filter', 'VARCHAR'],
    ['ra', 'DOUBLE'],
    ['decl', 'DOUBLE'],
    ['skyRotation', 'DOUBLE'],
    ['airmass', 'DOUBLE'],
    ['zenithDistance', 'DOUBLE'],
    ['expTime', 'DOUBLE'],
    ['expMidptMJD', 'DOUBLE'],
    ['obsStartMJD', 'DOUBLE'],
  ],
  TruthSummary: [
    ['id_truth_type', 'VARCHAR'],
    ['id', 'VARCHAR'],
    ['truth_type', 'INTEGER'],
    ['ra', 'DOUBLE'],
    ['dec', 'DOUBLE'],
    ['redshift', 'DOUBLE'],
    ['is_variable', 'BOOLEAN'],
    ['is_pointsource', 'BOOLEAN'],
    ['host_galaxy', 'BIGINT'],
    ...ALL_BANDS.flatMap(
      (b) =>
        [
          [`flux_${b}`, 'DOUBLE'],
          [`flux_${b}_noMW`, 'DOUBLE'],
        ] as const,
    ),
    ['mag_r', 'DOUBLE'],
    ['tract', 'BIGINT'],
    ['patch', 'BIGINT'],
  ],
  MatchesTruth: [
    ['id_truth_type', 'VARCHAR'],
    ['match_objectId', 'BIGINT'],
    ['match_candidate', 'BOOLEAN'],
    ['match_count', 'INTEGER'],
    ['match_chisq', 'DOUBLE'],
    ['match_n_chisq_finite', 'INTEGER'],
    ['match_sep', 'DOUBLE'],
  ],
};

export const OUTPUT_COLUMNS: Readonly<Record<TableName, readonly OutputColumn[]>> = Object.freeze(
  Object.fromEntries(
    TABLE_NAMES.map((t) => [t, Object.freeze(SPECS[t].map(([name, type]) => Object.freeze({ name, type })))]),
  ) as Record<TableName, readonly OutputColumn[]>,
);

/**
 * The SELECT list of a table: every schema column, in schema order, cast to its type, from the SQL expression
 * given for it. A missing or unknown column is a programming error, caught by the first test that writes the table.
 */
export function selectList(table: TableName, expressions: Readonly<Record<string, string>>): string {
  const columns = OUTPUT_COLUMNS[table];
  const known = new Set(columns.map((c) => c.name));
  const extra = Object.keys(expressions).filter((name) => !known.has(name));
  const missing = columns.filter((c) => expressions[c.name] === undefined).map((c) => c.name);
  if (extra.length > 0 || missing.length > 0) {
    throw meridianError('INTERNAL', `column expressions for ${table} do not match its schema`, {
      extra,
      missing,
    });
  }
  return columns.map((c) => `CAST(${expressions[c.name]} AS ${c.type}) AS "${c.name}"`).join(',\n  ');
}
