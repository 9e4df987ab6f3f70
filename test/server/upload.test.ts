/**
 * TAP_UPLOAD over HTTP: multipart/form-data uploads on sync and async, in TABLEDATA and BINARY2, joined with Object
 * and equal to the same query through the catalog; size limits (413 before a large body is read), malformed
 * VOTables (400), URL uploads refused, and async uploads kept with the job across a restart and removed with it.
 */

import { existsSync, readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Binary2Encoder,
  type VOTableField,
  votableEnd,
  votableStart,
  writeVOTable,
} from '../../src/formats/index.js';
import { createApp } from '../../src/server/index.js';
import {
  ANONYMOUS,
  form,
  queryStatuses,
  SCHEMA,
  type ServerFixture,
  serverFixture,
  tabledataRows,
} from './helpers.js';

const LIMITS = { uploadMaxBytes: 64 * 1024, uploadMaxRows: 500 };

/** A multipart/form-data body: fields, then files (name → document). */
function multipart(fields: Record<string, string>, files: Record<string, string>) {
  const boundary = `----meridian${Math.random().toString(16).slice(2)}`;
  const parts = [
    ...Object.entries(fields).map(
      ([name, value]) =>
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
    ),
    ...Object.entries(files).map(
      ([name, doc]) =>
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${name}.xml"\r\nContent-Type: application/x-votable+xml\r\n\r\n${doc}\r\n`,
    ),
  ];
  return {
    payload: `${parts.join('')}--${boundary}--\r\n`,
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

const fields: VOTableField[] = [
  { name: 'id', datatype: 'int' },
  { name: 'ra', datatype: 'double', unit: 'deg' },
  { name: 'dec', datatype: 'double', unit: 'deg' },
];

const JOIN = `SELECT u.id, o.objectId FROM TAP_UPLOAD.pos AS u JOIN ${SCHEMA}.Object AS o ON DISTANCE(POINT('ICRS', u.ra, u.dec), POINT('ICRS', o.coord_ra, o.coord_dec)) < 0.001 ORDER BY u.id, o.objectId`;

describe('TAP uploads', () => {
  let f: ServerFixture;
  let rows: [number, number, number][];
  let tabledata: string;
  let binary2: string;
  let expected: string[][];

  beforeAll(async () => {
    f = await serverFixture('upload-server', LIMITS);
    const objects = await f.catalog.query(
      `SELECT TOP 40 coord_ra, coord_dec FROM ${SCHEMA}.Object ORDER BY objectId`,
    );
    rows = objects.rows.map((r, i) => [i + 1, Number(r[0]), Number(r[1]) + 0.0002]);
    rows.push([999, 10, 10]);
    tabledata = writeVOTable({ fields, rows });
    const encoder = new Binary2Encoder(fields);
    binary2 = `${votableStart(fields, { serialization: 'BINARY2' })}${encoder.encode(rows)}${encoder.finish()}${votableEnd({ serialization: 'BINARY2' })}`;
    const direct = await f.catalog.query(JOIN, {
      uploads: [
        {
          name: 'pos',
          fields: fields.map((x) => ({ name: x.name, datatype: x.datatype })),
          rows,
        },
      ],
    });
    expected = direct.rows.map((r) => r.map(String));
    expect(expected.length).toBeGreaterThanOrEqual(40);
  });
  afterAll(async () => f?.close());

  const sync = (fieldsOf: Record<string, string>, files: Record<string, string>) =>
    f.app.inject({ method: 'POST', url: '/api/tap/sync', ...multipart(fieldsOf, files) });

  it.each([
    ['TABLEDATA', () => tabledata],
    ['BINARY2', () => binary2],
  ])('joins a %s upload with Object (sync)', async (_, doc) => {
    const res = await sync({ LANG: 'ADQL', QUERY: JOIN, UPLOAD: 'pos,param:table1' }, { table1: doc() });
    expect(res.statusCode).toBe(200);
    expect(queryStatuses(res.body)).toEqual(['OK']);
    expect(tabledataRows(res.body)).toEqual(expected);
  });

  it('takes two uploads separated by ;', async () => {
    const res = await sync(
      {
        LANG: 'ADQL',
        QUERY: 'SELECT COUNT(*) AS n FROM TAP_UPLOAD.a AS a JOIN TAP_UPLOAD.b AS b ON a.id = b.id',
        UPLOAD: 'a,param:p1;b,param:p2',
      },
      { p1: tabledata, p2: binary2 },
    );
    expect(res.statusCode).toBe(200);
    expect(tabledataRows(res.body)).toEqual([[String(rows.length)]]);
  });

  const expectTapError = (
    res: { statusCode: number; body: string },
    status: number,
    code: string,
    text: RegExp,
  ) => {
    expect(res.statusCode).toBe(status);
    expect(queryStatuses(res.body)).toEqual(['ERROR']);
    expect(res.body).toContain(`value="${code}"`);
    expect(res.body).toMatch(text);
    expect(res.body).not.toMatch(/\/tmp\/|SELECT .* FROM "|at .*\.js:\d+/);
  };

  it('refuses bad uploads with TAP error documents', async () => {
    const query = { LANG: 'ADQL', QUERY: 'SELECT * FROM TAP_UPLOAD.pos' };
    expectTapError(
      await sync({ ...query, UPLOAD: 'pos,param:t' }, { t: tabledata.replace('</TABLEDATA>', '') }),
      400,
      'VOTABLE_INVALID',
      /malformed VOTable at line \d+/,
    );
    expectTapError(
      await sync({ ...query, UPLOAD: 'pos,param:t' }, { t: 'not xml' }),
      400,
      'VOTABLE_INVALID',
      /line 1/,
    );
    expectTapError(
      await sync({ ...query, UPLOAD: 'pos,http://169.254.169.254/latest/meta-data' }, {}),
      400,
      'TAP_PARAMETER',
      /169\.254\.169\.254 is not a public address/,
    );
    expectTapError(
      await sync({ ...query, UPLOAD: 'pos,http://localhost:1/x.xml' }, {}),
      400,
      'TAP_PARAMETER',
      /host localhost is not a public address/,
    );
    expectTapError(
      await sync({ ...query, UPLOAD: 'pos,file:///etc/passwd' }, {}),
      400,
      'TAP_PARAMETER',
      /only http and https/,
    );
    expectTapError(await sync({ ...query, UPLOAD: 'pos' }, {}), 400, 'TAP_PARAMETER', /name,param:part/);
    expectTapError(
      await sync({ ...query, UPLOAD: 'pos,param:missing' }, { t: tabledata }),
      400,
      'TAP_PARAMETER',
      /does not carry/,
    );
    expectTapError(
      await sync({ ...query, UPLOAD: 'bad name,param:t' }, { t: tabledata }),
      400,
      'UPLOAD_INVALID',
      /not a table name/,
    );
  });

  it('refuses an upload over the byte or row limit with 413', async () => {
    const big = Array.from({ length: 3000 }, (_, i) => [i, 1, 2] as const);
    expectTapError(
      await sync(
        { LANG: 'ADQL', QUERY: 'SELECT * FROM TAP_UPLOAD.pos', UPLOAD: 'pos,param:t' },
        { t: writeVOTable({ fields, rows: big }) },
      ),
      413,
      'VOTABLE_TOO_LARGE',
      /at most 65536 bytes/,
    );
    const many = Array.from({ length: 501 }, (_, i) => [i, 1, 2] as const);
    const encoder = new Binary2Encoder(fields);
    const compact = `${votableStart(fields, { serialization: 'BINARY2' })}${encoder.encode(many)}${encoder.finish()}${votableEnd({ serialization: 'BINARY2' })}`;
    expectTapError(
      await sync(
        { LANG: 'ADQL', QUERY: 'SELECT * FROM TAP_UPLOAD.pos', UPLOAD: 'pos,param:t' },
        { t: compact },
      ),
      413,
      'VOTABLE_TOO_LARGE',
      /more than 500 rows/,
    );
  });

  it('answers a 100 MB upload with 413 without reading it (declared length, and chunked)', async () => {
    const address = await f.app.listen({ port: 0, host: '127.0.0.1' });
    const url = new URL('/api/tap/sync', address);
    const send = (declared: boolean) =>
      new Promise<{ status: number; body: string; sent: number }>((resolve, reject) => {
        const boundary = 'xyzBOUNDARY';
        const head = `--${boundary}\r\nContent-Disposition: form-data; name="LANG"\r\n\r\nADQL\r\n--${boundary}\r\nContent-Disposition: form-data; name="UPLOAD"\r\n\r\npos,param:t\r\n--${boundary}\r\nContent-Disposition: form-data; name="QUERY"\r\n\r\nSELECT * FROM TAP_UPLOAD.pos\r\n--${boundary}\r\nContent-Disposition: form-data; name="t"; filename="t.xml"\r\n\r\n`;
        const total = 100 * 1024 * 1024;
        const req = httpRequest(url, {
          method: 'POST',
          headers: {
            'content-type': `multipart/form-data; boundary=${boundary}`,
            ...(declared ? { 'content-length': String(total) } : { 'transfer-encoding': 'chunked' }),
          },
        });
        let sent = 0;
        let answered = false;
        const chunk = Buffer.alloc(1024 * 1024, 'x');
        req.on('response', (res) => {
          answered = true;
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => {
            // The rest of the body is never sent: drop the connection rather than leave it half-written.
            req.destroy();
            resolve({ status: res.statusCode ?? 0, body, sent });
          });
        });
        req.on('error', (err) => (answered ? undefined : reject(err)));
        req.write(head);
        const pump = () => {
          while (!answered && sent < total) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once('drain', pump);
          }
          if (!answered) req.end();
        };
        pump();
      });
    for (const declared of [true, false]) {
      const res = await send(declared);
      expect({ declared, status: res.status }).toEqual({ declared, status: 413 });
      expect(res.body).toContain('VOTABLE_TOO_LARGE');
      expect(res.sent).toBeLessThan(100 * 1024 * 1024);
    }
  });
});

describe('TAP uploads by URL', () => {
  it('fetches a table from a URL when private hosts are allowed, bounded by the limit, no redirects', async () => {
    const { createServer } = await import('node:http');
    const doc = writeVOTable({ fields, rows: [[7, 62, -37]] });
    const files = createServer((req, res) => {
      if (req.url === '/t.xml') res.writeHead(200, { 'content-type': 'application/x-votable+xml' }).end(doc);
      else if (req.url === '/big.xml') res.writeHead(200).end('x'.repeat(LIMITS.uploadMaxBytes + 10));
      else res.writeHead(302, { location: '/t.xml' }).end();
    });
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(files.address() as { port: number }).port}`;
    const f = await serverFixture('upload-url', { ...LIMITS, uploadUrlPrivateHosts: true });
    try {
      const get = (upload: string) =>
        f.app.inject({
          method: 'GET',
          url: `/api/tap/sync?${new URLSearchParams({ LANG: 'ADQL', QUERY: 'SELECT id, ra FROM TAP_UPLOAD.pos', UPLOAD: upload })}`,
        });
      const res = await get(`pos,${base}/t.xml`);
      expect(res.statusCode).toBe(200);
      expect(tabledataRows(res.body)).toEqual([['7', '62']]);
      const redirected = await get(`pos,${base}/moved`);
      expect(redirected.statusCode).toBe(400);
      expect(redirected.body).toContain('redirects are not followed');
      const big = await get(`pos,${base}/big.xml`);
      expect(big.statusCode).toBe(413);
    } finally {
      await f.close();
      files.close();
    }
  });
});

describe('TAP async uploads', () => {
  let f: ServerFixture;
  beforeAll(async () => {
    f = await serverFixture('upload-async', LIMITS);
  });
  afterAll(async () => f?.close());

  const uploadsDirs = () =>
    readdirSync(join(f.catalog.dir, 'tap-results')).filter((n) => n.endsWith('.uploads'));

  it('keeps the upload with a job across a restart, runs it, and removes it with the job', async () => {
    const rows = [
      [1, 62, -37],
      [2, 63, -37.5],
    ];
    const doc = writeVOTable({ fields, rows });
    const created = await f.app.inject({
      method: 'POST',
      url: '/api/tap/async',
      ...multipart(
        { LANG: 'ADQL', QUERY: 'SELECT id, ra FROM TAP_UPLOAD.pos ORDER BY id', UPLOAD: 'pos,param:p' },
        { p: doc },
      ),
    });
    expect(created.statusCode).toBe(303);
    const jobUrl = new URL(created.headers.location as string).pathname;
    expect(uploadsDirs()).toHaveLength(1);
    // A restart: a new app on the same catalog and job store runs the PENDING job with its upload.
    await f.app.close();
    const app = createApp({ catalog: f.catalog, limits: LIMITS, version: 'test', auth: ANONYMOUS });
    await app.ready();
    try {
      await app.inject({ method: 'POST', url: `${jobUrl}/phase`, ...form({ PHASE: 'RUN' }) });
      const done = await app.inject({ method: 'GET', url: `${jobUrl}?WAIT=30` });
      expect(done.body).toContain('<uws:phase>COMPLETED</uws:phase>');
      const result = await app.inject({ method: 'GET', url: `${jobUrl}/results/result` });
      expect(tabledataRows(result.body)).toEqual([
        ['1', '62'],
        ['2', '63'],
      ]);
      // A malformed upload fails the job (parameters are checked when it runs), with the reader's message.
      const bad = await app.inject({
        method: 'POST',
        url: '/api/tap/async',
        ...multipart(
          { LANG: 'ADQL', QUERY: 'SELECT * FROM TAP_UPLOAD.pos', UPLOAD: 'pos,param:p', PHASE: 'RUN' },
          { p: '<VOTABLE>' },
        ),
      });
      const badUrl = new URL(bad.headers.location as string).pathname;
      const failed = await app.inject({ method: 'GET', url: `${badUrl}?WAIT=30` });
      expect(failed.body).toContain('<uws:phase>ERROR</uws:phase>');
      const error = await app.inject({ method: 'GET', url: `${badUrl}/error` });
      expect(error.body).toContain('malformed VOTable');
      for (const url of [jobUrl, badUrl]) {
        expect((await app.inject({ method: 'DELETE', url })).statusCode).toBe(303);
      }
      expect(uploadsDirs()).toEqual([]);
      expect(existsSync(join(f.catalog.dir, 'tap-results'))).toBe(true);
    } finally {
      await app.close();
    }
  });
});
