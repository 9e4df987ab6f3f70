/**
 * Chunk, sub-chunk and overlap sub-chunks of staged director rows, computed in DuckDB SQL over whole columns
 * instead of row by row in JavaScript, with results identical to `Chunker.locate` and `Chunker.overlapSubChunks`.
 *
 * Identity rests on one rule: SQL answers only where no rounding can change the answer, and hands every other row
 * to the JavaScript chunker.
 * - Home cell: `locate` is floor((dec + 90) / subStripeHeight) and floor(ra · n / 360) followed by corrections that
 *   act only within a few ulps of a cell edge. A row further than EPS (in cell units) from every sub-stripe and
 *   sub-chunk edge gets the plain floor values, which the corrections cannot change; the others ("flagged") go to
 *   JavaScript. Stripe and chunk edges are sub-stripe and sub-chunk edges, so they need no separate test.
 * - Overlap: the JavaScript answer is every other sub-chunk whose distance from the point is ≤ overlap, out of a
 *   candidate set that contains every sub-chunk nearer than the overlap. SQL computes the distance to each candidate
 *   box with a separate formula, so it may differ from the JavaScript value by rounding (~1e-15 rad); a row is
 *   decided in SQL only when every candidate's distance is further than a band (1e-7 of the radius) from the
 *   overlap radius. Rows with a distance inside the band, and rows next to cells more than 90° wide in longitude
 *   (near a pole), where the distance formula does not hold, go to JavaScript.
 * On uniformly random positions no row goes to JavaScript; on positions lying exactly on cell edges most do.
 * `test/catalog/locate.test.ts` checks the equality on random points and on points placed exactly on edges.
 */

import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { meridianError } from '../errors.js';
import type { Chunker } from '../sphere/index.js';
import { quoteDuck as q } from './czar.js';

export interface LocateSource {
  /** Staged table holding the rows. */
  readonly table: string;
  readonly ra: string;
  readonly dec: string;
  /** BIGINT row id column, copied into the output tables. */
  readonly rid: string;
  /** Table name used in error messages (the catalog table, not the staging table); defaults to `table`. */
  readonly name?: string;
}

export interface LocateOutput {
  /** Created with one row per source row: (rid BIGINT, chunkId INTEGER, subChunkId INTEGER). */
  readonly loc: string;
  /** Created with one row per (source row, other sub-chunk within the overlap): same columns. */
  readonly ovl: string;
}

/** Distance from a cell edge, in cell units, within which `Chunker.locate` decides (≫ the ~1e-12 rounding). */
const EPS = 1e-8;

/** Column types that DuckDB's CAST and the JavaScript client turn into the same double (DECIMAL checked too). */
const EXACT_NUMERIC_TYPES = new Set([
  'DOUBLE',
  'FLOAT',
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'UTINYINT',
  'USMALLINT',
  'UINTEGER',
]);
const isExactNumeric = (type: string): boolean => EXACT_NUMERIC_TYPES.has(type) || type.startsWith('DECIMAL');

/** A double constant for SQL: the shortest round-trip decimal, read back by DuckDB as exactly the same double. */
function dbl(x: number): string {
  return `CAST('${String(x)}' AS DOUBLE)`;
}

/**
 * Creates `out.loc` and `out.ovl` for every row of `source.table`. Throws CATALOG_INGEST naming the first row (lowest
 * rid) whose position is NULL, not finite or has |dec| > 90.
 */
