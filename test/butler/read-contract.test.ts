/**
 * The read-side contract on both implementations: the local Butler on a repository, and RemoteButler talking to a
 * real server (`startServer`, port 0) serving that same repository. A last case compares their answers directly.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Butler, RemoteButler } from '../../src/butler/index.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { buildFixtureCatalog, generateFixture, temporaryDir } from '../catalog/helpers.js';
import { makeButlerRepo, type RepoFixture } from '../server/butler/helpers.js';
import { type ReadSide, readContract, readerSnapshot } from './read-contract.js';
import { readerToken } from './remote-token.js';

function localReader(butler: Butler): ReadSide {
  return {
    getDatasetType: butler.getDatasetType.bind(butler),
    findDataset: butler.findDataset.bind(butler),
    get: butler.get.bind(butler),
    exists: butler.exists.bind(butler),
    queryDatasets: butler.queryDatasets.bind(butler),
    queryDataIds: butler.queryDataIds.bind(butler),
    queryDimensionRecords: butler.queryDimensionRecords.bind(butler),
    queryDatasetTypes: (patterns) => butler.registry.queryDatasetTypes(patterns),
    queryCollections: (patterns, types) => butler.registry.queryCollections(patterns, types),
    getCollectionChain: (name) => butler.registry.getCollectionChain(name),
  };
}

let tmp: { dir: string; remove: () => void };
let fixture: RepoFixture;
let local: Butler;
let server: RunningServer;
let remote: RemoteButler;

beforeAll(async () => {
  tmp = temporaryDir('meridian-readcontract-');
  fixture = await makeButlerRepo(tmp.dir);
  const catalog = await buildFixtureCatalog(tmp.dir, generateFixture(`${tmp.dir}/fixture`));
  const catalogDir = catalog.dir;
  await catalog.close();
  local = await Butler.open(fixture.root);
  server = await startServer({
    catalog: catalogDir,
    repo: fixture.root,
    port: 0,
    version: 'test',
    auth: { allowAnonymous: false },
  });
  const token = await readerToken(catalogDir);
  remote = await RemoteButler.open(server.butlerUrl!, { token });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await local?.close();
  tmp?.remove();
});

readContract('local Butler', () => ({ reader: localReader(local), fixture }));
readContract('RemoteButler over HTTP', () => ({ reader: remote, fixture }));

describe('local and remote side by side', () => {
  it('give identical answers', async () => {
    const [mine, theirs] = [await readerSnapshot(localReader(local)), await readerSnapshot(remote)];
    expect(theirs).toEqual(mine);
  });
});
