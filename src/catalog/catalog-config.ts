/**
 * `catalog.json`, the description of one catalog database directory: format version, engine, partitioning
 * parameters and the schema the tables were created from. Written once by `createCatalog`, validated on open.
 */

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { meridianError } from '../errors.js';
import { Chunker } from '../sphere/index.js';
import { type CatalogSchema, parseCatalogSchema } from './schema.js';

export const CATALOG_FORMAT_VERSION = 1;
export const CATALOG_CONFIG_FILE = 'catalog.json';

/** Qserv partitioning parameters of one database (qserv_tap.md §1.1); the same for every table in it. */
export interface PartitioningParams {
  readonly numStripes: number;
  readonly numSubStripesPerStripe: number;
  readonly overlapDeg: number;
}

/** Qserv's integration-test parameters: 85 stripes, 12 sub-stripes, 1 arcmin overlap. */
export const testPartitioning: PartitioningParams = Object.freeze({
  numStripes: 85,
  numSubStripesPerStripe: 12,
  overlapDeg: 0.01667,
});

export type EngineConfig =
  | { readonly kind: 'duckdb' }
  | { readonly kind: 'postgres'; readonly workers: readonly string[] };

export interface CatalogConfig {
  readonly kind: 'catalogConfig';
  readonly version: number;
  readonly engine: EngineConfig;
  readonly partitioning: PartitioningParams;
  /** The schema YAML text the catalog was created from (kept verbatim, so it re-validates on every open). */
  readonly schemaYaml: string;
  readonly schema: CatalogSchema;
}

const configInput = z.object({
  kind: z.literal('catalogConfig'),
  version: z.number().int(),
  engine: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('duckdb') }),
    z.object({ kind: z.literal('postgres'), workers: z.array(z.string()).min(1) }),
  ]),
  partitioning: z.object({
    numStripes: z.number().int().positive(),
    numSubStripesPerStripe: z.number().int().positive(),
    overlapDeg: z.number().min(0),
  }),
  schemaYaml: z.string(),
});

export function chunkerFor(params: PartitioningParams): Chunker {
  return new Chunker(params.numStripes, params.numSubStripesPerStripe, params.overlapDeg);
}

export function readCatalogConfig(dir: string): CatalogConfig {
  const path = join(dir, CATALOG_CONFIG_FILE);
  if (!existsSync(path)) {
    throw meridianError(
      'CATALOG_NOT_FOUND',
      `no catalog database at ${dir} (${CATALOG_CONFIG_FILE} is missing)`,
      {
        dir,
      },
    );
  }
  const parsed = configInput.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    throw meridianError('CONFIG_INVALID', `${path}: ${parsed.error.issues[0].message}`, { path });
  }
  if (parsed.data.version > CATALOG_FORMAT_VERSION) {
    throw meridianError(
      'CONFIG_INVALID',
      `${path} has format version ${parsed.data.version}; this Meridian reads ${CATALOG_FORMAT_VERSION}`,
      { path },
    );
  }
  return {
    kind: 'catalogConfig',
    version: parsed.data.version,
    engine: parsed.data.engine,
    partitioning: parsed.data.partitioning,
    schemaYaml: parsed.data.schemaYaml,
    schema: parseCatalogSchema(parsed.data.schemaYaml),
  };
}

export function writeCatalogConfig(dir: string, config: CatalogConfig): void {
  const { schema: _parsed, ...stored } = config;
  writeFileSync(join(dir, CATALOG_CONFIG_FILE), `${JSON.stringify(stored, null, 2)}\n`);
}
