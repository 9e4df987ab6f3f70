/**
 * Reference stars for one detector from the sharded reference catalog (`the_monster_refcat`: one Parquet table per
 * HTM level-7 trixel, see src/obs/refcat.ts). The calibrate task receives the shards overlapping the detector's
 * region (a region prerequisite lookup, which is conservative: whole trixels), reads only the columns it needs
 * (`refcatColumnsFor`), and `loadReferenceStars` keeps the stars that fall on the detector under the initial WCS,
 * with a margin for that WCS's error, and turns fluxes into magnitudes and position errors into mas.
 *
 * Columns (as the simulator and LSST's refcats write them): `coord_ra`, `coord_dec` (degrees), `coord_raErr`,
 * `coord_decErr` (degrees), `<band>_flux`, `<band>_fluxErr` (nJy). The refcat carries no proper motions, so the
 * positions are used at the catalog epoch whatever the epoch of the exposure.
 */
import { z } from 'zod';
import { meridianError } from '../../errors.js';
import { type Box2I, skyToPixels, type Table, type TanSipWcs } from '../../formats/index.js';
import type { ReferenceStar } from './model.js';
import { AB_MAG_OF_NANOJANSKY } from './photo-calib.js';

/** 2.5 / ln 10: magnitude error per fractional flux error. */
const MAG_PER_LN = 2.5 / Math.LN10;
const MAS_PER_DEGREE = 3.6e6;

export const RefcatLoaderConfig = z
  .object({
    /**
     * Refcat flux column prefix per exposure band, for bands the refcat does not carry under their own name
     * (e.g. `{ y: 'z' }`); a band not listed uses its own name.
     */
    bandColumns: z.record(z.string(), z.string()).default({}),
    /** Stars on the detector or within this many pixels of it (under the initial WCS) are loaded. */
    marginPixels: z.number().min(0).default(100),
    /** Magnitude limits in the exposure's band (null: no limit). Bright limit keeps saturated stars out. */
    brightMagLimit: z.number().nullable().default(null),
    faintMagLimit: z.number().nullable().default(null),
  })
  .strict();
export type RefcatLoaderConfig = z.infer<typeof RefcatLoaderConfig>;

/** A reference star with what photometric calibration needs too. */
export interface LoadedReferenceStar extends ReferenceStar {
  /** Magnitude error, mag (from the flux error). */
  readonly magErr: number;
  /** Flux in the exposure's band, nJy. */
  readonly flux: number;
}

export interface LoadedReferenceCatalog {
  readonly stars: readonly LoadedReferenceStar[];
  /** The refcat flux column used (`<prefix>_flux`). */
  readonly fluxColumn: string;
  readonly shards: number;
  /** Rows read from the shards, and rows left out by the position and magnitude cuts or a bad flux. */
  readonly rowsRead: number;
  readonly outsideField: number;
  readonly rejectedFlux: number;
  readonly rejectedMagnitude: number;
}

/** The field of a detector: its pixel box and the (initial) WCS that maps it to the sky. */
export interface DetectorField {
  readonly bbox: Box2I;
  readonly wcs: TanSipWcs;
}

/** The refcat flux column prefix for an exposure band. */
export function refcatFluxPrefix(band: string, config: Partial<RefcatLoaderConfig> = {}): string {
  return config.bandColumns?.[band] ?? band;
}

/** The columns to read from each shard for `band` (pass as the butler read parameter `columns`). */
export function refcatColumnsFor(band: string, config: Partial<RefcatLoaderConfig> = {}): string[] {
  const p = refcatFluxPrefix(band, config);
  return ['coord_ra', 'coord_dec', 'coord_raErr', 'coord_decErr', `${p}_flux`, `${p}_fluxErr`];
}

