/**
 * Cancellation with an AbortSignal, on DuckDB and (with MERIDIAN_TEST_POSTGRES) on two PostgreSQL worker databases:
 * an aborted query stops its engine work and leaves the catalog usable; an aborted ingest leaves its transaction
 * aborted and none of its rows visible; an aborted comparison or directory load stops with ABORTED.
 */

import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catalog, compareCatalogs, type EngineConfig, ingestDirectory } from '../../src/catalog/index.js';
import { generateFixture, ingestOrder } from './fixtures/generate.js';
import { dp02SchemaYaml, temporaryDir } from './helpers.js';
import { dropDatabase, freshDatabase, postgresUrl, skipReason, uniqueName } from './postgres/setup.js';

const tmp = temporaryDir('abort');
const fixture = generateFixture(join(tmp.dir, 'fixture'));
afterAll(() => tmp.remove());

/** Billions of row combinations: seconds to minutes of engine work, far longer than any abort here waits. */
const HEAVY =
  'SELECT COUNT(*) FROM Object AS o, CcdVisit AS cv, Visit AS v, Visit AS w WHERE o.coord_ra + cv.ra > v.ra + w.ra';

/** The fixture's Object rows repeated `copies` times with fresh ids: a contribution that takes seconds to stage. */
async function bigObjectFile(copies: number): Promise<string> {
  const path = join(tmp.dir, `Object-big-${copies}.parquet`);
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(
      `COPY (SELECT o.* REPLACE (o.objectId + t.k * 100000000 AS objectId)
             FROM read_csv('${fixture.Object}', header = true) o CROSS JOIN range(${copies}) t(k))
       TO '${path}' (FORMAT parquet)`,
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return path;
}

const abortAfter = (ms: number, reason = 'test abort'): AbortSignal => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error(reason)), ms);
  return controller.signal;
};

