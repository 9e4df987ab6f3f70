/**
 * TAP_UPLOAD on the embedded DuckDB engine: uploaded tables join partitioned tables with the same rows as a brute-force
 * oracle (the ADQL on unpartitioned tables in plain DuckDB), in one fragment and in four; positional joins are
 * restricted to the chunks near the uploaded positions; bad uploads are coded errors.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Catalog, QueryUpload } from '../../src/catalog/index.js';
import { generateFixture } from './fixtures/generate.js';
import { buildFixtureCatalog, reopen, temporaryDir } from './helpers.js';
import { expectSameRows, loadPlainDuckdb, type PlainDuckdb, runPlainDuckdb } from './oracle/oracle.js';
import { loadOracleUpload, positionUpload, uploadQueries } from './upload-fixture.js';

const tmp = temporaryDir('upload-duckdb');
const fixture = generateFixture(`${tmp.dir}/fixture`);
let plain: PlainDuckdb;
let single: Catalog;
let split: Catalog;
let upload: QueryUpload;

beforeAll(async () => {
  single = await reopen(await buildFixtureCatalog(`${tmp.dir}/a`, fixture), { readOnly: true });
  split = await reopen(await buildFixtureCatalog(`${tmp.dir}/b`, fixture), { fragmentSplit: 4 });
  plain = await loadPlainDuckdb(single.schema, fixture);
  upload = await positionUpload(plain.connection);
  await loadOracleUpload(plain.connection, upload);
});

afterAll(async () => {
  plain?.close();
  await single?.close();
  await split?.close();
  tmp.remove();
});

describe('TAP_UPLOAD joins equal the oracle', () => {
  it.each(uploadQueries.map((q) => [q.name, q] as const))('%s', async (_, query) => {
    const want = await runPlainDuckdb(plain, query.adql);
    if (query.restricted) expect(want.length).toBeGreaterThan(10);
    const one = await single.query(query.adql, { uploads: [upload] });
    expectSameRows(one, want, false);
    expectSameRows(await split.query(query.adql, { uploads: [upload] }), want, false);
    const plan = await single.plan(query.adql, { uploads: [upload] });
    if (query.restricted) {
      expect(plan.chunks).not.toBeNull();
      expect(one.chunks).toBe(plan.chunks?.length);
    } else {
      expect(plan.chunks).toBeNull();
    }
  });

  it('reads only the chunks around the uploaded positions', async () => {
    const few = { ...upload, rows: upload.rows.slice(0, 1) };
    const adql = uploadQueries[1].adql;
    const plan = await single.plan(adql, { uploads: [few] });
    const populated = new Set(
      (await single.stats()).chunkCounts
        .filter((c) => c.table === 'Object' && !c.overlap)
        .map((c) => c.chunkId),
    );
    expect(plan.chunks?.length).toBeLessThanOrEqual(4);
    expect(populated.size).toBeGreaterThan(plan.chunks?.filter((c) => populated.has(c)).length ?? 0);
    const got = await single.query(adql, { uploads: [few] });
    expect(got.rows.length).toBeGreaterThan(0);
    expect(got.rows.every((r) => r[0] === 1n)).toBe(true);
  });

  it('streams an upload query and runs twice on one catalog (temporary tables do not collide)', async () => {
    const adql = uploadQueries[1].adql;
    const [a, b] = await Promise.all([
      single.query(adql, { uploads: [upload] }),
      single.query(adql, { uploads: [upload] }),
    ]);
    expect(a.rows).toEqual(b.rows);
    const stream = await single.stream(adql, { uploads: [upload] });
    let rows = 0;
    for await (const batch of stream.rows) rows += batch.length;
    expect(rows).toBe(a.rows.length);
  });
});

describe('TAP_UPLOAD errors', () => {
  it('names the uploads when a query names another', async () => {
    await expect(single.query('SELECT * FROM TAP_UPLOAD.other', { uploads: [upload] })).rejects.toMatchObject(
      {
        code: 'ADQL_SEMANTIC',
        message: expect.stringContaining('the uploads are pos'),
      },
    );
    await expect(single.query('SELECT * FROM TAP_UPLOAD.pos')).rejects.toMatchObject({
      code: 'ADQL_SEMANTIC',
      message: expect.stringContaining('no uploads'),
    });
    await expect(
      single.query('SELECT u.nope FROM TAP_UPLOAD.pos u', { uploads: [upload] }),
    ).rejects.toMatchObject({
      code: 'ADQL_SEMANTIC',
      message: expect.stringContaining('unknown column nope'),
    });
  });

  const bad: [string, QueryUpload, RegExp][] = [
    [
      'a bad table name',
      { name: 'x; DROP TABLE y', fields: [{ name: 'a', datatype: 'int' }], rows: [] },
      /not a table name/,
    ],
    [
      'a bad column name',
      { name: 't', fields: [{ name: 'a b', datatype: 'int' }], rows: [] },
      /not an ADQL column name/,
    ],
    [
      'two columns differing in case',
      {
        name: 't',
        fields: [
          { name: 'RA', datatype: 'double' },
          { name: 'ra', datatype: 'double' },
        ],
        rows: [],
      },
      /two columns named ra/,
    ],
    [
      'an array column',
      { name: 't', fields: [{ name: 'v', datatype: 'double', arraysize: '3' }], rows: [] },
      /must be scalars/,
    ],
    [
      'a short row',
      { name: 't', fields: [{ name: 'a', datatype: 'int' }], rows: [[]] },
      /row 1 .* 0 cells for 1/,
    ],
  ];
  it.each(bad)('refuses %s with UPLOAD_INVALID', async (_, wrong, message) => {
    await expect(single.query('SELECT * FROM TAP_UPLOAD.t', { uploads: [wrong] })).rejects.toMatchObject({
      code: 'UPLOAD_INVALID',
      message: expect.stringMatching(message),
    });
  });

  it('keeps types: 64-bit ids exact, booleans, and xtype=timestamp strings as timestamps', async () => {
    const typed: QueryUpload = {
      name: 'typed',
      fields: [
        { name: 'big', datatype: 'long' },
        { name: 'ok', datatype: 'boolean' },
        { name: 'at', datatype: 'char', arraysize: '*', xtype: 'timestamp' },
        { name: 'n', datatype: 'unsignedByte' },
      ],
      rows: [
        [9223372036854775807n, true, '2000-01-02T03:04:05.500Z', 255],
        [null, null, null, null],
      ],
    };
    const got = await single.query('SELECT big, ok, at, n FROM TAP_UPLOAD.typed ORDER BY big', {
      uploads: [typed],
    });
    expect(got.columns.map((c) => c.datatype)).toEqual(['long', 'boolean', 'timestamp', 'short']);
    expect(got.rows[0]).toEqual([9223372036854775807n, true, '2000-01-02T03:04:05.500Z', 255]);
    expect(got.rows[1]).toEqual([null, null, null, null]);
  });

  it('refuses two uploads of one name', async () => {
    await expect(
      single.query('SELECT * FROM TAP_UPLOAD.pos', { uploads: [upload, { ...upload, name: 'POS' }] }),
    ).rejects.toMatchObject({ code: 'UPLOAD_INVALID' });
  });
});
