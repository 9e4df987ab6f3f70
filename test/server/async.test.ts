/** TAP /async (UWS 1.1) in process: every job resource, phase changes, WAIT, deletion, errors and a restart. */

import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/server/index.js';
import { JobStore } from '../../src/server/jobs/store.js';
import {
  ANONYMOUS,
  form,
  queryStatuses,
  SCHEMA,
  type ServerFixture,
  serverFixture,
  tabledataRows,
} from './helpers.js';

let f: ServerFixture;
beforeAll(async () => {
  f = await serverFixture('server-async', { maxrecDefault: 50, maxrecHard: 200 });
});
afterAll(async () => {
  await f?.close();
});

const BASE = 'http://localhost:80/api/tap/async';

async function create(app: FastifyInstance, params: Record<string, string>): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/tap/async', ...form(params) });
  expect(res.statusCode).toBe(303);
  const location = String(res.headers.location);
  expect(location).toMatch(/^http:\/\/localhost:80\/api\/tap\/async\/[0-9a-f]{32}$/);
  return location.slice(location.lastIndexOf('/') + 1);
}

const get = (app: FastifyInstance, path: string) =>
  app.inject({ method: 'GET', url: `/api/tap/async${path}` });
const post = (app: FastifyInstance, path: string, params: Record<string, string>) =>
  app.inject({ method: 'POST', url: `/api/tap/async${path}`, ...form(params) });

function element(document: string, name: string): string | null {
  const m = document.match(new RegExp(`<uws:${name}>([^<]*)</uws:${name}>`));
  return m ? m[1] : null;
}

async function waitDone(app: FastifyInstance, id: string): Promise<string> {
  for (let i = 0; i < 20; i++) {
    const res = await get(app, `/${id}?WAIT=10`);
    const phase = element(res.body, 'phase');
    if (phase !== 'QUEUED' && phase !== 'EXECUTING') return res.body;
  }
  throw new Error(`job ${id} did not finish`);
}

const QUERY = `SELECT TOP 7 objectId, coord_ra FROM ${SCHEMA}.Object ORDER BY objectId`;

