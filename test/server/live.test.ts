/**
 * The server on a real port: a real HTTP client, a client that hangs up mid-result (the query must stop), a graceful
 * shutdown with a query running, and `meridian serve` as a process stopped by SIGTERM.
 */

import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catalog } from '../../src/catalog/index.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { buildFixtureCatalog, generateFixture, temporaryDir } from '../catalog/helpers.js';
import { ANONYMOUS, queryStatuses, SCHEMA, tabledataRows } from './helpers.js';

const tmp = temporaryDir('server-live');
let catalogDir: string;
let server: RunningServer;

/** A query that streams for a long time: TAP_SCHEMA's columns joined with themselves three times. */
const ENDLESS =
  'SELECT a.column_name, b.column_name, c.column_name FROM tap_schema.columns AS a, tap_schema.columns AS b, tap_schema.columns AS c';

beforeAll(async () => {
  const catalog = await buildFixtureCatalog(tmp.dir, generateFixture(`${tmp.dir}/fixture`));
  catalogDir = catalog.dir;
  await catalog.close();
  // A second catalog for the server with a short time limit (one catalog directory serves one process).
  const limited = await buildFixtureCatalog(
    `${tmp.dir}/limited-build`,
    generateFixture(`${tmp.dir}/fixture-2`),
  );
  await limited.close();
  server = await startServer({
    catalog: catalogDir,
    port: 0,
    auth: ANONYMOUS,
    limits: { maxrecHard: 100_000_000 },
  });
});
afterAll(async () => {
  await server?.close();
  tmp.remove();
});

async function runningQueries(base: string): Promise<number> {
  const health = (await (await fetch(`${base}/health`)).json()) as { runningQueries: number };
  return health.runningQueries;
}

async function waitFor(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('on a real port', () => {
  it('serves a sync query to fetch, GET and POST', async () => {
    const url = `${server.tapUrl}/sync?LANG=ADQL&QUERY=${encodeURIComponent(`SELECT TOP 3 objectId FROM ${SCHEMA}.Object`)}`;
    const got = await fetch(url);
    expect(got.status).toBe(200);
    expect(tabledataRows(await got.text())).toHaveLength(3);
    const posted = await fetch(`${server.tapUrl}/sync`, {
      method: 'POST',
      body: new URLSearchParams({ LANG: 'ADQL', QUERY: 'SELECT FROM' }),
    });
    expect(posted.status).toBe(400);
    expect(queryStatuses(await posted.text())).toEqual(['ERROR']);
  });

  it('stops the query when the client hangs up mid-result', async () => {
    const url = new URL(`${server.tapUrl}/sync`);
    url.search = new URLSearchParams({
      LANG: 'ADQL',
      QUERY: ENDLESS,
      MAXREC: '100000000',
      FORMAT: 'csv',
    }).toString();
    await new Promise<void>((done, fail) => {
      const req = request(url, (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          // Enough to know rows are flowing; then hang up.
          if (bytes > 200_000) {
            req.destroy();
            done();
          }
        });
        res.on('error', () => {});
      });
      req.on('error', () => {});
      req.setTimeout(20_000, () => fail(new Error('no data')));
      req.end();
    });
    await waitFor(async () => (await runningQueries(server.url)) === 0, 'the query to be cancelled');
  });

  it('shuts down with a query running: the result ends with QUERY_STATUS ERROR, the catalog closes', async () => {
    const second = await startServer({
      catalog: catalogDir,
      port: 0,
      auth: ANONYMOUS,
      limits: { maxrecHard: 100_000_000 },
    });
    const url = `${second.tapUrl}/sync?${new URLSearchParams({ LANG: 'ADQL', QUERY: ENDLESS, MAXREC: '100000000' })}`;
    const response = await fetch(url);
    expect(response.status).toBe(200);
    const reader = response.body?.getReader();
    if (!reader) throw new Error('no body');
    await reader.read();
    const closed = second.close();
    const decoder = new TextDecoder();
    let tail = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      tail = (tail + decoder.decode(value)).slice(-2000);
    }
    await closed;
    expect(tail).toMatch(/<INFO name="QUERY_STATUS" value="ERROR">[^<]*cancelled/);
    expect(tail).toMatch(/<\/VOTABLE>\n$/);
    // The catalog was closed: it opens again.
    const reopened = await Catalog.open(catalogDir);
    await reopened.close();
  });
});

