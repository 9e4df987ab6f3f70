/**
 * The Butler API through the in-process app (`inject`): metadata and queries, coded errors, downloads with Range and
 * ETag, Exposure components, and path traversal. The repository is a real SQLite registry and datastore.
 */

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Catalog } from '../../../src/catalog/index.js';
import { parseFits } from '../../../src/formats/index.js';
import { createApp } from '../../../src/server/index.js';
import { buildFixtureCatalog, generateFixture, temporaryDir } from '../../catalog/helpers.js';
import { CHAIN, makeButlerRepo, type RepoFixture, RUN_A, RUN_B, TAGGED } from './helpers.js';

let tmp: { dir: string; remove: () => void };
let catalog: Catalog;
let app: FastifyInstance;
let repo: RepoFixture;
const routes: { url: string; config: unknown }[] = [];

beforeAll(async () => {
  tmp = temporaryDir('meridian-butlerapi-');
  repo = await makeButlerRepo(tmp.dir);
  catalog = await buildFixtureCatalog(tmp.dir, generateFixture(`${tmp.dir}/fixture`));
  app = createApp({
    catalog,
    version: 'test',
    // Scopes and tokens are auth's tests (test/server/auth, including a walk of every route); these are the API's.
    auth: { allowAnonymous: true },
    butler: { repo: repo.root, options: { maxRows: 5, workers: 1 } },
  });
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/butler'))
      routes.push({ url: `${route.method} ${route.url}`, config: route.config });
  });
  await app.ready();
}, 120_000);

afterAll(async () => {
  await app?.close();
  await catalog?.close();
  tmp?.remove();
});

const post = (url: string, payload: unknown) =>
  app.inject({ method: 'POST', url: `/api/butler${url}`, payload: payload as object });
const get = (url: string, headers: Record<string, string> = {}) =>
  app.inject({ method: 'GET', url: `/api/butler${url}`, headers });