export async function locateDirectorRows(
  connection: DuckDBConnection,
  instance: DuckDBInstance,
  chunker: Chunker,
  source: LocateSource,
  out: LocateOutput,
): Promise<{ rows: number; overlapRows: number }> {
  await requireValidPositions(connection, source);
  const scratch = {
    grid: `${out.loc}__grid`,
    near: `${out.loc}__near`,
    cand: `${out.loc}__cand`,
    fallback: `${out.loc}__fallback`,
  };
  const sql = new LocateSql(chunker, source, scratch);
  try {
    await connection.run(sql.createGrid());
    await connection.run(
      `CREATE TABLE ${q(out.loc)} AS SELECT rid, chunkId, subChunkId FROM (${sql.located()}) WHERE NOT flagged`,
    );
    await connection.run(sql.createNear());
    if (chunker.overlapDeg > 0) {
      await connection.run(sql.createCandidates());
      await connection.run(
        `CREATE TEMP TABLE ${q(scratch.fallback)} AS
         SELECT rid, ra, dec, flagged FROM ${q(scratch.near)} WHERE flagged OR rid IN (SELECT rid FROM ${q(scratch.cand)} WHERE uncertain)`,
      );
      await connection.run(
        `CREATE TABLE ${q(out.ovl)} AS SELECT rid, chunkId, subChunkId FROM ${q(scratch.cand)}
         WHERE inside AND rid NOT IN (SELECT rid FROM ${q(scratch.fallback)})`,
      );
    } else {
      await connection.run(
        `CREATE TEMP TABLE ${q(scratch.fallback)} AS SELECT rid, ra, dec, flagged FROM ${q(scratch.near)} WHERE flagged`,
      );
      await connection.run(`CREATE TABLE ${q(out.ovl)} (rid BIGINT, chunkId INTEGER, subChunkId INTEGER)`);
    }
    await locateInJs(connection, instance, chunker, scratch.fallback, out);
  } finally {
    for (const name of Object.values(scratch)) await connection.run(`DROP TABLE IF EXISTS ${q(name)}`);
  }
  const counts = await connection.runAndReadAll(
    `SELECT (SELECT COUNT(*) FROM ${q(out.loc)}) AS n, (SELECT COUNT(*) FROM ${q(out.ovl)}) AS o`,
  );
  const [rows, overlapRows] = counts.getRowsJS()[0];
  return { rows: Number(rows), overlapRows: Number(overlapRows) };
}

/** Same test and message as the row-by-row ingest: the client's view of the values, lowest rid first. */
async function requireValidPositions(connection: DuckDBConnection, source: LocateSource): Promise<void> {
  const described = await connection.runAndReadAll(
    `SELECT typeof(${q(source.ra)}), typeof(${q(source.dec)}) FROM ${q(source.table)} LIMIT 1`,
  );
  const types = described.getRowsJS()[0] ?? [];
  // Other types (BIGINT, VARCHAR…) reached the row-by-row ingest as bigints or strings, which it refused at the
  // first row.
  const numeric = types.every((t) => isExactNumeric(String(t)));
  const ra = `CAST(${q(source.ra)} AS DOUBLE)`;
  const dec = `CAST(${q(source.dec)} AS DOUBLE)`;
  const valid = numeric
    ? `${ra} IS NOT NULL AND ${dec} IS NOT NULL AND isfinite(${ra}) AND ${dec} >= -90 AND ${dec} <= 90`
    : 'false';
  const bad = await connection.runAndReadAll(
    `SELECT ${q(source.rid)}, ${q(source.ra)}, ${q(source.dec)} FROM ${q(source.table)}
     WHERE NOT coalesce(${valid}, false) ORDER BY ${q(source.rid)} LIMIT 1`,
  );
  const row = bad.getRowsJS()[0];
  if (!row) return;
  const [rid, raValue, decValue] = row;
  const name = source.name ?? source.table;
  throw meridianError(
    'CATALOG_INGEST',
    `${name} row ${String(rid)} has an invalid position ${source.ra}=${String(raValue)}, ${source.dec}=${String(decValue)}`,
    { table: name },
  );
}

/** The SQL text of each step, with the partitioning's constants written in. */
class LocateSql {
  private readonly chunker: Chunker;
  private readonly source: LocateSource;
  private readonly scratch: Record<'grid' | 'near' | 'cand' | 'fallback', string>;
  /** Radius, degrees, beyond which a sub-chunk is certainly outside the overlap: generous against rounding. */
  private readonly reachDeg: number;
  private readonly limitRad: number;
  /** Half-width, radians, of the band around the overlap radius where SQL does not decide. */
  private readonly bandRad: number;

  constructor(
    chunker: Chunker,
    source: LocateSource,
    scratch: Record<'grid' | 'near' | 'cand' | 'fallback', string>,
  ) {
    this.chunker = chunker;
    this.source = source;
    this.scratch = scratch;
    this.reachDeg = chunker.overlapDeg * (1 + 1e-5) + 1e-9;
    this.limitRad = (chunker.overlapDeg * Math.PI) / 180;
    this.bandRad = this.limitRad * 1e-7 + 1e-13;
  }

