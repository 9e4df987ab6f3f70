/** The TAP service over a catalog on a PostgreSQL worker: the same answers and field metadata as on DuckDB. */

import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Catalog } from '../../src/catalog/index.js';
import { createApp } from '../../src/server/index.js';
import { dp02SchemaYaml, generateFixture, temporaryDir } from '../catalog/helpers.js';
import { dropDatabase, freshDatabase, postgresUrl, uniqueName } from '../catalog/postgres/setup.js';
import { describePostgres } from '../support/postgres.js';
import { fieldNames, queryStatuses, SCHEMA, tabledataRows } from './helpers.js';

describePostgres('TAP on a PostgreSQL worker', () => {
  const tmp = temporaryDir('server-pg');
  let url: string;
  const catalogs: Catalog[] = [];
  const apps: ReturnType<typeof createApp>[] = [];
  beforeAll(async () => {
    const fixture = generateFixture(join(tmp.dir, 'fixture'));
    url = await freshDatabase(postgresUrl as string, uniqueName('meridian_server_tap'));
    for (const [name, engine] of [
      ['pg', { kind: 'postgres' as const, workers: [url] }],
      ['duck', { kind: 'duckdb' as const }],
    ] as const) {
      const catalog = await Catalog.create(join(tmp.dir, name), { schemaYaml: dp02SchemaYaml, engine });
      for (const table of ['Visit', 'CcdVisit', 'Object'] as const)
        await catalog.ingestFiles(table, [fixture[table]]);
      catalogs.push(catalog);
      apps.push(createApp({ catalog, auth: { allowAnonymous: true } }));
    }
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    for (const catalog of catalogs) await catalog.close();
    if (url) await dropDatabase(url);
    tmp.remove();
  });

  const sync = (app: ReturnType<typeof createApp>, query: string, format = 'votable') =>
    app.inject({
      method: 'GET',
      url: '/api/tap/sync',
      query: { LANG: 'ADQL', QUERY: query, FORMAT: format, MAXREC: '20' },
    });

  it('gives the same rows, field names and metadata as DuckDB, in every format', async () => {
    const queries = [
      `SELECT * FROM ${SCHEMA}.Object ORDER BY objectId`,
      `SELECT TOP 5 objectId, coord_ra, detect_isPrimary FROM ${SCHEMA}.Object WHERE CONTAINS(POINT('ICRS', coord_ra, coord_dec), CIRCLE('ICRS', 62, -37, 1)) = 1 ORDER BY objectId`,
      `SELECT v.band, COUNT(*) AS n FROM ${SCHEMA}.CcdVisit AS v GROUP BY v.band ORDER BY v.band`,
    ];
    for (const query of queries) {
      const [pg, duck] = await Promise.all(apps.map((app) => sync(app, query)));
      expect(pg.statusCode, pg.body).toBe(200);
      expect(fieldNames(pg.body)).toEqual(fieldNames(duck.body));
      expect(pg.body.match(/<FIELD[^>]*>/g)).toEqual(duck.body.match(/<FIELD[^>]*>/g));
      expect(tabledataRows(pg.body)).toEqual(tabledataRows(duck.body));
      expect(queryStatuses(pg.body)).toEqual(queryStatuses(duck.body));
      for (const format of ['votable/b2', 'csv', 'json']) {
        const [a, b] = await Promise.all(apps.map((app) => sync(app, query, format)));
        expect(a.body).toBe(b.body);
      }
    }
  });

  it('reports unknown columns as ADQL errors with status 400', async () => {
    const res = await sync(apps[0], `SELECT nope FROM ${SCHEMA}.Object`);
    expect(res.statusCode).toBe(400);
    expect(queryStatuses(res.body)).toEqual(['ERROR']);
  });
});
