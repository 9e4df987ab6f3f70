/**
 * The embedded engine keeps idle DuckDB connections for reuse (src/catalog/engines/duckdb/engine.ts): queries that
 * follow a failed, a cancelled or an abandoned query on the same catalog still give exact answers, concurrent
 * queries do not share a connection, and closing the catalog closes the idle ones.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Catalog, parseAdql } from '../../src/catalog/index.js';
import { buildFixtureCatalog, generateFixture, temporaryDir } from './helpers.js';

const tmp = temporaryDir('connection-reuse');
let catalog: Catalog;
let sampleObjectIds: readonly bigint[];
beforeAll(async () => {
  const fixture = generateFixture(`${tmp.dir}/fixture`);
  sampleObjectIds = fixture.sampleObjectIds;
  catalog = await buildFixtureCatalog(tmp.dir, fixture);
});
afterAll(async () => {
  await catalog?.close();
  tmp.remove();
});

const lookup = (id: bigint) => `SELECT objectId FROM Object WHERE objectId = ${id}`;

describe('DuckDB connection reuse', () => {
  it('answers after failed, cancelled and abandoned queries as on a fresh catalog', async () => {
    const count = Number((await catalog.query('SELECT COUNT(*) FROM ForcedSource')).rows[0]![0]);
    for (let round = 0; round < 4; round++) {
      // A failure inside the engine: the cast fails in DuckDB at run time.
      await expect(catalog.query("SELECT CAST('x' AS INTEGER) FROM Object")).rejects.toMatchObject({
        code: expect.any(String),
      });
      const cancelled = new AbortController();
      const running = catalog.query('SELECT COUNT(*), AVG(psfFlux) FROM ForcedSource', {
        signal: cancelled.signal,
      });
      cancelled.abort();
      await expect(running).rejects.toMatchObject({ code: 'QUERY_CANCELLED' });
      const abandoned = await catalog.stream('SELECT * FROM ForcedSource');
      const iterator = abandoned.rows[Symbol.asyncIterator]();
      await iterator.next();
      await iterator.return?.();
      for (const id of sampleObjectIds.slice(0, 5)) {
        expect((await catalog.query(lookup(id))).rows).toEqual([[id]]);
      }
      expect(Number((await catalog.query('SELECT COUNT(*) FROM ForcedSource')).rows[0]![0])).toBe(count);
    }
  });

  it('runs concurrent queries, each with its own answer', async () => {
    const ids = sampleObjectIds.slice(0, 20);
    const answers = await Promise.all(ids.map((id) => catalog.query(lookup(id))));
    expect(answers.map((a) => a.rows)).toEqual(ids.map((id) => [[id]]));
  });

  it('streams a parsed tree as it streams the text', async () => {
    const text = `SELECT objectId FROM Object WHERE objectId = ${sampleObjectIds[0]}`;
    const read = async (adql: Parameters<Catalog['stream']>[0]) => {
      const rows: unknown[][] = [];
      for await (const batch of (await catalog.stream(adql)).rows) rows.push(...batch);
      return rows;
    };
    expect(await read(parseAdql(text))).toEqual(await read(text));
  });
});