  /** One row per sub-stripe: its cells and the offsets that turn a cell index into chunk and sub-chunk ids. */
  createGrid(): string {
    const c = this.chunker;
    const rows = c.subStripeLayout().map((s) => {
      const chunkBase = 2 * c.numStripes * s.stripe;
      const subBase = c.maxSubChunksPerChunk * (s.subStripe - s.stripe * c.numSubStripesPerStripe);
      const cells = s.chunks * s.subChunksPerChunk;
      return `(${s.subStripe}, ${cells}, ${s.subChunksPerChunk}, ${chunkBase}, ${subBase}, ${dbl(s.latMinDeg)}, ${dbl(s.latMaxDeg)})`;
    });
    return `CREATE TEMP TABLE ${q(this.scratch.grid)} AS
      SELECT * FROM (VALUES ${rows.join(', ')}) t(ss, cells, nsub, chunkBase, subBase, latMin, latMax)`;
  }

  /**
   * Every source row with its sub-stripe `ss`, cell `g` (sub-chunk index counted from longitude 0 along the
   * sub-stripe), chunk and sub-chunk ids, and `flagged` when it lies too near a cell edge for these to be sure.
   */
  located(): string {
    const c = this.chunker;
    const numSubStripes = c.numStripes * c.numSubStripesPerStripe;
    const s = this.source;
    // ra normalised as normalizeLonDeg does; DuckDB's % on DOUBLE is C fmod, like JavaScript's. The expressions for
    // y and v are the ones `locate` floors, so a row far from an edge gets exactly its cell.
    return `
      SELECT rid, ra, dec, ran, ss, cells, nsub, latMin, latMax, g, flagged,
             CAST(chunkBase + g // nsub AS INTEGER) AS chunkId, CAST(subBase + g % nsub AS INTEGER) AS subChunkId
      FROM (
        SELECT *, CAST(floor(v) AS INTEGER) AS g, abs(y - round(y)) < ${EPS} OR abs(v - round(v)) < ${EPS} AS flagged
        FROM (
          SELECT p.rid, p.ra, p.dec, p.ran, p.y, grid.*, p.ran * grid.cells / 360 AS v
          FROM (
            SELECT rid, ra, dec, ran, (dec + 90) / ${dbl(c.subStripeHeightDeg)} AS y
            FROM (
              SELECT rid, ra, dec,
                     CASE WHEN r < 0 THEN (CASE WHEN r + 360 >= 360 THEN 0 ELSE r + 360 END) ELSE r END AS ran
              FROM (
                SELECT CAST(${q(s.rid)} AS BIGINT) AS rid, CAST(${q(s.ra)} AS DOUBLE) AS ra,
                       CAST(${q(s.dec)} AS DOUBLE) AS dec, CAST(${q(s.ra)} AS DOUBLE) % 360 AS r
                FROM ${q(s.table)}
              )
            )
          ) p
          JOIN ${q(this.scratch.grid)} grid
            ON grid.ss = CAST(least(${numSubStripes - 1}, greatest(0, floor(p.y))) AS INTEGER)
        )
      )`;
  }

  /**
   * Rows that may have another sub-chunk within the overlap, by the ingest's `farFromEdges` test with the larger
   * radius `reachDeg` (distance to a parallel edge ≥ |Δdec|, to a meridian edge ≥ asin(sin Δra · cos dec)), plus
   * every flagged row. With no overlap only the flagged rows.
   */
  createNear(): string {
    const reach = dbl(this.reachDeg);
    const nearEdge =
      this.chunker.overlapDeg > 0
        ? ` OR dec - latMin <= ${reach} OR latMax - dec <= ${reach}
            OR (cells > 1 AND NOT (dLon < 90 AND sin(radians(dLon)) * cos(radians(dec)) > sin(radians(${reach}))))`
        : '';
    return `CREATE TEMP TABLE ${q(this.scratch.near)} AS
      SELECT rid, ra, dec, ran, ss, g, flagged, latMin, latMax
      FROM (
        SELECT *, least(ran - CAST(g AS DOUBLE) * 360 / cells, CAST(g + 1 AS DOUBLE) * 360 / cells - ran) AS dLon
        FROM (${this.located()})
      )
      WHERE flagged${nearEdge}`;
  }

