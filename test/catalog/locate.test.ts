/**
 * Vectorised partitioning of director rows (src/catalog/locate.ts) against the row-by-row algorithm it replaces,
 * copied below as the reference: the same home (chunkId, subChunkId) per row and the same set of overlap
 * (rid, chunkId, subChunkId), on random points over the whole sphere and on points placed exactly on sub-stripe,
 * stripe, chunk and sub-chunk edges and at exactly the overlap distance from them, for both partitionings in use.
 */

import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteDuck as q } from '../../src/catalog/czar.js';
import { locateDirectorRows } from '../../src/catalog/locate.js';
import { Chunker } from '../../src/sphere/index.js';
import { seededRandom } from '../sphere/arbitraries.js';

const OVERLAP = 0.01667;
const configs = [
  { name: '85/12', chunker: new Chunker(85, 12, OVERLAP) },
  { name: '340/3', chunker: new Chunker(340, 3, OVERLAP) },
];
// Column names that need quoting, as a schema may have.
const source = (table: string) => ({ table, ra: 'coord Ra', dec: 'coord"Dec', rid: '__rid', name: 'Object' });

let instance: DuckDBInstance;
let connection: DuckDBConnection;
let tableCount = 0;

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
});
afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

type Point = readonly [number, number];

/** A table of the points with rids 1, 2, …; positions stored as `positionType`. */
async function loadPoints(points: readonly Point[], positionType = 'DOUBLE'): Promise<string> {
  const table = `points_${++tableCount}`;
  const s = source(table);
  await connection.run(
    `CREATE TABLE ${q(table)} (${q(s.rid)} BIGINT, ${q(s.ra)} DOUBLE, ${q(s.dec)} DOUBLE)`,
  );
  const appender = await connection.createAppender(table);
  points.forEach(([ra, dec], i) => {
    appender.appendBigInt(BigInt(i + 1));
    appender.appendDouble(ra);
    appender.appendDouble(dec);
    appender.endRow();
  });
  appender.closeSync();
  for (const column of [s.ra, s.dec]) {
    if (positionType !== 'DOUBLE')
      await connection.run(`ALTER TABLE ${q(table)} ALTER ${q(column)} TYPE ${positionType}`);
  }
  return table;
}

/**
 * The reference: the chunker row by row, `locate` for the home cell and `overlapSubChunks` for every row (the
 * row-by-row ingest skipped that search for rows far from their sub-chunk's edges, a shortcut that must not change
 * the answer, so the reference does not take it).
 */
async function referenceLocate(chunker: Chunker, table: string, loc: string, ovl: string): Promise<void> {
  const s = source(table);
  await connection.run(`CREATE TABLE ${q(loc)} (rid BIGINT, chunkId INTEGER, subChunkId INTEGER)`);
  await connection.run(`CREATE TABLE ${q(ovl)} (rid BIGINT, chunkId INTEGER, subChunkId INTEGER)`);
  const locRows = await connection.createAppender(loc);
  const ovlRows = await connection.createAppender(ovl);
  const reader = await instance.connect();
  try {
    const result = await reader.stream(`SELECT ${q(s.rid)}, ${q(s.ra)}, ${q(s.dec)} FROM ${q(table)}`);
    for await (const batch of result.yieldRowsJs()) {
      for (const [rid, ra, dec] of batch as [bigint, number, number][]) {
        const home = chunker.locate(ra, dec);
        locRows.appendBigInt(rid);
        locRows.appendInteger(home.chunkId);
        locRows.appendInteger(home.subChunkId);
        locRows.endRow();
        for (const near of chunker.overlapSubChunks(ra, dec)) {
          ovlRows.appendBigInt(rid);
          ovlRows.appendInteger(near.chunkId);
          ovlRows.appendInteger(near.subChunkId);
          ovlRows.endRow();
        }
      }
    }
  } finally {
    reader.closeSync();
    locRows.closeSync();
    ovlRows.closeSync();
  }
}

async function rows(sql: string): Promise<unknown[][]> {
  return (await connection.runAndReadAll(sql)).getRowsJS();
}

/** Rows in one table and not the other, both ways (empty when equal as multisets). */
async function difference(a: string, b: string): Promise<unknown[][]> {
  return rows(
    `(SELECT 'reference' AS side, * FROM (SELECT * FROM ${q(a)} EXCEPT ALL SELECT * FROM ${q(b)}))
     UNION ALL (SELECT 'vectorised', * FROM (SELECT * FROM ${q(b)} EXCEPT ALL SELECT * FROM ${q(a)})) LIMIT 10`,
  );
}

