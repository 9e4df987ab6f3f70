import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Butler, verifyRepository } from '../../src/butler/index.js';
import { loadBase } from '../butler/registry/fixtures.js';

export { postgresUrl as pgUrl } from '../support/postgres.js';

/**
 * Test repositories for the CLI, made with the library: the registry tests' base dimension records (instrument
 * Cam1, detectors 1-4, exposures 100/101/110/111, visits 1/2, skymap SkyMap1), dataset types and a few datasets.
 */

/**
 * Fill an existing (empty, freshly created) repository: dimension records, dataset types `metrics`
 * (instrument, visit), `bias` (instrument, detector; calibration) and `config` (no dimensions), and datasets:
 * metrics for visits 1 and 2 in `run1`, metrics for visit 1 in `run2`, bias for detectors 1-4 in `calib/run1`.
 */
export async function populate(root: string): Promise<void> {
  const b = await Butler.open(root, { writeable: true });
  try {
    await loadBase(b.registry);
    await b.registerDatasetType('metrics', ['instrument', 'visit'], 'StructuredDataDict');
    await b.registerDatasetType('bias', ['instrument', 'detector'], 'StructuredDataDict', {
      isCalibration: true,
    });
    await b.registerDatasetType('config', [], 'StructuredDataDict');
    for (const visit of [1, 2])
      await b.put({ visit, run: 1 }, 'metrics', { instrument: 'Cam1', visit }, { run: 'run1' });
    await b.put({ visit: 1, run: 2 }, 'metrics', { instrument: 'Cam1', visit: 1 }, { run: 'run2' });
    for (const detector of [1, 2, 3, 4]) {
      await b.put({ detector }, 'bias', { instrument: 'Cam1', detector }, { run: 'calib/run1' });
    }
  } finally {
    await b.close();
  }
}

/** Make and populate a SQLite repository in `dir/name` with the library. */
export async function makeSqliteRepo(dir: string, name = 'repo'): Promise<string> {
  const root = join(dir, name);
  await (await Butler.create(root)).close();
  await populate(root);
  return root;
}

/** Write small JSON files to ingest and return their paths. */
export function writeJsonFiles(dir: string, names: readonly string[]): string[] {
  return names.map((n, i) => {
    const path = join(dir, n);
    writeFileSync(path, JSON.stringify({ index: i, name: n }));
    return path;
  });
}

/** Drop a PostgreSQL repository's schema (the CLI has no command for it, as upstream). */
export async function dropPostgresSchema(root: string): Promise<void> {
  const b = await Butler.open(root, { writeable: true });
  try {
    const ns = b.config.registry.namespace;
    if (ns !== undefined) await b.registry.database.db.schema.dropSchema(ns).ifExists().cascade().execute();
  } finally {
    await b.close();
  }
}

/**
 * Everything a command could change, read with the library (not the CLI under test, and without a process
 * start): collections with chain children, dataset types, datasets (type, run, id), stored files, and the
 * problems `verifyRepository` finds. Used to check that a failed command changed nothing.
 */
export async function repoState(root: string): Promise<Record<string, unknown>> {
  const b = await Butler.open(root);
  try {
    const collections = [];
    for (const c of await b.registry.queryCollections()) {
      collections.push({
        name: c.name,
        type: c.type,
        ...(c.type === 'CHAINED' ? { children: await b.registry.getCollectionChain(c.name) } : {}),
      });
    }
    const datasets = (await b.registry.queryDatasets('*', { collections: ['*'] }))
      .map((r) => `${r.datasetType.name} ${r.run} ${r.id}`)
      .sort();
    const report = await verifyRepository(b);
    return {
      collections,
      datasetTypes: (await b.registry.queryDatasetTypes()).map((t) => t.name),
      datasets,
      files: report.files,
      problems: report.problems.map((p) => `${p.kind} ${p.path}`),
    };
  } finally {
    await b.close();
  }
}
