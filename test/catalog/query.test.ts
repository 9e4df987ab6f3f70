/**
 * Query behaviour beyond row equality: precise errors for bad ADQL and bad names, refused joins, the
 * near-neighbour radius check, row limits, timeout and cancellation, output names, and exact 64-bit ids.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Catalog } from '../../src/catalog/index.js';
import { generateFixture } from './fixtures/generate.js';
import { buildFixtureCatalog, temporaryDir } from './helpers.js';

const tmp = temporaryDir('query');
const fixture = generateFixture(`${tmp.dir}/fixture`);
let catalog: Catalog;

beforeAll(async () => {
  catalog = await buildFixtureCatalog(tmp.dir, fixture);
});

afterAll(async () => {
  await catalog?.close();
  tmp.remove();
});

describe('errors', () => {
  it('reports an ADQL syntax error with its line and column', async () => {
    await expect(catalog.query('SELECT coord_ra,\n       coord_dec FORM Object')).rejects.toMatchObject({
      code: 'ADQL_SYNTAX',
      details: { line: 2, column: 18 },
    });
  });

  it('names an unknown table, schema and column', async () => {
    await expect(catalog.query('SELECT * FROM Objekt')).rejects.toMatchObject({
      code: 'ADQL_SEMANTIC',
      message: expect.stringContaining('unknown table Objekt at line 1, column 15'),
    });
    await expect(catalog.query('SELECT * FROM dp01.Object')).rejects.toThrow(/unknown schema dp01/);
    await expect(catalog.query('SELECT coord_ra, gmag FROM Object')).rejects.toMatchObject({
      code: 'ADQL_SEMANTIC',
      details: { column: 'gmag' },
    });
    await expect(catalog.query('SELECT o.band FROM Object AS o')).rejects.toThrow(
      /unknown column band in table Object/,
    );
  });

  it('refuses a near-neighbour radius larger than the overlap', async () => {
    await expect(
      catalog.query(
        'SELECT o1.objectId FROM Object o1, Object o2 WHERE DISTANCE(POINT(o1.coord_ra, o1.coord_dec), POINT(o2.coord_ra, o2.coord_dec)) < 0.1',
      ),
    ).rejects.toMatchObject({
      code: 'NEAR_NEIGHBOUR_RADIUS',
      details: { radiusDeg: 0.1, overlapDeg: 0.01667 },
    });
  });

  it('refuses a join of partitioned tables that crosses chunks', async () => {
    await expect(
      catalog.query('SELECT o1.objectId FROM Object o1 JOIN Object o2 ON o1.parentObjectId = o2.objectId'),
    ).rejects.toMatchObject({ code: 'ADQL_UNSUPPORTED', message: expect.stringContaining('director key') });
  });

  it('refuses a match table that is not joined on its director key', async () => {
    await expect(
      catalog.query('SELECT o.objectId FROM Object o, MatchesTruth mt WHERE mt.match_chisq < 1'),
    ).rejects.toMatchObject({
      code: 'ADQL_UNSUPPORTED',
      message: expect.stringContaining('mt.match_objectId'),
    });
  });

  it('plans a match join chunk by chunk: driving rows by chunk, the other director through its overlap', async () => {
    const plan = await catalog.plan(
      "SELECT o.objectId, ts.truth_type FROM TruthSummary ts JOIN MatchesTruth mt ON mt.id_truth_type = ts.id_truth_type JOIN Object o ON o.objectId = mt.match_objectId WHERE CONTAINS(POINT('ICRS', ts.ra, ts.dec), CIRCLE('ICRS', 62, -37, 0.1)) = 1",
    );
    expect(plan.needsAllChunks).toBeNull();
    const byTable = Object.fromEntries(
      [...plan.access].map(([ref, access]) => [plan.refs.get(ref)?.table.name, access]),
    );
    expect(byTable).toEqual({
      TruthSummary: { read: 'chunks', match: null },
      MatchesTruth: { read: 'chunks', match: 'second' },
      Object: { read: 'near', match: null },
    });
  });

  it('reports constructs the SQL compiler cannot express', async () => {
    await expect(catalog.query('SELECT POINT(coord_ra, coord_dec) FROM Object')).rejects.toMatchObject({
      code: 'ADQL_UNSUPPORTED',
    });
  });
});

describe('limits', () => {
  it('truncates at maxRows and says so', async () => {
    const result = await catalog.query('SELECT objectId FROM Object', { maxRows: 7 });
    expect(result.rows).toHaveLength(7);
    expect(result.overflow).toBe(true);
    const all = await catalog.query('SELECT objectId FROM Object WHERE objectId = 1', { maxRows: 7 });
    expect(all.overflow).toBe(false);
  });

  it('fails with QUERY_LIMIT past the hard row limit', async () => {
    await expect(catalog.query('SELECT objectId FROM Object', { rowLimit: 100 })).rejects.toMatchObject({
      code: 'QUERY_LIMIT',
    });
  });

  const heavy =
    'SELECT COUNT(*) FROM Object AS o, CcdVisit AS cv, Visit AS v WHERE o.coord_ra + cv.ra > v.ra';

  it('times out with QUERY_TIMEOUT', async () => {
    await expect(catalog.query(heavy, { timeoutMs: 5 })).rejects.toMatchObject({ code: 'QUERY_TIMEOUT' });
  });

  it('is cancelled with QUERY_CANCELLED', async () => {
    const controller = new AbortController();
    const running = catalog.query(heavy, { signal: controller.signal });
    setTimeout(() => controller.abort(), 5);
    await expect(running).rejects.toMatchObject({ code: 'QUERY_CANCELLED' });
    // The catalog keeps working afterwards.
    expect((await catalog.query('SELECT COUNT(*) AS n FROM Visit')).rows[0][0]).toBe(40n);
  });
});

describe('results', () => {
  it('names columns by alias, by column as written, or by the ADQL expression', async () => {
    const result = await catalog.query(
      'SELECT TOP 1 objectId, o.coord_ra AS ra, COUNT(*), MAX(coord_dec) FROM Object AS o GROUP BY objectId, o.coord_ra ORDER BY objectId',
    );
    expect(result.columns.map((c) => c.name)).toEqual(['objectId', 'ra', 'COUNT(*)', 'MAX(coord_dec)']);
    expect(result.columns.map((c) => c.datatype)).toEqual(['long', 'double', 'long', 'double']);
  });

  it('keeps 19-digit ids exact and streams rows', async () => {
    const id = fixture.sampleObjectIds[2];
    const stream = await catalog.stream(`SELECT objectId FROM Object WHERE objectId = ${id}`);
    const rows = [];
    for await (const batch of stream.rows) rows.push(...batch);
    expect(rows).toEqual([[id]]);
  });

  it('uses the director index: an id query touches one chunk', async () => {
    const plan = await catalog.plan(
      `SELECT * FROM ForcedSource WHERE objectId IN (${fixture.sampleObjectIds[0]})`,
    );
    expect(plan.chunks).toHaveLength(1);
    const none = await catalog.plan('SELECT * FROM Object WHERE objectId = 5');
    expect(none.chunks).toEqual([]);
  });
});
