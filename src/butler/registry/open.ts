import { isAbsolute, join } from 'node:path';
import { meridianError } from '../../errors.js';
import type { OpenOptions, RegistryDatabase } from './database.js';
import { SqliteRegistryDatabase } from './sqlite.js';

/** Where a repository's registry lives: `sqlite:<path>` (relative to the repository root) or a PostgreSQL URL. */
export interface RegistryLocation {
  readonly db: string;
  /** PostgreSQL schema holding this repository's tables. */
  readonly namespace?: string;
}

/** Choose the back end from the URL scheme and connect. */
export async function openRegistryDatabase(
  location: RegistryLocation,
  root: string,
  options: OpenOptions = {},
): Promise<RegistryDatabase> {
  const url = location.db;
  if (url.startsWith('sqlite:')) {
    let path = url.slice('sqlite:'.length);
    if (path.startsWith('///')) path = path.slice(2);
    if (path === '' || path === ':memory:') {
      throw meridianError(
        'CONFIG_INVALID',
        'an in-memory SQLite registry is not supported; give a file path',
      );
    }
    return new SqliteRegistryDatabase(isAbsolute(path) ? path : join(root, path), options);
  }
  if (url.startsWith('postgresql://') || url.startsWith('postgres://')) {
    // Loaded on demand: the PostgreSQL driver costs start-up time that SQLite users should not pay.
    const { PostgresRegistryDatabase } = await import('./postgres.js');
    const db = new PostgresRegistryDatabase(url, location.namespace ?? 'meridian', options);
    try {
      await db.connect(options);
    } catch (err) {
      await db.close();
      throw err;
    }
    return db;
  }
  throw meridianError(
    'CONFIG_INVALID',
    `unsupported registry URL '${url}': use sqlite:<path> or postgresql://...`,
  );
}
