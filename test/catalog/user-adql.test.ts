/**
 * ADQL that users send and that once failed (issue 10): delimited identifiers spelled as the schema spells them
 * (TOPCAT's `"objectId"`), GROUP BY an expression the select list repeats (a CASE), and ORDER BY an aggregate's
 * alias. Run on DuckDB with one fragment and with four (the merge path), and on a PostgreSQL worker.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catalog } from '../../src/catalog/index.js';
import { describePostgres } from '../support/postgres.js';
import { generateFixture, ingestOrder } from './fixtures/generate.js';
import { buildFixtureCatalog, dp02SchemaYaml, reopen, temporaryDir } from './helpers.js';
import { dropDatabase, freshDatabase, postgresUrl, uniqueName } from './postgres/setup.js';

const cone = "CONTAINS(POINT('ICRS', coord_ra, coord_dec), CIRCLE('ICRS', 62, -37, 0.5)) = 1";

/** Each query with the same query written the old way (regular identifiers, no CASE grouping) as its reference. */
const cases: readonly { name: string; adql: string; reference: string; ordered?: boolean }[] = [
  {
    name: 'delimited column names in the schema spelling',
    adql: `SELECT "objectId", "coord_ra" FROM Object WHERE ${cone} AND "detect_isPrimary" = 1`,
    reference: `SELECT objectId, coord_ra FROM Object WHERE ${cone} AND detect_isPrimary = 1`,
  },
  {
    name: 'delimited qualified names, differently cased, in ORDER BY and GROUP BY',
    adql: `SELECT o."objectid" AS id, COUNT(*) AS n FROM Object AS o JOIN ForcedSource AS f ON f."objectId" = o."objectId" WHERE ${cone.replaceAll('coord_', 'o.coord_')} GROUP BY o."objectId" ORDER BY o."objectId"`,
    reference: `SELECT o.objectId AS id, COUNT(*) AS n FROM Object AS o JOIN ForcedSource AS f ON f.objectId = o.objectId WHERE ${cone.replaceAll('coord_', 'o.coord_')} GROUP BY o.objectId ORDER BY o.objectId`,
    ordered: true,
  },
  {
    name: 'GROUP BY a CASE the select list repeats',
    adql: `SELECT CASE WHEN refExtendedness > 0.5 THEN 'extended' ELSE 'point' END AS kind, COUNT(*) AS n FROM Object WHERE ${cone} GROUP BY CASE WHEN refExtendedness > 0.5 THEN 'extended' ELSE 'point' END`,
    reference: `SELECT 'extended' AS kind, COUNT(*) AS n FROM Object WHERE ${cone} AND refExtendedness > 0.5 UNION ALL SELECT 'point' AS kind, COUNT(*) AS n FROM Object WHERE ${cone} AND NOT (refExtendedness > 0.5)`,
  },
  {
    name: 'GROUP BY the alias of a CASE, ORDER BY an aggregate alias',
    adql: `SELECT CASE WHEN refExtendedness > 0.5 THEN 1 ELSE 0 END AS extended, COUNT(*) AS n FROM Object WHERE ${cone} GROUP BY extended ORDER BY n DESC`,
    reference: `SELECT 1 AS extended, COUNT(*) AS n FROM Object WHERE ${cone} AND refExtendedness > 0.5 UNION ALL SELECT 0 AS extended, COUNT(*) AS n FROM Object WHERE ${cone} AND NOT (refExtendedness > 0.5) ORDER BY n DESC`,
    ordered: true,
  },
  {
    name: 'GROUP BY an arithmetic expression, ORDER BY the alias of an AVG',
    adql: `SELECT FLOOR(coord_dec * 10) AS band, AVG(coord_ra) AS mean_ra, COUNT(*) AS n FROM Object WHERE ${cone} GROUP BY FLOOR(coord_dec * 10) ORDER BY mean_ra, band`,
    reference: `SELECT band, AVG(coord_ra) AS mean_ra, COUNT(*) AS n FROM (SELECT FLOOR(coord_dec * 10) AS band, coord_ra FROM Object WHERE ${cone}) AS t GROUP BY band ORDER BY mean_ra, band`,
    ordered: true,
  },
  {
    name: 'a cone centre and radius with 16 significant digits (DuckDB once typed them as too-narrow DECIMALs)',
    adql: "SELECT objectId FROM Object WHERE CONTAINS(POINT('ICRS', coord_ra, coord_dec), CIRCLE('ICRS', 62.00000000000001, -37.00000000000001, 0.50000000000000011)) = 1",
    reference: `SELECT objectId FROM Object WHERE ${cone}`,
  },
];

function canonical(rows: readonly (readonly unknown[])[], ordered: boolean): string[] {
  const lines = rows.map((row) =>
    row.map((v) => (typeof v === 'number' ? Number(v.toPrecision(9)) : String(v))).join(' | '),
  );
  return ordered ? lines : lines.sort();
}

async function expectCases(catalogs: readonly Catalog[], reference: Catalog): Promise<void> {
  for (const c of cases) {
    const want = canonical((await reference.query(c.reference)).rows, c.ordered ?? false);
    expect(want.length, c.name).toBeGreaterThan(0);
    for (const catalog of catalogs) {
      expect(canonical((await catalog.query(c.adql)).rows, c.ordered ?? false), c.name).toEqual(want);
    }
  }
}

describe('user ADQL on DuckDB', () => {
  const tmp = temporaryDir('user-adql');
  const fixture = generateFixture(`${tmp.dir}/fixture`);
  let single: Catalog;
  let split: Catalog;

  beforeAll(async () => {
    single = await buildFixtureCatalog(`${tmp.dir}/a`, fixture);
    split = await reopen(
      await buildFixtureCatalog(`${tmp.dir}/b`, fixture, {
        partitioning: { numStripes: 340, numSubStripesPerStripe: 3, overlapDeg: 0.01667 },
      }),
      { fragmentSplit: 4 },
    );
  });

  afterAll(async () => {
    await single?.close();
    await split?.close();
    tmp.remove();
  });

  it('runs each query on one fragment and on four', async () => {
    await expectCases([single, split], single);
  });
});

describePostgres('user ADQL on a PostgreSQL worker', () => {
  const tmp = temporaryDir('user-adql-pg');
  const fixture = generateFixture(`${tmp.dir}/fixture`);
  let reference: Catalog;
  let worker: Catalog;
  let url: string;

  beforeAll(async () => {
    reference = await buildFixtureCatalog(`${tmp.dir}/a`, fixture);
    url = await freshDatabase(postgresUrl as string, uniqueName('meridian_catro_user_adql'));
    worker = await Catalog.create(`${tmp.dir}/pg`, {
      schemaYaml: dp02SchemaYaml,
      engine: { kind: 'postgres', workers: [url] },
    });
    for (const table of ingestOrder) await worker.ingestFiles(table, [fixture[table]]);
  });

  afterAll(async () => {
    await reference?.close();
    await worker?.close();
    if (url) await dropDatabase(url).catch(() => undefined);
    tmp.remove();
  });

  it('runs each query', async () => {
    await expectCases([worker], reference);
  });
});
