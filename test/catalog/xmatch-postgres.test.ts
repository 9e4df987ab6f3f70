/**
 * Cross-matches between two director tables on PostgreSQL workers: the seeded random cases of `xmatch-cases.ts` on
 * one worker and on three (three databases on the test server), each equal to the brute-force match over every row,
 * plus the whole-catalog match at the overlap radius, whose pairs straddle chunk edges. Skipped, with the reason,
 * without MERIDIAN_TEST_POSTGRES.
 */

import { afterAll, beforeAll, expect, it } from 'vitest';
import { Catalog } from '../../src/catalog/index.js';
import { describePostgres } from '../support/postgres.js';
import { ingestOrder } from './fixtures/generate.js';
import { dp02SchemaYaml, generateFixture, temporaryDir } from './helpers.js';
import { dropDatabase, freshDatabase, postgresUrl, uniqueName } from './postgres/setup.js';
import {
  bruteForce,
  caseAdql,
  fixturePositions,
  type Position,
  randomCases,
  resultPairs,
  separation,
} from './xmatch-cases.js';

describePostgres('cross-match on PostgreSQL workers equals a brute-force match', () => {
  const tmp = temporaryDir('xmatch-pg');
  const fixture = generateFixture(`${tmp.dir}/fixture`);
  const databases: string[] = [];
  let one: Catalog;
  let three: Catalog;
  let objects: Position[];
  let truth: Position[];

  beforeAll(async () => {
    const base = postgresUrl as string;
    const build = async (name: string, count: number) => {
      const urls: string[] = [];
      for (let i = 0; i < count; i++) {
        urls.push(await freshDatabase(base, uniqueName(`xmatch_${name}_w${i}`)));
      }
      databases.push(...urls);
      const catalog = await Catalog.create(`${tmp.dir}/${name}`, {
        schemaYaml: dp02SchemaYaml,
        engine: { kind: 'postgres', workers: urls },
      });
      for (const table of ingestOrder) await catalog.ingestFiles(table, [fixture[table]]);
      return catalog;
    };
    one = await build('one', 1);
    three = await build('three', 3);
    ({ objects, truth } = await fixturePositions(one, fixture));
  }, 300_000);

  afterAll(async () => {
    await one?.close();
    await three?.close();
    for (const url of databases) await dropDatabase(url).catch(() => undefined);
    tmp.remove();
  });

  it('spreads the chunks over three workers', async () => {
    expect((await three.stats()).workers).toBe(3);
  });

  it.each(randomCases(10, 4242).map((c, i) => [i, c] as const))('random case %i', async (_, c) => {
    const want = bruteForce(objects, truth, c);
    const adql = caseAdql(c);
    expect(resultPairs((await one.query(adql)).rows), adql).toEqual(want);
    expect(resultPairs((await three.query(adql)).rows), adql).toEqual(want);
  });

  it('finds every pair of the whole catalog at the overlap radius, with counts merged over workers', async () => {
    const radiusDeg = 0.01667;
    const want: string[] = [];
    for (const ob of objects)
      for (const tr of truth) if (separation(ob, tr) < radiusDeg) want.push(`${ob.id} ${tr.id}`);
    const match = `DISTANCE(POINT(o.coord_ra, o.coord_dec), POINT(t.ra, t.dec)) < ${radiusDeg}`;
    const pairs = resultPairs(
      (await three.query(`SELECT o.objectId, t.id_truth_type FROM TruthSummary t JOIN Object o ON ${match}`))
        .rows,
    );
    expect(pairs).toEqual(want.sort());
    const count = await three.query(`SELECT COUNT(*) AS n FROM Object o, TruthSummary t WHERE ${match}`);
    expect(Number(count.rows[0][0])).toBe(want.length);
  });
});
