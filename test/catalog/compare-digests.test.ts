/**
 * `compareCatalogs` at scale: digests are computed inside the engines and rows are read only for the chunks whose
 * digests differ. A single changed value in a multi-chunk catalog (the last bit of a double, a string, a NULL) is
 * found with its table, chunk and key while only that chunk's rows are read (counted at the engine boundary);
 * differences are capped per chunk and per report with a count of the rest; progress is reported; a cancel while
 * rows stream ends in ABORTED and leaves the catalogs usable. With MERIDIAN_TEST_POSTGRES, the same between DuckDB
 * and two PostgreSQL workers (also partitioned differently, the workers' streams merged), and a table with a column
 * of every datatype (floats, subnormals, −0, timestamps, Unicode and separators in strings) digests alike on both.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Catalog,
  type Catalog as CatalogType,
  type CompareProgress,
  compareCatalogs,
} from '../../src/catalog/index.js';
import { describePostgres } from '../support/postgres.js';
import { generateFixture } from './fixtures/generate.js';
import { buildFixtureCatalog, dp02SchemaYaml, temporaryDir } from './helpers.js';
import { dropDatabase, freshDatabase, postgresUrl, uniqueName } from './postgres/setup.js';

const tmp = temporaryDir('compare-digests');
const fixture = generateFixture(join(tmp.dir, 'fixture'));

afterAll(() => tmp.remove());

/** Counts the canonical rows an engine hands to the comparison, and which (table, chunk) reads they came from. */
function countReads(catalog: CatalogType): { rows: number; reads: string[] } {
  const engine = catalog.engine;
  const read = engine.canonicalRows.bind(engine);
  const counter = { rows: 0, reads: [] as string[] };
  engine.canonicalRows = async function* (table, worker, chunkId, signal) {
    counter.reads.push(`${table.name}:${chunkId}`);
    for await (const batch of read(table, worker, chunkId, signal)) {
      counter.rows += batch.length;
      yield batch;
    }
  };
  return counter;
}

/** Runs SQL on a closed DuckDB catalog's file, as disk damage or a bad tool would, and reopens it. */
async function onDuckdbFile(
  catalog: CatalogType,
  statements: readonly string[],
): Promise<{ catalog: CatalogType; rows: unknown[][] }> {
  const dir = catalog.dir;
  await catalog.close();
  const instance = await DuckDBInstance.create(join(dir, 'czar.duckdb'));
  const connection = await instance.connect();
  let rows: unknown[][] = [];
  for (const sql of statements) rows = (await connection.runAndReadAll(sql)).getRowsJS() as unknown[][];
  connection.closeSync();
  instance.closeSync();
  return { catalog: await Catalog.open(dir), rows };
}

