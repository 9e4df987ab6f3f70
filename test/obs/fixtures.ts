/** A tiny simulated survey shared by the obs tests, and repositories on SQLite or (when configured) PostgreSQL. */

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Butler } from '../../src/butler/index.js';
import { type SurveyResult, simulateSurvey } from '../../src/sim/index.js';
import { postgresUrl, uniqueName } from '../support/postgres.js';

export function temporaryDirectory(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `meridian-obs-${prefix}-`));
}

/** 2 detectors of 64 x 64 pixels, 4 exposures (2 in g, 2 in r) on one night, a 0.05 deg field. */
export async function tinySurvey(prefix: string): Promise<{ simDir: string; result: SurveyResult }> {
  const simDir = join(temporaryDirectory(prefix), 'sim');
  const result = await simulateSurvey({
    outDir: simDir,
    seed: 3,
    visits: 4,
    nights: 1,
    bands: ['g', 'r'],
    detectors: 2,
    detectorSize: 64,
    radiusDeg: 0.05,
    workers: 1,
  });
  return { simDir, result };
}

export async function createRepo(root: string, backend: 'sqlite' | 'postgresql'): Promise<Butler> {
  const registry = backend === 'sqlite' ? undefined : { db: postgresUrl!, namespace: uniqueName('obs') };
  return Butler.create(root, { registry });
}

export async function dropSchema(butler: Butler): Promise<void> {
  const ns = butler.config.registry.namespace;
  if (ns === undefined) return;
  await butler.registry.database.db.schema.dropSchema(ns).ifExists().cascade().execute();
}
