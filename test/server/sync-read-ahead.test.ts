/**
 * TAP sync's read-ahead (src/server/tap/sync.ts): a result that ends within its first two batches is sent whole
 * with a Content-Length, one that does not is streamed; MAXREC and OVERFLOW are the same on both paths, and the
 * rows are the catalog's. Many queries in a row, some cut short, exercise the DuckDB engine's reused connections.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryStatuses, SCHEMA, type ServerFixture, serverFixture, tabledataRows } from './helpers.js';

let f: ServerFixture;
beforeAll(async () => {
  f = await serverFixture('server-read-ahead', { maxrecDefault: 100_000, maxrecHard: 1_000_000 });
});
afterAll(async () => {
  await f?.close();
});

const adql = (query: string, extra: Record<string, string> = {}) =>
  f.app.inject({
    method: 'GET',
    url: '/api/tap/sync',
    query: { REQUEST: 'doQuery', LANG: 'ADQL', QUERY: query, ...extra },
  });

/** Rows of a collected catalog result as TABLEDATA cell texts (integers and text as written). */
const ids = (rows: readonly (readonly unknown[])[]) => rows.map((r) => String(r[0]));

describe('TAP sync read-ahead', () => {
  it('sends a small result whole, with a Content-Length and the catalog rows', async () => {
    const query = `SELECT TOP 7 objectId FROM ${SCHEMA}.Object ORDER BY objectId`;
    const res = await adql(query);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-votable+xml');
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.body));
    expect(res.headers['transfer-encoding']).toBeUndefined();
    expect(queryStatuses(res.body)).toEqual(['OK']);
    const expected = ids((await f.catalog.query(query)).rows);
    expect(tabledataRows(res.body).map((r) => r[0])).toEqual(expected);
    expect(expected).toHaveLength(7);
  });

  it('cuts a small result at MAXREC with OVERFLOW, and says OK when MAXREC equals the row count', async () => {
    const query = `SELECT TOP 5 objectId FROM ${SCHEMA}.Object ORDER BY objectId`;
    const cut = await adql(query, { MAXREC: '3' });
    expect(tabledataRows(cut.body)).toHaveLength(3);
    expect(queryStatuses(cut.body)).toEqual(['OK', 'OVERFLOW']);
    const exact = await adql(query, { MAXREC: '5' });
    expect(tabledataRows(exact.body)).toHaveLength(5);
    expect(queryStatuses(exact.body)).toEqual(['OK']);
    const none = await adql(query, { MAXREC: '0' });
    expect(none.statusCode).toBe(200);
    expect(tabledataRows(none.body)).toHaveLength(0);
  });

  it('streams a result longer than two batches, every row and the same MAXREC rules', async () => {
    const query = `SELECT forcedSourceId FROM ${SCHEMA}.ForcedSource ORDER BY forcedSourceId`;
    const all = (await f.catalog.query(query)).rows;
    // DuckDB hands over 2,048 rows a batch: more than two batches takes the streaming path.
    expect(all.length).toBeGreaterThan(2 * 2048);
    const res = await adql(query, { RESPONSEFORMAT: 'csv' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-length']).toBeUndefined();
    const lines = res.body.trimEnd().split('\r\n');
    expect(lines.slice(1)).toEqual(ids(all));
    const cut = await adql(query, { MAXREC: String(all.length - 1) });
    expect(tabledataRows(cut.body)).toHaveLength(all.length - 1);
    expect(queryStatuses(cut.body)).toEqual(['OK', 'OVERFLOW']);
  });

  it('answers many queries in a row correctly, before and after queries that were cut short', async () => {
    for (let round = 0; round < 3; round++) {
      for (const id of f.sampleObjectIds.slice(0, 10)) {
        const res = await adql(`SELECT objectId FROM ${SCHEMA}.Object WHERE objectId = ${id}`);
        expect(tabledataRows(res.body)).toEqual([[String(id)]]);
      }
      // Cut short twice: MAXREC stops a streamed read, and a stream is abandoned after its first batch.
      const cut = await adql(`SELECT forcedSourceId FROM ${SCHEMA}.ForcedSource`, { MAXREC: '10' });
      expect(queryStatuses(cut.body)).toEqual(['OK', 'OVERFLOW']);
      const controller = new AbortController();
      const stream = await f.catalog.stream(`SELECT * FROM ${SCHEMA}.ForcedSource`, {
        signal: controller.signal,
      });
      const iterator = stream.rows[Symbol.asyncIterator]();
      await iterator.next();
      controller.abort();
      await iterator.return?.().catch(() => undefined);
    }
  });
});
