/**
 * Dataset IDs are 16 bytes in the registry and canonical text everywhere else: the same IDs come back through
 * export and import, transfer between repositories on both back ends, a `where` on dataset_id, and the Butler
 * API's JSON.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Butler,
  type DatasetRef,
  exportDatasets,
  importDatasets,
  transferFrom,
} from '../../../src/butler/index.js';
import type { Catalog } from '../../../src/catalog/index.js';
import { createApp } from '../../../src/server/index.js';
import { buildFixtureCatalog, generateFixture } from '../../catalog/helpers.js';
import { dropSchema, postgresEnabled, requirePostgresUrl, uniqueName } from '../../support/postgres.js';
import { loadBase } from '../registry/fixtures.js';

const CANONICAL = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const withPostgres = postgresEnabled('dataset ID round trips through a PostgreSQL registry');

let dir: string;
let source: Butler;
let refs: DatasetRef[];
const schemas: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meridian-ids-'));
  source = await Butler.create(join(dir, 'source'));
  await loadBase(source.registry);
  await source.registerDatasetType('metrics', ['instrument', 'detector'], 'StructuredDataDict');
  refs = [];
  for (const detector of [1, 2, 3]) {
    refs.push(
      await source.put({ detector }, 'metrics', { instrument: 'Cam1', detector }, { run: 'u/ids/run' }),
    );
  }
}, 60_000);

afterAll(async () => {
  await source?.close();
  for (const s of schemas) await dropSchema(s);
  rmSync(dir, { recursive: true, force: true });
});

async function expectSameDatasets(target: Butler): Promise<void> {
  const found = await target.registry.getDatasets(refs.map((r) => r.id));
  expect([...found.keys()].sort()).toEqual(refs.map((r) => r.id).sort());
  for (const ref of refs) {
    expect(found.get(ref.id)?.dataId.values).toEqual(ref.dataId.values);
    expect(await target.get(ref)).toEqual({ detector: ref.dataId.values.detector });
  }
  const stored = await target.registry.stored.get(refs.map((r) => r.id));
  expect([...stored.keys()].sort()).toEqual(refs.map((r) => r.id).sort());
}

describe('dataset IDs keep their text form', () => {
  it('are canonical lowercase text in refs and queries, and a where on dataset_id finds one', async () => {
    for (const ref of refs) expect(ref.id).toMatch(CANONICAL);
    const queried = await source.registry.queryDatasets('metrics', { collections: ['u/ids/run'] });
    expect(queried.map((r) => r.id).sort()).toEqual(refs.map((r) => r.id).sort());
    const one = await source.registry.queryDatasets('metrics', {
      collections: ['u/ids/run'],
      where: `metrics.dataset_id = uuid('${refs[1]!.id.toUpperCase()}')`,
    });
    expect(one.map((r) => r.id)).toEqual([refs[1]!.id]);
    expect(await source.registry.getDataset(refs[0]!.id.toUpperCase())).toMatchObject({ id: refs[0]!.id });
    expect(await source.registry.getDataset('not-a-uuid')).toBeNull();
  });

  it('survive export and import', async () => {
    const file = join(dir, 'export.yaml');
    await exportDatasets(source, file, refs, { transfer: 'copy' });
    const target = await Butler.create(join(dir, 'imported'));
    try {
      expect((await importDatasets(target, file)).datasets).toBe(3);
      await expectSameDatasets(target);
      // Re-importing is a no-op that recognises the same IDs.
      expect(await importDatasets(target, file)).toMatchObject({ datasets: 0 });
    } finally {
      await target.close();
    }
  });

  it.runIf(withPostgres)('survive a transfer into a PostgreSQL registry and back into SQLite', async () => {
    const namespace = uniqueName('registry_ids');
    schemas.push(namespace);
    const pg = await Butler.create(join(dir, 'pg'), { registry: { db: requirePostgresUrl(), namespace } });
    const back = await Butler.create(join(dir, 'back'));
    try {
      expect((await transferFrom(pg, source, refs, { registerDatasetTypes: true })).transferred).toHaveLength(
        3,
      );
      await expectSameDatasets(pg);
      const fromPg = [...(await pg.registry.getDatasets(refs.map((r) => r.id))).values()];
      expect((await transferFrom(back, pg, fromPg, { registerDatasetTypes: true })).transferred).toHaveLength(
        3,
      );
      await expectSameDatasets(back);
      expect((await transferFrom(back, pg, fromPg, { registerDatasetTypes: true })).skipped).toBe(3);
    } finally {
      await back.close();
      await pg.close();
    }
  });

  it('survive transfer between SQLite registries', async () => {
    const target = await Butler.create(join(dir, 'transferred'));
    try {
      expect(
        (await transferFrom(target, source, refs, { registerDatasetTypes: true })).transferred,
      ).toHaveLength(3);
      await expectSameDatasets(target);
    } finally {
      await target.close();
    }
  });
});

describe('the Butler API', () => {
  let app: FastifyInstance;
  let catalog: Catalog;

  beforeAll(async () => {
    catalog = await buildFixtureCatalog(dir, generateFixture(`${dir}/fixture`));
    app = createApp({
      catalog,
      version: 'test',
      auth: { allowAnonymous: true },
      butler: { repo: join(dir, 'source'), options: { workers: 1 } },
    });
    await app.ready();
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await catalog?.close();
  });

  it('sends and accepts the canonical text of IDs', async () => {
    const ref = refs[2]!;
    const byId = await app.inject({ method: 'GET', url: `/api/butler/datasets/${ref.id}` });
    expect(byId.statusCode, byId.body).toBe(200);
    expect(byId.json().ref.id).toBe(ref.id);
    expect(byId.json().files[0].datasetId ?? ref.id).toBe(ref.id);
    const query = await app.inject({
      method: 'POST',
      url: '/api/butler/query-datasets',
      payload: {
        datasetTypes: 'metrics',
        collections: ['u/ids/run'],
        where: 'metrics.dataset_id = :id',
        bind: { id: ref.id },
      },
    });
    expect(query.statusCode, query.body).toBe(200);
    expect(query.json().refs.map((r: { id: string }) => r.id)).toEqual([ref.id]);
  });
});
