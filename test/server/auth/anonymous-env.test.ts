/** `startServer` takes anonymous access from its option, else from MERIDIAN_ALLOW_ANONYMOUS, else keeps it off. */

import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer } from '../../../src/server/index.js';
import { buildFixtureCatalog, generateFixture, temporaryDir } from '../../catalog/helpers.js';

const tmp = temporaryDir('server-auth-env');
let dir: string;
const saved = process.env.MERIDIAN_ALLOW_ANONYMOUS;
beforeAll(async () => {
  const catalog = await buildFixtureCatalog(tmp.dir, generateFixture(`${tmp.dir}/fixture`));
  dir = catalog.dir;
  await catalog.close();
});
afterAll(() => {
  if (saved === undefined) delete process.env.MERIDIAN_ALLOW_ANONYMOUS;
  else process.env.MERIDIAN_ALLOW_ANONYMOUS = saved;
  tmp.remove();
});

async function tablesStatus(env: string | undefined, allowAnonymous?: boolean): Promise<[boolean, number]> {
  if (env === undefined) delete process.env.MERIDIAN_ALLOW_ANONYMOUS;
  else process.env.MERIDIAN_ALLOW_ANONYMOUS = env;
  const server = await startServer({ catalog: dir, port: 0, auth: { allowAnonymous } });
  try {
    const res = await fetch(`${server.tapUrl}/tables`);
    await res.text();
    return [server.allowAnonymous, res.status];
  } finally {
    await server.close();
  }
}

it('is off by default, on with MERIDIAN_ALLOW_ANONYMOUS=1, and the option wins over the environment', async () => {
  expect(await tablesStatus(undefined)).toEqual([false, 401]);
  expect(await tablesStatus('1')).toEqual([true, 200]);
  expect(await tablesStatus('0')).toEqual([false, 401]);
  expect(await tablesStatus('1', false)).toEqual([false, 401]);
  expect(await tablesStatus('0', true)).toEqual([true, 200]);
  await expect(tablesStatus('maybe')).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
}, 60_000);
