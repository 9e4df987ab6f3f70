/**
 * `compareCatalogs`: identical ingests compare equal (DuckDB with DuckDB and, with MERIDIAN_TEST_POSTGRES, DuckDB
 * with PostgreSQL); a dropped chunk, a duplicated transaction and a changed value are each found and reported with
 * the table, the chunk and the keys.
 */

import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareCatalogs } from '../../src/catalog/compare.js';
import { Catalog } from '../../src/catalog/index.js';
import { describePostgres } from '../support/postgres.js';
import { generateFixture, toParquet } from './fixtures/generate.js';
import { buildFixtureCatalog, dp02SchemaYaml, temporaryDir } from './helpers.js';
import { dropDatabase, freshDatabase, postgresUrl, uniqueName } from './postgres/setup.js';

const tmp = temporaryDir('compare');
const fixture = generateFixture(join(tmp.dir, 'fixture'));
let a: Catalog;
let b: Catalog;

/** Edits the stored rows of a closed DuckDB catalog directly, as disk damage or a bad tool would. */
async function tamper(catalog: Catalog, sql: string): Promise<Catalog> {
  const dir = catalog.dir;
  await catalog.close();
  const instance = await DuckDBInstance.create(join(dir, 'czar.duckdb'));
  const connection = await instance.connect();
  await connection.run(sql);
  connection.closeSync();
  instance.closeSync();
  return Catalog.open(dir);
}

beforeAll(async () => {
  a = await buildFixtureCatalog(join(tmp.dir, 'a'), fixture);
  b = await buildFixtureCatalog(join(tmp.dir, 'b'), fixture);
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  tmp.remove();
});

describe('compare', () => {
  it('finds two identical ingests equal', async () => {
    const report = await compareCatalogs(a, b);
    expect(report.equal).toBe(true);
    expect(report.samePartitioning).toBe(true);
    expect(report.tables.find((t) => t.table === 'Object')?.rowsA).toBe(3190);
  });

  it('finds a dropped chunk, a duplicated transaction and a changed value', async () => {
    const stats = await b.stats();
    const droppedChunk = stats.chunkCounts.find((c) => c.table === 'Object' && !c.overlap && c.rows < 200)
      ?.chunkId as number;
    const changedId = fixture.sampleObjectIds[1];
    b = await tamper(b, `DELETE FROM "Object" WHERE chunkId = ${droppedChunk}`);
    b = await tamper(b, `UPDATE "Object" SET g_psfFlux = 12345.5 WHERE objectId = ${changedId}`);
    // The same ForcedSource rows again in a new transaction (as Parquet: a different file, same rows).
    await b.ingestFiles('ForcedSource', [await toParquet(fixture.ForcedSource, join(tmp.dir, 'fs.parquet'))]);

    const report = await compareCatalogs(a, b);
    expect(report.equal).toBe(false);
    const object = report.tables.find((t) => t.table === 'Object');
    const dropped = object?.chunks.find((c) => c.chunkId === droppedChunk);
    expect(dropped?.rowsB).toBe(0);
    expect(dropped?.differences.every((d) => d.kind === 'missing-in-b')).toBe(true);
    expect(dropped?.differences.length).toBe(dropped?.rowsA);
    const changed = object?.chunks.flatMap((c) => c.differences).find((d) => d.kind === 'changed');
    expect(changed).toEqual({
      kind: 'changed',
      key: String(changedId),
      countA: 1,
      countB: 1,
      columns: ['g_psfFlux'],
    });
    const forced = report.tables.find((t) => t.table === 'ForcedSource');
    expect(forced?.rowsB).toBe(2 * (forced?.rowsA ?? 0));
    const duplicated = forced?.chunks.flatMap((c) => c.differences) ?? [];
    expect(duplicated.length).toBe(forced?.rowsA);
    expect(duplicated.every((d) => d.kind === 'count' && d.countA === 1 && d.countB === 2)).toBe(true);
    expect(report.tables.filter((t) => !t.equal).map((t) => t.table)).toEqual(['Object', 'ForcedSource']);
  });
});

describePostgres('compare across engines', () => {
  it('finds a DuckDB and a PostgreSQL ingest of the same files equal', async () => {
    const url = await freshDatabase(postgresUrl as string, uniqueName('meridian_catalog_compare'));
    const pgCatalog = await Catalog.create(join(tmp.dir, 'pg'), {
      schemaYaml: dp02SchemaYaml,
      engine: { kind: 'postgres', workers: [url] },
    });
    const duck = await Catalog.create(join(tmp.dir, 'duck'), { schemaYaml: dp02SchemaYaml });
    try {
      for (const catalog of [pgCatalog, duck]) {
        for (const table of ['Visit', 'CcdVisit', 'Object', 'ForcedSource'] as const) {
          await catalog.ingestFiles(table, [fixture[table]]);
        }
      }
      const report = await compareCatalogs(duck, pgCatalog);
      expect(report.tables.filter((t) => !t.equal)).toEqual([]);
    } finally {
      await pgCatalog.close();
      await duck.close();
      await dropDatabase(url);
    }
  });
});
