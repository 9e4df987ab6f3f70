/**
 * Catalog benchmark: the query set on N synthetic Object rows (default 1,000,000; the figure is
 * 10,000,000, `--objects 10000000`), through Meridian's own query path on the embedded DuckDB engine and on
 * PostgreSQL workers, each beside the same ADQL on one unpartitioned table in plain DuckDB and in plain PostgreSQL
 * with q3c, in the same run. Prints ratios (Meridian / plain).
 */

import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { duckdbDialect, parseAdql, postgresDialect, toSql } from '../src/catalog/adql/index.js';
import { Catalog } from '../src/catalog/index.js';
import { sqlType } from '../src/catalog/physical.js';
import { loadCatalogSchema } from '../src/catalog/schema.js';
import { dropDatabase, freshDatabase, uniqueName, workerSetup } from '../test/catalog/postgres/setup.js';
import { type BenchResult, percentile, timeIt } from './harness.js';

export interface CatalogBenchOptions {
  readonly objects: number;
  /** Objects that get forced sources (10 each), for the light curve. */
  readonly lightCurveObjects?: number;
  readonly postgresUrl?: string | null;
  readonly workers?: number;
  readonly log?: (line: string) => void;
}

interface BenchQuery {
  readonly name: string;
  /** ADQL per run (random centres / ids vary per run). */
  readonly adql: (run: number) => string;
  readonly runs: number;
  /** Target for Meridian on DuckDB, ms (absolute) or ratio to plain DuckDB. */
  readonly targetMs?: number;
  readonly targetRatio?: number;
}

