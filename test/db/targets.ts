import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseConfigInput } from '../../src/db/index.js';
import { freshSchema, postgresEnabled, requirePostgresUrl } from '../support/postgres.js';

/** A place for one test's database, named three ways that must all reach the same database. */
export interface DatabasePlace {
  readonly url: string;
  readonly object: DatabaseConfigInput;
  /** The object form with the connection spelled out in parts (PostgreSQL) or a relative path (SQLite). */
  readonly parts: DatabaseConfigInput;
  readonly baseDir?: string;
  cleanup(): Promise<void>;
}

/** One back end for the src/db contract suite. */
export interface DatabaseTarget {
  readonly name: string;
  /** Whether this back end's suite runs (PostgreSQL: gated by test/support/postgres.ts). */
  enabled(what: string): boolean;
  fresh(): Promise<DatabasePlace>;
  /** A configuration that cannot work (corrupt file, unreachable server): opening it is DATABASE_UNAVAILABLE. */
  unavailable(): DatabaseConfigInput;
}

export const sqliteTarget: DatabaseTarget = {
  name: 'sqlite',
  enabled: () => true,
  async fresh() {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-db-'));
    const path = join(dir, 'test.sqlite3');
    return {
      url: `sqlite:${path}`,
      object: { kind: 'sqlite', path },
      parts: { kind: 'sqlite', path: 'test.sqlite3' },
      baseDir: dir,
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
  unavailable() {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-db-corrupt-'));
    const path = join(dir, 'corrupt.sqlite3');
    writeFileSync(
      path,
      'this is not a SQLite database, only text that is long enough to have a header'.repeat(20),
    );
    return { kind: 'sqlite', path };
  },
};

export const postgresTarget: DatabaseTarget = {
  name: 'postgresql',
  enabled: postgresEnabled,
  async fresh() {
    const fresh = await freshSchema('db');
    const server = new URL(requirePostgresUrl());
    return {
      url: fresh.url,
      object: { kind: 'postgresql', url: requirePostgresUrl(), schema: fresh.schema },
      parts: {
        kind: 'postgresql',
        host: server.hostname,
        port: Number(server.port || 5432),
        user: decodeURIComponent(server.username),
        password: decodeURIComponent(server.password),
        database: decodeURIComponent(server.pathname.slice(1)),
        schema: fresh.schema,
      },
      cleanup: () => fresh.drop(),
    };
  },
  unavailable: () => ({ kind: 'postgresql', url: 'postgresql://meridian:x@127.0.0.1:1/none', schema: 'x' }),
};
