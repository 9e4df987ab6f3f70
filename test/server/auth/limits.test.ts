/** Per-user limits (429 with Retry-After) and async job ownership (another user's job is 404). */

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { form, SCHEMA } from '../helpers.js';
import { type AuthFixture, authFixture, bearer } from './helpers.js';

let f: AuthFixture;
let alice: string;
let bob: string;
beforeAll(async () => {
  f = await authFixture('server-auth-limits');
  alice = await f.token('alice', ['read:tap']);
  bob = await f.token('bob', ['read:tap']);
});
afterAll(async () => {
  await f?.close();
});

const ENDLESS =
  'SELECT a.column_name, b.column_name, c.column_name FROM tap_schema.columns AS a, tap_schema.columns AS b, tap_schema.columns AS c';
const SMALL = `SELECT TOP 1 objectId FROM ${SCHEMA}.Object`;
const syncUrl = (query: string) =>
  `/api/tap/sync?${new URLSearchParams({ LANG: 'ADQL', QUERY: query, MAXREC: '100000000' })}`;

async function createJob(
  app: FastifyInstance,
  token: string,
  params: Record<string, string>,
): Promise<string> {
  const body = form(params);
  const res = await app.inject({
    method: 'POST',
    url: '/api/tap/async',
    payload: body.payload,
    headers: { ...body.headers, ...bearer(token) },
  });
  expect(res.statusCode, res.body).toBe(303);
  return new URL(String(res.headers.location)).pathname;
}

/** The status of a GET, once its body has been read in full (so the server has ended the response). */
async function statusOf(url: string, token: string): Promise<number> {
  const res = await fetch(url, { headers: bearer(token) });
  await res.text();
  return res.status;
}

function element(document: string, name: string): string | null {
  return document.match(new RegExp(`<uws:${name}>([^<]*)</uws:${name}>`))?.[1] ?? null;
}

describe('the request rate', () => {
  it('allows a burst, then answers 429 RATE_LIMITED with Retry-After; other users and public routes are not held', async () => {
    const app = await f.app({ limits: { userRequestsPerSecond: 0.1, userRequestBurst: 3 } });
    for (let i = 0; i < 3; i++) {
      expect(
        (await app.inject({ method: 'GET', url: '/api/tap/tables', headers: bearer(alice) })).statusCode,
      ).toBe(200);
    }
    const refused = await app.inject({ method: 'GET', url: '/api/tap/tables', headers: bearer(alice) });
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('10');
    expect(refused.body).toContain('<INFO name="ERROR_CODE" value="RATE_LIMITED"/>');
    expect(refused.body).not.toContain(alice.slice(21));
    expect(
      (await app.inject({ method: 'GET', url: '/api/tap/tables', headers: bearer(bob) })).statusCode,
    ).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    const health = await app.inject({ method: 'GET', url: '/health', headers: bearer(alice) });
    expect(health.statusCode).toBe(200);
  });
});

