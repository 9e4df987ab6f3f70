import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Butler, registryLocation } from '../../../src/butler/index.js';
import { dropSchema, postgresEnabled, requirePostgresUrl, uniqueName } from '../../support/postgres.js';

/** A repository's registry may be named as in butler.yaml, by a src/db URL, or by a src/db configuration object. */

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'meridian-registry-location-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('registry location forms', () => {
  it('stores each form as butler.yaml has always written it', () => {
    expect(registryLocation({ db: 'sqlite:gen3.sqlite3' })).toEqual({ db: 'sqlite:gen3.sqlite3' });
    expect(registryLocation({ kind: 'sqlite', path: 'reg.sqlite3' })).toEqual({ db: 'sqlite:reg.sqlite3' });
    expect(registryLocation('postgresql://u@h/db?schema=repo')).toEqual({
      db: 'postgresql://u@h/db',
      namespace: 'repo',
    });
    expect(registryLocation({ db: 'postgresql://u@h/db?schema=repo' })).toEqual({
      db: 'postgresql://u@h/db',
      namespace: 'repo',
    });
    expect(
      registryLocation({ kind: 'postgresql', host: 'h', database: 'db', user: 'u', schema: 'r' }),
    ).toEqual({
      db: 'postgresql://u@h/db',
      namespace: 'r',
    });
  });

  it('creates and reopens a SQLite repository named by a configuration object', async () => {
    const root = join(dir, 'repo');
    const butler = await Butler.create(root, { registry: { kind: 'sqlite', path: 'registry.sqlite3' } });
    await butler.registry.registerRun('r');
    await butler.close();
    expect(existsSync(join(root, 'registry.sqlite3'))).toBe(true);
    const again = await Butler.open(root);
    try {
      expect(again.config.registry.db).toBe('sqlite:registry.sqlite3');
      expect((await again.registry.queryCollections()).map((c) => c.name)).toEqual(['r']);
    } finally {
      await again.close();
    }
  });

  it('rejects an invalid configuration object before creating anything', async () => {
    const root = join(dir, 'bad');
    const err = await Butler.create(root, { registry: { kind: 'postgresql', schema: 'Not Valid' } }).then(
      () => null,
      (e) => e,
    );
    expect(err?.code).toBe('CONFIG_INVALID');
    expect(existsSync(root)).toBe(false);
  });
});

describe.skipIf(!postgresEnabled('registry location forms on PostgreSQL'))(
  'registry location forms on PostgreSQL',
  () => {
    for (const form of ['object', 'url'] as const) {
      it(`creates and reopens a repository named by a ${form}`, async () => {
        const schema = uniqueName('loc');
        const server = requirePostgresUrl();
        const url = new URL(server);
        url.searchParams.set('schema', schema);
        const registry =
          form === 'object' ? { kind: 'postgresql' as const, url: server, schema } : url.toString();
        const root = join(dir, form);
        try {
          const butler = await Butler.create(root, { registry });
          expect(butler.config.registry).toEqual({ db: server, namespace: schema });
          await butler.registry.registerRun('r');
          await butler.close();
          const again = await Butler.open(root);
          try {
            expect((await again.registry.queryCollections()).map((c) => c.name)).toEqual(['r']);
          } finally {
            await again.close();
          }
        } finally {
          await dropSchema(schema);
        }
      });
    }
  },
);
