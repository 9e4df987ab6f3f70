/** Shared set-up for catalog tests: a fixture catalog built from the generated CSV files in a temporary dir. */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalog, type CreateCatalogOptions, type OpenCatalogOptions } from '../../src/catalog/index.js';
import { type FixtureFiles, generateFixture, ingestOrder } from './fixtures/generate.js';

export const dp02SchemaYaml = readFileSync(
  new URL('../../config/catalog/dp02.yaml', import.meta.url).pathname,
  'utf8',
);

export function temporaryDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `meridian-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Creates a catalog in `dir/catalog` and ingests every fixture table, one transaction per table. */
export async function buildFixtureCatalog(
  dir: string,
  fixture: FixtureFiles,
  options: Omit<CreateCatalogOptions, 'schemaYaml'> = {},
): Promise<Catalog> {
  const catalog = await Catalog.create(join(dir, 'catalog'), { schemaYaml: dp02SchemaYaml, ...options });
  for (const table of ingestOrder) await catalog.ingestFiles(table, [fixture[table]]);
  return catalog;
}

export async function reopen(catalog: Catalog, options: OpenCatalogOptions = {}): Promise<Catalog> {
  const dir = catalog.dir;
  await catalog.close();
  return Catalog.open(dir, options);
}

export { generateFixture };
