/**
 * Worker faults are not user errors: a PostgreSQL worker that is down, or that drops a query's connection
 * (pg_terminate_backend) while it runs, gives CATALOG_WORKER_UNAVAILABLE naming the worker, which TAP answers with
 * HTTP 503 and Retry-After; once the worker is back, the same request succeeds (the pool replaces dead connections).
 *
 * The worker is a private PostgreSQL cluster this test starts with initdb/pg_ctl on its own port (as the postgres
 * user when run as root, as CI does), so that it can be stopped and started. Where that is impossible, it is a
 * database on the shared server that is closed to connections (ALLOW_CONNECTIONS false, its sessions terminated),
 * which the worker's clients see the same way.
 */

import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Catalog } from '../../src/catalog/index.js';
import { createApp } from '../../src/server/index.js';
import { dp02SchemaYaml, generateFixture, temporaryDir } from '../catalog/helpers.js';
import { dropDatabase, freshDatabase, postgresUrl, uniqueName } from '../catalog/postgres/setup.js';
import { describePostgres } from '../support/postgres.js';

const BIN = '/usr/lib/postgresql/15/bin';
/** A port no other suite uses (the oracle's clusters take 5433–5435). */
const PORT = 5447 + (process.pid % 20);
const CLUSTER_ROOT = `/tmp/meridian-live-worker-${process.pid}`;
const CLUSTER = join(CLUSTER_ROOT, 'data');
const OBJECT_COUNT = 'SELECT COUNT(*) AS n FROM Object';

