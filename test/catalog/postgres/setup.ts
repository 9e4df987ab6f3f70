/**
 * PostgreSQL for the catalog tests, gated by test/support/postgres.ts (MERIDIAN_TEST_POSTGRES; a server where the
 * role may create databases; MERIDIAN_REQUIRE_POSTGRES=1 turns a missing server into a failure). The three-worker
 * setup starts three private clusters on ports 5433–5435 under /tmp with initdb/pg_ctl (as the postgres user when
 * run as root) and falls back to three databases on the one server when that is impossible; `workerSetup.kind`
 * says which was used.
 */

import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import {
  dropDatabase,
  freshDatabase as freshPlainDatabase,
  postgresRequired,
  postgresSkipReason,
  postgresUrl,
  urlWithDatabase,
} from '../../support/postgres.js';

export { dropDatabase, postgresUrl, urlWithDatabase };
export const requirePostgres = postgresRequired;
export const skipReason = postgresSkipReason && `PostgreSQL catalog tests: ${postgresSkipReason}`;

/** Database names unique to this process, so concurrent test runs on one server do not drop each other's. */
export function uniqueName(base: string): string {
  return `${base}_${process.pid}`;
}

/** Drops and creates a database on the server of `url` and installs q3c in it. */
export function freshDatabase(url: string, database: string): Promise<string> {
  return freshPlainDatabase(url, database, ['q3c']);
}

const BIN = '/usr/lib/postgresql/15/bin';
const ROOT = '/tmp/meridian-catalog-pg-workers';

function asPostgres(command: string): void {
  const runAsRoot = process.getuid?.() === 0;
  if (runAsRoot) execFileSync('su', ['postgres', '-c', command], { stdio: 'pipe' });
  else execFileSync('sh', ['-c', command], { stdio: 'pipe' });
}

function isReady(port: number): boolean {
  try {
    execFileSync(`${BIN}/pg_isready`, ['-h', '127.0.0.1', '-p', String(port)], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

export interface WorkerSetup {
  readonly kind: 'clusters' | 'databases';
  readonly urls: readonly string[];
  readonly note: string;
  /** Drops the worker databases and stops the clusters this setup started. */
  stop(): Promise<void>;
}

/**
 * Starts (or reuses) one cluster per port; each gets role `meridian` and a fresh database with q3c. Returns the
 * URLs and the ports this call started (only those may be stopped: another test run may be using the others).
 */
async function startClusters(
  ports: readonly number[],
  database: string,
): Promise<{ urls: string[]; started: number[] }> {
  mkdirSync(ROOT, { recursive: true });
  chmodSync(ROOT, 0o777);
  const urls: string[] = [];
  const started: number[] = [];
  for (const port of ports) {
    const dir = `${ROOT}/${port}`;
    if (!isReady(port)) {
      started.push(port);
      if (!existsSync(`${dir}/PG_VERSION`)) {
        asPostgres(`${BIN}/initdb -D ${dir} -U meridian --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null`);
      }
      asPostgres(
        `${BIN}/pg_ctl -D ${dir} -l ${dir}.log -w -o "-p ${port} -k ${ROOT} -c listen_addresses=127.0.0.1 -c fsync=off -c jit=off" start >/dev/null`,
      );
    }
    urls.push(await freshDatabase(`postgresql://meridian@127.0.0.1:${port}/postgres`, database));
  }
  return { urls, started };
}

export async function workerSetup(baseUrl: string, count: number, database: string): Promise<WorkerSetup> {
  const ports = Array.from({ length: count }, (_, i) => 5433 + i);
  try {
    const { urls, started } = await startClusters(ports, database);
    return {
      kind: 'clusters',
      urls,
      note: `${count} PostgreSQL clusters on ports ${ports.join(', ')}${started.length < count ? ' (some already running)' : ''}`,
      stop: async () => {
        for (const url of urls) await dropDatabase(url).catch(() => undefined);
        for (const port of started) {
          try {
            asPostgres(`${BIN}/pg_ctl -D ${ROOT}/${port} -m fast stop >/dev/null`);
          } catch {
            // already stopped
          }
        }
      },
    };
  } catch (err) {
    const urls: string[] = [];
    for (let i = 0; i < count; i++) urls.push(await freshDatabase(baseUrl, `${database}_w${i}`));
    return {
      kind: 'databases',
      urls,
      note: `${count} databases on one server (clusters failed: ${(err as Error).message.split('\n')[0]})`,
      stop: async () => {
        for (const url of urls) await dropDatabase(url).catch(() => undefined);
      },
    };
  }
}