describe('compare reads only the chunks whose digests differ', () => {
  let a: CatalogType;
  let b: CatalogType;
  const changedId = fixture.sampleObjectIds[2];

  beforeAll(async () => {
    a = await buildFixtureCatalog(join(tmp.dir, 'a'), fixture);
    b = await buildFixtureCatalog(join(tmp.dir, 'b'), fixture);
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('finds the last bit of one double with its table, chunk and key, reading one chunk', async () => {
    const edited = await onDuckdbFile(b, [
      `UPDATE "Object" SET r_psfFlux = nextafter(r_psfFlux, 1e300) WHERE objectId = ${changedId}`,
      `SELECT chunkId, (SELECT COUNT(DISTINCT chunkId) FROM "Object") FROM "Object" WHERE objectId = ${changedId}`,
    ]);
    b = edited.catalog;
    const [chunkId, objectChunks] = (edited.rows[0] as [number, bigint]).map(Number);
    expect(objectChunks).toBeGreaterThan(3);
    const readA = countReads(a);
    const readB = countReads(b);
    const progress: CompareProgress[] = [];

    const report = await compareCatalogs(a, b, { onProgress: (p) => progress.push(p) });

    expect(report.equal).toBe(false);
    expect(report.tables.filter((t) => !t.equal).map((t) => t.table)).toEqual(['Object']);
    const object = report.tables.find((t) => t.table === 'Object');
    expect(object?.chunks.map((c) => c.chunkId)).toEqual([chunkId]);
    const chunk = object?.chunks[0];
    expect(chunk?.differences).toEqual([
      { kind: 'changed', key: String(changedId), countA: 1, countB: 1, columns: ['r_psfFlux'] },
    ]);
    expect(chunk?.omittedDifferences).toBe(0);
    expect(chunk?.digestA).not.toBe(chunk?.digestB);
    // Only the differing chunk's rows crossed from the engines, once from each side.
    expect(readA.reads).toEqual([`Object:${chunkId}`]);
    expect(readB.reads).toEqual([`Object:${chunkId}`]);
    expect(readA.rows).toBe(chunk?.rowsA);
    expect(readB.rows).toBe(chunk?.rowsB);
    expect(readA.rows).toBeLessThan((object?.rowsA ?? 0) / 2);

    expect(progress.filter((p) => p.phase === 'digests').map((p) => p.table)).toEqual(
      a.schema.tables.map((t) => t.name),
    );
    expect(progress.filter((p) => p.phase === 'rows')).toEqual([
      expect.objectContaining({ table: 'Object', chunkId, chunkIndex: 1, chunkCount: 1 }),
    ]);
  });

  it('stops with ABORTED when cancelled while it reads a differing chunk, and compares again afterwards', async () => {
    const controller = new AbortController();
    const onProgress = (p: CompareProgress) => {
      if (p.phase === 'rows') controller.abort();
    };
    await expect(compareCatalogs(a, b, { signal: controller.signal, onProgress })).rejects.toMatchObject({
      code: 'ABORTED',
    });
    expect((await compareCatalogs(a, b)).tables.filter((t) => !t.equal).map((t) => t.table)).toEqual([
      'Object',
    ]);
  });

  it('finds a changed string, a NULL and a missing chunk, and caps the differences it lists', async () => {
    const stats = await b.stats();
    const dropped = stats.chunkCounts.find((c) => c.table === 'Object' && !c.overlap && c.rows > 10);
    const edited = await onDuckdbFile(b, [
      `UPDATE "CcdVisit" SET band = 'y' WHERE ccdVisitId = (SELECT MIN(ccdVisitId) FROM "CcdVisit" WHERE band <> 'y')`,
      `UPDATE "ForcedSource" SET psfFlux = NULL WHERE forcedSourceId = (SELECT MIN(forcedSourceId) FROM "ForcedSource" WHERE psfFlux IS NOT NULL)`,
      `DELETE FROM "Object" WHERE chunkId = ${dropped?.chunkId}`,
    ]);
    b = edited.catalog;

    const report = await compareCatalogs(a, b, { maxDifferencesPerChunk: 3 });

    const ccd = report.tables.find((t) => t.table === 'CcdVisit');
    expect(ccd?.chunks).toEqual([
      expect.objectContaining({
        chunkId: -1,
        differences: [expect.objectContaining({ kind: 'changed', columns: ['band'] })],
      }),
    ]);
    const forced = report.tables.find((t) => t.table === 'ForcedSource');
    expect(forced?.chunks.flatMap((c) => c.differences)).toEqual([
      expect.objectContaining({ kind: 'changed', columns: ['psfFlux'] }),
    ]);
    const object = report.tables.find((t) => t.table === 'Object');
    const missing = object?.chunks.find((c) => c.chunkId === dropped?.chunkId);
    expect(missing?.rowsB).toBe(0);
    expect(missing?.differences).toHaveLength(3);
    expect(missing?.differences.every((d) => d.kind === 'missing-in-b')).toBe(true);
    expect(missing?.omittedDifferences).toBe((dropped?.rows ?? 0) - 3);
    // Keys in key order: the smallest ids of the chunk.
    const keys = missing?.differences.map((d) => BigInt(d.key)) ?? [];
    expect([...keys].sort((x, y) => (x < y ? -1 : 1))).toEqual(keys);

    const budgeted = await compareCatalogs(a, b, { maxDifferences: 2 });
    const listed = budgeted.tables.flatMap((t) => t.chunks.flatMap((c) => c.differences));
    const omitted = budgeted.tables.flatMap((t) => t.chunks).reduce((n, c) => n + c.omittedDifferences, 0);
    expect(listed).toHaveLength(2);
    expect(omitted).toBe((dropped?.rows ?? 0) + 2 + 1 - 2);
  });
});

describePostgres('compare between DuckDB and two PostgreSQL workers, digests inside each engine', () => {
  it('finds equal copies equal and then one changed value with its chunk and key, reading one chunk', async () => {
    const urls = [
      await freshDatabase(postgresUrl as string, uniqueName('cmp_digest_w0')),
      await freshDatabase(postgresUrl as string, uniqueName('cmp_digest_w1')),
    ];
    const tables = ['Visit', 'CcdVisit', 'Object', 'ForcedSource'] as const;
    const duck = await Catalog.create(join(tmp.dir, 'pg-duck'), { schemaYaml: dp02SchemaYaml });
    const onPostgres = await Catalog.create(join(tmp.dir, 'pg'), {
      schemaYaml: dp02SchemaYaml,
      engine: { kind: 'postgres', workers: urls },
    });
    try {
      for (const catalog of [duck, onPostgres]) {
        for (const table of tables) await catalog.ingestFiles(table, [fixture[table]]);
      }
      const same = await compareCatalogs(duck, onPostgres);
      expect(same.tables.filter((t) => !t.equal)).toEqual([]);
      expect(same.tables.find((t) => t.table === 'ForcedSource')?.rowsB).toBeGreaterThan(1000);

      // Change one ForcedSource value by one unit in the last place, on whichever worker holds it.
      const changed = fixture.sampleObjectIds[3];
      let where: { worker: number; chunkId: number; forcedSourceId: string } | null = null;
      for (const [worker, url] of urls.entries()) {
        const client = new pg.Client(url);
        await client.connect();
        try {
          const found = await client.query(
            `UPDATE forcedsource SET psffluxerr = psffluxerr * (1 + 2.3e-16) WHERE forcedsourceid =
               (SELECT MIN(forcedsourceid) FROM forcedsource WHERE objectid = $1 AND psffluxerr > 1)
             RETURNING chunkid, forcedsourceid::text AS id, psffluxerr`,
            [String(changed)],
          );
          if (found.rows.length === 1) {
            where = { worker, chunkId: found.rows[0].chunkid, forcedSourceId: found.rows[0].id };
          }
        } finally {
          await client.end();
        }
      }
      expect(where).not.toBeNull();
      const readDuck = countReads(duck);
      const readPostgres = countReads(onPostgres);

      const report = await compareCatalogs(duck, onPostgres);

      expect(report.tables.filter((t) => !t.equal).map((t) => t.table)).toEqual(['ForcedSource']);
      const forced = report.tables.find((t) => t.table === 'ForcedSource');
      expect(forced?.chunks.map((c) => c.chunkId)).toEqual([where?.chunkId]);
      expect(forced?.chunks[0]?.differences).toEqual([
        { kind: 'changed', key: where?.forcedSourceId, countA: 1, countB: 1, columns: ['psfFluxErr'] },
      ]);
      expect(readDuck.reads).toEqual([`ForcedSource:${where?.chunkId}`]);
      expect(readPostgres.reads).toEqual([`ForcedSource:${where?.chunkId}`]);
      expect(readPostgres.rows).toBe(forced?.chunks[0]?.rowsB);
      expect(readPostgres.rows).toBeLessThan((forced?.rowsB ?? 0) / 2);

      // Cancelled while the worker's cursor streams the chunk: ABORTED, and the pool still serves the next compare.
      const controller = new AbortController();
      let batches = 0;
      const read = onPostgres.engine.canonicalRows.bind(onPostgres.engine);
      onPostgres.engine.canonicalRows = async function* (table, worker, chunkId, signal) {
        for await (const batch of read(table, worker, chunkId, signal)) {
          if (++batches === 1) controller.abort();
          yield batch;
        }
      };
      await expect(compareCatalogs(duck, onPostgres, { signal: controller.signal })).rejects.toMatchObject({
        code: 'ABORTED',
      });
      expect(batches).toBeGreaterThan(0);

      // Partitioned differently: each table is one chunk (−1), and the two workers' ordered streams are merged.
      const coarse = await Catalog.create(join(tmp.dir, 'pg-coarse'), {
        schemaYaml: dp02SchemaYaml,
        partitioning: { numStripes: 30, numSubStripesPerStripe: 4, overlapDeg: 0.01667 },
      });
      try {
        for (const table of tables) await coarse.ingestFiles(table, [fixture[table]]);
        const readBoth = countReads(onPostgres);
        const across = await compareCatalogs(coarse, onPostgres);
        expect(across.samePartitioning).toBe(false);
        expect(across.tables.filter((t) => !t.equal).map((t) => t.table)).toEqual(['ForcedSource']);
        const whole = across.tables.find((t) => t.table === 'ForcedSource')?.chunks;
        expect(whole?.map((c) => [c.chunkId, c.differences])).toEqual([
          [
            -1,
            [{ kind: 'changed', key: where?.forcedSourceId, countA: 1, countB: 1, columns: ['psfFluxErr'] }],
          ],
        ]);
        expect(readBoth.reads).toEqual(['ForcedSource:null', 'ForcedSource:null']);
        expect(readBoth.rows).toBe(forced?.rowsB);
      } finally {
        await coarse.close();
      }
    } finally {
      await duck.close();
      await onPostgres.close();
      for (const url of urls) await dropDatabase(url);
    }
  });
});

/** One regular table with a column of every datatype, values chosen where engines print differently. */
const everyTypeSchema = `
name: every_type
version: 1
tables:
  - name: Everything
    primaryKey: [id]
    partitioning:
      role: regular
    columns:
      - { name: id, datatype: long }
      - { name: flag, datatype: boolean }
      - { name: tiny, datatype: byte }
      - { name: small, datatype: short }
      - { name: medium, datatype: int }
      - { name: single, datatype: float }
      - { name: dbl, datatype: double }
      - { name: letter, datatype: char, length: 1 }
      - { name: label, datatype: string, length: 40 }
      - { name: note, datatype: text }
      - { name: taken, datatype: timestamp }
`;

const everyTypeCsv = [
  'id,flag,tiny,small,medium,single,dbl,letter,label,note,taken',
  '1,true,-128,-32768,-2147483648,0.1,0.1,a,plain,"with | bar and : colon",2024-02-29 12:34:56.789012',
  '2,false,127,32767,2147483647,3.4028235e38,1.7976931348623157e308,b,héllo wörld ✓,x,1970-01-01 00:00:00',
  '3,,,,,,,,,,',
  '4,true,0,0,0,-0.0,-0.0,c,"",,1969-12-31 23:59:59.5',
  '5,false,1,2,3,1e-40,4.9e-324,d,3:abc,N,2000-01-01 00:00:00',
  '6,true,1,2,3,1.5,123456789.12345678,e,x|y,"line',
  'two",2100-12-31 23:59:59.999999',
].join('\n');

describePostgres('compare on every datatype between DuckDB and PostgreSQL', () => {
  it('finds the same rows equal on both engines and a float set to NaN and a changed string different', async () => {
    const csv = join(tmp.dir, 'Everything.csv');
    writeFileSync(csv, `${everyTypeCsv}\n`);
    const url = await freshDatabase(postgresUrl as string, uniqueName('cmp_digest_types'));
    const duck = await Catalog.create(join(tmp.dir, 'types-duck'), { schemaYaml: everyTypeSchema });
    const onPostgres = await Catalog.create(join(tmp.dir, 'types-pg'), {
      schemaYaml: everyTypeSchema,
      engine: { kind: 'postgres', workers: [url] },
    });
    try {
      for (const catalog of [duck, onPostgres]) await catalog.ingestFiles('Everything', [csv]);
      const table = duck.schema.tables[0];
      const signal = new AbortController().signal;
      const [digestDuck] = await duck.engine.chunkDigests(table!, { byChunk: true, signal });
      const [digestPostgres] = await onPostgres.engine.chunkDigests(table!, { byChunk: true, signal });
      expect(digestDuck).toEqual({ worker: 0, chunkId: -1, rows: 6, digest: digestPostgres?.digest });
      expect((await compareCatalogs(duck, onPostgres)).equal).toBe(true);

      const client = new pg.Client(url);
      await client.connect();
      try {
        await client.query(`UPDATE everything SET single = 'NaN' WHERE id = 5`);
        await client.query(`UPDATE everything SET label = 'héllo wörld ✗' WHERE id = 2`);
      } finally {
        await client.end();
      }
      const report = await compareCatalogs(duck, onPostgres);
      expect(report.tables[0]?.chunks[0]?.differences).toEqual([
        { kind: 'changed', key: '2', countA: 1, countB: 1, columns: ['label'] },
        { kind: 'changed', key: '5', countA: 1, countB: 1, columns: ['single'] },
      ]);
    } finally {
      await duck.close();
      await onPostgres.close();
      await dropDatabase(url);
    }
  });
});
