import { resolve } from 'node:path';
import { readButlerConfig } from '../config.js';
import { openRegistryDatabase } from './open.js';
import { Registry } from './registry.js';

/**
 * Bring the registry of the repository at `root` to this Meridian's schema version (`butler migrate`). One
 * transaction: a failure leaves the registry as it was. `from === to` means there was nothing to do.
 */
export async function migrateRepository(
  root: string,
): Promise<{ readonly from: number; readonly to: number }> {
  const abs = resolve(root);
  const config = readButlerConfig(abs);
  const database = await openRegistryDatabase(config.registry, abs);
  try {
    return await Registry.migrate(database);
  } finally {
    await database.close();
  }
}
