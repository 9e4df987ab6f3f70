/**
 * Correctness oracle on PostgreSQL workers: the queries of `queries.ts` through Meridian on one PostgreSQL worker
 * and on three workers (three clusters on ports 5433–5435, or three databases when clusters cannot be started)
 * equal the same ADQL on unpartitioned tables in plain PostgreSQL with q3c. Queries that need every chunk on one
 * worker must fail on three workers with ADQL_UNSUPPORTED. Skipped (with the reason) without MERIDIAN_TEST_POSTGRES.
 */

import { chmodSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseAdql, postgresDialect, toSql } from '../../../src/catalog/adql/index.js';
import { Catalog } from '../../../src/catalog/index.js';
import { sqlType } from '../../../src/catalog/physical.js';
import { describePostgres } from '../../support/postgres.js';
import { generateFixture, ingestOrder } from '../fixtures/generate.js';
import { dp02SchemaYaml, temporaryDir } from '../helpers.js';
import {
  dropDatabase,
  freshDatabase,
  postgresUrl,
  uniqueName,
  type WorkerSetup,
  workerSetup,
} from '../postgres/setup.js';
import { expectSameRows, loadPlainDuckdb } from './oracle.js';
import { oracleQueries } from './queries.js';

describePostgres('oracle: Meridian on PostgreSQL equals plain PostgreSQL', () => {
  const tmp = temporaryDir('oracle-pg');
  const fixture = generateFixture(`${tmp.dir}/fixture`);
  const queries = oracleQueries(fixture);
  let plain: pg.Client;
  let oneWorker: Catalog;
  let threeWorkers: Catalog;
  let workers: WorkerSetup;
  const databases: string[] = [];

  beforeAll(async () => {
    const base = postgresUrl as string;
    const schema = (await import('../../../src/catalog/schema.js')).parseCatalogSchema(dp02SchemaYaml);
    // Plain PostgreSQL: one table per logical table, same column types, rows exported by DuckDB (booleans as 0/1).
    const plainUrl = await freshDatabase(base, uniqueName('meridian_catalog_oracle_plain'));
    databases.push(plainUrl);
    plain = new pg.Client({
      connectionString: plainUrl,
      types: {
        getTypeParser: (oid: number, format?: 'text' | 'binary') =>
          oid === 20 ? BigInt : oid === 1700 ? Number : pg.types.getTypeParser(oid, format),
      } as never,
    });
    await plain.connect();
    await plain.query('SET jit = off');
    const duck = await loadPlainDuckdb(schema, fixture);
    const exportDir = mkdtempSync(join(tmp.dir, 'export-'));
    chmodSync(tmp.dir, 0o755);
    chmodSync(exportDir, 0o755);
    for (const table of schema.tables) {
      const columns = table.columns
        .map((c) => `"${c.name.toLowerCase()}" ${sqlType(c.datatype, 'postgres')}`)
        .join(', ');
      await plain.query(`CREATE TABLE "${table.name.toLowerCase()}" (${columns})`);
      const p = table.partitioning;
      if (p.role === 'director') {
        await plain.query(
          `CREATE INDEX ON "${table.name.toLowerCase()}" (q3c_ang2ipix("${p.ra.toLowerCase()}", "${p.dec.toLowerCase()}"))`,
        );
      }
      if (!(ingestOrder as readonly string[]).includes(table.name)) continue;
      const path = join(exportDir, `${table.name}.csv`);
      const select = table.columns
        .map((c) => (c.datatype === 'boolean' ? `CAST("${c.name}" AS INTEGER)` : `"${c.name}"`))
        .join(', ');
      await duck.connection.run(
        `COPY (SELECT ${select} FROM "${table.name}") TO '${path}' (FORMAT csv, HEADER false)`,
      );
      chmodSync(path, 0o644);
      await plain.query(`COPY "${table.name.toLowerCase()}" FROM '${path}' WITH (FORMAT csv)`);
    }
    duck.close();
    const build = async (dir: string, urls: readonly string[]) => {
      const catalog = await Catalog.create(dir, {
        schemaYaml: dp02SchemaYaml,
        engine: { kind: 'postgres', workers: urls },
      });
      for (const table of ingestOrder) await catalog.ingestFiles(table, [fixture[table]]);
      return catalog;
    };
    const oneUrl = await freshDatabase(base, uniqueName('meridian_catalog_oracle_1w'));
    databases.push(oneUrl);
    oneWorker = await build(`${tmp.dir}/one`, [oneUrl]);
    workers = await workerSetup(base, 3, uniqueName('meridian_catalog_oracle_3w'));
    console.info(`PostgreSQL worker setup: ${workers.note}`);
    threeWorkers = await build(`${tmp.dir}/three`, workers.urls);
  });

  afterAll(async () => {
    await plain?.end();
    await oneWorker?.close();
    await threeWorkers?.close();
    for (const url of databases) await dropDatabase(url).catch(() => undefined);
    await workers?.stop();
    tmp.remove();
  });

  it('spreads chunks over three workers', async () => {
    const stats = await threeWorkers.stats();
    expect(stats.workers).toBe(3);
    expect(stats.tables.find((t) => t.name === 'Object')?.rows).toBe(
      (await oneWorker.stats()).tables.find((t) => t.name === 'Object')?.rows,
    );
  });

  it('refuses, on three workers, what cannot be composed from distributed parts', async () => {
    await expect(
      threeWorkers.query(
        'SELECT o.objectId FROM Object o WHERE o.coord_dec > (SELECT AVG(fs.psfFlux) FROM ForcedSource fs WHERE fs.objectId = o.objectId)',
      ),
    ).rejects.toMatchObject({ code: 'ADQL_UNSUPPORTED', message: expect.stringContaining('o.objectId') });
    await expect(
      threeWorkers.query(
        'SELECT o.objectId FROM Object o JOIN (SELECT objectId FROM ForcedSource WHERE psfFlux > 90000) t ON t.objectId = o.objectId',
      ),
    ).rejects.toMatchObject({
      code: 'ADQL_UNSUPPORTED',
      message: expect.stringContaining('Object is partitioned'),
    });
    await expect(
      threeWorkers.query('SELECT o.objectId FROM Object o JOIN DiaObject d ON d.ra = o.coord_ra'),
    ).rejects.toMatchObject({ code: 'ADQL_UNSUPPORTED' });
  });

  it.each(queries.map((q) => [q.name, q] as const))('%s', async (_, query) => {
    const { sql, params } = toSql(parseAdql(query.adql), postgresDialect, {
      tableName: (ref) => `"${ref.name[ref.name.length - 1].name.toLowerCase()}"`,
    });
    const want = (await plain.query({ text: sql, values: params, rowMode: 'array' })).rows as unknown[][];
    expectSameRows(await oneWorker.query(query.adql), want, query.ordered ?? false);
    expectSameRows(await threeWorkers.query(query.adql), want, query.ordered ?? false);
    // The composed path ran exactly for the queries marked as needing it.
    expect((await threeWorkers.plan(query.adql)).needsAllChunks !== null).toBe(query.composed ?? false);
  });
});
