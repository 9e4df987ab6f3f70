/**
 * Failures inside an engine get their own codes (issue 9), each provoked for real: a second process holding the
 * czar's DuckDB write lock (CATALOG_BUSY), a write-write conflict, a memory limit set low (RESOURCE_LIMIT), an I/O
 * error (CATALOG_ENGINE), a binder error (ADQL_SEMANTIC); on PostgreSQL a worker database that stops accepting
 * connections (CATALOG_WORKER_UNAVAILABLE naming the worker), a lock timeout and a stack-depth limit. The `cause` of
 * each is the engine's own error, not a wrapper around it.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineError, engineFailureKind } from '../../src/catalog/engines/classify.js';
import { Catalog } from '../../src/catalog/index.js';
import { describePostgres, dropDatabase, postgresUrl, uniqueName } from '../support/postgres.js';
import { generateFixture } from './fixtures/generate.js';
import { dp02SchemaYaml, temporaryDir } from './helpers.js';
import { freshDatabase } from './postgres/setup.js';

const tmp = temporaryDir('engine-errors');
const fixture = generateFixture(join(tmp.dir, 'fixture'));
const CHECKOUT = new URL('../..', import.meta.url).pathname;
const fragment = { kind: 'fragment', worker: 0, chunks: null } as const;
const storeOf = (catalog: Catalog) =>
  (catalog as unknown as { store: { connection: DuckDBConnection } }).store.connection;

afterAll(() => tmp.remove());

/** Runs SQL on an engine directly (names the planner would refuse reach the engine this way). */
async function runOnEngine(catalog: Catalog, sql: string): Promise<unknown> {
  try {
    const stream = await catalog.engine.runFragment(fragment, sql, [], new AbortController().signal);
    for await (const _ of stream.rows) {
      // drain
    }
    return null;
  } catch (err) {
    return err;
  }
}