  /**
   * For each unflagged near row, every sub-chunk other than its own that can be within `reachDeg`: the same and
   * the adjacent sub-stripes (the overlap is at most a sub-stripe high), and in each the cells meeting the
   * longitude range ra ± α, α = asin(sin reach / cos dec) (the half-width of the circle of that radius). Each gets
   * `inside` (certainly within the overlap) and `uncertain` (too close to the radius to tell, or near a pole where
   * the distance formula does not apply).
   */
  createCandidates(): string {
    const reach = dbl(this.reachDeg);
    const numSubStripes = this.chunker.numStripes * this.chunker.numSubStripesPerStripe;
    const near = q(this.scratch.near);
    const grid = q(this.scratch.grid);
    // Which neighbouring sub-stripes a row needs: the ones across a parallel edge only when that edge is near.
    const neighbours = [
      `n.ss - 1 AS nss, n.dec - n.latMin <= ${reach} AS wanted`,
      `n.ss AS nss, true AS wanted`,
      `n.ss + 1 AS nss, n.latMax - n.dec <= ${reach} AS wanted`,
    ]
      .map((pick) => `SELECT n.*, ${pick} FROM ${near} n WHERE NOT n.flagged`)
      .join(' UNION ALL ');
    return `CREATE TEMP TABLE ${q(this.scratch.cand)} AS
      WITH neighbour AS (
        SELECT rid, ran, dec, ss, g, radians(dec) AS phi, nss,
               CASE WHEN abs(dec) + ${reach} >= 90 THEN 180
                    ELSE degrees(asin(least(1, sin(radians(${reach})) / cos(radians(dec))))) END AS alpha
        FROM (${neighbours}) WHERE wanted AND nss >= 0 AND nss < ${numSubStripes}
      ),
      span AS (
        SELECT n.*, c.cells, c.nsub, c.chunkBase, c.subBase, c.latMin, c.latMax,
               CAST(floor((n.ran - n.alpha) * c.cells / 360) AS BIGINT) AS lo,
               CAST(floor((n.ran + n.alpha) * c.cells / 360) AS BIGINT) AS hi
        FROM neighbour n JOIN ${grid} c ON c.ss = n.nss
      ),
      cell AS (
        SELECT rid, ran, dec, phi, ss, g, nss, cells, nsub, chunkBase, subBase, latMin, latMax,
               CAST(((k % cells) + cells) % cells AS INTEGER) AS cg
        -- Beyond α = 30° (a fraction of a degree from a pole, or a very wide overlap) the whole sub-stripe is taken:
        -- it has few cells there, and asin near 1 rounds coarsely.
        FROM (
          SELECT *, unnest(CASE WHEN alpha > 30 OR hi - lo + 1 >= cells THEN range(0, cells) ELSE range(lo, hi + 1) END) AS k
          FROM span
        )
      ),
      box AS (
        SELECT rid, chunkBase + cg // nsub AS chunkId, subBase + cg % nsub AS subChunkId, phi, latMin, latMax,
               radians(greatest(latMin - dec, dec - latMax, 0)) AS latGap,
               cells = 1 OR (ran - west + 360) % 360 <= 360 / cells AS lonInside,
               radians(ran - west) AS dA, radians(ran - east) AS dB
        FROM (
          SELECT *, CAST(cg AS DOUBLE) * 360 / cells AS west, CAST(cg + 1 AS DOUBLE) * 360 / cells AS east
          FROM cell WHERE NOT (nss = ss AND cg = g)
        )
      ),
      distance AS (
        SELECT rid, chunkId, subChunkId, latGap,
               CASE WHEN lonInside THEN latGap
                    ELSE least(${this.meridianDistance('dA')}, ${this.meridianDistance('dB')}) END AS d,
               NOT lonInside AND (cos(dA) < 0 OR cos(dB) < 0) AS polar
        FROM box
      )
      SELECT rid, CAST(chunkId AS INTEGER) AS chunkId, CAST(subChunkId AS INTEGER) AS subChunkId,
             d < ${dbl(this.limitRad - this.bandRad)} AND NOT polar AS inside,
             (d >= ${dbl(this.limitRad - this.bandRad)} AND d <= ${dbl(this.limitRad + this.bandRad)})
               OR (polar AND latGap <= ${dbl(this.limitRad + this.bandRad)}) AS uncertain
      FROM distance`;
  }

