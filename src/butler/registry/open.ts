import {
  type DatabaseConfig,
  type DatabaseConfigInput,
  databaseUrl,
  type OpenOptions,
  openDatabase,
  parseDatabaseConfig,
  type SqlDatabase,
} from '../../db/index.js';

/** The registry's database: any src/db back end. */
export type RegistryDatabase = SqlDatabase;

/**
 * Where a repository's registry lives, as `butler.yaml` says: `sqlite:<path>` (relative to the repository root)
 * or a PostgreSQL URL, with the PostgreSQL schema as `namespace`.
 */
export interface RegistryLocation {
  readonly db: string;
  /** PostgreSQL schema holding this repository's tables (default `meridian`). */
  readonly namespace?: string;
}

const DEFAULT_NAMESPACE = 'meridian';

/**
 * The `butler.yaml` form of a registry location given as that form, a src/db URL or a src/db configuration object
 * (`{ kind: 'postgresql', host, database, schema }` becomes a URL and `namespace: schema`).
 */
export function registryLocation(input: RegistryLocation | DatabaseConfigInput): RegistryLocation {
  if (typeof input === 'object' && 'db' in input) {
    // A URL's `?schema=` becomes the namespace unless one is given.
    if (input.namespace !== undefined || !input.db.includes('schema=')) return input;
    input = input.db;
  }
  const config = parseDatabaseConfig(input, 'registry');
  if (config.kind === 'sqlite') return { db: databaseUrl(config) };
  const db = config.url ?? databaseUrl({ ...config, schema: undefined });
  return config.schema === undefined ? { db } : { db, namespace: config.schema };
}

/** Open a repository's registry database; a relative SQLite path is relative to the repository `root`. */
export async function openRegistryDatabase(
  location: RegistryLocation,
  root: string,
  options: Pick<OpenOptions, 'readOnly' | 'create' | 'onWait'> = {},
): Promise<RegistryDatabase> {
  const parsed = parseDatabaseConfig(location.db, 'registry');
  const config: DatabaseConfig =
    parsed.kind === 'postgresql'
      ? { ...parsed, schema: location.namespace ?? parsed.schema ?? DEFAULT_NAMESPACE }
      : parsed;
  return openDatabase(config, { ...options, baseDir: root, purpose: 'registry' });
}
