/**
 * Correctness oracle on the embedded DuckDB engine: every query of `queries.ts` gives the same rows through
 * Meridian (partitioned, chunk-pruned, director index) as on unpartitioned tables in plain DuckDB. Run twice:
 * one fragment with the test partitioning (85/12), and 4 fragments with the DC2 production partitioning (340/3) so
 * the merge path (aggregate splitting, top-N, re-aggregation) is checked too.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Catalog } from '../../../src/catalog/index.js';
import { generateFixture } from '../fixtures/generate.js';
import { buildFixtureCatalog, reopen, temporaryDir } from '../helpers.js';
import { expectSameRows, loadPlainDuckdb, type PlainDuckdb, runPlainDuckdb } from './oracle.js';
import { oracleQueries } from './queries.js';

const tmp = temporaryDir('oracle-duckdb');
const fixture = generateFixture(`${tmp.dir}/fixture`);
const queries = oracleQueries(fixture);
let plain: PlainDuckdb;
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
  plain = await loadPlainDuckdb(single.schema, fixture);
});

afterAll(async () => {
  await single?.close();
  await split?.close();
  plain?.close();
  tmp.remove();
});

describe('oracle: Meridian on DuckDB equals plain DuckDB', () => {
  it('has at least 60 queries', () => {
    expect(queries.length).toBeGreaterThanOrEqual(60);
  });

  it.each(queries.map((q) => [q.name, q] as const))('%s', async (_, query) => {
    const want = await runPlainDuckdb(plain, query.adql);
    expectSameRows(await single.query(query.adql), want, query.ordered ?? false);
    expectSameRows(await split.query(query.adql), want, query.ordered ?? false);
  });

  it('prunes chunks: a small cone touches few chunks, an id one', async () => {
    const cone = await single.plan(
      "SELECT objectId FROM Object WHERE CONTAINS(POINT('ICRS', coord_ra, coord_dec), CIRCLE('ICRS', 62, -37, 0.01)) = 1",
    );
    expect(cone.chunks?.length).toBe(1);
    const byId = await split.plan(`SELECT * FROM Object WHERE objectId = ${fixture.sampleObjectIds[0]}`);
    expect(byId.chunks).toHaveLength(1);
  });
});