/** Locates the points both ways and checks that the results agree; returns the number of overlap rows. */
async function expectSameAsReference(
  chunker: Chunker,
  points: readonly Point[],
  positionType = 'DOUBLE',
): Promise<number> {
  const table = await loadPoints(points, positionType);
  await referenceLocate(chunker, table, `${table}_ref_loc`, `${table}_ref_ovl`);
  const counts = await locateDirectorRows(connection, instance, chunker, source(table), {
    loc: `${table}_loc`,
    ovl: `${table}_ovl`,
  });
  expect(await difference(`${table}_ref_loc`, `${table}_loc`)).toEqual([]);
  expect(await difference(`${table}_ref_ovl`, `${table}_ovl`)).toEqual([]);
  const [[refOverlap]] = await rows(`SELECT COUNT(*) FROM ${q(`${table}_ref_ovl`)}`);
  expect(counts).toEqual({ rows: points.length, overlapRows: Number(refOverlap) });
  for (const t of ['', '_ref_loc', '_ref_ovl', '_loc', '_ovl'])
    await connection.run(`DROP TABLE ${q(table + t)}`);
  return counts.overlapRows;
}

/** The double `steps` representable values above x (below when negative). */
const nextUp = (x: number, steps = 1): number => {
  if (x === 0) return steps * Number.MIN_VALUE;
  const f = new Float64Array([x]);
  const bits = new BigInt64Array(f.buffer);
  // The bit pattern of a negative double grows towards -infinity.
  bits[0] += BigInt(x > 0 ? steps : -steps);
  return f[0];
};

/** Half-width in longitude of the circle of radius OVERLAP at `dec`: a meridian that far is exactly OVERLAP away. */
const overlapLon = (dec: number): number =>
  (Math.asin(Math.sin((OVERLAP * Math.PI) / 180) / Math.cos((dec * Math.PI) / 180)) * 180) / Math.PI;

/**
 * Distances from an edge, as multiples of the overlap: exactly it (the vectorised code must hand these to the
 * chunker), and just outside its undecided band on either side (it must decide these itself, and rightly).
 */
const OVERLAP_MULTIPLES = [1, 1 - 3e-7, 1 + 3e-7];

/**
 * Points on the edges of one sub-stripe and of one of its cells, one ulp either side of them, and about the
 * overlap distance inside and outside them, in every combination of an edge latitude with an edge longitude.
 */
function edgePoints(chunker: Chunker, subStripe: number, cell: number, random: () => number): Point[] {
  const s = chunker.subStripeLayout()[subStripe];
  const cells = s.chunks * s.subChunksPerChunk;
  const g = cell % cells;
  const chunkWidth = 360 / s.chunks;
  const width = 360 / cells;
  const chunk = Math.floor(g / s.subChunksPerChunk);
  const decInside = s.latMinDeg + random() * (s.latMaxDeg - s.latMinDeg);
  const lats = [s.latMinDeg, s.latMaxDeg, subStripe * chunker.subStripeHeightDeg - 90];
  const decs = [decInside];
  for (const lat of lats) {
    decs.push(lat, nextUp(lat), nextUp(lat, -1));
    for (const m of OVERLAP_MULTIPLES) decs.push(lat + OVERLAP * m, lat - OVERLAP * m);
  }
  const lons = [g * width, (g + 1) * width, chunk * chunkWidth, (chunk + 1) * chunkWidth, random() * 360];
  const out: Point[] = [];
  for (const dec of decs.filter((d) => d >= -90 && d <= 90)) {
    const alpha = Math.abs(dec) < 90 - 2 * OVERLAP ? overlapLon(dec) : 0;
    for (const lon of lons) {
      out.push([lon, dec], [nextUp(lon), dec], [nextUp(lon, -1), dec], [lon - 360, dec], [lon + 720, dec]);
      for (const m of OVERLAP_MULTIPLES) out.push([lon + alpha * m, dec], [lon - alpha * m, dec]);
    }
  }
  return out;
}