/** The coded error of a response, checking the status and that nothing private leaks into it. */
function errorOf(response: { statusCode: number; body: string }, status: number, code: string) {
  expect(response.statusCode, response.body).toBe(status);
  const body = JSON.parse(response.body) as { error: { code: string; message: string; hint: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.hint.length).toBeGreaterThan(0);
  expect(response.body).not.toContain(tmp.dir);
  expect(response.body).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack trace
  expect(response.body).not.toMatch(/\bSELECT\b/i); // no SQL
  return body.error;
}

describe('route scopes', () => {
  it('every Butler API route declares its scope: read:image for files, read:butler for the rest', () => {
    expect(routes.length).toBeGreaterThanOrEqual(12);
    for (const route of routes) {
      const scope = (route.config as { scope?: string } | undefined)?.scope;
      expect(scope, route.url).toBe(route.url.endsWith('/file') ? 'read:image' : 'read:butler');
    }
  });
});

describe('metadata', () => {
  it('describes the service and the universe', async () => {
    const info = (await get('')).json();
    expect(info).toMatchObject({ service: 'meridian-butler', apiVersion: 1, readOnly: true, maxRows: 5 });
    const universe = (await get('/universe')).json();
    expect(universe.tag).toMatch(/^\w+:\d+$/);
    expect(universe.config.elements.visit).toBeDefined();
  });

  it('lists dataset types, with patterns, and describes a component type', async () => {
    const all = (await get('/dataset-types')).json().datasetTypes.map((d: { name: string }) => d.name);
    expect(all).toEqual(expect.arrayContaining(['calexp', 'config', 'metrics', 'raw']));
    const some = (await get('/dataset-types?pattern=ca*')).json().datasetTypes;
    expect(some.map((d: { name: string }) => d.name)).toEqual(['calexp']);
    const wcs = (await get('/dataset-types/calexp.wcs')).json();
    expect(wcs).toMatchObject({ name: 'calexp.wcs', parentStorageClass: 'ExposureF' });
    expect(wcs.dimensions).toEqual(expect.arrayContaining(['instrument', 'visit', 'detector']));
  });

  it('an unknown dataset type is DATASET_TYPE_UNKNOWN (404)', async () => {
    errorOf(await get('/dataset-types/nosuch'), 404, 'DATASET_TYPE_UNKNOWN');
  });

  it('lists collections with their type and chain members; one collection with its summary', async () => {
    const list = (await get('/collections')).json().collections as {
      name: string;
      type: string;
      children?: string[];
    }[];
    expect(list.find((c) => c.name === CHAIN)).toEqual({
      name: CHAIN,
      type: 'CHAINED',
      doc: null,
      children: [RUN_B, RUN_A],
    });
    expect(list.find((c) => c.name === TAGGED)?.type).toBe('TAGGED');
    const runs = (await get('/collections?type=RUN')).json().collections.map((c: { name: string }) => c.name);
    expect(runs.sort()).toEqual([RUN_A, RUN_B]);
    const chain = (await get(`/collections/${CHAIN}`)).json();
    expect(chain).toMatchObject({ name: CHAIN, type: 'CHAINED', children: [RUN_B, RUN_A], parents: [] });
    expect(chain.datasetTypes).toEqual(expect.arrayContaining(['calexp', 'metrics', 'raw']));
    const encoded = (await get(`/collections/${encodeURIComponent(RUN_A)}`)).json();
    expect(encoded.parents).toEqual([CHAIN]);
  });

  it('an unknown collection is COLLECTION_UNKNOWN (404); a bad type is INVALID_ARGUMENT', async () => {
    errorOf(await get('/collections/no/such'), 404, 'COLLECTION_UNKNOWN');
    errorOf(await get('/collections?type=BOGUS'), 400, 'INVALID_ARGUMENT');
  });
});

describe('queries', () => {
  it('query-datasets with where and bind, find-first through a chain', async () => {
    const response = await post('/query-datasets', {
      datasetTypes: 'metrics',
      collections: [CHAIN],
      findFirst: true,
      where: 'visit = :v',
      bind: { v: 1 },
    });
    const body = response.json();
    expect(body).toMatchObject({ count: 1, truncated: false, limit: 5 });
    expect(body.refs[0]).toMatchObject({ run: RUN_B, datasetType: { name: 'metrics' } });
    expect(body.refs[0].dataId.values).toMatchObject({ instrument: 'Cam1', visit: 1 });
  });

  it('marks a result cut by the limit as truncated (and cuts a larger limit to maxRows)', async () => {
    const cut = (
      await post('/query-datasets', { datasetTypes: ['*'], collections: [RUN_A], limit: 2 })
    ).json();
    expect(cut).toMatchObject({ count: 2, truncated: true, limit: 2 });
    const capped = (
      await post('/query-datasets', { datasetTypes: ['*'], collections: [RUN_A], limit: 1000 })
    ).json();
    expect(capped).toMatchObject({ count: 5, truncated: true, limit: 5 });
    const whole = (await post('/query-datasets', { datasetTypes: 'raw', collections: [RUN_A] })).json();
    expect(whole).toMatchObject({ count: 4, truncated: false });
  });

  it('query-data-ids and query-dimension-records', async () => {
    const ids = (
      await post('/query-data-ids', {
        dimensions: ['visit'],
        where: "band = 'g'",
        dataId: { instrument: 'Cam1' },
      })
    ).json();
    expect(ids.dataIds.map((d: { values: { visit: number } }) => d.values.visit)).toEqual([1]);
    const records = (
      await post('/query-dimension-records', {
        element: 'detector',
        where: "detector.purpose = 'SCIENCE'",
        orderBy: ['detector'],
      })
    ).json();
    expect(
      records.records?.map((r: { id: number }) => r.id),
      JSON.stringify(records),
    ).toEqual([1, 2, 3]);
    expect(records.truncated).toBe(false);
  });

  it('user errors cross HTTP as the same codes', async () => {
    errorOf(
      await post('/query-datasets', { datasetTypes: 'metrics', collections: [RUN_A], where: 'visit = = 1' }),
      400,
      'QUERY_SYNTAX',
    );
    errorOf(
      await post('/query-datasets', { datasetTypes: 'nosuch', collections: [RUN_A] }),
      404,
      'DATASET_TYPE_UNKNOWN',
    );
    errorOf(
      await post('/query-datasets', { datasetTypes: 'metrics', collections: ['nope'] }),
      404,
      'COLLECTION_UNKNOWN',
    );
    errorOf(await post('/query-data-ids', { dimensions: ['nosuch'] }), 400, 'UNKNOWN_DIMENSION');
    errorOf(
      await post('/query-datasets', { datasetTypes: 'metrics', where: 'visit = :v' }),
      400,
      'QUERY_INVALID',
    );
  });

  it('a malformed body is INVALID_ARGUMENT naming the field, never a 500', async () => {
    const missing = errorOf(await post('/query-datasets', { collections: [RUN_A] }), 400, 'INVALID_ARGUMENT');
    expect(missing.message).toContain('datasetTypes');
    errorOf(await post('/query-datasets', { datasetTypes: 'raw', surprise: 1 }), 400, 'INVALID_ARGUMENT');
    errorOf(await post('/query-datasets', { datasetTypes: 'raw', limit: -3 }), 400, 'INVALID_ARGUMENT');
    const broken = await app.inject({
      method: 'POST',
      url: '/api/butler/query-datasets',
      headers: { 'content-type': 'application/json' },
      payload: '{"datasetTypes": ',
    });
    errorOf(broken, 400, 'INVALID_ARGUMENT');
    const nested = `${'('.repeat(10_000)}visit = 1${')'.repeat(10_000)}`;
    const deep = await post('/query-datasets', {
      datasetTypes: 'metrics',
      collections: [RUN_A],
      where: nested,
    });
    expect(deep.statusCode).toBe(400);
  });

  it('assorted bad input is a coded 4xx, never a 500', async () => {
    const bad: [string, unknown][] = [
      [
        '/find-dataset',
        { datasetType: 'calexp', dataId: {}, collections: [CHAIN], timespan: { begin: 'x', end: null } },
      ],
      ['/find-dataset', { datasetType: 'calexp', dataId: { visit: { $gt: 1 } }, collections: [CHAIN] }],
      [
        '/find-dataset',
        {
          datasetType: 'calexp',
          dataId: { visit: 'abc', instrument: 'Cam1', detector: 1 },
          collections: [CHAIN],
        },
      ],
      ['/find-dataset', { datasetType: 'calexp', collections: [] }],
      [
        '/query-datasets',
        { datasetTypes: 'raw', collections: [RUN_A], bind: { v: { nested: true } }, where: 'detector = :v' },
      ],
      [
        '/query-datasets',
        { datasetTypes: 'raw', collections: [RUN_A], bind: { v: [1, 2] }, where: 'detector = :v' },
      ],
      ['/query-datasets', { datasetTypes: 'raw', collections: [RUN_A], orderBy: ['nosuch'] }],
      ['/query-datasets', { datasetTypes: 'raw', collections: [RUN_A], where: "detector = 'x" }],
      ['/query-datasets', { datasetTypes: 'raw', collections: [RUN_A], limit: 1.5 }],
      ['/query-datasets', { datasetTypes: 12 }],
      ['/query-datasets', []],
      ['/query-data-ids', { dimensions: 'visit' }],
      ['/query-dimension-records', { element: 'visit', dataId: { instrument: 'NoCam' } }],
      ['/query-dimension-records', { element: 'visit', where: 'visit.region OVERLAPS 3' }],
    ];
    for (const [url, payload] of bad) {
      const response = await post(url, payload);
      expect(
        response.statusCode,
        `${url} ${JSON.stringify(payload)}: ${response.body}`,
      ).toBeGreaterThanOrEqual(400);
      expect(response.statusCode, `${url} ${JSON.stringify(payload)}: ${response.body}`).toBeLessThan(500);
      expect(response.json().error.code).toMatch(/^[A-Z_]+$/);
      expect(response.body).not.toContain(tmp.dir);
    }
    const huge = await app.inject({
      method: 'POST',
      url: '/api/butler/query-datasets',
      headers: { 'content-type': 'application/json' },
      payload: `{"datasetTypes": "${'x'.repeat(2_000_000)}"}`,
    });
    errorOf(huge, 413, 'INVALID_ARGUMENT');
    const wrongType = await app.inject({
      method: 'POST',
      url: '/api/butler/query-datasets',
      headers: { 'content-type': 'text/plain' },
      payload: 'datasetTypes=raw',
    });
    errorOf(wrongType, 400, 'INVALID_ARGUMENT');
  });

  it('find-dataset and a dataset by id', async () => {
    const found = (
      await post('/find-dataset', {
        datasetType: 'calexp',
        dataId: { instrument: 'Cam1', visit: 1, detector: 2 },
        collections: [CHAIN],
      })
    ).json();
    expect(found.ref.id).toBe(repo.calexp.id);
    const none = (
      await post('/find-dataset', {
        datasetType: 'calexp',
        dataId: { instrument: 'Cam1', visit: 2, detector: 2 },
        collections: [CHAIN],
      })
    ).json();
    expect(none.ref).toBeNull();
    const one = (await get(`/datasets/${repo.calexp.id}`)).json();
    expect(one.ref.dataId.records.visit.name).toBe('one');
    expect(one.files).toEqual([
      expect.objectContaining({ component: null, formatter: 'meridian.ExposureFormatter' }),
    ]);
    expect((await get(`/datasets/${repo.calexp.id}/exists`)).json()).toEqual({ exists: true });
    errorOf(await get('/datasets/00000000-0000-4000-8000-000000000000'), 404, 'DATASET_NOT_FOUND');
  });
});

describe('downloads', () => {
  const url = () => `/datasets/${repo.calexp.id}/file`;

  it('sends the file with its type, length and ETag; If-None-Match gives 304', async () => {
    const whole = await get(url());
    expect(whole.statusCode).toBe(200);
    expect(whole.headers['content-type']).toBe('application/fits');
    expect(Number(whole.headers['content-length'])).toBe(whole.rawPayload.length);
    expect(whole.headers['accept-ranges']).toBe('bytes');
    expect(whole.rawPayload.subarray(0, 9).toString()).toBe('SIMPLE  =');
    const etag = String(whole.headers.etag);
    expect(etag).toMatch(/^"[0-9a-f-]+-[0-9a-f]+-[0-9a-f]+"$/);
    const head = await app.inject({ method: 'HEAD', url: `/api/butler${url()}` });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-length']).toBe(String(whole.rawPayload.length));
    expect(head.headers.etag).toBe(etag);
    expect(head.rawPayload.length).toBe(0);
    const again = await get(url(), { 'if-none-match': etag });
    expect(again.statusCode).toBe(304);
    expect(again.rawPayload.length).toBe(0);
  });

  it('serves byte ranges (206) and refuses ranges past the end (416)', async () => {
    const whole = (await get(url())).rawPayload;
    const part = await get(url(), { range: 'bytes=100-199' });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 100-199/${whole.length}`);
    expect(part.headers['content-length']).toBe('100');
    expect(part.rawPayload.equals(whole.subarray(100, 200))).toBe(true);
    const tail = await get(url(), { range: 'bytes=-10' });
    expect(tail.rawPayload.equals(whole.subarray(whole.length - 10))).toBe(true);
    const open = await get(url(), { range: `bytes=${whole.length - 5}-` });
    expect(open.rawPayload.equals(whole.subarray(whole.length - 5))).toBe(true);
    const beyond = await get(url(), { range: `bytes=${whole.length}-` });
    errorOf(beyond, 416, 'RANGE_NOT_SATISFIABLE');
    expect(beyond.headers['content-range']).toBe(`bytes */${whole.length}`);
    // Several ranges: the whole file, as RFC 9110 allows.
    expect((await get(url(), { range: 'bytes=0-1,5-6' })).statusCode).toBe(200);
    // A stale If-Range: the whole file.
    expect((await get(url(), { range: 'bytes=0-1', 'if-range': '"old"' })).statusCode).toBe(200);
  });

  it('serves Exposure components: planes as FITS, the rest as JSON', async () => {
    const image = await get(`${url()}?component=image`);
    expect(image.statusCode).toBe(200);
    expect(image.headers['content-type']).toBe('application/fits');
    const fits = await parseFits(new Uint8Array(image.rawPayload));
    const pixels = await fits.readImage(0);
    expect(Array.from(pixels.data as Float32Array)).toEqual(Array.from(repo.exposure.image.array));
    const part = await get(`${url()}?component=image`, { range: 'bytes=0-79' });
    expect(part.statusCode).toBe(206);
    const bbox = await get(`${url()}?component=bbox`);
    expect(bbox.headers['content-type']).toBe('application/json');
    expect(bbox.json()).toMatchObject({ x0: 10, y0: 20, width: 24, height: 12 });
    const info = (await get(`${url()}?component=visitInfo`)).json();
    expect(info.exposureTime).toBe(30);
    errorOf(await get(`${url()}?component=nosuch`), 400, 'COMPONENT_UNKNOWN');
    errorOf(await get(`${url()}?component=../x`), 400, 'COMPONENT_UNKNOWN');
  });

  it('refuses path traversal and ids that are not UUIDs, and files outside the datastore', async () => {
    for (const bad of ['..%2F..%2Fetc%2Fpasswd', '%2e%2e', '..', '%2Fetc%2Fpasswd', 'not-a-uuid']) {
      const response = await get(`/datasets/${bad}/file`);
      expect([400, 404]).toContain(response.statusCode);
      expect(response.body).not.toContain('root:');
      expect(response.body).not.toContain('passwd');
    }
    errorOf(await get('/datasets/%2e%2e%2e/file'), 400, 'INVALID_ARGUMENT');
    const raw = await app.inject({ method: 'GET', url: '/api/butler/datasets/../../../etc/passwd' });
    expect([400, 404]).toContain(raw.statusCode);
    expect(raw.body).not.toContain('root:');
    expect(raw.body).not.toContain('passwd');
    const outside = errorOf(await get(`/datasets/${repo.outsideRef.id}/file`), 400, 'PATH_TRAVERSAL');
    expect(outside.message).not.toContain('secret.json');
    errorOf(await get('/datasets/00000000-0000-4000-8000-000000000000/file'), 404, 'DATASET_NOT_FOUND');
  });

  it('an unknown route is a coded 404', async () => {
    errorOf(await get('/no/such/route'), 404, 'HTTP_NOT_FOUND');
  });
});