/** Polls `condition` every 50 ms for up to 5 s. */
async function waitFor(condition: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

async function count(catalog: Catalog, table: string): Promise<number> {
  return Number((await catalog.query(`SELECT COUNT(*) FROM ${table}`)).rows[0][0]);
}

interface EngineUnderTest {
  readonly name: string;
  readonly skip: string | null;
  engine(): Promise<EngineConfig>;
  /** Statements still running on the workers whose text contains `marker` (PostgreSQL only). */
  activeStatements?(marker: string): Promise<number>;
  cleanup(): Promise<void>;
}

function abortSuite(under: EngineUnderTest): void {
  describe.skipIf(under.skip !== null)(
    `cancellation on ${under.name}${under.skip ? ` — skipped: ${under.skip}` : ''}`,
    () => {
      let catalog: Catalog;
      let n = 0;
      const newCatalog = async () =>
        Catalog.create(join(tmp.dir, `${under.name}-${++n}`), {
          schemaYaml: dp02SchemaYaml,
          engine: await under.engine(),
        });

      beforeAll(async () => {
        catalog = await newCatalog();
        for (const table of ingestOrder) await catalog.ingestFiles(table, [fixture[table]]);
      });
      afterAll(async () => {
        await catalog?.close();
        await under.cleanup();
      });

      it('an aborted query stops its engine work, rejects with QUERY_CANCELLED, and the catalog keeps working', async () => {
        const controller = new AbortController();
        const running = catalog.query(HEAVY, { signal: controller.signal });
        running.catch(() => undefined);
        const active = under.activeStatements;
        if (active) {
          // Seen running on a worker first (so the check below is not vacuous), then cancelled there, not left running.
          expect(await waitFor(async () => (await active('ra')) > 0)).toBe(true);
          controller.abort();
          await expect(running).rejects.toMatchObject({ code: 'QUERY_CANCELLED' });
          expect(await waitFor(async () => (await active('ra')) === 0)).toBe(true);
        } else {
          setTimeout(() => controller.abort(), 300);
          await expect(running).rejects.toMatchObject({ code: 'QUERY_CANCELLED' });
        }
        expect(await count(catalog, 'Visit')).toBe(40);
      });

      it('a query whose signal is already aborted does not start', async () => {
        await expect(catalog.query(HEAVY, { signal: AbortSignal.abort() })).rejects.toMatchObject({
          code: 'QUERY_CANCELLED',
        });
        await expect(
          catalog.stream('SELECT * FROM Visit', { signal: AbortSignal.abort() }),
        ).rejects.toMatchObject({
          code: 'QUERY_CANCELLED',
        });
      });

      it('an aborted stream fails its reading with QUERY_CANCELLED', async () => {
        const read = async () => {
          const stream = await catalog.stream(HEAVY, { signal: abortAfter(300) });
          let batches = 0;
          for await (const _ of stream.rows) batches++;
          return batches;
        };
        await expect(read()).rejects.toMatchObject({ code: 'QUERY_CANCELLED' });
        // A stream stopped between batches releases its connection too.
        const controller = new AbortController();
        const stream = await catalog.stream('SELECT objectId FROM Object', { signal: controller.signal });
        const iterator = stream.rows[Symbol.asyncIterator]();
        controller.abort();
        await expect(iterator.next()).rejects.toMatchObject({ code: 'QUERY_CANCELLED' });
        expect(await count(catalog, 'Object')).toBe(3190);
      });

      it('an aborted contribution aborts its transaction and leaves no rows', async () => {
        const fresh = await newCatalog();
        try {
          const big = await bigObjectFile(300);
          const tx = await fresh.beginTransaction();
          await expect(
            fresh.contribute(tx, 'Object', big, { signal: abortAfter(200) }),
          ).rejects.toMatchObject({
            code: 'ABORTED',
            details: { transactionId: tx },
          });
          const stats = await fresh.stats();
          expect(stats.transactions.find((t) => t.id === tx)?.state).toBe('aborted');
          expect(await count(fresh, 'Object')).toBe(0);
          // ingestFiles in its own transaction: the same, and a later ingest of the same file works.
          await expect(fresh.ingestFiles('Object', [big], { signal: abortAfter(200) })).rejects.toMatchObject(
            {
              code: 'ABORTED',
            },
          );
          expect(await count(fresh, 'Object')).toBe(0);
          expect((await fresh.stats()).transactions.every((t) => t.state === 'aborted')).toBe(true);
          await fresh.ingestFiles('Object', [fixture.Object]);
          expect(await count(fresh, 'Object')).toBe(3190);
        } finally {
          await fresh.close();
        }
      });

      it('ingestDirectory stops at the next table: loaded tables stay committed, the rest is not loaded', async () => {
        const fresh = await newCatalog();
        try {
          const controller = new AbortController();
          const loaded: string[] = [];
          const load = ingestDirectory(
            fresh,
            join(tmp.dir, 'fixture'),
            (line) => {
              loaded.push(line);
              controller.abort();
            },
            { signal: controller.signal },
          );
          await expect(load).rejects.toMatchObject({ code: 'ABORTED' });
          expect(loaded).toHaveLength(1);
          const stats = await fresh.stats();
          expect(stats.transactions.map((t) => t.state)).toEqual(['committed']);
          expect(stats.tables.filter((t) => t.rows > 0)).toHaveLength(1);
        } finally {
          await fresh.close();
        }
      });

      it('compareCatalogs rejects with ABORTED', async () => {
        await expect(
          compareCatalogs(catalog, catalog, { signal: AbortSignal.abort() }),
        ).rejects.toMatchObject({
          code: 'ABORTED',
        });
        const controller = new AbortController();
        const comparing = compareCatalogs(catalog, catalog, { signal: controller.signal });
        setImmediate(() => controller.abort());
        await expect(comparing).rejects.toMatchObject({ code: 'ABORTED' });
        expect((await compareCatalogs(catalog, catalog)).equal).toBe(true);
      });
    },
  );
}

abortSuite({ name: 'duckdb', skip: null, engine: async () => ({ kind: 'duckdb' }), cleanup: async () => {} });

const workerUrls: string[] = [];
abortSuite({
  name: 'postgres',
  skip: skipReason,
  async engine() {
    // Worker databases of this helper's own on the one server (clusters on other ports belong to other runs).
    const urls: string[] = [];
    for (let i = 0; i < 2; i++) {
      urls.push(
        await freshDatabase(postgresUrl as string, uniqueName(`pool_abort_${workerUrls.length + i}`)),
      );
    }
    workerUrls.push(...urls);
    return { kind: 'postgres', workers: urls };
  },
  async activeStatements(marker) {
    let active = 0;
    for (const url of workerUrls) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const result = await client.query(
          "SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid() AND position($1 in query) > 0",
          [marker],
        );
        active += result.rows[0].n as number;
      } finally {
        await client.end();
      }
    }
    return active;
  },
  async cleanup() {
    for (const url of workerUrls.splice(0)) await dropDatabase(url).catch(() => undefined);
  },
});
