/**
 * PostgreSQL for the test suites, gated in one place. `MERIDIAN_TEST_POSTGRES` names a server (a URL such as
 * postgresql://meridian:meridian@127.0.0.1:5432/meridian_test, whose role may create schemas and databases);
 * without it the PostgreSQL suites are skipped with the reason, and with `MERIDIAN_REQUIRE_POSTGRES=1` (CI) a
 * missing server fails instead. scripts/test-report.js reads the same two variables.
 */

import pg from 'pg';
import { describe, it } from 'vitest';

/** The server URL, or null when PostgreSQL suites do not run. (`MERIDIAN_TEST_POSTGRES_URL` is an old alias.) */
export const postgresUrl: string | null =
  process.env.MERIDIAN_TEST_POSTGRES || process.env.MERIDIAN_TEST_POSTGRES_URL || null;

/** Whether a missing server is a failure (CI) rather than a skip. */
export const postgresRequired = process.env.MERIDIAN_REQUIRE_POSTGRES === '1';

/** Why the PostgreSQL suites are skipped, or null when they run. */
export const postgresSkipReason: string | null = postgresUrl
  ? null
  : 'set MERIDIAN_TEST_POSTGRES=postgresql://user:pass@host:port/db to run it';

/**
 * Whether the PostgreSQL variant of `what` runs. When it does not, a visible placeholder test says why: skipped
 * with the reason, or failing when MERIDIAN_REQUIRE_POSTGRES=1. Call it at the top level of a test file.
 */
export function postgresEnabled(what: string): boolean {
  if (postgresUrl !== null) return true;
  if (postgresRequired) {
    it(`${what} needs PostgreSQL`, () => {
      throw new Error(`MERIDIAN_REQUIRE_POSTGRES=1 but MERIDIAN_TEST_POSTGRES is not set (${what})`);
    });
  } else {
    it.skip(`${what} — skipped: ${postgresSkipReason}`, () => {});
  }
  return false;
}

/** A `describe` that runs only with PostgreSQL (see `postgresEnabled`); its tests show as skipped otherwise. */
export function describePostgres(name: string, fn: () => void): void {
  describe.skipIf(!postgresEnabled(name))(name, fn);
}

/** The server URL, for code that runs only inside a PostgreSQL-gated suite. */
export function requirePostgresUrl(): string {
  if (postgresUrl === null) throw new Error('PostgreSQL is not configured (MERIDIAN_TEST_POSTGRES)');
  return postgresUrl;
}

let counter = 0;
/**
 * A schema or database name unique to this process and call, so concurrent test runs on one server never drop
 * each other's (lower-case identifier, as src/db requires).
 */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter++}`;
}

/** The server URL with another database (and optionally port). */
export function urlWithDatabase(url: string, database: string, port?: number): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  if (port !== undefined) u.port = String(port);
  return u.toString();
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface FreshSchema {
  readonly schema: string;
  /** The server URL with `?schema=` (src/db's URL form). */
  readonly url: string;
  drop(): Promise<void>;
}

/** Create an empty schema on the test server for one suite; `drop()` removes it with everything in it. */
export async function freshSchema(prefix: string): Promise<FreshSchema> {
  const server = requirePostgresUrl();
  const schema = uniqueName(prefix);
  await withClient(server, (c) => c.query(`CREATE SCHEMA "${schema}"`));
  const url = new URL(server);
  url.searchParams.set('schema', schema);
  return { schema, url: url.toString(), drop: () => dropSchema(schema) };
}

/** Drop a schema (and everything in it) on the test server, if it exists. */
export async function dropSchema(schema: string): Promise<void> {
  await withClient(requirePostgresUrl(), (c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
}

/** Drop and create a database on the server of `url` (with the given extensions); returns its URL. */
export async function freshDatabase(
  url: string,
  database: string,
  extensions: readonly string[] = [],
): Promise<string> {
  await withClient(url, async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${database}"`);
  });
  const target = urlWithDatabase(url, database);
  if (extensions.length > 0) {
    await withClient(target, async (client) => {
      for (const ext of extensions) await client.query(`CREATE EXTENSION IF NOT EXISTS ${ext}`);
    });
  }
  return target;
}

/** Drop the database a URL names (connecting to the server's `postgres` database). */
export async function dropDatabase(url: string): Promise<void> {
  const database = decodeURIComponent(new URL(url).pathname.slice(1));
  await withClient(urlWithDatabase(url, 'postgres'), (admin) =>
    admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`),
  );
}