describe('TAP async jobs (UWS 1.1)', () => {
  it('creates a PENDING job with a job document holding every UWS element', async () => {
    const id = await create(f.app, { LANG: 'ADQL', QUERY, RUNID: 'my-run', spurious: 'x' });
    const res = await get(f.app, `/${id}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/xml');
    const doc = res.body;
    expect(doc).toContain('<uws:job xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0"');
    expect(doc).toContain('version="1.1"');
    expect(element(doc, 'jobId')).toBe(id);
    expect(element(doc, 'runId')).toBe('my-run');
    // Jobs created without a token belong to anonymous (docs/auth.md).
    expect(element(doc, 'ownerId')).toBe('anonymous');
    expect(element(doc, 'phase')).toBe('PENDING');
    expect(doc).toContain('<uws:quote xsi:nil="true"/>');
    expect(element(doc, 'creationTime')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(doc).toContain('<uws:startTime xsi:nil="true"/>');
    expect(doc).toContain('<uws:endTime xsi:nil="true"/>');
    expect(element(doc, 'executionDuration')).toBe('3600');
    expect(element(doc, 'destruction')).toMatch(/Z$/);
    expect(doc).toContain('<uws:parameter id="query">SELECT TOP 7');
    expect(doc).not.toContain('spurious');
    expect(doc).toContain('<uws:results/>');
    const order = ['jobId', 'runId', 'ownerId', 'phase', 'quote', 'creationTime', 'startTime', 'endTime'];
    const positions = order.map((name) => doc.indexOf(`<uws:${name}`));
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);

    expect((await get(f.app, `/${id}/phase`)).body).toBe('PENDING');
    expect((await get(f.app, `/${id}/quote`)).body).toBe('');
    expect((await get(f.app, `/${id}/owner`)).body).toBe('anonymous');
    expect((await get(f.app, `/${id}/executionduration`)).body).toBe('3600');
    expect((await get(f.app, `/${id}/parameters`)).body).toContain(
      '<uws:parameter id="lang">ADQL</uws:parameter>',
    );
    expect((await get(f.app, `/${id}/results`)).body).toContain('<uws:results');
  });

  it('runs a job (PHASE=RUN), completes it and serves its result in the requested format', async () => {
    const id = await create(f.app, { LANG: 'ADQL', QUERY, RESPONSEFORMAT: 'csv' });
    const run = await post(f.app, `/${id}/phase`, { PHASE: 'RUN' });
    expect(run.statusCode).toBe(303);
    expect(run.headers.location).toBe(`${BASE}/${id}`);
    const doc = await waitDone(f.app, id);
    expect(element(doc, 'phase')).toBe('COMPLETED');
    expect(element(doc, 'startTime')).toMatch(/Z$/);
    expect(element(doc, 'endTime')).toMatch(/Z$/);
    expect(doc).toContain(`xlink:href="${BASE}/${id}/results/result"`);
    const result = await get(f.app, `/${id}/results/result`);
    expect(result.statusCode).toBe(200);
    expect(result.headers['content-type']).toBe('text/csv;header=present');
    const lines = result.body.trim().split('\r\n');
    expect(lines[0]).toBe('objectId,coord_ra');
    expect(lines).toHaveLength(8);
    // The row count is in jobInfo, so a job list (the Portal's) can show it without reading the result.
    expect(doc).toContain('<uws:jobInfo><rows>7</rows><overflow>false</overflow></uws:jobInfo>');
    // No temporary file is left behind.
    expect(readdirSync(join(f.catalog.dir, 'tap-results')).filter((n) => n.endsWith('.part'))).toEqual([]);
  });

  it('creates and runs in one request with PHASE=RUN; MAXREC overflow is flagged in the result', async () => {
    const id = await create(f.app, {
      LANG: 'ADQL',
      QUERY: `SELECT objectId FROM ${SCHEMA}.Object`,
      MAXREC: '5',
      PHASE: 'RUN',
    });
    const doc = await waitDone(f.app, id);
    expect(element(doc, 'phase')).toBe('COMPLETED');
    const result = await get(f.app, `/${id}/results/result`);
    expect(result.headers['content-type']).toBe('application/x-votable+xml');
    expect(tabledataRows(result.body)).toHaveLength(5);
    expect(queryStatuses(result.body)).toEqual(['OK', 'OVERFLOW']);
    expect(doc).toContain('<uws:jobInfo><rows>5</rows><overflow>true</overflow></uws:jobInfo>');
  });

  it('reports a query error at run time in the job (ERROR) and as a VOTable error document with status 200', async () => {
    const id = await create(f.app, {
      LANG: 'ADQL',
      QUERY: `SELECT nope FROM ${SCHEMA}.Object`,
      PHASE: 'RUN',
    });
    const doc = await waitDone(f.app, id);
    expect(element(doc, 'phase')).toBe('ERROR');
    expect(doc).toContain('<uws:errorSummary type="fatal" hasDetail="true">');
    const error = await get(f.app, `/${id}/error`);
    expect(error.statusCode).toBe(200);
    expect(queryStatuses(error.body)).toEqual(['ERROR']);
    expect(error.body).toContain('nope');
    expect((await get(f.app, `/${id}/results/result`)).statusCode).toBe(404);

    const badLang = await create(f.app, { LANG: 'SQL', QUERY, PHASE: 'RUN' });
    expect(element(await waitDone(f.app, badLang), 'phase')).toBe('ERROR');
    expect((await get(f.app, `/${badLang}/error`)).body).toContain('LANG=SQL');
  });

  it('aborts a pending job (PHASE=ABORT) and refuses unknown phases and actions with 400', async () => {
    const id = await create(f.app, { LANG: 'ADQL', QUERY });
    const abort = await post(f.app, `/${id}/phase`, { PHASE: 'ABORT' });
    expect(abort.statusCode).toBe(303);
    expect((await get(f.app, `/${id}/phase`)).body).toBe('ABORTED');
    expect((await post(f.app, `/${id}/phase`, { PHASE: 'RUN' })).statusCode).toBe(400);
    const bad = await post(f.app, `/${id}/phase`, { PHASE: 'SUSPEND' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('UWS_PHASE');
    expect((await post(f.app, `/${id}`, { ACTION: 'EXPLODE' })).statusCode).toBe(400);
    expect((await get(f.app, `/${id}?WAIT=abc`)).statusCode).toBe(400);
    expect((await get(f.app, '/?PHASE=NOPE')).statusCode).toBe(400);
  });

  it('answers 404 for an unknown job on every resource', async () => {
    const unknown = '0123456789abcdef0123456789abcdef';
    for (const path of [
      '',
      '/phase',
      '/quote',
      '/owner',
      '/error',
      '/results',
      '/results/result',
      '/parameters',
    ]) {
      const res = await get(f.app, `/${unknown}${path}`);
      expect(res.statusCode, path).toBe(404);
      expect(res.body).toContain('UWS_JOB_NOT_FOUND');
    }
    expect((await post(f.app, `/${unknown}/phase`, { PHASE: 'RUN' })).statusCode).toBe(404);
    expect((await f.app.inject({ method: 'DELETE', url: `/api/tap/async/${unknown}` })).statusCode).toBe(404);
  });

  it('changes execution duration and destruction while pending, within the limits', async () => {
    const id = await create(f.app, { LANG: 'ADQL', QUERY });
    expect((await post(f.app, `/${id}/executionduration`, { EXECUTIONDURATION: '60' })).statusCode).toBe(303);
    expect((await get(f.app, `/${id}/executionduration`)).body).toBe('60');
    expect((await post(f.app, `/${id}/executionduration`, { EXECUTIONDURATION: '999999' })).statusCode).toBe(
      303,
    );
    expect((await get(f.app, `/${id}/executionduration`)).body).toBe('3600');
    expect((await post(f.app, `/${id}/executionduration`, { EXECUTIONDURATION: 'soon' })).statusCode).toBe(
      400,
    );

    const when = new Date(Date.now() + 3_600_000).toISOString();
    expect((await post(f.app, `/${id}/destruction`, { DESTRUCTION: when })).statusCode).toBe(303);
    expect((await get(f.app, `/${id}/destruction`)).body).toBe(when);
    expect((await post(f.app, `/${id}/destruction`, { DESTRUCTION: 'tomorrow' })).statusCode).toBe(400);
    const far = new Date(Date.now() + 400 * 86_400_000).toISOString();
    await post(f.app, `/${id}/destruction`, { DESTRUCTION: far });
    expect(Date.parse((await get(f.app, `/${id}/destruction`)).body)).toBeLessThan(Date.parse(far));

    expect((await post(f.app, `/${id}/parameters`, { MAXREC: '3' })).statusCode).toBe(303);
    expect((await get(f.app, `/${id}/parameters`)).body).toContain(
      '<uws:parameter id="maxrec">3</uws:parameter>',
    );
    await post(f.app, `/${id}/phase`, { PHASE: 'RUN' });
    await waitDone(f.app, id);
    expect((await post(f.app, `/${id}/executionduration`, { EXECUTIONDURATION: '10' })).statusCode).toBe(400);
    expect(tabledataRows((await get(f.app, `/${id}/results/result`)).body)).toHaveLength(3);
  });

  it('WAIT returns at once for a job not in an active phase or not in the given PHASE, and blocks otherwise', async () => {
    const id = await create(f.app, { LANG: 'ADQL', QUERY });
    let started = Date.now();
    expect(element((await get(f.app, `/${id}?WAIT=30&PHASE=EXECUTING`)).body, 'phase')).toBe('PENDING');
    expect(Date.now() - started).toBeLessThan(1000);
    started = Date.now();
    expect(element((await get(f.app, `/${id}?WAIT=1`)).body, 'phase')).toBe('PENDING');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    // A blocked WAIT wakes up when the phase changes.
    started = Date.now();
    const waiting = get(f.app, `/${id}?WAIT=30&PHASE=PENDING`);
    setTimeout(() => void post(f.app, `/${id}/phase`, { PHASE: 'ABORT' }), 200);
    expect(element((await waiting).body, 'phase')).toBe('ABORTED');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('deletes a job with DELETE and with ACTION=DELETE (303 to the list), with its result file', async () => {
    const a = await create(f.app, { LANG: 'ADQL', QUERY, PHASE: 'RUN' });
    await waitDone(f.app, a);
    const results = join(f.catalog.dir, 'tap-results');
    expect(readdirSync(results).some((n) => n.startsWith(a))).toBe(true);
    const del = await f.app.inject({ method: 'DELETE', url: `/api/tap/async/${a}` });
    expect(del.statusCode).toBe(303);
    expect(del.headers.location).toBe(BASE);
    expect((await get(f.app, `/${a}`)).statusCode).toBe(404);
    expect(readdirSync(results).some((n) => n.startsWith(a))).toBe(false);

    const b = await create(f.app, { LANG: 'ADQL', QUERY });
    const action = await post(f.app, `/${b}`, { ACTION: 'DELETE' });
    expect(action.statusCode).toBe(303);
    expect(action.headers.location).toBe(BASE);
    expect((await get(f.app, `/${b}`)).statusCode).toBe(404);
  });

  it('lists jobs filtered by PHASE, AFTER and LAST', async () => {
    const first = await create(f.app, { LANG: 'ADQL', QUERY });
    const firstTime = element((await get(f.app, `/${first}`)).body, 'creationTime') as string;
    await new Promise((r) => setTimeout(r, 5));
    const second = await create(f.app, { LANG: 'ADQL', QUERY });
    await post(f.app, `/${second}/phase`, { PHASE: 'ABORT' });

    const all = (await get(f.app, '/')).body;
    expect(all).toContain('<uws:jobs xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0"');
    expect(all).toContain(`<uws:jobref id="${first}"`);
    expect(all).toContain(`<uws:jobref id="${second}"`);
    const aborted = (await get(f.app, '/?PHASE=ABORTED')).body;
    expect(aborted).toContain(second);
    expect(aborted).not.toContain(first);
    const both = (await get(f.app, '/?PHASE=ABORTED&PHASE=PENDING')).body;
    expect(both).toContain(first);
    const after = (await get(f.app, `/?AFTER=${encodeURIComponent(firstTime)}`)).body;
    expect(after).toContain(second);
    expect(after).not.toContain(first);
    const last = (await get(f.app, '/?LAST=1')).body;
    expect([...last.matchAll(/<uws:jobref /g)]).toHaveLength(1);
    expect(last).toContain(second);
    expect((await get(f.app, '/?LAST=many')).statusCode).toBe(400);
    expect((await get(f.app, '/?AFTER=yesterday')).statusCode).toBe(400);
  });
});

describe('TAP async job persistence', () => {
  it('keeps jobs and results across a restart, re-runs queued jobs, and deletes expired ones', async () => {
    const jobs = {
      database: join(f.dir, 'restart-jobs.sqlite3'),
      resultsDir: join(f.dir, 'restart-results'),
    };
    const limits = { maxrecDefault: 50, maxrecHard: 200, asyncMaxRunning: 1 };
    const first = createApp({ catalog: f.catalog, limits, jobs, version: 'test', auth: ANONYMOUS });
    await first.ready();
    const done = await create(first, { LANG: 'ADQL', QUERY, FORMAT: 'json', PHASE: 'RUN' });
    await waitDone(first, done);
    const pending = await create(first, { LANG: 'ADQL', QUERY });
    const expiring = await create(first, { LANG: 'ADQL', QUERY });
    await post(first, `/${expiring}/destruction`, { DESTRUCTION: new Date(Date.now() + 300).toISOString() });
    await first.close();

    await new Promise((r) => setTimeout(r, 400));
    const second = createApp({ catalog: f.catalog, limits, jobs, version: 'test', auth: ANONYMOUS });
    await second.ready();
    try {
      const doc = (await get(second, `/${done}`)).body;
      expect(element(doc, 'phase')).toBe('COMPLETED');
      const result = await get(second, `/${done}/results/result`);
      expect(result.statusCode).toBe(200);
      expect(JSON.parse(result.body).data).toHaveLength(7);
      expect(element((await get(second, `/${pending}`)).body, 'phase')).toBe('PENDING');
      expect((await get(second, `/${expiring}`)).statusCode).toBe(404);
      await post(second, `/${pending}/phase`, { PHASE: 'RUN' });
      expect(element(await waitDone(second, pending), 'phase')).toBe('COMPLETED');
    } finally {
      await second.close();
    }
    expect(existsSync(jobs.database)).toBe(true);
  });

  it('on start-up marks a job left EXECUTING by a crash as ERROR and runs the QUEUED ones; closing wakes WAITs', async () => {
    const jobs = { database: join(f.dir, 'crash-jobs.sqlite3'), resultsDir: join(f.dir, 'crash-results') };
    const limits = { maxrecDefault: 50, maxrecHard: 200 };
    const first = createApp({ catalog: f.catalog, limits, jobs, version: 'test', auth: ANONYMOUS });
    await first.ready();
    const crashed = await create(first, { LANG: 'ADQL', QUERY });
    const queued = await create(first, { LANG: 'ADQL', QUERY });
    await first.close();
    // What a server killed mid-query leaves behind.
    const store = await JobStore.open({ defaultDir: f.dir, ...jobs });
    await store.update(crashed, { phase: 'EXECUTING', startTime: new Date().toISOString() });
    await store.update(queued, { phase: 'QUEUED' });
    writeFileSync(join(jobs.resultsDir, `${crashed}.part`), '<VOTABLE');
    await store.close();

    const second = createApp({ catalog: f.catalog, limits, jobs, version: 'test', auth: ANONYMOUS });
    await second.ready();
    const crashedDoc = (await get(second, `/${crashed}`)).body;
    expect(element(crashedDoc, 'phase')).toBe('ERROR');
    expect((await get(second, `/${crashed}/error`)).body).toContain(
      'the server stopped while this job was executing',
    );
    expect(element(await waitDone(second, queued), 'phase')).toBe('COMPLETED');

    const waiting = await create(second, { LANG: 'ADQL', QUERY });
    const blocked = get(second, `/${waiting}?WAIT=60`);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await second.close();
    expect(element((await blocked).body, 'phase')).toBe('PENDING');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('cancels an executing query on ABORT, at its execution duration, and at shutdown (back to QUEUED)', async () => {
    const endless =
      'SELECT a.column_name, b.column_name, c.column_name FROM tap_schema.columns AS a, tap_schema.columns AS b, tap_schema.columns AS c';
    const jobs = { database: join(f.dir, 'cancel-jobs.sqlite3'), resultsDir: join(f.dir, 'cancel-results') };
    const limits = { maxrecDefault: 100_000_000, maxrecHard: 100_000_000 };
    const executing = async (app: FastifyInstance, id: string) => {
      const doc = (await get(app, `/${id}?WAIT=10&PHASE=QUEUED`)).body;
      expect(element(doc, 'phase')).toBe('EXECUTING');
    };
    const first = createApp({ catalog: f.catalog, limits, jobs, version: 'test', auth: ANONYMOUS });
    await first.ready();
    const aborted = await create(first, { LANG: 'ADQL', QUERY: endless, FORMAT: 'csv', PHASE: 'RUN' });
    await executing(first, aborted);
    expect(JSON.parse((await first.inject({ method: 'GET', url: '/health' })).body).runningQueries).toBe(1);
    await post(first, `/${aborted}/phase`, { PHASE: 'ABORT' });
    expect(element((await get(first, `/${aborted}`)).body, 'phase')).toBe('ABORTED');

    const timed = await create(first, { LANG: 'ADQL', QUERY: endless, FORMAT: 'csv' });
    await post(first, `/${timed}/executionduration`, { EXECUTIONDURATION: '1' });
    await post(first, `/${timed}/phase`, { PHASE: 'RUN' });
    const timedDoc = await waitDone(first, timed);
    expect(element(timedDoc, 'phase')).toBe('ERROR');
    expect((await get(first, `/${timed}/error`)).body).toContain(
      'execution duration of 1 s and was cancelled',
    );

    const resumable = await create(first, { LANG: 'ADQL', QUERY: endless, FORMAT: 'csv', PHASE: 'RUN' });
    await executing(first, resumable);
    await first.close();
    // No partial result survives any of these ends.
    expect(readdirSync(jobs.resultsDir)).toEqual([]);

    const second = createApp({ catalog: f.catalog, limits, jobs, version: 'test', auth: ANONYMOUS });
    await second.ready();
    try {
      await executing(second, resumable);
      await post(second, `/${resumable}/phase`, { PHASE: 'ABORT' });
      expect(element((await get(second, `/${resumable}`)).body, 'phase')).toBe('ABORTED');
    } finally {
      await second.close();
    }
    expect(readdirSync(jobs.resultsDir)).toEqual([]);
  }, 30_000);

  it('advertises the retention period and execution duration in /capabilities', async () => {
    const caps = (await f.app.inject({ method: 'GET', url: '/api/tap/capabilities' })).body;
    expect(caps).toContain(
      '<retentionPeriod>\n<default>604800</default>\n<hard>2592000</hard>\n</retentionPeriod>',
    );
    expect(caps).toContain('<executionDuration>\n<hard>3600</hard>');
  });

  it('keeps its store next to the catalog by default', () => {
    expect(existsSync(join(f.catalog.dir, 'tap-jobs.sqlite3'))).toBe(true);
  });
});
