import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRegistryDatabase, Registry } from '../../../src/butler/registry/index.js';
import { requirePostgresUrl } from '../../support/postgres.js';
import { defaultUniverse, loadBase, postgresFactory } from './fixtures.js';

const run = postgresFactory.enabled('PostgreSQL registry when the connection dies');

describe.skipIf(!run)('PostgreSQL registry when the connection dies', () => {
  let env: Awaited<ReturnType<typeof postgresFactory.create>>;
  let registry: Registry;
  beforeEach(async () => {
    env = await postgresFactory.create();
    registry = await Registry.create(env.db, defaultUniverse());
    await loadBase(registry);
  });
  afterEach(async () => {
    await registry.close();
    await env.cleanup();
  });

  async function killConnections(): Promise<void> {
    const admin = await openRegistryDatabase({ db: requirePostgresUrl(), namespace: 'public' }, '/', {});
    const ns = (env.db as unknown as { schema: string }).schema;
    await admin.db
      .selectFrom('pg_stat_activity')
      .select((eb) => eb.fn('pg_terminate_backend', ['pid']).as('t'))
      .where('application_name', '=', `meridian:${ns}`)
      .execute();
    await admin.close();
  }

  it('reports DATABASE_UNAVAILABLE and leaves no half-written transaction', async () => {
    const failing = registry.transaction(async () => {
      await registry.registerRun('half-written');
      await killConnections();
      await registry.registerRun('never');
    });
    await expect(failing).rejects.toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
    // The pool reconnects; nothing of the failed transaction is there.
    const names = (await registry.queryCollections()).map((c) => c.name);
    expect(names).not.toContain('half-written');
    expect(names).not.toContain('never');
  });

  it('reports an unreachable server as DATABASE_UNAVAILABLE', async () => {
    const err = await openRegistryDatabase(
      { db: 'postgresql://meridian:x@127.0.0.1:1/none', namespace: 'x' },
      '/',
      {},
    ).then(
      () => null,
      (e) => e,
    );
    expect(err?.code).toBe('DATABASE_UNAVAILABLE');
  });
});
