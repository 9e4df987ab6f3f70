/** /portal serves the built Portal: index.html for app paths, hashed assets cached for good, coded 404s. */

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Catalog } from '../../src/catalog/index.js';
import { createApp } from '../../src/server/index.js';
import { buildFixtureCatalog, generateFixture, temporaryDir } from '../catalog/helpers.js';

describe('/portal static files', () => {
  const tmp = temporaryDir('portal-static');
  let catalog: Catalog;
  let app: FastifyInstance;
  let unbuilt: FastifyInstance;

  beforeAll(async () => {
    catalog = await buildFixtureCatalog(tmp.dir, generateFixture(`${tmp.dir}/fixture`));
    const portalDir = join(tmp.dir, 'portal');
    mkdirSync(join(portalDir, 'assets'), { recursive: true });
    writeFileSync(join(portalDir, 'index.html'), '<!doctype html><title>Meridian Portal</title>');
    writeFileSync(join(portalDir, 'assets', 'index-abc123.js'), 'console.log("portal")');
    writeFileSync(join(tmp.dir, 'secret.txt'), 'not for the web');
    app = createApp({ catalog, portalDir });
    unbuilt = createApp({ catalog, portalDir: join(tmp.dir, 'no-such-dir') });
  });

  afterAll(async () => {
    await app.close();
    await unbuilt.close();
    await catalog.close();
    tmp.remove();
  });

  it('answers /portal, /portal/ and app paths with index.html, not cached', async () => {
    for (const url of ['/portal', '/portal/', '/portal/jobs/abc', '/portal?job=x&adql=SELECT']) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.body).toContain('Meridian Portal');
      expect(response.headers['cache-control']).toMatch(/max-age=0/);
    }
  });

  it('serves hashed assets as immutable and a missing asset as a coded 404, not as index.html', async () => {
    const asset = await app.inject({ url: '/portal/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['cache-control']).toMatch(/immutable/);
    const missing = await app.inject({ url: '/portal/assets/index-old.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('FILE_NOT_FOUND');
    expect(missing.body).not.toContain(tmp.dir);
  });

  it('never serves a file outside the Portal directory', async () => {
    for (const url of [
      '/portal/../secret.txt',
      '/portal/%2e%2e/secret.txt',
      '/portal/assets/%2e%2e/%2e%2e/secret.txt',
    ]) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(response.statusCode, url).toBeLessThan(500);
      expect(response.body, url).not.toContain('not for the web');
      expect(response.body, url).not.toContain(tmp.dir);
    }
  });

  it('says how to build the Portal when it is not built', async () => {
    const response = await unbuilt.inject({ url: '/portal' });
    expect(response.statusCode).toBe(404);
    const { error } = response.json();
    expect(error.code).toBe('PORTAL_NOT_BUILT');
    expect(error.hint).toMatch(/npm run build/);
    expect(response.body).not.toContain(tmp.dir);
  });
});
