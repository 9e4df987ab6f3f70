/**
 * Every registered route, walked: each declares a scope, and each that is not public refuses a request without
 * credentials (401) and a token lacking its scope (403). Routes are collected from the app itself, so routes other
 * parts add later are covered without touching this file.
 */

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, declaredRoutes, SCOPES } from '../../../src/server/index.js';
import { type AuthFixture, authFixture, bearer } from './helpers.js';

let f: AuthFixture;
let app: FastifyInstance;
beforeAll(async () => {
  f = await authFixture('server-auth-routes');
  app = await f.app();
});
afterAll(async () => {
  await f?.close();
});

/** A concrete URL for a route pattern: every parameter and wildcard becomes a harmless value. */
function concrete(url: string): string {
  return url.replace(/:[A-Za-z_]\w*/g, 'x0').replace(/\*/g, 'x1');
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

async function call(method: string, url: string, headers: Record<string, string> = {}) {
  return app.inject({
    method: method as 'GET',
    url: concrete(url),
    headers: method === 'POST' || method === 'PUT' ? { ...FORM, ...headers } : headers,
    ...(method === 'POST' || method === 'PUT' ? { payload: '' } : {}),
  });
}

describe('every route', () => {
  it('is collected with a scope, and the TAP routes are among them', () => {
    const routes = declaredRoutes(app);
    expect(routes.length).toBeGreaterThan(30);
    expect(routes).toContainEqual({ method: 'GET', url: '/api/tap/sync', scope: 'read:tap' });
    expect(routes).toContainEqual({ method: 'GET', url: '/health', scope: 'public' });
    expect(routes.filter((r) => r.scope === 'public').map((r) => `${r.method} ${r.url}`)).toEqual(
      expect.arrayContaining(['GET /api/tap/availability', 'GET /api/tap/capabilities']),
    );
  });

  it('that is not public refuses a request without credentials (401) and a token without its scope (403)', async () => {
    const checked: string[] = [];
    for (const route of declaredRoutes(app)) {
      if (route.scope === 'public') continue;
      const name = `${route.method} ${route.url}`;
      const anonymous = await call(route.method, route.url);
      expect(anonymous.statusCode, name).toBe(401);
      expect(anonymous.headers['www-authenticate'], name).toBeDefined();
      const others = SCOPES.filter((s) => s !== route.scope);
      const token = await f.token('walker', others);
      const lacking = await call(route.method, route.url, bearer(token));
      expect(lacking.statusCode, name).toBe(403);
      if (route.method !== 'HEAD') {
        expect(lacking.body, name).toContain('AUTH_SCOPE');
        expect(lacking.body, name).not.toContain(token.slice(21));
      }
      // With the scope the request gets past auth (whatever the route then says about a dummy id).
      const allowed = await call(route.method, route.url, bearer(await f.token('walker', [route.scope])));
      expect([401, 403], name).not.toContain(allowed.statusCode);
      checked.push(name);
    }
    expect(checked.length).toBeGreaterThan(25);
  }, 120_000);

  it('that is public answers without credentials', async () => {
    for (const route of declaredRoutes(app).filter((r) => r.scope === 'public')) {
      const res = await call(route.method, route.url);
      expect([401, 403], `${route.method} ${route.url}`).not.toContain(res.statusCode);
    }
  });
});

describe('a route without a scope', () => {
  it('is refused when it is added, so the server never starts with it', async () => {
    const bare = createApp({
      catalog: f.catalog,
      auth: { tokens: f.tokens },
      jobs: { database: `${f.dir}/bare.sqlite3` },
    });
    try {
      expect(() => bare.get('/unguarded', async () => 'open')).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('/unguarded') }),
      );
      bare.register(async (child) => {
        child.post(
          '/also-unguarded',
          { config: { scope: 'read:everything' as 'admin' } },
          async () => 'open',
        );
      });
      await expect(bare.ready()).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    } finally {
      await bare.close().catch(() => undefined);
    }
  });
});
