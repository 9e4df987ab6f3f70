/**
 * Positional cross-matches between two director tables (Object × TruthSummary), property style: seeded random cones,
 * match radii up to the overlap, join orders, DISTANCE and CONTAINS(POINT, CIRCLE) forms and the side the cone is on,
 * each compared with a brute-force match over every row computed here in JavaScript. Run on one fragment (85/12
 * grid) and four (340/3 grid); the fixture puts truth rows up to 0.012° from their Objects, and the test checks that
 * matched pairs straddling chunk edges are among the answers. Also the refusals: different grids, too large a radius.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAdql } from '../../src/catalog/adql/index.js';
import type { Catalog } from '../../src/catalog/index.js';
import { planQuery } from '../../src/catalog/planner/plan.js';
import { parseCatalogSchema } from '../../src/catalog/schema.js';
import { Chunker } from '../../src/sphere/index.js';
import { buildFixtureCatalog, dp02SchemaYaml, generateFixture, reopen, temporaryDir } from './helpers.js';
import {
  bruteForce as bruteForceOver,
  type Case,
  caseAdql,
  fixturePositions,
  type Position,
  randomCases,
  resultPairs,
  separation,
} from './xmatch-cases.js';

const tmp = temporaryDir('xmatch');
const fixture = generateFixture(`${tmp.dir}/fixture`);
let single: Catalog;
let split: Catalog;
let objects: Position[];
let truth: Position[];
const bruteForce = (c: Case) => bruteForceOver(objects, truth, c);

beforeAll(async () => {
  single = await buildFixtureCatalog(`${tmp.dir}/a`, fixture);
  split = await reopen(
    await buildFixtureCatalog(`${tmp.dir}/b`, fixture, {
      partitioning: { numStripes: 340, numSubStripesPerStripe: 3, overlapDeg: 0.01667 },
    }),
    { fragmentSplit: 4 },
  );
  ({ objects, truth } = await fixturePositions(single, fixture));
}, 120_000);

afterAll(async () => {
  await single?.close();
  await split?.close();
  tmp.remove();
});

describe('cross-match Object × TruthSummary equals a brute-force match over all rows', () => {
  const cases = randomCases(16, 20261204);

  it.each(cases.map((c, i) => [i, c] as const))('random case %i', async (_, c) => {
    const want = bruteForce(c);
    const adql = caseAdql(c);
    for (const catalog of [single, split]) {
      const got = await catalog.query(adql);
      expect(resultPairs(got.rows), adql).toEqual(want);
    }
  });

  it('covers matched pairs in different chunks, and finds every pair of the whole catalog', async () => {
    const radiusDeg = 0.01667;
    const want: [Position, Position][] = [];
    for (const ob of objects) for (const tr of truth) if (separation(ob, tr) < radiusDeg) want.push([ob, tr]);
    const key = ([a, b]: [Position, Position]) => `${a.id} ${b.id}`;
    const adql = `SELECT o.objectId, t.id_truth_type FROM Object o JOIN TruthSummary t ON DISTANCE(POINT(o.coord_ra, o.coord_dec), POINT(t.ra, t.dec)) < ${radiusDeg}`;
    for (const catalog of [single, split]) {
      const chunker = catalog.chunker;
      const straddling = want.filter(
        ([a, b]) => chunker.locate(a.ra, a.dec).chunkId !== chunker.locate(b.ra, b.dec).chunkId,
      );
      expect(straddling.length).toBeGreaterThan(0);
      const got = resultPairs((await catalog.query(adql)).rows);
      expect(got).toEqual(want.map(key).sort());
    }
  });

  it('the random cases are not vacuous', () => {
    const total = cases.reduce((n, c) => n + bruteForce(c).length, 0);
    expect(total).toBeGreaterThan(100);
  });

  it('plans a cross-match as a near-neighbour join pruned to the cone', async () => {
    const plan = await single.plan(
      'SELECT o.objectId FROM Object o JOIN TruthSummary t ON DISTANCE(POINT(o.coord_ra, o.coord_dec), POINT(t.ra, t.dec)) < 0.001 WHERE CONTAINS(POINT(o.coord_ra, o.coord_dec), CIRCLE(62, -37, 0.01)) = 1',
    );
    expect(plan.nearNeighbour?.radiusDeg).toBe(0.001);
    expect(plan.needsAllChunks).toBeNull();
    expect(plan.chunks).toHaveLength(1);
    // The cone on the truth side makes the truth side home, so it reads only the cone's chunks.
    const swapped = await single.plan(
      'SELECT o.objectId FROM Object o JOIN TruthSummary t ON DISTANCE(POINT(o.coord_ra, o.coord_dec), POINT(t.ra, t.dec)) < 0.001 WHERE CONTAINS(POINT(t.ra, t.dec), CIRCLE(62, -37, 0.01)) = 1',
    );
    expect(plan.refs.get(swapped.nearNeighbour?.home as never)).toBeUndefined();
    expect(swapped.refs.get(swapped.nearNeighbour?.home as never)?.table.name).toBe('TruthSummary');
    expect(swapped.chunks).toHaveLength(1);
  });
});

describe('cross-match refusals', () => {
  it('refuses a radius larger than the overlap, in both forms', async () => {
    await expect(
      single.query(
        'SELECT o.objectId FROM Object o JOIN TruthSummary t ON DISTANCE(POINT(o.coord_ra, o.coord_dec), POINT(t.ra, t.dec)) < 0.02',
      ),
    ).rejects.toMatchObject({
      code: 'NEAR_NEIGHBOUR_RADIUS',
      details: { radiusDeg: 0.02, overlapDeg: 0.01667 },
    });
    await expect(
      split.query(
        'SELECT o.objectId FROM TruthSummary t, Object o WHERE CONTAINS(POINT(t.ra, t.dec), CIRCLE(o.coord_ra, o.coord_dec, 0.5)) = 1',
      ),
    ).rejects.toMatchObject({ code: 'NEAR_NEIGHBOUR_RADIUS', details: { radiusDeg: 0.5 } });
  });

  it('refuses tables partitioned on different grids, naming both', async () => {
    const schema = parseCatalogSchema(dp02SchemaYaml);
    const grid = new Chunker(85, 12, 0.01667);
    const other = new Chunker(340, 3, 0.01667);
    const adql = parseAdql(
      'SELECT o.objectId FROM Object o JOIN TruthSummary t ON DISTANCE(POINT(o.coord_ra, o.coord_dec), POINT(t.ra, t.dec)) < 0.001',
    );
    const context = {
      schema,
      chunker: grid,
      directorChunks: async () => [],
      chunkerOf: (table: { name: string }) => (table.name === 'TruthSummary' ? other : grid),
    };
    const refused = planQuery(adql, context);
    await expect(refused).rejects.toMatchObject({ code: 'CROSS_MATCH_PARTITIONING' });
    await expect(refused).rejects.toThrow(/Object has 85 stripes.*TruthSummary has 340 stripes/);
    // Same grid, same answer as without the hook; a different overlap alone is refused too.
    await expect(planQuery(adql, { ...context, chunkerOf: () => grid })).resolves.toMatchObject({
      kind: 'queryPlan',
    });
    const wider = new Chunker(85, 12, 0.05);
    await expect(
      planQuery(adql, {
        ...context,
        chunkerOf: (t: { name: string }) => (t.name === 'Object' ? wider : grid),
      }),
    ).rejects.toMatchObject({ code: 'CROSS_MATCH_PARTITIONING' });
  });

  it('refuses a third partitioned table next to a cross-match', async () => {
    await expect(
      single.query(
        'SELECT o.objectId FROM Object o JOIN TruthSummary t ON DISTANCE(POINT(o.coord_ra, o.coord_dec), POINT(t.ra, t.dec)) < 0.001 JOIN ForcedSource fs ON fs.objectId = o.objectId',
      ),
    ).rejects.toMatchObject({ code: 'ADQL_UNSUPPORTED' });
  });
});
