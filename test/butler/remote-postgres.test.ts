/**
 * The read-side contract for RemoteButler when the served repository's registry is PostgreSQL: each worker thread
 * of the Butler API opens its own read-only connection. Runs when MERIDIAN_TEST_POSTGRES is set.
 */

import { afterAll, beforeAll } from 'vitest';
import { RemoteButler } from '../../src/butler/index.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { buildFixtureCatalog, generateFixture, temporaryDir } from '../catalog/helpers.js';
import { makeButlerRepo, type RepoFixture } from '../server/butler/helpers.js';
import { dropSchema, postgresEnabled } from '../support/postgres.js';
import { readContract } from './read-contract.js';
import { readerToken } from './remote-token.js';

if (postgresEnabled('RemoteButler on a PostgreSQL registry')) {
  let tmp: { dir: string; remove: () => void };
  let fixture: RepoFixture;
  let server: RunningServer;
  let remote: RemoteButler;

  beforeAll(async () => {
    tmp = temporaryDir('meridian-butlerapi-pg-');
    fixture = await makeButlerRepo(tmp.dir, 'postgresql');
    const catalog = await buildFixtureCatalog(tmp.dir, generateFixture(`${tmp.dir}/fixture`));
    const catalogDir = catalog.dir;
    await catalog.close();
    server = await startServer({
      catalog: catalogDir,
      repo: fixture.root,
      port: 0,
      version: 'test',
      auth: { allowAnonymous: false },
    });
    const token = await readerToken(catalogDir);
    remote = await RemoteButler.open(server.butlerUrl!, { token, collections: [] });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    if (fixture?.namespace) await dropSchema(fixture.namespace);
    tmp?.remove();
  });

  readContract('RemoteButler over HTTP, PostgreSQL registry', () => ({ reader: remote, fixture }));
}
