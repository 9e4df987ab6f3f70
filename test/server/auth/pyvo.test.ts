/**
 * pyvo (the system Python's Debian package) with a token against a live server that requires one: Bearer through
 * a requests.Session, Basic x-oauth-basic through pyvo's AuthSession, and the same query refused without a token.
 * Skips without pyvo unless MERIDIAN_TEST_TOOLS=1 (CI).
 */

import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer, TokenStore } from '../../../src/server/index.js';
import { buildFixtureCatalog, generateFixture, temporaryDir } from '../../catalog/helpers.js';
import { SCHEMA } from '../helpers.js';

const run = promisify(execFile);
const SYSTEM_PYTHON = '/usr/bin/python3';
const pyvoAvailable = spawnSync(SYSTEM_PYTHON, ['-c', 'import pyvo'], { stdio: 'ignore' }).status === 0;
const skip = !pyvoAvailable && process.env.MERIDIAN_TEST_TOOLS !== '1';
if (skip)
  console.warn('[auth tests] pyvo is not installed: skipping (MERIDIAN_TEST_TOOLS=1 makes this fail)');

const tmp = temporaryDir('server-auth-pyvo');
let server: RunningServer;
let token: string;
beforeAll(async () => {
  if (skip) return;
  const catalog = await buildFixtureCatalog(tmp.dir, generateFixture(`${tmp.dir}/fixture`));
  const dir = catalog.dir;
  await catalog.close();
  const store = await TokenStore.open({ defaultDir: dir });
  try {
    token = (await store.create({ user: 'pyvo-user', scopes: ['read:tap'] })).token;
  } finally {
    await store.close();
  }
  // Anonymous access explicitly off, whatever MERIDIAN_ALLOW_ANONYMOUS says in this environment.
  server = await startServer({ catalog: dir, port: 0, auth: { allowAnonymous: false } });
});
afterAll(async () => {
  await server?.close();
  tmp.remove();
});

describe.skipIf(skip)('pyvo with a token', () => {
  it('queries with Bearer and with Basic x-oauth-basic, owns its async job, and is refused without the token', async () => {
    const script = fileURLToPath(new URL('../py/pyvo_token.py', import.meta.url));
    const { stdout } = await run(SYSTEM_PYTHON, [script, server.tapUrl, SCHEMA, token], { timeout: 120_000 });
    const seen = JSON.parse(stdout) as Record<string, unknown>;
    expect(seen).toMatchObject({
      bearerRows: 3,
      basicRows: 3,
      asyncPhase: 'COMPLETED',
      asyncOwner: 'pyvo-user',
      asyncRows: 3,
    });
    expect(seen.anonymous).toBe('DALQueryError: this service needs a token and the request carries none');
    expect(String(seen.anonymous)).not.toContain(token.slice(21));
  }, 120_000);
});
