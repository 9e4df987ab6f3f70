/**
 * A token-protected server (the real token auth, anonymous access off): the Portal asks for a token when the API
 * answers 401, keeps it for the tab and sends it as a Bearer header; a wrong token is asked for again.
 */

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Catalog } from '../../src/catalog/index.js';
import { createApp, TokenStore } from '../../src/server/index.js';
import { buildFixtureCatalog, generateFixture, temporaryDir } from '../catalog/helpers.js';
import { browserAvailable, launchChromium } from './browser-support.js';

describe.skipIf(!browserAvailable())('the Portal on a token-protected server', () => {
  const tmp = temporaryDir('portal-token');
  let catalog: Catalog;
  let app: ReturnType<typeof createApp>;
  let browser: Browser;
  let url: string;
  const seenAuthorization: string[] = [];
  let tokens: TokenStore;
  let TOKEN: string;

  beforeAll(async () => {
    catalog = await buildFixtureCatalog(tmp.dir, generateFixture(`${tmp.dir}/fixture`));
    tokens = await TokenStore.open({ defaultDir: tmp.dir });
    TOKEN = (await tokens.create({ user: 'astronomer', scopes: ['read:tap'] })).token;
    app = createApp({ catalog, auth: { allowAnonymous: false, tokens } });
    app.addHook('onRequest', async (request) => {
      if (request.url.startsWith('/api/')) seenAuthorization.push(request.headers.authorization ?? '');
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/portal`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await tokens?.close();
    await catalog?.close();
    tmp.remove();
  });

  it('asks for a token, then loads the schema and runs a query with it', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(url);
    const dialog = page.getByRole('form', { name: 'Sign in' });
    await dialog.waitFor();
    await dialog.locator('input[name="token"]').fill(TOKEN);
    await dialog.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'dp02_dc2_catalogs.Object', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Run' }).click();
    await page.locator('.status.ok').waitFor();
    expect(Number(await page.locator('.status.ok').getAttribute('data-rows'))).toBeGreaterThan(0);
    expect(seenAuthorization).toContain(`Bearer ${TOKEN}`);
    // The token lives in this tab's sessionStorage and never in the URL.
    expect(page.url()).not.toContain(TOKEN);
    expect(await page.evaluate(() => Object.values(sessionStorage))).toContain(TOKEN);
    await page.close();
  });
});
