/**
 * TAP_UPLOAD on PostgreSQL workers (two worker databases, so fragments run on both and are merged): the same rows as
 * the brute-force oracle, and no temporary table left on any worker after a query succeeds, fails or is cancelled.
 * Skipped (with the reason) without MERIDIAN_TEST_POSTGRES.
 */

import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Catalog, type QueryUpload } from '../../src/catalog/index.js';
import { describePostgres } from '../support/postgres.js';
import { generateFixture, ingestOrder } from './fixtures/generate.js';
import { dp02SchemaYaml, temporaryDir } from './helpers.js';
import { expectSameRows, loadPlainDuckdb, type PlainDuckdb, runPlainDuckdb } from './oracle/oracle.js';
import { dropDatabase, freshDatabase, postgresUrl, uniqueName } from './postgres/setup.js';
import { loadOracleUpload, positionUpload, uploadQueries } from './upload-fixture.js';

describePostgres('TAP_UPLOAD on PostgreSQL workers', () => {
  const tmp = temporaryDir('upload-pg');
  const fixture = generateFixture(`${tmp.dir}/fixture`);
  const workers: string[] = [];
  let plain: PlainDuckdb;
  let catalog: Catalog;
  let upload: QueryUpload;

  /** Temporary upload tables on every worker, in any session. */
  async function leftovers(): Promise<number> {
    let count = 0;
    for (const url of workers) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const result = await client.query(
          "SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE 'tap_upload_%'",
        );
        count += result.rows[0].n as number;
      } finally {
        await client.end();
      }
    }
    return count;
  }

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      workers.push(await freshDatabase(postgresUrl as string, uniqueName(`upload_catalog_w${i}`)));
    }
    catalog = await Catalog.create(`${tmp.dir}/catalog`, {
      schemaYaml: dp02SchemaYaml,
      engine: { kind: 'postgres', workers },
    });
    for (const table of ingestOrder) await catalog.ingestFiles(table, [fixture[table]]);
    plain = await loadPlainDuckdb(catalog.schema, fixture);
    upload = await positionUpload(plain.connection);
    await loadOracleUpload(plain.connection, upload);
  });

  afterAll(async () => {
    plain?.close();
    await catalog?.close();
    for (const url of workers) await dropDatabase(url).catch(() => undefined);
    tmp.remove();
  });

  it.each(uploadQueries.map((q) => [q.name, q] as const))('%s', async (_, query) => {
    const want = await runPlainDuckdb(plain, query.adql);
    const got = await catalog.query(query.adql, { uploads: [upload] });
    expectSameRows(got, want, false);
    if (query.restricted) expect(got.chunks).not.toBeNull();
    expect(await leftovers()).toBe(0);
  });

  it('leaves no temporary table after a failed or cancelled query, and the pool still works', async () => {
    // PostgreSQL refuses to read a label as an integer while the fragment runs.
    const failed = await catalog
      .query(
        'SELECT CAST(u.label AS INTEGER) AS n FROM TAP_UPLOAD.pos u JOIN Object o ON o.objectId = u.id OR u.id > 0',
        {
          uploads: [upload],
        },
      )
      .then(
        () => null,
        (err: unknown) => err,
      );
    expect(failed).toMatchObject({ code: expect.any(String), message: expect.stringContaining('integer') });
    expect(await leftovers()).toBe(0);
    const controller = new AbortController();
    const running = catalog.query(
      'SELECT COUNT(*) FROM TAP_UPLOAD.pos u, TAP_UPLOAD.pos v, TAP_UPLOAD.pos w, Object o WHERE o.coord_ra > u.ra + v.ra - w.ra',
      { uploads: [upload], signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 300);
    await expect(running).rejects.toMatchObject({ code: 'QUERY_CANCELLED' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await leftovers()).toBe(0);
    const again = await catalog.query(uploadQueries[1].adql, { uploads: [upload] });
    expect(again.rows.length).toBeGreaterThan(10);
  });
});