describe('concurrent queries per user', () => {
  it('counts sync queries in flight and async jobs running; one more is 429 USER_QUOTA, freed when one ends', async () => {
    const app = await f.app({ limits: { userMaxConcurrentQueries: 1, maxrecHard: 100_000_000 } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    const first = await fetch(`${base}${syncUrl(ENDLESS)}`, { headers: bearer(alice) });
    expect(first.status).toBe(200);
    const reader = first.body?.getReader();
    await reader?.read();

    const refused = await fetch(`${base}${syncUrl(SMALL)}`, { headers: bearer(alice) });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(await refused.text()).toContain('<INFO name="ERROR_CODE" value="USER_QUOTA"/>');
    // An async job cannot start either, while another user is not held.
    const job = await createJob(app, alice, { LANG: 'ADQL', QUERY: SMALL });
    const run = await app.inject({
      method: 'POST',
      url: `${job}/phase`,
      ...withAuth(form({ PHASE: 'RUN' }), alice),
    });
    expect(run.statusCode).toBe(429);
    // Created with PHASE=RUN and refused: no job is left behind.
    const listBefore = (await app.inject({ method: 'GET', url: '/api/tap/async', headers: bearer(alice) }))
      .body;
    const runAtOnce = await app.inject({
      method: 'POST',
      url: '/api/tap/async',
      ...withAuth(form({ LANG: 'ADQL', QUERY: SMALL, PHASE: 'RUN' }), alice),
    });
    expect(runAtOnce.statusCode).toBe(429);
    expect((await app.inject({ method: 'GET', url: '/api/tap/async', headers: bearer(alice) })).body).toBe(
      listBefore,
    );
    expect(await statusOf(`${base}${syncUrl(SMALL)}`, bob)).toBe(200);

    await reader?.cancel();
    let served = 0;
    for (let i = 0; i < 50 && served !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      served = await statusOf(`${base}${syncUrl(SMALL)}`, alice);
    }
    expect(served).toBe(200);

    // Now an executing async job holds the slot, and a sync query is refused until it is aborted.
    const endless = await createJob(app, alice, {
      LANG: 'ADQL',
      QUERY: ENDLESS,
      FORMAT: 'csv',
      PHASE: 'RUN',
    });
    const executing = await app.inject({
      method: 'GET',
      url: `${endless}?WAIT=10&PHASE=QUEUED`,
      headers: bearer(alice),
    });
    expect(element(executing.body, 'phase')).toBe('EXECUTING');
    expect(await statusOf(`${base}${syncUrl(SMALL)}`, alice)).toBe(429);
    await app.inject({
      method: 'POST',
      url: `${endless}/phase`,
      ...withAuth(form({ PHASE: 'ABORT' }), alice),
    });
    expect(await statusOf(`${base}${syncUrl(SMALL)}`, alice)).toBe(200);
  }, 60_000);
});

function withAuth(body: { payload: string; headers: Record<string, string> }, token: string) {
  return { payload: body.payload, headers: { ...body.headers, ...bearer(token) } };
}

describe('async jobs kept per user', () => {
  it('refuses one job over the limit with 429 until the user deletes one', async () => {
    const app = await f.app({ limits: { userMaxAsyncJobs: 2 } });
    const first = await createJob(app, alice, { LANG: 'ADQL', QUERY: SMALL });
    await createJob(app, alice, { LANG: 'ADQL', QUERY: SMALL });
    const over = await app.inject({
      method: 'POST',
      url: '/api/tap/async',
      ...withAuth(form({ LANG: 'ADQL', QUERY: SMALL }), alice),
    });
    expect(over.statusCode).toBe(429);
    expect(over.headers['retry-after']).toBe('60');
    expect(over.body).toContain('USER_QUOTA');
    await createJob(app, bob, { LANG: 'ADQL', QUERY: SMALL });
    expect((await app.inject({ method: 'DELETE', url: first, headers: bearer(alice) })).statusCode).toBe(303);
    await createJob(app, alice, { LANG: 'ADQL', QUERY: SMALL });
  });
});

describe('job ownership', () => {
  it("fills the owner, lists only the caller's jobs, and answers 404 for another user's job", async () => {
    const app = await f.app();
    const job = await createJob(app, alice, { LANG: 'ADQL', QUERY: SMALL, PHASE: 'RUN' });
    const id = job.slice(job.lastIndexOf('/') + 1);
    const doc = await app.inject({ method: 'GET', url: `${job}?WAIT=10`, headers: bearer(alice) });
    expect(element(doc.body, 'ownerId')).toBe('alice');
    expect((await app.inject({ method: 'GET', url: `${job}/owner`, headers: bearer(alice) })).body).toBe(
      'alice',
    );
    const aliceList = await app.inject({ method: 'GET', url: '/api/tap/async', headers: bearer(alice) });
    expect(aliceList.body).toContain(`id="${id}"`);
    expect(aliceList.body).toContain('<uws:ownerId>alice</uws:ownerId>');
    const bobList = await app.inject({ method: 'GET', url: '/api/tap/async', headers: bearer(bob) });
    expect(bobList.body).not.toContain(id);

    const unknown = await app.inject({
      method: 'GET',
      url: '/api/tap/async/0123456789abcdef0123456789abcdef',
      headers: bearer(bob),
    });
    for (const [method, path, body] of [
      ['GET', job, undefined],
      ['GET', `${job}?WAIT=5`, undefined],
      ['GET', `${job}/results/result`, undefined],
      ['GET', `${job}/owner`, undefined],
      ['DELETE', job, undefined],
      ['POST', job, { ACTION: 'DELETE' }],
      ['POST', `${job}/phase`, { PHASE: 'ABORT' }],
      ['POST', `${job}/destruction`, { DESTRUCTION: '2099-01-01T00:00:00Z' }],
    ] as const) {
      const res = await app.inject({
        method,
        url: path,
        ...(body === undefined ? { headers: bearer(bob) } : withAuth(form(body), bob)),
      });
      expect(res.statusCode, `${method} ${path}`).toBe(404);
      expect(res.body).toContain('UWS_JOB_NOT_FOUND');
      // Indistinguishable from a job that does not exist.
      expect(res.body.replace(id, 'ID')).toBe(unknown.body.replace('0123456789abcdef0123456789abcdef', 'ID'));
    }
    const still = await app.inject({ method: 'GET', url: `${job}/results/result`, headers: bearer(alice) });
    expect(still.statusCode).toBe(200);
  });
});
