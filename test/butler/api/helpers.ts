import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Butler } from '../../../src/butler/index.js';
import { postgresUrl, uniqueName } from '../../support/postgres.js';
import { loadBase } from '../registry/fixtures.js';

export function tempDir(prefix = 'meridian-butler-'): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** Registry location for a new repository on the given back end. */
export function registryFor(
  backend: 'sqlite' | 'postgresql',
): { db: string; namespace?: string } | undefined {
  if (backend === 'sqlite') return undefined;
  return { db: postgresUrl!, namespace: uniqueName('b') };
}

/** A repository with the base dimension records and a few dataset types. */
export async function makeRepo(root: string, backend: 'sqlite' | 'postgresql' = 'sqlite'): Promise<Butler> {
  const butler = await Butler.create(root, { registry: registryFor(backend) });
  await loadBase(butler.registry);
  await butler.registerDatasetType('metrics', ['instrument', 'visit'], 'StructuredComposite');
  await butler.registerDatasetType('config', [], 'Config');
  await butler.registerDatasetType('bias', ['instrument', 'detector'], 'StructuredDataDict', {
    isCalibration: true,
  });
  await butler.registerDatasetType('raw', ['instrument', 'exposure', 'detector'], 'StructuredDataDict');
  return butler;
}

export async function dropSchema(butler: Butler): Promise<void> {
  const ns = butler.config.registry.namespace;
  if (ns === undefined) return;
  await butler.registry.database.db.schema.dropSchema(ns).ifExists().cascade().execute();
}

export async function expectCode(
  p: Promise<unknown>,
  code: string,
  message?: RegExp,
): Promise<Error & { code: string }> {
  const err = await p.then(
    () => null,
    (e) => e,
  );
  if (err === null) throw new Error(`expected error ${code}, but the call succeeded`);
  if (err.code !== code) throw new Error(`expected error ${code}, got ${err.code}: ${err.message}`);
  if (message && !message.test(err.message))
    throw new Error(`message '${err.message}' does not match ${message}`);
  return err;
}
