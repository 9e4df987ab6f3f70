/**
 * Options of `simulateCatalogs`: one defaults table, one validation at the boundary (zod), one resolved type that
 * the generator trusts.
 */

import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { meridianError } from '../../errors.js';
import { ALL_BANDS, type BandName } from './columns.js';

export interface CatalogSimulationInput {
  /** Directory the Parquet files and manifest.json are written to; must be empty or absent. */
  readonly outDir: string;
  /** Static truth objects (stars and galaxies) in the area; Object holds the ones detected in the coadds. */
  readonly objects?: number;
  readonly visits?: number;
  /** Bands observed, e.g. `'ugrizy'` or `['g', 'r', 'i']`. */
  readonly bands?: string | readonly string[];
  /** Centre of the circular survey area, degrees. */
  readonly ra?: number;
  readonly dec?: number;
  /** Radius of the survey area, degrees; alternatively `areaDeg2` (not both). */
  readonly radiusDeg?: number;
  readonly areaDeg2?: number;
  readonly seed?: number;
  /** DuckDB threads. */
  readonly workers?: number;
  /** Supernovae in the area (DiaObject / DiaSource come from their light curves). */
  readonly supernovae?: number;
  /** Truth objects per output file of the per-object tables (Object, ForcedSource, Source, truth tables). */
  readonly objectsPerFile?: number;
  /** First night of the survey (MJD) and its length in days. */
  readonly mjdStart?: number;
  readonly surveyDays?: number;
  /** Called after each Parquet file is written: `done` of `total` files, `phase` the table just written. */
  readonly onProgress?: (progress: { phase: string; done: number; total?: number; unit?: string }) => void;
}

export interface CatalogSimulationOptions {
  readonly kind: 'catalog-simulation-options';
  readonly outDir: string;
  readonly objects: number;
  readonly visits: number;
  readonly bands: readonly BandName[];
  readonly ra: number;
  readonly dec: number;
  readonly radiusDeg: number;
  readonly seed: number;
  readonly workers: number;
  readonly supernovae: number;
  readonly objectsPerFile: number;
  readonly mjdStart: number;
  readonly surveyDays: number;
}

/** The DC2 area is centred on (61.863, -35.790) (DP0.2 data-processing notes); its survey began on MJD 59580. */
export const CATALOG_DEFAULTS = Object.freeze({
  objects: 100_000,
  visits: 60,
  bands: 'ugrizy',
  ra: 61.863,
  dec: -35.79,
  radiusDeg: 2,
  seed: 1,
  objectsPerFile: 250_000,
  mjdStart: 59580,
  surveyDays: 365,
});

/** Object and visit indices share one 48-bit random-stream key (object << 20 | visit); see random-sql.ts. */
export const MAX_OBJECTS = 2 ** 28;
export const MAX_VISITS = 2 ** 20 - 1;

const inputSchema = z.object({
  outDir: z.string().min(1),
  objects: z.number().int().min(1).max(MAX_OBJECTS).optional(),
  visits: z.number().int().min(1).max(MAX_VISITS).optional(),
  bands: z.union([z.string(), z.array(z.string())]).optional(),
  ra: z.number().finite().optional(),
  dec: z.number().min(-90).max(90).optional(),
  radiusDeg: z.number().positive().max(30).optional(),
  areaDeg2: z.number().positive().optional(),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .optional(),
  workers: z.number().int().min(1).max(256).optional(),
  supernovae: z.number().int().min(0).max(100_000).optional(),
  objectsPerFile: z.number().int().min(1000).optional(),
  mjdStart: z.number().finite().optional(),
  surveyDays: z.number().positive().max(36525).optional(),
});

function invalid(message: string, details: Record<string, unknown> = {}): Error {
  return meridianError('INVALID_ARGUMENT', message, details);
}

function parseBands(value: string | readonly string[]): BandName[] {
  const letters = typeof value === 'string' ? value.replace(/[\s,]/g, '').split('') : [...value];
  const bands: BandName[] = [];
  for (const letter of letters) {
    if (!(ALL_BANDS as readonly string[]).includes(letter)) {
      throw invalid(`unknown band "${letter}" (expected letters from ugrizy)`, { bands: value });
    }
    if (!bands.includes(letter as BandName)) bands.push(letter as BandName);
  }
  if (bands.length === 0) throw invalid('at least one band is needed', { bands: value });
  return ALL_BANDS.filter((b) => bands.includes(b));
}

/** Radius (degrees) of the spherical cap with this area (square degrees). */
export function capRadiusDeg(areaDeg2: number): number {
  const steradians = areaDeg2 * (Math.PI / 180) ** 2;
  if (steradians >= 4 * Math.PI) throw invalid(`area ${areaDeg2} deg² is larger than the sky`, { areaDeg2 });
  return (Math.acos(1 - steradians / (2 * Math.PI)) * 180) / Math.PI;
}

export function resolveCatalogOptions(input: CatalogSimulationInput): CatalogSimulationOptions {
  const parsed = inputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(`invalid option ${issue.path.join('.')}: ${issue.message}`, {
      issues: parsed.error.issues,
    });
  }
  const o = parsed.data;
  if (o.radiusDeg !== undefined && o.areaDeg2 !== undefined)
    throw invalid('give either a radius or an area, not both');
  const radiusDeg =
    o.areaDeg2 !== undefined ? capRadiusDeg(o.areaDeg2) : (o.radiusDeg ?? CATALOG_DEFAULTS.radiusDeg);
  const dec = o.dec ?? CATALOG_DEFAULTS.dec;
  // Tracts of the rings skymap and the visit footprints are TAN projections: keep clear of the poles.
  if (Math.abs(dec) + radiusDeg > 85) {
    throw invalid(`the area (dec ${dec}, radius ${radiusDeg}) comes within 5 degrees of a pole`, {
      dec,
      radiusDeg,
    });
  }
  if (radiusDeg > 30) throw invalid(`radius ${radiusDeg} deg is larger than 30 deg`, { radiusDeg });
  const objects = o.objects ?? CATALOG_DEFAULTS.objects;
  return Object.freeze({
    kind: 'catalog-simulation-options',
    outDir: o.outDir,
    objects,
    visits: o.visits ?? CATALOG_DEFAULTS.visits,
    bands: Object.freeze(parseBands(o.bands ?? CATALOG_DEFAULTS.bands)),
    ra: (((o.ra ?? CATALOG_DEFAULTS.ra) % 360) + 360) % 360,
    dec,
    radiusDeg,
    seed: o.seed ?? CATALOG_DEFAULTS.seed,
    workers: o.workers ?? Math.max(1, availableParallelism()),
    supernovae: o.supernovae ?? Math.min(1000, Math.max(5, Math.round(objects / 5000))),
    objectsPerFile: o.objectsPerFile ?? CATALOG_DEFAULTS.objectsPerFile,
    mjdStart: o.mjdStart ?? CATALOG_DEFAULTS.mjdStart,
    surveyDays: o.surveyDays ?? CATALOG_DEFAULTS.surveyDays,
  });
}
