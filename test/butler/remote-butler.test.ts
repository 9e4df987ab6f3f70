/**
 * RemoteButler beyond the shared contract: the Bearer token on every request (seen by a real listening server),
 * coded errors that never show the token, the server's row limit, and what a wrong URL or a stopped server gives.
 */

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteButler } from '../../src/butler/index.js';
import type { Catalog } from '../../src/catalog/index.js';
import { createApp, TokenStore } from '../../src/server/index.js';
import { buildFixtureCatalog, generateFixture, temporaryDir } from '../catalog/helpers.js';
import { CHAIN, makeButlerRepo, RUN_A, RUN_B } from '../server/butler/helpers.js';
import { expectCode } from './api/helpers.js';

/** A real token of the server's token store (made in beforeAll), so requests pass the server's auth. */
let TOKEN: string;

let tmp: { dir: string; remove: () => void };
let catalog: Catalog;
let app: FastifyInstance;
let root: string;
let tokens: TokenStore;
let calexpId: string;
const seenAuthorization: (string | undefined)[] = [];

beforeAll(async () => {
  tmp = temporaryDir('meridian-remotebutler-');
  const fixture = await makeButlerRepo(tmp.dir);
  calexpId = fixture.calexp.id;
  catalog = await buildFixtureCatalog(tmp.dir, generateFixture(`${tmp.dir}/fixture`));
  tokens = await TokenStore.open({ defaultDir: tmp.dir });
  TOKEN = (await tokens.create({ user: 'remote', scopes: ['read:butler', 'read:image'] })).token;
  app = createApp({
    catalog,
    version: 'test',
    auth: { allowAnonymous: false, tokens },
    butler: { repo: fixture.root, options: { maxRows: 3, workers: 1 } },
  });
  app.addHook('onRequest', async (request) => {
    seenAuthorization.push(request.headers.authorization);
  });
  root = await app.listen({ host: '127.0.0.1', port: 0 });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await tokens?.close();
  await catalog?.close();
  tmp?.remove();
});

describe('RemoteButler', () => {
  it('sends the token as a Bearer header on every request, and never shows it in an error', async () => {
    seenAuthorization.length = 0;
    const remote = new RemoteButler(`${root}/api/butler`, { token: TOKEN, collections: [RUN_A] });
    expect(() => remote.universe).toThrow(/connect/);
    const refs = await remote.queryDatasets('raw', { limit: 2 });
    expect(refs).toHaveLength(2);
    expect(remote.universe.namespace).toBeTruthy();
    await remote.get(refs[0]!);
    expect(seenAuthorization.length).toBeGreaterThanOrEqual(4);
    expect(new Set(seenAuthorization)).toEqual(new Set([`Bearer ${TOKEN}`]));
    const err = await expectCode(remote.getDatasetType('nosuch'), 'DATASET_TYPE_UNKNOWN');
    expect(
      JSON.stringify({ message: err.message, details: (err as { details?: unknown }).details }),
    ).not.toContain(TOKEN);
  });

  it('without a token, or with a revoked one, the server refuses it as AUTH_REQUIRED', async () => {
    await expectCode(RemoteButler.open(`${root}/api/butler`), 'AUTH_REQUIRED');
    const revoked = await tokens.create({ user: 'gone', scopes: ['read:butler'] });
    await tokens.revoke(revoked.info.id);
    await expectCode(RemoteButler.open(`${root}/api/butler`, { token: revoked.token }), 'AUTH_REQUIRED');
  });

  it('a result cut by the server is QUERY_LIMIT unless the caller asked for no more rows than it sends', async () => {
    const remote = await RemoteButler.open(`${root}/api/butler`, { token: TOKEN, collections: [RUN_A] });
    await expectCode(remote.queryDatasets('*'), 'QUERY_LIMIT', /at most 3 rows/);
    await expectCode(remote.queryDimensionRecords('detector', { limit: 10 }), 'QUERY_LIMIT');
    expect(await remote.queryDimensionRecords('detector', { limit: 3, orderBy: ['detector'] })).toHaveLength(
      3,
    );
    const page2 = await remote.queryDimensionRecords('detector', {
      limit: 3,
      offset: 3,
      orderBy: ['detector'],
    });
    expect(page2.map((r) => r.id)).toEqual([4]);
  });

  it('a URL that is not a Butler API, a stopped server and a bad URL are coded errors', async () => {
    await expectCode(RemoteButler.open(`${root}/api/tap`, { token: TOKEN }), 'REMOTE_UNAVAILABLE');
    await expectCode(
      RemoteButler.open(`${root}/health`, { token: TOKEN }),
      'REMOTE_UNAVAILABLE',
      /not a Meridian Butler API/,
    );
    await expectCode(
      RemoteButler.open('http://127.0.0.1:1/api/butler'),
      'REMOTE_UNAVAILABLE',
      /cannot reach/,
    );
    expect(() => new RemoteButler('ftp://example.org/x')).toThrow(/http or https/);
    expect(() => new RemoteButler('not a url')).toThrow(/not a URL/);
  });

  it('datasets by id, collection details and the download URL', async () => {
    const remote = await RemoteButler.open(`${root}/api/butler`, { token: TOKEN, collections: [CHAIN] });
    const found = await remote.findDataset('calexp', { instrument: 'Cam1', visit: 1, detector: 2 });
    expect(found?.id).toBe(calexpId);
    const byId = await remote.getDataset(calexpId);
    expect(byId?.run).toBe(RUN_B);
    expect(byId?.dataId.records?.visit?.name).toBe('one');
    expect(await remote.getDataset('00000000-0000-4000-8000-000000000000')).toBeNull();
    expect(await remote.getCollectionType(CHAIN)).toBe('CHAINED');
    const info = await remote.collectionInfo(RUN_A);
    expect(info).toMatchObject({ name: RUN_A, type: 'RUN', parents: [CHAIN] });
    expect(info.datasetTypes).toEqual(expect.arrayContaining(['metrics', 'raw', 'config']));
    await expectCode(remote.getCollectionChain(RUN_A), 'COLLECTION_TYPE');
    const uri = await remote.getURI(found!);
    expect(uri).toBe(`${root}/api/butler/datasets/${calexpId}/file`);
    const response = await fetch(uri, { headers: { authorization: `Bearer ${TOKEN}`, range: 'bytes=0-8' } });
    expect(response.status).toBe(206);
    expect(await response.text()).toBe('SIMPLE  =');
    // The component's own ref reads the component, as with the local butler.
    const wcsRef = await remote.findDataset('calexp.wcs', { instrument: 'Cam1', visit: 1, detector: 2 });
    expect(wcsRef?.datasetType.name).toBe('calexp.wcs');
    expect(await remote.get(wcsRef!)).toEqual(
      await remote.get('calexp.wcs', { instrument: 'Cam1', visit: 1, detector: 2 }),
    );
  });

  it('a cancelled query is ABORTED', async () => {
    const remote = new RemoteButler(`${root}/api/butler`, { token: TOKEN, collections: [RUN_A] });
    await remote.connect();
    const controller = new AbortController();
    controller.abort();
    await expectCode(remote.queryDatasets('raw', { signal: controller.signal }), 'ABORTED');
  });
});