describe('the concurrent query limit', () => {
  it('refuses one query over the limit with 503 and Retry-After, and serves again once a slot is free', async () => {
    const busy = await startServer({
      catalog: catalogDir,
      port: 0,
      auth: ANONYMOUS,
      limits: { maxConcurrentQueries: 1, maxrecHard: 100_000_000 },
    });
    try {
      const first = await fetch(
        `${busy.tapUrl}/sync?${new URLSearchParams({ LANG: 'ADQL', QUERY: ENDLESS, MAXREC: '100000000' })}`,
      );
      const reader = first.body?.getReader();
      await reader?.read();
      const refused = await fetch(
        `${busy.tapUrl}/sync?LANG=ADQL&QUERY=${encodeURIComponent(`SELECT TOP 1 objectId FROM ${SCHEMA}.Object`)}`,
      );
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(await refused.text()).toContain('<INFO name="ERROR_CODE" value="SERVER_BUSY"/>');
      await reader?.cancel();
      await waitFor(async () => (await runningQueries(busy.url)) === 0, 'the first query to stop');
      const served = await fetch(
        `${busy.tapUrl}/sync?LANG=ADQL&QUERY=${encodeURIComponent(`SELECT TOP 1 objectId FROM ${SCHEMA}.Object`)}`,
      );
      expect(served.status).toBe(200);
    } finally {
      await busy.close();
    }
  });
});

describe('the sync time limit', () => {
  let limited: RunningServer;
  beforeAll(async () => {
    limited = await startServer({
      catalog: `${tmp.dir}/limited-build/catalog`,
      port: 0,
      auth: ANONYMOUS,
      // Long enough for the first rows to stream on a loaded machine, so the limit always strikes mid-stream.
      limits: { maxrecHard: 100_000_000, syncTimeoutSeconds: 3 },
    });
  });
  afterAll(async () => {
    await limited?.close();
  });
  const endless = (format: string) =>
    `${limited.tapUrl}/sync?${new URLSearchParams({ LANG: 'ADQL', QUERY: ENDLESS, MAXREC: '100000000', FORMAT: format })}`;

  it('ends a VOTable that was streaming with QUERY_STATUS ERROR naming the limit', async () => {
    const response = await fetch(endless('votable'));
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(
      /<\/TABLE>\n<INFO name="QUERY_STATUS" value="ERROR">the query ran longer than the sync limit of 3 s/,
    );
    expect(text.endsWith('</VOTABLE>\n')).toBe(true);
    await waitFor(async () => (await runningQueries(limited.url)) === 0, 'the query to stop');
  });

  it('ends JSON with queryStatus ERROR, and cuts CSV off so it cannot pass for a complete result', async () => {
    const json = await (await fetch(endless('json'))).text();
    expect(json).toMatch(/"queryStatus":"ERROR","error":"the query ran longer/);
    const csv = await fetch(endless('csv'));
    expect(csv.status).toBe(200);
    await expect(csv.text()).rejects.toThrow();
    await waitFor(async () => (await runningQueries(limited.url)) === 0, 'the query to stop');
  });
});

describe('meridian serve', () => {
  const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

  it('prints its URLs, serves, and exits 0 on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['bin/meridian.js', 'serve', '--catalog', catalogDir, '--port', '0', '--quiet'],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    try {
      await waitFor(async () => /TAP service: (http\S+)/.test(stderr), 'the server to start', 30_000);
      const tapUrl = /TAP service: (http\S+)/.exec(stderr)?.[1] ?? '';
      const caps = await fetch(`${tapUrl}/capabilities`);
      expect(caps.status).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses a missing catalog with its error code', async () => {
    const child = spawn(
      process.execPath,
      ['bin/meridian.js', 'serve', '--catalog', `${tmp.dir}/none`, '--port', '0'],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
    expect(code).toBe(1);
    expect(stderr).toMatch(/CATALOG_NOT_FOUND/);
  });
});