function numberColumn(table: Table, name: string, shard: number): ArrayLike<number> {
  const values = table.columns[name];
  if (values === undefined) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `reference catalog shard ${shard} has no column ${name}; columns: ${Object.keys(table.columns).join(', ')}`,
      { column: name },
    );
  }
  if (values instanceof BigInt64Array || typeof (values as ArrayLike<unknown>)[0] === 'bigint') {
    throw meridianError(
      'INVALID_ARGUMENT',
      `reference catalog column ${name} is not a floating-point column`,
    );
  }
  return values as ArrayLike<number>;
}

/**
 * The reference stars of `shards` that fall on the detector (or within `marginPixels` of it) under `field.wcs`,
 * with magnitudes in `band`. Rows with a non-positive or non-finite flux are left out (they have no magnitude).
 */
export function loadReferenceStars(
  shards: readonly Table[],
  field: DetectorField,
  band: string,
  options: Partial<z.input<typeof RefcatLoaderConfig>> = {},
): LoadedReferenceCatalog {
  const parsed = RefcatLoaderConfig.safeParse(options);
  if (!parsed.success) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `invalid reference loader config: ${parsed.error.issues[0]?.message}`,
    );
  }
  const config = parsed.data;
  const prefix = refcatFluxPrefix(band, config);
  const fluxColumn = `${prefix}_flux`;
  const { bbox } = field;
  const margin = config.marginPixels;
  const xMin = bbox.x0 - 0.5 - margin;
  const xMax = bbox.x0 + bbox.width - 0.5 + margin;
  const yMin = bbox.y0 - 0.5 - margin;
  const yMax = bbox.y0 + bbox.height - 0.5 + margin;
  const stars: LoadedReferenceStar[] = [];
  let rowsRead = 0;
  let outsideField = 0;
  let rejectedFlux = 0;
  let rejectedMagnitude = 0;
  shards.forEach((table, shard) => {
    rowsRead += table.length;
    if (table.length === 0) return;
    const ra = Float64Array.from(numberColumn(table, 'coord_ra', shard));
    const dec = Float64Array.from(numberColumn(table, 'coord_dec', shard));
    const raErr = numberColumn(table, 'coord_raErr', shard);
    const decErr = numberColumn(table, 'coord_decErr', shard);
    const flux = numberColumn(table, fluxColumn, shard);
    const fluxErr = numberColumn(table, `${prefix}_fluxErr`, shard);
    const pixels = skyToPixels(field.wcs, ra, dec);
    for (let i = 0; i < table.length; i++) {
      const x = pixels.x[i]!;
      const y = pixels.y[i]!;
      // NaN (behind the tangent plane) fails these comparisons and is left out too.
      if (!(x >= xMin && x <= xMax && y >= yMin && y <= yMax)) {
        outsideField++;
        continue;
      }
      const f = flux[i]!;
      if (!(f > 0) || !Number.isFinite(f)) {
        rejectedFlux++;
        continue;
      }
      const mag = AB_MAG_OF_NANOJANSKY - 2.5 * Math.log10(f);
      if (
        (config.brightMagLimit !== null && mag < config.brightMagLimit) ||
        (config.faintMagLimit !== null && mag > config.faintMagLimit)
      ) {
        rejectedMagnitude++;
        continue;
      }
      const fe = fluxErr[i]!;
      // Per-axis position error: the mean of the two axes' errors (they are equal in LSST-like refcats).
      const positionErrMas = ((raErr[i]! + decErr[i]!) / 2) * MAS_PER_DEGREE;
      stars.push(
        Object.freeze({
          ra: ra[i]!,
          dec: dec[i]!,
          mag,
          magErr: Number.isFinite(fe) && fe > 0 ? (MAG_PER_LN * fe) / f : Number.NaN,
          flux: f,
          ...(Number.isFinite(positionErrMas) && positionErrMas > 0 ? { positionErrMas } : {}),
        }),
      );
    }
  });
  return Object.freeze({
    stars: Object.freeze(stars),
    fluxColumn,
    shards: shards.length,
    rowsRead,
    outsideField,
    rejectedFlux,
    rejectedMagnitude,
  });
}
