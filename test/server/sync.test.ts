/** TAP /sync in process: parameters, every output format, MAXREC and overflow, and every error path. */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fieldNames,
  form,
  queryStatuses,
  SCHEMA,
  type ServerFixture,
  serverFixture,
  tabledataRows,
} from './helpers.js';

let f: ServerFixture;
beforeAll(async () => {
  f = await serverFixture('server-sync', { maxrecDefault: 50, maxrecHard: 200 });
});
afterAll(async () => {
  await f?.close();
});

const sync = (params: Record<string, string>) =>
  f.app.inject({ method: 'GET', url: '/api/tap/sync', query: params });
const adql = (query: string, extra: Record<string, string> = {}) =>
  sync({ REQUEST: 'doQuery', LANG: 'ADQL', QUERY: query, ...extra });

describe('TAP sync queries', () => {
  it('answers a GET query with a VOTable 1.4 TABLEDATA document and QUERY_STATUS OK', async () => {
    const id = f.sampleObjectIds[0];
    const res = await adql(
      `SELECT objectId, coord_ra, detect_isPrimary FROM ${SCHEMA}.Object WHERE objectId = ${id}`,
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-votable+xml');
    expect(res.body).toContain('<VOTABLE version="1.4"');
    expect(queryStatuses(res.body)).toEqual(['OK']);
    expect(fieldNames(res.body)).toEqual(['objectId', 'coord_ra', 'detect_isPrimary']);
    expect(res.body).toMatch(
      /<FIELD name="coord_ra" datatype="double" unit="deg" ucd="pos.eq.ra;meta.main">/,
    );
    const rows = tabledataRows(res.body);
    expect(rows).toHaveLength(1);
    expect(rows[0][0]).toBe(String(id));
    expect(['T', 'F']).toContain(rows[0][2]);
  });

  it('accepts POSTed form parameters with any case of names, and ignores unknown ones', async () => {
    const res = await f.app.inject({
      method: 'POST',
      url: '/api/tap/sync',
      ...form({
        request: 'doQuery',
        Lang: 'adql-2.1',
        query: `SELECT TOP 3 objectId FROM ${SCHEMA}.Object`,
        DUMMY: 'ignore-me',
      }),
    });
    expect(res.statusCode).toBe(200);
    expect(tabledataRows(res.body)).toHaveLength(3);
  });

  it('cuts at MAXREC with OVERFLOW after the table, applies the default and caps at the hard limit', async () => {
    const cut = await adql(`SELECT objectId FROM ${SCHEMA}.Object`, { MAXREC: '7' });
    expect(tabledataRows(cut.body)).toHaveLength(7);
    expect(queryStatuses(cut.body)).toEqual(['OK', 'OVERFLOW']);
    expect(cut.body.indexOf('OVERFLOW')).toBeGreaterThan(cut.body.indexOf('</TABLE>'));
    const byDefault = await adql(`SELECT objectId FROM ${SCHEMA}.Object`);
    expect(tabledataRows(byDefault.body)).toHaveLength(50);
    const capped = await adql(`SELECT objectId FROM ${SCHEMA}.Object`, { MAXREC: '100000' });
    expect(tabledataRows(capped.body)).toHaveLength(200);
    expect(queryStatuses(capped.body)).toEqual(['OK', 'OVERFLOW']);
  });

  it('respects TOP under MAXREC: no overflow when TOP already limits, MAXREC=0 gives metadata only', async () => {
    const top = await adql(`SELECT TOP 5 objectId FROM ${SCHEMA}.Object`, { MAXREC: '5' });
    expect(tabledataRows(top.body)).toHaveLength(5);
    expect(queryStatuses(top.body)).toEqual(['OK']);
    const none = await adql(`SELECT objectId, coord_dec FROM ${SCHEMA}.Object`, { MAXREC: '0' });
    expect(none.statusCode).toBe(200);
    expect(fieldNames(none.body)).toEqual(['objectId', 'coord_dec']);
    expect(tabledataRows(none.body)).toEqual([]);
  });

  it('queries tap_schema like any table', async () => {
    const res = await adql("SELECT table_name FROM tap_schema.tables WHERE schema_name = 'tap_schema'", {
      RESPONSEFORMAT: 'csv',
    });
    expect(res.statusCode).toBe(200);
    expect(res.body.split('\r\n').filter(Boolean)).toEqual([
      'table_name',
      'tap_schema.schemas',
      'tap_schema.tables',
      'tap_schema.columns',
      'tap_schema.keys',
      'tap_schema.key_columns',
    ]);
  });
});

describe('output formats', () => {
  const query = `SELECT TOP 4 objectId, coord_ra, coord_dec, detect_isPrimary FROM ${SCHEMA}.Object ORDER BY objectId`;
  let reference: string[][];
  beforeAll(async () => {
    reference = tabledataRows((await adql(query)).body);
    expect(reference).toHaveLength(4);
  });

  it('CSV with a header, and FORMAT as a synonym of RESPONSEFORMAT', async () => {
    const res = await adql(query, { FORMAT: 'text/csv' });
    expect(res.headers['content-type']).toBe('text/csv;header=present');
    const lines = res.body.split('\r\n').filter(Boolean);
    expect(lines[0]).toBe('objectId,coord_ra,coord_dec,detect_isPrimary');
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(reference.map((r) => r[0]));
  });

  it('TSV', async () => {
    const res = await adql(query, { RESPONSEFORMAT: 'tsv' });
    expect(res.headers['content-type']).toBe('text/tab-separated-values');
    const lines = res.body.split('\n').filter(Boolean);
    expect(lines[0].split('\t')).toEqual(['objectId', 'coord_ra', 'coord_dec', 'detect_isPrimary']);
    expect(lines).toHaveLength(5);
  });

  it('JSON with exact 64-bit ids and the status last', async () => {
    const res = await adql(query, { RESPONSEFORMAT: 'application/json', MAXREC: '3' });
    expect(res.headers['content-type']).toBe('application/json');
    const doc = JSON.parse(res.body) as {
      metadata: { name: string }[];
      data: unknown[][];
      queryStatus: string;
    };
    expect(doc.metadata.map((m) => m.name)).toEqual([
      'objectId',
      'coord_ra',
      'coord_dec',
      'detect_isPrimary',
    ]);
    expect(doc.data).toHaveLength(3);
    expect(doc.queryStatus).toBe('OVERFLOW');
    // The ids are 19 digits: read them from the text, not through JSON.parse's doubles.
    const ids = [...res.body.matchAll(/\n\[(\d+),/g)].map((m) => m[1]);
    expect(ids).toEqual(reference.slice(0, 3).map((r) => r[0]));
  });

  it('VOTable BINARY2 decodes to the same rows as TABLEDATA', async () => {
    const res = await adql(query, { RESPONSEFORMAT: 'votable/b2' });
    expect(res.headers['content-type']).toBe('application/x-votable+xml;serialization=BINARY2');
    const base64 = /<STREAM encoding="base64">\n([\s\S]*?)<\/STREAM>/.exec(res.body)?.[1] ?? '';
    const bytes = Buffer.from(base64.replace(/\s+/g, ''), 'base64');
    const rows: string[][] = [];
    let at = 0;
    while (at < bytes.length) {
      const mask = bytes[at];
      at += 1;
      const id = bytes.readBigInt64BE(at);
      const ra = bytes.readDoubleBE(at + 8);
      const dec = bytes.readDoubleBE(at + 16);
      const primary = String.fromCharCode(bytes[at + 24]);
      at += 25;
      expect(mask).toBe(0);
      rows.push([String(id), String(ra), String(dec), primary]);
    }
    expect(rows).toEqual(reference);
  });

  it('BINARY2 marks nulls in the row bitmap', async () => {
    const res = await adql(
      'SELECT TOP 2 column_name, "size", principal FROM tap_schema.columns WHERE "size" IS NULL',
      {
        RESPONSEFORMAT: 'application/x-votable+xml;serialization=binary2',
      },
    );
    const base64 = /<STREAM encoding="base64">\n([\s\S]*?)<\/STREAM>/.exec(res.body)?.[1] ?? '';
    const bytes = Buffer.from(base64.replace(/\s+/g, ''), 'base64');
    expect(bytes[0]).toBe(0b0100_0000);
    const nameLength = bytes.readUInt32BE(1);
    expect(bytes.readInt32BE(5 + nameLength)).toBe(0);
  });
});

describe('errors are TAP error documents with a 4xx status, never 500', () => {
  const expectError = async (res: Awaited<ReturnType<typeof sync>>, status: number, text: RegExp) => {
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toBe('application/x-votable+xml');
    expect(queryStatuses(res.body)).toEqual(['ERROR']);
    expect(res.body).not.toContain('<TABLE>');
    expect(res.body).toMatch(text);
  };

  it('malformed ADQL names the line and column', async () => {
    await expectError(await adql('SELECT objectId\nFROM WHERE'), 400, /line 2, column 6/);
    await expectError(await adql('DUFF QUERY'), 400, /ADQL_SYNTAX/);
  });

  it('unknown tables and columns', async () => {
    await expectError(await adql(`SELECT * FROM ${SCHEMA}.NoSuchTable`), 400, /ADQL_SEMANTIC/);
    await expectError(await adql(`SELECT noSuchColumn FROM ${SCHEMA}.Object`), 400, /noSuchColumn/i);
    await expectError(await adql('SELECT * FROM tap_schema.nonesuch'), 400, /ADQL_SEMANTIC/);
  });

  it('bad MAXREC, unknown format, missing or unknown LANG, REQUEST or QUERY', async () => {
    for (const maxrec of ['-1', 'ten', '1.5', '']) {
      await expectError(
        await adql(`SELECT TOP 1 objectId FROM ${SCHEMA}.Object`, { MAXREC: maxrec }),
        400,
        /MAXREC/,
      );
    }
    await expectError(
      await adql('SELECT TOP 1 objectId FROM x', { RESPONSEFORMAT: 'fits' }),
      400,
      /RESPONSEFORMAT/,
    );
    await expectError(await sync({ QUERY: 'SELECT 1' }), 400, /LANG is required/);
    await expectError(await sync({ LANG: 'OOBLECK', QUERY: 'SELECT 1' }), 400, /LANG=OOBLECK/);
    await expectError(await sync({ LANG: 'ADQL', REQUEST: 'getCapabilities', QUERY: 'x' }), 400, /REQUEST/);
    await expectError(await sync({ LANG: 'ADQL' }), 400, /QUERY is required/);
    // Uploads exist now (test/server/upload.test.ts): one naming a part the request lacks is a parameter error.
    await expectError(await adql('SELECT 1', { UPLOAD: 't,param:t' }), 400, /does not carry/);
  });

  it('10,000 nested parentheses', async () => {
    const deep = `SELECT objectId FROM ${SCHEMA}.Object WHERE ${'('.repeat(10_000)}1 = 1${')'.repeat(10_000)}`;
    const res = await f.app.inject({
      method: 'POST',
      url: '/api/tap/sync',
      ...form({ LANG: 'ADQL', QUERY: deep }),
    });
    await expectError(res, 400, /nesting/);
  });

  it('a body over the size limit and an unsupported content type', async () => {
    const big = await f.app.inject({
      method: 'POST',
      url: '/api/tap/sync',
      ...form({ LANG: 'ADQL', QUERY: `SELECT 1 -- ${'x'.repeat(2_000_000)}` }),
    });
    await expectError(big, 413, /too large/i);
    const json = await f.app.inject({
      method: 'POST',
      url: '/api/tap/sync',
      payload: { LANG: 'ADQL' },
      headers: { 'content-type': 'application/octet-stream' },
    });
    await expectError(json, 415, /content-type/i);
  });

  it('tells the code and hint in INFO elements', async () => {
    const res = await adql('SELECT FROM');
    expect(res.body).toContain('<INFO name="ERROR_CODE" value="ADQL_SYNTAX"/>');
    expect(res.body).toMatch(/<INFO name="HINT" value="[^"]+"\/>/);
  });
});