/** Deterministic pseudo-random numbers for query parameters. */
function sequence(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

const ID_BASE = 1249537790362800000n;

async function generate(
  dir: string,
  objects: number,
  lightCurveObjects: number,
): Promise<Record<string, string>> {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  const files = {
    Object: join(dir, 'Object.parquet'),
    ForcedSource: join(dir, 'ForcedSource.parquet'),
    CcdVisit: join(dir, 'CcdVisit.parquet'),
  };
  await c.run('SELECT setseed(0.42)');
  // Uniform on the sphere within RA 50–70, Dec −45…−30 (about 240 deg², the DC2 footprint's size).
  await c.run(`COPY (SELECT ${ID_BASE} + i * 7 AS objectId, 50 + 20 * random() AS coord_ra,
      degrees(asin(sin(radians(-45)) + (sin(radians(-30)) - sin(radians(-45))) * random())) AS coord_dec,
      random() < 0.85 AS detect_isPrimary, CASE WHEN random() < 0.6 THEN 1.0 ELSE 0.0 END AS refExtendedness,
      10 ^ (2 + 3 * random()) AS g_cModelFlux, 10 ^ (2 + 3 * random()) AS r_cModelFlux, 10 ^ (2 + 3 * random()) AS i_cModelFlux,
      10 ^ (2 + 3 * random()) AS r_psfFlux, 4431 + CAST(floor(random() * 20) AS BIGINT) AS tract
    FROM range(${objects}) t(i)) TO '${files.Object}' (FORMAT parquet)`);
  await c.run(`COPY (SELECT i AS ccdVisitId, 190000 + i // 4 AS visitId, i % 4 AS detector, ['u','g','r','i','z','y'][1 + (i // 4) % 6] AS band,
      60900 + i * 0.01 AS expMidptMJD, 60900 + i * 0.01 AS obsStartMJD FROM range(1000) t(i)) TO '${files.CcdVisit}' (FORMAT parquet)`);
  await c.run(`COPY (SELECT o * 10 + k AS forcedSourceId, ${ID_BASE} + o * 7 AS objectId, CAST(floor(random() * 1000) AS BIGINT) AS ccdVisitId,
      'r' AS band, 1000 * random() AS psfFlux, 10 * random() AS psfFluxErr
    FROM range(${lightCurveObjects}) a(o), range(10) b(k)) TO '${files.ForcedSource}' (FORMAT parquet)`);
  c.closeSync();
  instance.closeSync();
  return files;
}

function queries(objects: number, lightCurveObjects: number): BenchQuery[] {
  const rand = sequence(7);
  const centre = () => [52 + 16 * rand(), -43 + 11 * rand()] as const;
  const cones = Array.from({ length: 60 }, centre);
  const ids = Array.from({ length: 60 }, () => ID_BASE + BigInt(Math.floor(rand() * objects)) * 7n);
  const lc = Array.from({ length: 60 }, () => ID_BASE + BigInt(Math.floor(rand() * lightCurveObjects)) * 7n);
  const cone = (ra: number, dec: number, r: number) =>
    `CONTAINS(POINT('ICRS', coord_ra, coord_dec), CIRCLE('ICRS', ${ra.toFixed(5)}, ${dec.toFixed(5)}, ${r})) = 1`;
  return [
    {
      name: 'cone r = 0.01° (p50)',
      adql: (i) =>
        `SELECT objectId, coord_ra, coord_dec FROM Object WHERE ${cone(cones[i][0], cones[i][1], 0.01)}`,
      runs: 50,
      targetMs: 5,
    },
    {
      name: 'cone r = 1° count',
      adql: (i) => `SELECT COUNT(*) FROM Object WHERE ${cone(cones[i][0], cones[i][1], 1)}`,
      runs: 10,
      targetRatio: 1.5,
    },
    {
      name: 'objectId lookup, 4 columns (p50)',
      adql: (i) =>
        `SELECT objectId, coord_ra, coord_dec, r_cModelFlux FROM Object WHERE objectId = ${ids[i]}`,
      runs: 50,
      targetMs: 2,
    },
    {
      name: 'objectId lookup, SELECT * (p50)',
      adql: (i) => `SELECT * FROM Object WHERE objectId = ${ids[i]}`,
      runs: 50,
    },
    {
      name: 'full-table aggregate',
      adql: () => 'SELECT COUNT(*), AVG(r_cModelFlux), MIN(coord_dec), MAX(coord_dec) FROM Object',
      runs: 5,
      targetRatio: 1.5,
    },
    {
      name: 'GROUP BY magnitude histogram',
      adql: () =>
        'SELECT FLOOR(-2.5 * LOG10(r_cModelFlux) + 31.4) AS mag, COUNT(*) AS n FROM Object WHERE refExtendedness = 0 GROUP BY FLOOR(-2.5 * LOG10(r_cModelFlux) + 31.4)',
      runs: 5,
      targetRatio: 1.5,
    },
    {
      // o2 first: the PostgreSQL dialect's q3c_join puts the index on the first point, which must be the free side.
      name: 'near-neighbour self-join, 1 deg²',
      adql: () =>
        "SELECT COUNT(*) FROM Object o1, Object o2 WHERE CONTAINS(POINT('ICRS', o1.coord_ra, o1.coord_dec), BOX('ICRS', 60, -37, 1.25, 0.8)) = 1 AND DISTANCE(POINT('ICRS', o2.coord_ra, o2.coord_dec), POINT('ICRS', o1.coord_ra, o1.coord_dec)) < 0.002 AND o1.objectId <> o2.objectId",
      runs: 3,
      targetRatio: 1.5,
    },
    {
      name: 'light curve (p50)',
      adql: (i) =>
        `SELECT fs.psfFlux, fs.psfFluxErr, cv.expMidptMJD FROM ForcedSource AS fs JOIN CcdVisit AS cv ON fs.ccdVisitId = cv.ccdVisitId WHERE fs.objectId = ${lc[i]}`,
      runs: 30,
    },
  ];
}

/** Rows as sorted canonical text (6 significant digits), to check that Meridian and the reference agree. */
function canonical(rows: readonly (readonly unknown[])[]): string {
  const cell = (v: unknown): string => {
    if (typeof v === 'boolean') return String(Number(v));
    if (typeof v === 'string' && /^-?\d+\.\d*(e[-+]?\d+)?$/i.test(v)) return cell(Number(v));
    return typeof v === 'number' ? Number(v.toPrecision(6)).toString() : String(v);
  };
  return rows
    .map((r) => r.map(cell).join('|'))
    .sort()
    .join('\n');
}

async function timeRuns(query: BenchQuery, run: (adql: string) => Promise<unknown>): Promise<number> {
  await run(query.adql(query.runs));
  await run(query.adql(query.runs + 1));
  const times: number[] = [];
  for (let i = 0; i < query.runs; i++) times.push(await timeIt(() => run(query.adql(i))));
  return percentile(times, 50);
}

/** The shipped schema: the benchmarks run compiled from dist-bench/bench/, two levels below the repository. */
const dp02Path = fileURLToPath(new URL('../../config/catalog/dp02.yaml', import.meta.url));
const dp02 = () => loadCatalogSchema(dp02Path);

/** Plain DuckDB with the same (full-width) tables as the catalog, unpartitioned, rows in file order. */
async function plainDuckdb(
  files: Record<string, string>,
): Promise<{ connection: DuckDBConnection; close: () => void }> {
  const schema = dp02();
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  for (const [table, path] of Object.entries(files)) {
    const t = schema.tables.find((x) => x.name === table);
    const defs = t?.columns.map((c) => `"${c.name}" ${sqlType(c.datatype, 'duckdb')}`).join(', ');
    await connection.run(`CREATE TABLE "${table}" (${defs})`);
    await connection.run(`INSERT INTO "${table}" BY NAME SELECT * FROM read_parquet('${path}')`);
  }
  return {
    connection,
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

async function plainPostgres(url: string, files: Record<string, string>, dir: string): Promise<pg.Client> {
  const schema = dp02();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('SET jit = off');
  const duck = await DuckDBInstance.create(':memory:');
  const c = await duck.connect();
  for (const [table, path] of Object.entries(files)) {
    const t = schema.tables.find((x) => x.name === table);
    if (!t) continue;
    const defs = t.columns.map((col) => `"${col.name.toLowerCase()}" ${sqlType(col.datatype, 'postgres')}`);
    await client.query(`CREATE TABLE "${table.toLowerCase()}" (${defs.join(', ')})`);
    const described = (
      await c.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${path}')`)
    ).getRowObjectsJS();
    const csv = join(dir, `${table}.csv`);
    const select = described.map((d) =>
      d.column_type === 'BOOLEAN' ? `CAST("${d.column_name}" AS INTEGER)` : `"${d.column_name}"`,
    );
    await c.run(
      `COPY (SELECT ${select.join(', ')} FROM read_parquet('${path}')) TO '${csv}' (FORMAT csv, HEADER false)`,
    );
    chmodSync(csv, 0o644);
    const names = described.map((d) => `"${String(d.column_name).toLowerCase()}"`).join(', ');
    await client.query(`COPY "${table.toLowerCase()}" (${names}) FROM '${csv}' WITH (FORMAT csv)`);
  }
  c.closeSync();
  duck.closeSync();
  await client.query('CREATE INDEX ON "object" (q3c_ang2ipix("coord_ra", "coord_dec"))');
  await client.query('CREATE INDEX ON "object" ("objectid")');
  await client.query('CREATE INDEX ON "forcedsource" ("objectid")');
  await client.query('CREATE INDEX ON "ccdvisit" ("ccdvisitid")');
  await client.query('ANALYZE');
  return client;
}

export async function benchCatalog(options: CatalogBenchOptions): Promise<BenchResult[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const lightCurveObjects = options.lightCurveObjects ?? Math.min(options.objects, 100_000);
  const dir = mkdtempSync(join(tmpdir(), 'meridian-bench-catalog-'));
  chmodSync(dir, 0o755);
  const results: BenchResult[] = [];
  const schemaYaml = readFileSync(dp02Path, 'utf8');
  const partitioning = { numStripes: 340, numSubStripesPerStripe: 3, overlapDeg: 0.01667 };
  try {
    const files = await generate(dir, options.objects, lightCurveObjects);
    const suite = queries(options.objects, lightCurveObjects);
    const load = async (catalog: Catalog, label: string) => {
      for (const table of ['CcdVisit', 'Object', 'ForcedSource']) {
        const ms = await timeIt(() => catalog.ingestFiles(table, [files[table]]));
        log(`${label}: ingested ${table} in ${(ms / 1000).toFixed(1)} s`);
      }
    };
    const meridian = await Catalog.create(join(dir, 'duckdb'), { schemaYaml, partitioning });
    await load(meridian, 'Meridian/DuckDB');
    const plain = await plainDuckdb(files);
    const plainRun = async (adql: string) => {
      const { sql, params } = toSql(parseAdql(adql), duckdbDialect, {
        tableName: (ref) => `"${ref.name[ref.name.length - 1].name}"`,
      });
      return (await plain.connection.runAndReadAll(sql, params as never)).getRowsJS();
    };
    for (const q of suite) {
      const same = canonical((await meridian.query(q.adql(0))).rows) === canonical(await plainRun(q.adql(0)));
      if (!same) log(`RESULT MISMATCH on DuckDB: ${q.name}`);
      const value = await timeRuns(q, (adql) => meridian.query(adql));
      const reference = await timeRuns(q, plainRun);
      results.push({
        name: `${q.name} (${options.objects.toLocaleString('en')} rows, DuckDB)`,
        value,
        unit: 'ms',
        reference,
        referenceName: 'plain DuckDB',
        target: q.targetMs ?? (q.targetRatio ? q.targetRatio * reference : undefined),
      });
    }
    plain.close();
    await meridian.close();
    if (options.postgresUrl) {
      const setup = await workerSetup(
        options.postgresUrl,
        options.workers ?? 3,
        uniqueName('meridian_bench_workers'),
      );
      log(`PostgreSQL workers: ${setup.note}`);
      const onWorkers = await Catalog.create(join(dir, 'postgres'), {
        schemaYaml,
        partitioning,
        engine: { kind: 'postgres', workers: setup.urls },
      });
      try {
        await load(onWorkers, 'Meridian/PostgreSQL');
        const plainUrl = await freshDatabase(options.postgresUrl, uniqueName('meridian_bench_plain'));
        const client = await plainPostgres(plainUrl, files, dir);
        const plainPg = async (adql: string) => {
          const { sql, params } = toSql(parseAdql(adql), postgresDialect, {
            tableName: (ref) => `"${ref.name[ref.name.length - 1].name.toLowerCase()}"`,
          });
          // Same protocol choice as Meridian's worker engine: the simple protocol when there is nothing to bind.
          const query =
            params.length > 0
              ? { text: sql, values: params, rowMode: 'array' as const }
              : { text: sql, rowMode: 'array' as const };
          return (await client.query(query)).rows;
        };
        for (const q of suite) {
          const same =
            canonical((await onWorkers.query(q.adql(0))).rows) ===
            canonical((await plainPg(q.adql(0))) as unknown[][]);
          if (!same) log(`RESULT MISMATCH on PostgreSQL: ${q.name}`);
          const value = await timeRuns(q, (adql) => onWorkers.query(adql));
          const reference = await timeRuns(q, plainPg);
          results.push({
            name: `${q.name} (${options.objects.toLocaleString('en')} rows, ${setup.urls.length} PostgreSQL workers)`,
            value,
            unit: 'ms',
            reference,
            referenceName: 'plain PostgreSQL+q3c',
            target: 2 * reference,
          });
        }
        await client.end();
        await dropDatabase(plainUrl);
      } finally {
        await onWorkers.close();
        await setup.stop();
      }
    } else {
      log('(PostgreSQL catalog benchmark skipped: set MERIDIAN_TEST_POSTGRES)');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