  /**
   * Distance (radians) from the point to the meridian edge at longitude offset `d` (radians, point minus edge):
   * the nearest point of the edge's great circle is at latitude φ0 = atan2(sin φ, cos φ cos d), clamped to the
   * edge (exact while cos d ≥ 0), and the distance to it by the haversine formula, accurate for small distances.
   */
  private meridianDistance(d: string): string {
    const phi0 = `atan2(sin(phi), cos(phi) * cos(${d}))`;
    const foot = `least(greatest(${phi0}, radians(latMin)), radians(latMax))`;
    return `2 * asin(least(1, sqrt(pow(sin((${foot} - phi) / 2), 2) + cos(phi) * cos(${foot}) * pow(sin(${d} / 2), 2))))`;
  }
}

/**
 * Rows SQL could not decide, through the JavaScript chunker exactly as the row-by-row ingest did: home cell for
 * flagged rows, then overlap sub-chunks unless the row is far from every edge of its sub-chunk.
 */
async function locateInJs(
  connection: DuckDBConnection,
  instance: DuckDBInstance,
  chunker: Chunker,
  fallback: string,
  out: LocateOutput,
): Promise<void> {
  // The fallback table is TEMP, so it is read on this connection; appending on the connection of a streaming
  // result would end that stream early, so the rows are written through a second one.
  const writer = await instance.connect();
  try {
    const loc = await writer.createAppender(out.loc);
    const ovl = await writer.createAppender(out.ovl);
    try {
      const boxes = new Map<number, SubChunkEdges>();
      const result = await connection.stream(`SELECT rid, ra, dec, flagged FROM ${q(fallback)}`);
      for await (const batch of result.yieldRowsJs()) {
        for (const [rid, ra, dec, flagged] of batch as [bigint, number, number, boolean][]) {
          const home = chunker.locate(ra, dec);
          if (flagged) {
            loc.appendBigInt(rid);
            loc.appendInteger(home.chunkId);
            loc.appendInteger(home.subChunkId);
            loc.endRow();
          }
          if (farFromEdges(chunker, home.chunkId, home.subChunkId, ra, dec, boxes)) continue;
          for (const near of chunker.overlapSubChunks(ra, dec)) {
            ovl.appendBigInt(rid);
            ovl.appendInteger(near.chunkId);
            ovl.appendInteger(near.subChunkId);
            ovl.endRow();
          }
        }
      }
    } finally {
      loc.closeSync();
      ovl.closeSync();
    }
  } finally {
    writer.closeSync();
  }
}

interface SubChunkEdges {
  readonly lonMin: number;
  readonly lonMax: number;
  readonly latMin: number;
  readonly latMax: number;
}

/**
 * True when a point is further than the overlap from every edge of its own sub-chunk, so no other sub-chunk can be
 * within the overlap. Distance to a parallel edge is |Δdec|; to a meridian edge it is at least
 * asin(sin Δra · cos dec), the distance to that meridian's great circle. The same test, with the same margin, as
 * the row-by-row ingest, so that the rows it skips stay skipped.
 */
function farFromEdges(
  chunker: Chunker,
  chunkId: number,
  subChunkId: number,
  ra: number,
  dec: number,
  cache: Map<number, SubChunkEdges>,
): boolean {
  const key = chunkId * 100000 + subChunkId;
  let box = cache.get(key);
  if (!box) {
    const b = chunker.subChunkBox(chunkId, subChunkId);
    box = {
      lonMin: b.lonMinDeg,
      lonMax: b.lonMinDeg + b.lonWidthDeg,
      latMin: b.latMinDeg,
      latMax: b.latMaxDeg,
    };
    cache.set(key, box);
  }
  const margin = chunker.overlapDeg * (1 + 1e-9) + 1e-12;
  if (dec - box.latMin <= margin || box.latMax - dec <= margin) return false;
  const lon = ra < box.lonMin ? ra + 360 : ra;
  const dLon = Math.min(lon - box.lonMin, box.lonMax - lon);
  if (!(dLon > 0) || dLon >= 90) return false;
  const rad = Math.PI / 180;
  return Math.sin(dLon * rad) * Math.cos(dec * rad) > Math.sin(margin * rad);
}
