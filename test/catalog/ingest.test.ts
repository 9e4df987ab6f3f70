/**
 * Transactional ingest: per-chunk counts, abort and crash leave no rows, re-contribution is refused, dependents
 * follow their director's chunk, overlap rows are exactly those within the overlap of another sub-chunk (checked at
 * a chunk corner and near the pole by reading the physical tables).
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catalog, testPartitioning } from '../../src/catalog/index.js';
import { Chunker } from '../../src/sphere/index.js';
import { generateFixture, toParquet } from './fixtures/generate.js';
import { dp02SchemaYaml, temporaryDir } from './helpers.js';

const tmp = temporaryDir('ingest');
const fixture = generateFixture(join(tmp.dir, 'fixture'));
let n = 0;
const newCatalog = () => Catalog.create(join(tmp.dir, `c${++n}`), { schemaYaml: dp02SchemaYaml });
const count = async (catalog: Catalog, table: string) =>
  Number((await catalog.query(`SELECT COUNT(*) AS n FROM ${table}`)).rows[0][0]);
const csvRows = (path: string) => {
  const text = readFileSync(path, 'utf8');
  return text.trim().split('\n').length - 1;
};

afterAll(() => tmp.remove());

describe('transactions', () => {
  let catalog: Catalog;
  beforeAll(async () => {
    catalog = await newCatalog();
  });
  afterAll(() => catalog.close());

  it('keeps per-chunk, per-table row counts that add up to the rows', async () => {
    await catalog.ingestFiles('Object', [fixture.Object]);
    const stats = await catalog.stats();
    const object = stats.tables.find((t) => t.name === 'Object');
    expect(object?.rows).toBe(csvRows(fixture.Object));
    expect(await count(catalog, 'Object')).toBe(object?.rows);
    const chunks = stats.chunkCounts.filter((c) => c.table === 'Object' && !c.overlap);
    expect(chunks.length).toBe(object?.chunks);
    expect(chunks.reduce((s, c) => s + c.rows, 0)).toBe(object?.rows);
    expect(stats.transactions).toEqual([{ id: 1, state: 'committed' }]);
  });

  it('refuses to contribute the same file again, in any transaction', async () => {
    const tx = await catalog.beginTransaction();
    await expect(catalog.contribute(tx, 'Object', fixture.Object)).rejects.toMatchObject({
      code: 'CATALOG_DUPLICATE_CONTRIBUTION',
      details: { transactionId: 1 },
    });
    await catalog.abortTransaction(tx);
  });

  it('refuses duplicate director keys (same rows as Parquet) and aborts the transaction', async () => {
    const parquet = await toParquet(fixture.Object, join(tmp.dir, 'Object.parquet'));
    const tx = await catalog.beginTransaction();
    await expect(catalog.contribute(tx, 'Object', parquet)).rejects.toMatchObject({ code: 'CATALOG_INGEST' });
    expect((await catalog.stats()).transactions.find((t) => t.id === tx)?.state).toBe('aborted');
    expect(await count(catalog, 'Object')).toBe(csvRows(fixture.Object));
  });

  it('places dependents in the chunk of their director and refuses orphans', async () => {
    await catalog.ingestFiles('Visit', [fixture.Visit]);
    await catalog.ingestFiles('CcdVisit', [fixture.CcdVisit]);
    await catalog.ingestFiles('ForcedSource', [fixture.ForcedSource]);
    const stats = await catalog.stats();
    const objectChunks = new Set(stats.chunkCounts.filter((c) => c.table === 'Object').map((c) => c.chunkId));
    const fsChunks = stats.chunkCounts.filter((c) => c.table === 'ForcedSource').map((c) => c.chunkId);
    expect(fsChunks.every((c) => objectChunks.has(c))).toBe(true);
    const orphan = join(tmp.dir, 'orphan.csv');
    writeFileSync(orphan, 'forcedSourceId,objectId,band\n1,42,r\n2,43,g\n');
    await expect(catalog.ingestFiles('ForcedSource', [orphan])).rejects.toThrow(
      /reference Object rows that are not loaded \(objectId = 42, 43\)/,
    );
  });

  it('leaves no rows behind after an abort', async () => {
    const tx = await catalog.beginTransaction();
    await catalog.contribute(tx, 'DiaObject', fixture.DiaObject);
    await catalog.contribute(tx, 'ForcedSourceOnDiaObject', fixture.ForcedSourceOnDiaObject);
    expect(await count(catalog, 'DiaObject')).toBe(0);
    await catalog.abortTransaction(tx);
    expect(await count(catalog, 'DiaObject')).toBe(0);
    expect(await count(catalog, 'ForcedSourceOnDiaObject')).toBe(0);
    await expect(catalog.commitTransaction(tx)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('names a missing required column', async () => {
    const bad = join(tmp.dir, 'no-id.csv');
    writeFileSync(bad, 'coord_ra,coord_dec\n1,2\n');
    await expect(catalog.ingestFiles('Object', [bad])).rejects.toThrow(/has no column objectId/);
  });
});

describe('crash recovery', () => {
  it('a transaction left open by a crash shows no rows and can be aborted after reopening', async () => {
    const first = await newCatalog();
    const dir = first.dir;
    const tx = await first.beginTransaction();
    await first.contribute(tx, 'Visit', fixture.Visit);
    await first.close(); // the process "dies" before commit
    const again = await Catalog.open(dir);
    try {
      expect(await count(again, 'Visit')).toBe(0);
      expect((await again.stats()).transactions).toEqual([{ id: tx, state: 'started' }]);
      await again.abortTransaction(tx);
      await again.ingestFiles('Visit', [fixture.Visit]);
      expect(await count(again, 'Visit')).toBe(40);
    } finally {
      await again.close();
    }
  });

  it('drops the scratch tables and view of a contribution cut off by a crash when its transaction is aborted', async () => {
    const first = await newCatalog();
    const tx = await first.beginTransaction();
    // What a contribution leaves in the czar store when the process dies while staging it.
    const store = (first as unknown as { store: { connection: DuckDBConnection } }).store;
    await store.connection.run(`CREATE TABLE "_stage_${tx}_1_file" AS SELECT 1 AS x`);
    await store.connection.run(`CREATE VIEW "_stage_${tx}_1_raw" AS SELECT x FROM "_stage_${tx}_1_file"`);
    await store.connection.run(`CREATE TABLE "_stage_${tx}_1_loc" (rid BIGINT)`);
    await first.close();
    const again = await Catalog.open(first.dir);
    try {
      await again.abortTransaction(tx);
      const left = await (
        again as unknown as { store: { connection: DuckDBConnection } }
      ).store.connection.runAndReadAll(
        `SELECT table_name FROM duckdb_tables() WHERE starts_with(table_name, '_stage_')
         UNION ALL SELECT view_name FROM duckdb_views() WHERE starts_with(view_name, '_stage_')`,
      );
      expect(left.getRowsJS()).toEqual([]);
    } finally {
      await again.close();
    }
  });
});

describe('large contributions', () => {
  it('keeps every row of a contribution larger than the read-ahead of a streaming result (250,000 rows)', async () => {
    const path = join(tmp.dir, 'many.parquet');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(
      `COPY (SELECT i AS objectId, 50 + 20 * (i % 9973) / 9973.0 AS coord_ra, -45 + 15 * (i % 7919) / 7919.0 AS coord_dec FROM range(250000) t(i)) TO '${path}' (FORMAT parquet)`,
    );
    connection.closeSync();
    instance.closeSync();
    const catalog = await newCatalog();
    try {
      const { contributions } = await catalog.ingestFiles('Object', [path]);
      expect(contributions[0].rows).toBe(250000);
      expect(await count(catalog, 'Object')).toBe(250000);
    } finally {
      await catalog.close();
    }
  });
});

describe('interrupted commit', () => {
  it('removes rows a commit published before it was interrupted, on the next open', async () => {
    const first = await newCatalog();
    const dir = first.dir;
    const tx = await first.beginTransaction();
    await first.contribute(tx, 'Visit', fixture.Visit);
    await first.close();
    // What a worker would hold after a crash between publishing and the czar's commit.
    const instance = await DuckDBInstance.create(join(dir, 'czar.duckdb'));
    const connection = await instance.connect();
    await connection.run(`UPDATE _transactions SET state = 'publishing' WHERE id = ${tx}`);
    await connection.run(`INSERT INTO "Visit" SELECT * FROM "_stage_${tx}_1"`);
    connection.closeSync();
    instance.closeSync();
    const again = await Catalog.open(dir);
    try {
      expect(await count(again, 'Visit')).toBe(0);
      expect((await again.stats()).transactions).toEqual([{ id: tx, state: 'aborted' }]);
    } finally {
      await again.close();
    }
  });
});

describe('partitioning of stored rows', () => {
  it('stores each row in its chunker chunk and overlap rows exactly for the other sub-chunks within the overlap', async () => {
    const chunker = new Chunker(
      testPartitioning.numStripes,
      testPartitioning.numSubStripesPerStripe,
      testPartitioning.overlapDeg,
    );
    // Points around a chunk corner (stripe and chunk edges meet) and next to the north pole.
    const corner = chunker.chunkBox(chunker.locate(62, -37).chunkId);
    const points: [number, number][] = [];
    for (const dra of [-0.01, -0.001, 0.001, 0.01]) {
      for (const ddec of [-0.01, -0.001, 0.001, 0.01])
        points.push([corner.lonMinDeg + dra, corner.latMinDeg + ddec]);
    }
    for (const ra of [0, 45, 90, 179, 270]) points.push([ra, 89.995], [ra, 89.5]);
    const csv = join(tmp.dir, 'corner.csv');
    writeFileSync(
      csv,
      `objectId,coord_ra,coord_dec\n${points.map(([ra, dec], i) => `${i + 1},${(ra + 360) % 360},${dec}`).join('\n')}\n`,
    );
    const catalog = await newCatalog();
    await catalog.ingestFiles('Object', [csv]);
    const dir = catalog.dir;
    await catalog.close();
    const instance = await DuckDBInstance.create(join(dir, 'czar.duckdb'), { access_mode: 'READ_ONLY' });
    const connection = await instance.connect();
    try {
      const own = (
        await connection.runAndReadAll(
          'SELECT objectId, coord_ra, coord_dec, chunkId, subChunkId FROM "Object"',
        )
      ).getRowsJS();
      for (const [, ra, dec, chunkId, subChunkId] of own) {
        expect({ chunkId, subChunkId }).toEqual(chunker.locate(ra as number, dec as number));
      }
      const overlap = (
        await connection.runAndReadAll(
          'SELECT objectId, chunkId, subChunkId FROM "ObjectFullOverlap" ORDER BY objectId, chunkId, subChunkId',
        )
      ).getRowsJS();
      const want = own
        .flatMap(([id, ra, dec]) =>
          chunker.overlapSubChunks(ra as number, dec as number).map((l) => [id, l.chunkId, l.subChunkId]),
        )
        .sort(
          (a, b) => Number(a[0]) - Number(b[0]) || Number(a[1]) - Number(b[1]) || Number(a[2]) - Number(b[2]),
        );
      expect(overlap).toEqual(want);
      // A point 0.001° south-west of a chunk's corner is in that chunk's overlap and its western neighbour's.
      const cornerChunk = chunker.locate(62, -37).chunkId;
      const nearCorner = new Set(overlap.filter(([id]) => Number(id) === 6).map(([, chunk]) => chunk));
      expect(nearCorner.has(cornerChunk)).toBe(true);
      expect(nearCorner.size).toBeGreaterThanOrEqual(2);
      // Near the pole every longitude falls in the one chunk of the polar stripe.
      const polar = new Set(own.filter(([, , dec]) => (dec as number) > 89.99).map(([, , , chunk]) => chunk));
      expect(polar.size).toBe(1);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});

describe('match tables', () => {
  it('stores each match row with both of its director rows, counts it once and refuses rows it cannot place', async () => {
    const catalog = await newCatalog();
    const orphanMatch = join(tmp.dir, 'orphan-match.csv');
    writeFileSync(orphanMatch, 'id_truth_type,match_objectId\nnope_1,42\n');
    await expect(catalog.ingestFiles('MatchesTruth', [fixture.MatchesTruth])).rejects.toThrow(
      /match neither a loaded Object nor a loaded TruthSummary row .*ingest the director tables first/,
    );
    await catalog.ingestFiles('Object', [fixture.Object]);
    await catalog.ingestFiles('TruthSummary', [fixture.TruthSummary]);
    await catalog.ingestFiles('MatchesTruth', [fixture.MatchesTruth]);
    await expect(catalog.ingestFiles('MatchesTruth', [orphanMatch])).rejects.toMatchObject({
      code: 'CATALOG_INGEST',
    });
    const stats = await catalog.stats();
    const mt = stats.tables.find((t) => t.name === 'MatchesTruth');
    expect(mt?.role).toBe('match');
    expect(mt?.rows).toBe(csvRows(fixture.MatchesTruth));
    const dir = catalog.dir;
    await catalog.close();
    const instance = await DuckDBInstance.create(join(dir, 'czar.duckdb'), { access_mode: 'READ_ONLY' });
    const connection = await instance.connect();
    try {
      const rows = (
        await connection.runAndReadAll(`SELECT m.id_truth_type, m.match_objectId, m.chunkId, m.qserv_match_flag,
            o.chunkId AS objectChunk, t.chunkId AS truthChunk
          FROM "MatchesTruth" m LEFT JOIN "Object" o ON o.objectId = m.match_objectId
          JOIN "TruthSummary" t ON t.id_truth_type = m.id_truth_type`)
      ).getRowsJS();
      const copies = new Map<
        string,
        { chunk: number; flag: number; object: number | null; truth: number }[]
      >();
      for (const [key, , chunk, flag, object, truth] of rows) {
        const list = copies.get(String(key)) ?? [];
        list.push({
          chunk: Number(chunk),
          flag: Number(flag),
          object: object === null ? null : Number(object),
          truth: Number(truth),
        });
        copies.set(String(key), list);
      }
      expect(copies.size).toBe(csvRows(fixture.MatchesTruth));
      let straddling = 0;
      let oneSided = 0;
      for (const list of copies.values()) {
        const { object, truth } = list[0];
        if (object === null) {
          oneSided++;
          expect(list).toEqual([{ chunk: truth, flag: 2 | 4 | 8, object, truth }]);
        } else if (object === truth) {
          expect(list).toEqual([{ chunk: object, flag: 1 | 2 | 4, object, truth }]);
        } else {
          straddling++;
          expect(list.sort((a, b) => a.flag - b.flag)).toEqual([
            { chunk: truth, flag: 2, object, truth },
            { chunk: object, flag: 1 | 4, object, truth },
          ]);
        }
      }
      expect(oneSided).toBe(40);
      expect(straddling).toBeGreaterThan(0);
      expect(mt?.overlapRows).toBe(straddling);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});
