/** The token store's contract, on SQLite and (with MERIDIAN_TEST_POSTGRES) PostgreSQL. */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/db/index.js';
import { parseExpiry, TokenStore } from '../../../src/server/index.js';
import { describePostgres, dropSchema, requirePostgresUrl, uniqueName } from '../../support/postgres.js';

function tokenStoreContract(open: (dir: string) => Promise<{ store: TokenStore; database?: string }>): void {
  let dir: string;
  let store: TokenStore;
  let database: string | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meridian-token-store-'));
    ({ store, database } = await open(dir));
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a recognisable token that checks, with its scopes in canonical order', async () => {
    const { token, info } = await store.create({
      user: 'alice',
      scopes: ['read:image', 'read:tap,read:image'],
      label: ' notebook ',
    });
    expect(token).toMatch(/^mrd_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(token.slice(4, 20)).toBe(info.id);
    expect(info).toMatchObject({ user: 'alice', label: 'notebook', scopes: ['read:tap', 'read:image'] });
    expect(info.expires).toBeNull();
    expect(Object.isFrozen(info)).toBe(true);
    const check = await store.check(token);
    expect(check.ok && check.token.user).toBe('alice');
    expect(check.ok && check.token.scopes).toEqual(['read:tap', 'read:image']);
  });

  it('refuses a wrong secret, an unknown id and text of another form, without telling them apart from outside', async () => {
    const { token } = await store.create({ user: 'bob', scopes: ['read:tap'] });
    const flipped = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    expect(await store.check(flipped)).toEqual({ ok: false, reason: 'unknown' });
    expect(await store.check(`mrd_0000000000000000_${token.slice(21)}`)).toEqual({
      ok: false,
      reason: 'unknown',
    });
    expect(await store.check('ghp_abc')).toEqual({ ok: false, reason: 'malformed' });
    expect(await store.check(`${token}x`)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('revokes by id or by token text, and a revoked token no longer checks', async () => {
    const a = await store.create({ user: 'carol', scopes: ['read:tap'] });
    const b = await store.create({ user: 'carol', scopes: ['read:tap'] });
    const revoked = await store.revoke(a.info.id);
    expect(revoked.revoked).not.toBeNull();
    expect(await store.check(a.token)).toEqual({ ok: false, reason: 'revoked' });
    expect((await store.revoke(b.token)).id).toBe(b.info.id);
    expect(await store.check(b.token)).toEqual({ ok: false, reason: 'revoked' });
    // Revoking again keeps the first time.
    expect((await store.revoke(a.info.id)).revoked).toBe(revoked.revoked);
    await expect(store.revoke('ffffffffffffffff')).rejects.toMatchObject({ code: 'TOKEN_NOT_FOUND' });
  });

  it('expires tokens, and lists active ones by default and all with includeInactive', async () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const short = await store.create({ user: 'dave', scopes: ['admin'], expires: '1h' }, now);
    expect(short.info.expires).toBe('2030-01-01T01:00:00.000Z');
    expect((await store.check(short.token, new Date('2030-01-01T00:59:00Z'))).ok).toBe(true);
    expect(await store.check(short.token, new Date('2030-01-01T01:00:00Z'))).toEqual({
      ok: false,
      reason: 'expired',
    });
    const later = new Date('2030-01-02T00:00:00Z');
    expect((await store.list({ user: 'dave' }, later)).map((t) => t.id)).toEqual([]);
    expect((await store.list({ user: 'dave', includeInactive: true }, later)).map((t) => t.id)).toEqual([
      short.info.id,
    ]);
    const all = await store.list();
    expect(all.every((t) => t.revoked === null)).toBe(true);
    expect(JSON.stringify(all)).not.toMatch(/secret|sha256/i);
  });

  it('records last use, at most once a minute', async () => {
    const { token, info } = await store.create({ user: 'erin', scopes: ['read:tap'] });
    expect(info.lastUsed).toBeNull();
    const t0 = new Date(Date.now() + 1000);
    await store.check(token, t0);
    expect((await store.list({ user: 'erin' }))[0].lastUsed).toBe(t0.toISOString());
    await store.check(token, new Date(t0.getTime() + 30_000));
    expect((await store.list({ user: 'erin' }))[0].lastUsed).toBe(t0.toISOString());
    const t2 = new Date(t0.getTime() + 61_000);
    await store.check(token, t2);
    expect((await store.list({ user: 'erin' }))[0].lastUsed).toBe(t2.toISOString());
  });

  it('refuses unknown scopes, bad user names and past expiries with coded errors', async () => {
    await expect(store.create({ user: 'x', scopes: ['read:tap', 'write:all'] })).rejects.toMatchObject({
      code: 'AUTH_UNKNOWN_SCOPE',
      message: expect.stringContaining('"write:all"'),
    });
    await expect(store.create({ user: 'x', scopes: [] })).rejects.toMatchObject({
      code: 'AUTH_UNKNOWN_SCOPE',
    });
    await expect(store.create({ user: 'a b', scopes: ['read:tap'] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(store.create({ user: 'anonymous', scopes: ['read:tap'] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(
      store.create({ user: 'x', scopes: ['read:tap'], expires: '2001-01-01' }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('stores a hash of the secret, never the secret', async () => {
    const { token, info } = await store.create({ user: 'frank', scopes: ['read:tap'] });
    const secret = token.slice(21);
    if (database === undefined) {
      const raw = readFileSync(join(dir, 'tokens.sqlite3'));
      expect(raw.includes(Buffer.from(secret))).toBe(false);
    }
    const db = await openDatabase(database ?? `sqlite:${join(dir, 'tokens.sqlite3')}`, { readOnly: true });
    try {
      const row = await db.db
        .selectFrom('auth_token')
        .selectAll()
        .where('token_id', '=', info.id)
        .executeTakeFirst();
      expect(Object.values(row ?? {})).not.toContain(secret);
      expect(JSON.stringify(row)).not.toContain(secret);
      expect(row?.secret_sha256).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await db.close();
    }
  });
}

describe('token store on SQLite', () => {
  tokenStoreContract(async (dir) => ({ store: await TokenStore.open({ defaultDir: dir }) }));
});

describePostgres('token store on PostgreSQL', () => {
  const schema = uniqueName('auth_tokens');
  afterAll(() => dropSchema(schema));
  tokenStoreContract(async (dir) => {
    const url = new URL(requirePostgresUrl());
    url.searchParams.set('schema', schema);
    return {
      store: await TokenStore.open({ defaultDir: dir, database: url.toString() }),
      database: url.toString(),
    };
  });
});

describe('parseExpiry', () => {
  const now = new Date('2030-06-01T00:00:00Z');
  it('takes durations and ISO times', () => {
    expect(parseExpiry('30d', now)).toBe('2030-07-01T00:00:00.000Z');
    expect(parseExpiry('2w', now)).toBe('2030-06-15T00:00:00.000Z');
    expect(parseExpiry('90s', now)).toBe('2030-06-01T00:01:30.000Z');
    expect(parseExpiry('2031-01-01', now)).toBe('2031-01-01T00:00:00.000Z');
  });
  it('refuses anything else', () => {
    for (const bad of ['soon', '30', '-1d', '2030-05-01']) {
      expect(() => parseExpiry(bad, now)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });
});
