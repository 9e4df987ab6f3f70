/**
 * Shared set-up for the Portal's browser tests: Debian's Chromium driven by playwright-core (no downloaded
 * browser), and a real `startServer` on the catalog tests' fixture catalog serving the built Portal.
 *
 * Chromium is required when MERIDIAN_TEST_BROWSER=1 (CI installs it); elsewhere the suites skip with a note when
 * /usr/bin/chromium is missing. The Portal must be built (`npm run build`, as `npm test` does first).
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type Browser, chromium } from 'playwright-core';
import { defaultPortalDir, type RunningServer, startServer } from '../../src/server/index.js';
import { buildFixtureCatalog, generateFixture, temporaryDir } from '../catalog/helpers.js';

export const CHROMIUM = process.env.MERIDIAN_CHROMIUM ?? '/usr/bin/chromium';
const required = process.env.MERIDIAN_TEST_BROWSER === '1';

/** Whether the browser suites run; prints why not once. */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (required) throw new Error(`MERIDIAN_TEST_BROWSER=1 but there is no Chromium at ${CHROMIUM}`);
  console.warn(`skipping the Portal browser tests: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  return false;
}

/** The flags that keep headless Chromium off the network this machine does not have (docs/portal.md). */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface PortalServer {
  readonly server: RunningServer;
  readonly portalUrl: string;
  close(): Promise<void>;
}

export async function portalServer(prefix: string): Promise<PortalServer> {
  if (!existsSync(join(defaultPortalDir(), 'index.html'))) {
    throw new Error('dist/portal is not built: run `npm run build` first');
  }
  const tmp = temporaryDir(prefix);
  const fixture = generateFixture(`${tmp.dir}/fixture`);
  const catalog = await buildFixtureCatalog(tmp.dir, fixture);
  const dir = catalog.dir;
  await catalog.close();
  const server = await startServer({ catalog: dir, port: 0, auth: { allowAnonymous: true } });
  return {
    server,
    portalUrl: `${server.url}/portal`,
    async close() {
      await server.close();
      tmp.remove();
    },
  };
}

/** Bytes a first visit downloads, gzip-compressed: index.html and every file it loads (one JS, one CSS bundle). */
export function firstLoadGzipBytes(): number {
  const dir = defaultPortalDir();
  const files = ['index.html', ...readdirSync(join(dir, 'assets')).map((f) => join('assets', f))];
  return files.reduce((sum, file) => sum + gzipSync(readFileSync(join(dir, file))).length, 0);
}