describe.each(configs)('locateDirectorRows, $name', ({ chunker }) => {
  it('matches the row-by-row chunker on 200,000 random points over the whole sphere, poles included', async () => {
    const random = seededRandom(chunker.numStripes);
    const points: Point[] = [];
    for (let i = 0; i < 200_000; i++) {
      points.push([random() * 360, (Math.asin(2 * random() - 1) * 180) / Math.PI]);
    }
    for (const ra of [0, 45, 180, 359.9999999, 360, -30, 725]) points.push([ra, 90], [ra, -90], [ra, 89.995]);
    // Caps around the poles, where cells are widest and overlaps cross many of them.
    for (let i = 0; i < 5_000; i++) points.push([random() * 360, (i % 2 ? 1 : -1) * (90 - random() * 0.5)]);
    const overlapRows = await expectSameAsReference(chunker, points);
    // About 40% of rows lie within the overlap of another sub-chunk at these parameters.
    expect(overlapRows).toBeGreaterThan(60_000);
  });

  it('matches it on points exactly on and one ulp beside every sub-stripe edge and cell edges', async () => {
    const random = seededRandom(7);
    const points: Point[] = [];
    const numSubStripes = chunker.numStripes * chunker.numSubStripesPerStripe;
    for (let ss = 0; ss < numSubStripes; ss += 5) {
      points.push(...edgePoints(chunker, ss, Math.floor(random() * 10_000), random));
    }
    expect(points.length).toBeGreaterThan(100_000);
    await expectSameAsReference(chunker, points);
  });

  it('matches it on random edge, corner and overlap-distance points (property)', async () => {
    const numSubStripes = chunker.numStripes * chunker.numSubStripesPerStripe;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: numSubStripes - 1 }), fc.nat(), fc.integer()), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.array(
          fc.tuple(
            fc.double({ min: -720, max: 720, noNaN: true }),
            fc.double({ min: -90, max: 90, noNaN: true }),
          ),
          { maxLength: 50 },
        ),
        async (cells, free) => {
          const points: Point[] = [...free];
          for (const [ss, cell, seed] of cells)
            points.push(...edgePoints(chunker, ss, cell, seededRandom(seed)));
          await expectSameAsReference(chunker, points);
        },
      ),
      { numRuns: 20 },
    );
  });
});

describe('locateDirectorRows', () => {
  it('creates no overlap rows without an overlap, and still matches the chunker', async () => {
    const chunker = new Chunker(85, 12, 0);
    const random = seededRandom(3);
    const points: Point[] = edgePoints(chunker, 500, 17, random);
    for (let i = 0; i < 2_000; i++) points.push([random() * 360, random() * 180 - 90]);
    expect(await expectSameAsReference(chunker, points)).toBe(0);
  });

  it('matches it on coarse partitionings with wide overlaps, whose cells near the poles span over 90° of longitude', async () => {
    for (const [stripes, subStripes, overlap] of [
      [18, 2, 4],
      [30, 1, 5],
      [45, 2, 1.5],
    ]) {
      const chunker = new Chunker(stripes, subStripes, overlap);
      const random = seededRandom(stripes);
      const points: Point[] = [];
      for (let i = 0; i < 10_000; i++) {
        points.push([random() * 360, (Math.asin(2 * random() - 1) * 180) / Math.PI]);
        points.push([random() * 360, (i % 2 ? 1 : -1) * (90 - random() * 3 * overlap)]);
      }
      await expectSameAsReference(chunker, points);
    }
  });

  it('reads FLOAT and DECIMAL positions as the same doubles the row-by-row ingest received', async () => {
    const random = seededRandom(11);
    const points: Point[] = edgePoints(configs[0].chunker, 700, 5, random);
    for (let i = 0; i < 5_000; i++) points.push([random() * 360, random() * 180 - 90]);
    for (const type of ['FLOAT', 'DECIMAL(12,7)'])
      await expectSameAsReference(configs[0].chunker, points, type);
  });

  it('refuses an invalid position naming the table and its first bad row, as the row-by-row ingest did', async () => {
    const chunker = configs[0].chunker;
    const cases: [string, string][] = [
      ['NULL', '10'],
      ['12', "'nan'"],
      ["'inf'", '10'],
      ['12', '90.5'],
      ['12', '-91'],
    ];
    for (const [ra, dec] of cases) {
      const table = await loadPoints([
        [1, 2],
        [3, 4],
      ]);
      const s = source(table);
      await connection.run(`INSERT INTO ${q(table)} VALUES (5, ${ra}, ${dec}), (9, NULL, NULL)`);
      const [[raShown, decShown]] = await rows(`SELECT CAST(${ra} AS DOUBLE), CAST(${dec} AS DOUBLE)`);
      const failure = locateDirectorRows(connection, instance, chunker, s, {
        loc: `${table}_l`,
        ovl: `${table}_o`,
      });
      await expect(failure).rejects.toMatchObject({
        code: 'CATALOG_INGEST',
        message: `Object row 5 has an invalid position coord Ra=${String(raShown)}, coord"Dec=${String(decShown)}`,
      });
      expect(
        await rows(`SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '${table}\\_%' ESCAPE '\\'`),
      ).toEqual([]);
    }
  });

  it('refuses position columns that do not reach JavaScript as numbers, as the row-by-row ingest did', async () => {
    const table = `points_${++tableCount}`;
    await connection.run(`CREATE TABLE ${q(table)} ("__rid" BIGINT, "coord Ra" BIGINT, "coord""Dec" DOUBLE)`);
    await connection.run(`INSERT INTO ${q(table)} VALUES (2, 10, 5), (1, 20, 6)`);
    await expect(
      locateDirectorRows(connection, instance, configs[0].chunker, source(table), { loc: 'x_l', ovl: 'x_o' }),
    ).rejects.toMatchObject({ message: 'Object row 1 has an invalid position coord Ra=20, coord"Dec=6' });
  });
});
