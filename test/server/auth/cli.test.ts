/** `meridian token create | list | revoke`, in process, on the SQLite store a server reads. */

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TokenStore } from '../../../src/server/index.js';
import { meridian, tempDir } from '../../cli/helpers.js';

const dir = tempDir('meridian-token-cli-');
const catalog = join(dir.path, 'catalog');
mkdirSync(catalog);
afterAll(() => dir.cleanup());

describe('meridian token', () => {
  it('creates a token, prints it once, and the store the server opens accepts it', async () => {
    const r = await meridian([
      'token',
      'create',
      '--catalog',
      catalog,
      '--user',
      'alice',
      '--scope',
      'read:tap',
      '--scope',
      'read:image,read:butler',
      '--label',
      'laptop',
      '--expires',
      '30d',
    ]);
    expect(r.code, r.output).toBe(0);
    const token = r.stdout.trim();
    expect(token).toMatch(/^mrd_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(r.stderr).toContain('only time the token is shown');
    const store = await TokenStore.open({ defaultDir: catalog });
    try {
      const check = await store.check(token);
      expect(check.ok && check.token).toMatchObject({
        user: 'alice',
        label: 'laptop',
        scopes: ['read:tap', 'read:image', 'read:butler'],
      });
    } finally {
      await store.close();
    }
  });

  it('creates with --json, lists without secrets, revokes by id, and lists revoked tokens with --all', async () => {
    const created = await meridian([
      'token',
      'create',
      '--catalog',
      catalog,
      '--user',
      'bob',
      '--scope',
      'admin',
      '--json',
    ]);
    expect(created.code, created.output).toBe(0);
    const doc = JSON.parse(created.stdout) as { token: string; id: string; user: string; scopes: string[] };
    expect(doc).toMatchObject({ user: 'bob', scopes: ['admin'], expires: null });
    const secret = doc.token.slice(21);

    const listed = await meridian(['token', 'list', '--catalog', catalog, '--json']);
    expect(listed.code).toBe(0);
    const tokens = JSON.parse(listed.stdout) as { id: string; user: string }[];
    expect(tokens.map((t) => t.user)).toEqual(['alice', 'bob']);
    expect(listed.stdout).not.toContain(secret);
    const table = await meridian(['token', 'list', '--catalog', catalog]);
    expect(table.stdout).toContain(doc.id);
    expect(table.stdout).not.toContain(secret);

    const revoked = await meridian(['token', 'revoke', doc.id, '--catalog', catalog]);
    expect(revoked.code, revoked.output).toBe(0);
    expect(revoked.stdout).toContain(`revoked token ${doc.id} of bob`);
    const active = JSON.parse(
      (await meridian(['token', 'list', '--catalog', catalog, '--json'])).stdout,
    ) as unknown[];
    expect(active).toHaveLength(1);
    const all = await meridian(['token', 'list', '--catalog', catalog, '--all']);
    expect(all.stdout).toMatch(new RegExp(`${doc.id}.*revoked`));
  });

  it('fails with coded errors: unknown scope, unknown id, no store named, no such catalog directory', async () => {
    const scope = await meridian([
      'token',
      'create',
      '--catalog',
      catalog,
      '--user',
      'x',
      '--scope',
      'write:files',
    ]);
    expect(scope.code).toBe(1);
    expect(scope.stderr).toContain('AUTH_UNKNOWN_SCOPE');
    expect(scope.stderr).toContain('read:tap, read:image, read:butler, exec:bps, admin');
    const unknown = await meridian(['token', 'revoke', 'ffffffffffffffff', '--catalog', catalog, '--json']);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout).error.code).toBe('TOKEN_NOT_FOUND');
    const nowhere = await meridian(['token', 'list']);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toContain('--catalog DIR');
    const missing = await meridian(['token', 'list', '--catalog', join(dir.path, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('FILE_NOT_FOUND');
  });
});