describe('DuckDB', () => {
  let catalog: Catalog;
  beforeAll(async () => {
    catalog = await Catalog.create(join(tmp.dir, 'duck'), { schemaYaml: dp02SchemaYaml });
    await catalog.ingestFiles('Object', [fixture.Object]);
  });
  afterAll(() => catalog?.close());

  it('a binder error about a name is ADQL_SEMANTIC, with the DuckDB error as cause', async () => {
    const err = (await runOnEngine(catalog, 'SELECT nope FROM "Object"')) as {
      code: string;
      cause: Error;
      hint: string;
    };
    expect(err.code).toBe('ADQL_SEMANTIC');
    expect(err.cause).toBeInstanceOf(Error);
    expect(err.cause.message).toMatch(/^Binder Error/);
    expect(err.hint).toMatch(/table and column names/);
  });

  it('an I/O error inside the engine is CATALOG_ENGINE (HTTP 500) with a retry hint', async () => {
    const err = (await runOnEngine(
      catalog,
      `SELECT * FROM read_parquet('${join(tmp.dir, 'gone.parquet')}')`,
    )) as { code: string; cause: Error; hint: string; httpStatus: number };
    expect(err.code).toBe('CATALOG_ENGINE');
    expect(err.httpStatus).toBe(500);
    expect(err.hint).toMatch(/^Retry/);
    expect(err.cause.message).toMatch(/^IO Error/);
  });

  it('a query over a memory limit set low is RESOURCE_LIMIT (HTTP 503), and the catalog keeps working', async () => {
    // Reopened, so that its buffers are empty and the low limit can be set.
    const dir = catalog.dir;
    await catalog.close();
    catalog = await Catalog.open(dir);
    const c = storeOf(catalog);
    await c.run("SET memory_limit = '1MB'");
    await c.run("SET temp_directory = ''");
    try {
      const err = await catalog
        .query('SELECT * FROM Object ORDER BY coord_ra, coord_dec, objectId')
        .catch((e) => e);
      expect(err.code).toBe('RESOURCE_LIMIT');
      expect(err.httpStatus).toBe(503);
      expect(err.cause.message).toMatch(/^Out of Memory Error/);
      expect(err.hint).toMatch(/memory_limit/);
    } finally {
      await c.run("SET memory_limit = '1GB'");
    }
    expect((await catalog.query('SELECT COUNT(*) FROM Object')).rows[0][0]).toBe(3190n);
  });

  it('a write-write conflict between two transactions is CATALOG_BUSY', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const a = await instance.connect();
    const b = await instance.connect();
    try {
      await a.run('CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER)');
      await a.run('INSERT INTO t VALUES (1, 0)');
      await a.run('BEGIN TRANSACTION');
      await b.run('BEGIN TRANSACTION');
      await a.run('UPDATE t SET v = 1 WHERE k = 1');
      const conflict = await b.run('UPDATE t SET v = 2 WHERE k = 1').catch((e) => e);
      expect(conflict).toBeInstanceOf(Error);
      expect(engineFailureKind(conflict)).toBe('busy');
      const err = engineError(conflict, { what: 'the update' });
      expect(err.code).toBe('CATALOG_BUSY');
      expect(err.cause).toBe(conflict);
    } finally {
      a.closeSync();
      b.closeSync();
      instance.closeSync();
    }
  });

  it('opening a catalog another process holds open is CATALOG_BUSY naming that process', async () => {
    const dir = join(tmp.dir, 'locked');
    const created = await Catalog.create(dir, { schemaYaml: dp02SchemaYaml });
    await created.close();
    const holder: ChildProcess = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { DuckDBInstance } from '@duckdb/node-api';
         await DuckDBInstance.create(${JSON.stringify(join(dir, 'czar.duckdb'))});
         console.log('holding'); setInterval(() => {}, 1000);`,
      ],
      { cwd: CHECKOUT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((ready, fail) => {
        holder.stdout?.on('data', (d: Buffer) => d.toString().includes('holding') && ready());
        holder.on('exit', (code) => fail(new Error(`the lock holder exited (${code})`)));
      });
      const err = await Catalog.open(dir).catch((e) => e);
      expect(err.code).toBe('CATALOG_BUSY');
      expect(err.httpStatus).toBe(503);
      expect(err.details).toMatchObject({ pid: holder.pid });
      expect(err.message).toContain(`open in another process (PID ${holder.pid})`);
      expect(err.cause.message).toMatch(/^IO Error: Could not set lock/);
    } finally {
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
    }
    const reopened = await Catalog.open(dir);
    await reopened.close();
  }, 60_000);
});

describePostgres('PostgreSQL workers', () => {
  const databases: string[] = [];
  let catalog: Catalog;
  let admin: pg.Client;

  beforeAll(async () => {
    const base = postgresUrl as string;
    for (let w = 0; w < 2; w++) databases.push(await freshDatabase(base, uniqueName(`catfix_errors_w${w}`)));
    catalog = await Catalog.create(join(tmp.dir, 'pg'), {
      schemaYaml: dp02SchemaYaml,
      engine: { kind: 'postgres', workers: databases },
    });
    await catalog.ingestFiles('Object', [fixture.Object]);
    admin = new pg.Client({ connectionString: base });
    await admin.connect();
  }, 120_000);

  afterAll(async () => {
    await catalog?.close();
    for (const url of databases) {
      const name = new URL(url).pathname.slice(1);
      await admin?.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`).catch(() => undefined);
      await dropDatabase(url).catch(() => undefined);
    }
    await admin?.end();
  });

  it('a worker database that stops accepting connections is CATALOG_WORKER_UNAVAILABLE naming it', async () => {
    const name = new URL(databases[1]).pathname.slice(1);
    await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
    // Its open connections are dropped too (the pool must survive the idle ones' errors).
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
    try {
      const err = await catalog.query('SELECT COUNT(*) FROM Object').catch((e) => e);
      expect(err.code).toBe('CATALOG_WORKER_UNAVAILABLE');
      expect(err.httpStatus).toBe(503);
      expect(err.details).toMatchObject({ worker: 1 });
      expect(err.message).toContain(`PostgreSQL worker 1 (`);
      expect(err.message).toContain(name);
      expect(err.cause).toBeInstanceOf(Error);
      expect(err.cause).not.toHaveProperty('cause.cause');
    } finally {
      await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
    }
    expect(Number((await catalog.query('SELECT COUNT(*) FROM Object')).rows[0][0])).toBe(3190);
  });

  it('a lock timeout is CATALOG_BUSY and a stack-depth limit RESOURCE_LIMIT', async () => {
    const holder = new pg.Client({ connectionString: databases[0] });
    const waiter = new pg.Client({ connectionString: databases[0] });
    await holder.connect();
    await waiter.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE object IN ACCESS EXCLUSIVE MODE');
      await waiter.query("SET lock_timeout = '100ms'");
      const timeout = await waiter.query('SELECT COUNT(*) FROM object').catch((e) => e);
      expect(timeout.code).toBe('55P03');
      expect(engineError(timeout, { what: 'x', worker: { index: 0, name: 'w0' } }).code).toBe('CATALOG_BUSY');
      await holder.query('ROLLBACK');
      // A low stack limit (superuser only) gives "stack depth limit exceeded" (54001); without it, deeper nesting
      // exhausts the parser's memory (42601 "memory exhausted"): both are limits, not faults of the names.
      const lowered = await waiter.query("SET max_stack_depth = '100kB'").then(
        () => true,
        () => false,
      );
      const depth = lowered ? 3000 : 20000;
      const deep = await waiter.query(`SELECT ${'abs('.repeat(depth)}1${')'.repeat(depth)}`).catch((e) => e);
      expect(deep.code).toMatch(lowered ? /^54001$/ : /^(54001|42601)$/);
      const err = engineError(deep, { what: 'x' });
      expect(err.code).toBe('RESOURCE_LIMIT');
      expect(err.cause).toBe(deep);
    } finally {
      await holder.end();
      await waiter.end();
    }
  });
});
