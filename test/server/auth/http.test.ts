/** Auth over HTTP in process: Bearer and both Basic forms, 401 and 403, anonymous access on and off. */

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA } from '../helpers.js';
import { type AuthFixture, authFixture, basic, bearer } from './helpers.js';

let f: AuthFixture;
let app: FastifyInstance;
let anonymousApp: FastifyInstance;
let reader: string;
beforeAll(async () => {
  f = await authFixture('server-auth-http');
  app = await f.app();
  anonymousApp = await f.app({ auth: { allowAnonymous: true } });
  reader = await f.token('alice', ['read:tap']);
});
afterAll(async () => {
  await f?.close();
});

const SYNC = `/api/tap/sync?${new URLSearchParams({ LANG: 'ADQL', QUERY: `SELECT TOP 2 objectId FROM ${SCHEMA}.Object` })}`;

function expectChallenge(res: { statusCode: number; headers: Record<string, unknown> }): void {
  expect(res.statusCode).toBe(401);
  expect(res.headers['www-authenticate']).toEqual(['Bearer realm="meridian"', 'Basic realm="meridian"']);
}

describe('credentials', () => {
  it('offers a script that handles the 401 itself (X-Requested-With) the Bearer challenge only', async () => {
    const res = await app.inject({
      method: 'GET',
      url: SYNC,
      headers: { 'x-requested-with': 'meridian-portal' },
    });
    expect(res.statusCode).toBe(401);
    // A Basic challenge would make a browser show its own login box over the Portal's.
    expect(res.headers['www-authenticate']).toBe('Bearer realm="meridian"');
  });

  it('accepts Authorization: Bearer', async () => {
    const res = await app.inject({ method: 'GET', url: SYNC, headers: bearer(reader) });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<INFO name="QUERY_STATUS" value="OK"');
  });

  it('accepts Basic with user x-oauth-basic and the token as password, and the reverse', async () => {
    for (const headers of [
      basic('x-oauth-basic', reader),
      basic(reader, 'x-oauth-basic'),
      basic('alice', reader),
      basic(reader, ''),
    ]) {
      const res = await app.inject({ method: 'GET', url: SYNC, headers });
      expect(res.statusCode).toBe(200);
    }
  });

  it('refuses a request without credentials with 401, a challenge and a VOTable error on TAP routes', async () => {
    const res = await app.inject({ method: 'GET', url: SYNC });
    expectChallenge(res);
    expect(res.headers['content-type']).toContain('application/x-votable+xml');
    expect(res.body).toContain('<INFO name="ERROR_CODE" value="AUTH_REQUIRED"/>');
  });

  it('refuses unknown, malformed, revoked and expired tokens with 401 and never echoes the token', async () => {
    const revoked = await f.tokens.create({ user: 'bob', scopes: ['read:tap'] });
    await f.tokens.revoke(revoked.info.id);
    const expiring = await f.tokens.create({ user: 'bob', scopes: ['read:tap'], expires: '1s' });
    await new Promise((r) => setTimeout(r, 1100));
    const wrongSecret = `${reader.slice(0, 21)}${'A'.repeat(43)}`;
    const cases: [Record<string, string>, string, string][] = [
      [bearer(wrongSecret), wrongSecret, 'not known to this server'],
      [bearer('not-a-token-at-all'), 'not-a-token-at-all', 'not a Meridian token'],
      [bearer(revoked.token), revoked.token, `token ${revoked.info.id} has been revoked`],
      [basic('x-oauth-basic', expiring.token), expiring.token, `token ${expiring.info.id} has expired`],
      [{ authorization: 'Digest username="x"' }, 'username', 'is not Bearer'],
      [{ authorization: 'Basic !!!' }, '!!!', 'is not Bearer'],
    ];
    for (const [headers, secret, message] of cases) {
      const res = await app.inject({ method: 'GET', url: SYNC, headers });
      expectChallenge(res);
      expect(res.body).toContain(message);
      expect(res.body).not.toContain(secret);
      if (secret.startsWith('mrd_')) expect(res.body).not.toContain(secret.slice(21));
      // A wrong token is refused even where anonymous reads are allowed: it is a mistake, not an absence.
      const anon = await anonymousApp.inject({ method: 'GET', url: SYNC, headers });
      expect(anon.statusCode).toBe(401);
    }
  });

  it('answers 403 naming the missing scope to a valid token without it', async () => {
    const imageOnly = await f.token('carol', ['read:image', 'read:butler']);
    const res = await app.inject({ method: 'GET', url: '/api/tap/tables', headers: bearer(imageOnly) });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('<INFO name="ERROR_CODE" value="AUTH_SCOPE"/>');
    expect(res.body).toContain('lacks the scope read:tap');
    expect(res.body).not.toContain(imageOnly.slice(21));
  });

  it('serves /health, /availability and /capabilities to anyone, so clients can discover the service', async () => {
    for (const url of ['/health', '/api/tap/availability', '/api/tap/capabilities', '/api/tap']) {
      expect((await app.inject({ method: 'GET', url })).statusCode).toBe(200);
      // Even with a broken token: public resources ignore credentials.
      expect((await app.inject({ method: 'GET', url, headers: bearer('junk') })).statusCode).toBe(200);
    }
  });
});

describe('the capabilities document', () => {
  const interfaces = (doc: string) =>
    Object.fromEntries(
      [
        ...doc.matchAll(
          /<accessURL use="\w+">[^<]*\/api\/tap([^<]*)<\/accessURL>\n((?:<securityMethod[^>]*\/>\n)*)/g,
        ),
      ].map((m) => [m[1] || '/', m[2].trim().split('\n').filter(Boolean)]),
    );
  const BASIC = '<securityMethod standardID="ivo://ivoa.net/sso#BasicAA"/>';

  it('says which interfaces take HTTP Basic, and which are also anonymous when anonymous access is on', async () => {
    const closed = interfaces((await app.inject({ method: 'GET', url: '/api/tap/capabilities' })).body);
    expect(closed).toEqual({
      '/': [BASIC],
      '/capabilities': [],
      '/availability': [],
      '/tables': [BASIC],
      '/examples': [BASIC],
    });
    const open = interfaces(
      (await anonymousApp.inject({ method: 'GET', url: '/api/tap/capabilities' })).body,
    );
    expect(open['/']).toEqual(['<securityMethod/>', BASIC]);
    expect(open['/tables']).toEqual(['<securityMethod/>', BASIC]);
    expect(open['/availability']).toEqual([]);
  });
});

describe('anonymous access', () => {
  it('is off by default', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/tap/tables' })).statusCode).toBe(401);
  });

  it('when on, lets requests without credentials read as anonymous, and tokens still act as their user', async () => {
    const res = await anonymousApp.inject({ method: 'GET', url: SYNC });
    expect(res.statusCode).toBe(200);
    const created = await anonymousApp.inject({
      method: 'POST',
      url: '/api/tap/async',
      payload: new URLSearchParams({ LANG: 'ADQL', QUERY: 'SELECT 1 AS x' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(created.statusCode).toBe(303);
    const job = await anonymousApp.inject({
      method: 'GET',
      url: `${new URL(String(created.headers.location)).pathname}/owner`,
    });
    expect(job.body).toBe('anonymous');
    const mine = await anonymousApp.inject({ method: 'GET', url: '/api/tap/async', headers: bearer(reader) });
    expect(mine.body).not.toContain('<uws:jobref');
  });
});