function asPostgres(command: string): void {
  if (process.getuid?.() === 0) execFileSync('su', ['postgres', '-c', command], { stdio: 'pipe' });
  else execFileSync('sh', ['-c', command], { stdio: 'pipe' });
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** How the test takes the worker down and brings it back. */
interface Worker {
  readonly url: string;
  readonly kind: 'cluster' | 'database';
  stop(): Promise<void>;
  start(): Promise<void>;
  remove(): Promise<void>;
}

async function clusterWorker(): Promise<Worker> {
  mkdirSync(CLUSTER_ROOT, { recursive: true });
  chmodSync(CLUSTER_ROOT, 0o777);
  asPostgres(`${BIN}/initdb -D ${CLUSTER} -U meridian --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null`);
  const start = async () =>
    asPostgres(
      `${BIN}/pg_ctl -D ${CLUSTER} -l ${CLUSTER_ROOT}/log -w -o "-p ${PORT} -k ${CLUSTER_ROOT} -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null`,
    );
  await start();
  const url = await freshDatabase(`postgresql://meridian@127.0.0.1:${PORT}/postgres`, 'live_worker');
  return {
    url,
    kind: 'cluster',
    stop: async () => asPostgres(`${BIN}/pg_ctl -D ${CLUSTER} -m fast -w stop >/dev/null`),
    start,
    remove: async () => {
      try {
        asPostgres(`${BIN}/pg_ctl -D ${CLUSTER} -m immediate stop >/dev/null`);
      } catch {
        // already stopped
      }
      rmSync(CLUSTER_ROOT, { recursive: true, force: true });
    },
  };
}

async function databaseWorker(server: string): Promise<Worker> {
  const name = uniqueName('live_fault');
  const url = await freshDatabase(server, name);
  const admin = new URL(server);
  admin.pathname = '/postgres';
  return {
    url,
    kind: 'database',
    stop: () =>
      withClient(admin.toString(), async (c) => {
        await c.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
        await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
      }),
    start: () =>
      withClient(admin.toString(), async (c) => {
        await c.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`);
      }),
    remove: () => dropDatabase(url),
  };
}

describePostgres('a PostgreSQL worker that is down or drops a query', () => {
  const tmp = temporaryDir('worker-fault');
  let worker: Worker;
  let catalog: Catalog;
  let app: ReturnType<typeof createApp>;
  let rows: number;

  beforeAll(async () => {
    try {
      worker = await clusterWorker();
    } catch {
      rmSync(CLUSTER_ROOT, { recursive: true, force: true });
      worker = await databaseWorker(postgresUrl as string);
    }
    const fixture = generateFixture(join(tmp.dir, 'fixture'));
    catalog = await Catalog.create(join(tmp.dir, 'catalog'), {
      schemaYaml: dp02SchemaYaml,
      engine: { kind: 'postgres', workers: [worker.url] },
    });
    await catalog.ingestFiles('Object', [fixture.Object]);
    rows = Number((await catalog.query(OBJECT_COUNT)).rows[0]?.[0]);
    app = createApp({ catalog, auth: { allowAnonymous: true } });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await catalog?.close();
    await worker?.remove();
    tmp.remove();
  });

  const tapCount = () =>
    app.inject({
      method: 'GET',
      url: `/api/tap/sync?LANG=ADQL&REQUEST=doQuery&FORMAT=csv&QUERY=${encodeURIComponent(OBJECT_COUNT)}`,
    });

  /** What a 503 for the worker must look like: the code, the worker named, Retry-After, nothing private. */
  function expectWorker503(reply: Awaited<ReturnType<typeof tapCount>>): void {
    expect(reply.statusCode).toBe(503);
    expect(Number(reply.headers['retry-after'])).toBeGreaterThan(0);
    expect(reply.body).toContain('CATALOG_WORKER_UNAVAILABLE');
    expect(reply.body).toContain(new URL(worker.url).pathname.slice(1));
    // No SQL, no credentials, no file path, no stack frame.
    expect(reply.body).not.toMatch(/SELECT|password|\/tmp\/|\bat .+:\d+:\d+/);
  }

  it('a stopped worker is CATALOG_WORKER_UNAVAILABLE naming it, HTTP 503 with Retry-After; a retry after it is back succeeds', async () => {
    await worker.stop();
    try {
      const failure = await catalog.query(OBJECT_COUNT).catch((err: unknown) => err);
      expect(failure).toMatchObject({
        code: 'CATALOG_WORKER_UNAVAILABLE',
        httpStatus: 503,
        details: { worker: 0, retryAfterSeconds: expect.any(Number) },
      });
      expect((failure as Error).message).toContain(new URL(worker.url).pathname.slice(1));
      expectWorker503(await tapCount());
    } finally {
      await worker.start();
    }
    expect(Number((await catalog.query(OBJECT_COUNT)).rows[0]?.[0])).toBe(rows);
    const reply = await tapCount();
    expect(reply.statusCode).toBe(200);
    expect(Number(reply.body.trim().split('\n').at(-1))).toBe(rows);
  }, 60_000);

  /**
   * Holds the Object table locked on the worker so that the next query waits there, runs `during` (which starts the
   * query), terminates the waiting backend once it waits, then releases the lock.
   */
  async function terminateMidQuery<T>(during: () => Promise<T>): Promise<T> {
    // Two sessions: pg_stat_activity is a snapshot fixed for the length of a transaction, so the lock holder's own
    // session would never see the query start waiting.
    const holder = new pg.Client(worker.url);
    const watcher = new pg.Client(worker.url);
    await holder.connect();
    await watcher.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE object IN ACCESS EXCLUSIVE MODE');
      const running = during();
      const deadline = Date.now() + 10_000;
      let terminated = 0;
      while (terminated === 0 && Date.now() < deadline) {
        const { rows: killed } = await watcher.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> $1 AND wait_event_type = 'Lock'`,
          [(holder as unknown as { processID: number }).processID],
        );
        terminated = killed.length;
        if (terminated === 0) await new Promise((r) => setTimeout(r, 20));
      }
      expect(terminated).toBe(1);
      return await running;
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
      await watcher.end();
    }
  }

  it('a connection dropped mid-query (pg_terminate_backend) is CATALOG_WORKER_UNAVAILABLE; the retry succeeds', async () => {
    const failure = await terminateMidQuery(() => catalog.query(OBJECT_COUNT).catch((err: unknown) => err));
    expect(failure).toMatchObject({ code: 'CATALOG_WORKER_UNAVAILABLE', details: { worker: 0 } });
    expect(Number((await catalog.query(OBJECT_COUNT)).rows[0]?.[0])).toBe(rows);
  }, 30_000);

  it('the TAP sync endpoint answers a dropped connection with 503 and Retry-After, and the retry with the rows', async () => {
    expectWorker503(await terminateMidQuery(() => tapCount()));
    const reply = await tapCount();
    expect(reply.statusCode).toBe(200);
    expect(Number(reply.body.trim().split('\n').at(-1))).toBe(rows);
  }, 30_000);
});
