/**
 * The data of the TAP server benchmarks, prepared once into a directory and reused by later runs:
 * - `catalog/`: a Meridian catalog (embedded DuckDB, `meridian catalog create` partitioning) holding exactly N
 *   Object rows (default 1,000,000) taken from a `meridian sim catalogs` run;
 * - `object.csv`: the same rows, the columns DaCHS serves (bench/dachs/q.rd), for the DaCHS peer;
 * - `download/`: a second catalog with M synthetic Object rows (default 5,000,000) for the large sync download
 *   (simulating 20 million truth objects to detect 5 million would take far longer than the download it feeds);
 * - `ready.json`: the footprint (centre and radius the cone centres are drawn from) and the row counts.
 *
 * `node dist-bench/bench/server-data.js DIR [--objects N] [--download-rows M]` prepares DIR and prints ready.json.
 */

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { Catalog } from '../src/catalog/index.js';
import { simulateCatalogs } from '../src/sim/index.js';

export interface ServerBenchData {
  readonly kind: 'server-bench-data';
  readonly version: 1;
  readonly objects: number;
  readonly catalogDir: string;
  readonly objectCsv: string;
  readonly downloadRows: number;
  readonly downloadCatalogDir: string;
  /** Cone centres are drawn uniformly inside this circle (the simulated area less a margin), degrees. */
  readonly footprint: { readonly ra: number; readonly dec: number; readonly radiusDeg: number };
  /** A few objectIds present in the catalog, for lookups (as decimal strings: they exceed 2⁵³). */
  readonly sampleObjectIds: readonly string[];
}

const dp02Path = fileURLToPath(new URL('../../config/catalog/dp02.yaml', import.meta.url));
/** The `meridian catalog create` defaults. */
const partitioning = { numStripes: 85, numSubStripesPerStripe: 12, overlapDeg: 0.01667 };
/**
 * With 6 visits in r and i over the 2° DC2-sized area about half the truth objects are detected in the coadds
 * (measured: 101,716 of 200,000); fewer visits leave much of the area uncovered and detect far fewer.
 */
const DETECTED_FRACTION = 0.45;
const SIM_VISITS = 6;
/** The simulator's default area (12.6 deg²): a 0.01° cone then holds about 25 of 1,000,000 Objects. */
const SIM_RADIUS_DEG = 2;
/** Cone centres stay this far inside the area, where the visits cover the sky evenly. */
const FOOTPRINT_MARGIN_DEG = 0.5;
const SIM_CENTRE = { ra: 61.863, dec: -35.79 };
/** The columns of bench/dachs/q.rd, in its order. */
const DACHS_COLUMNS =
  'objectId, coord_ra, coord_dec, CAST(detect_isPrimary AS SMALLINT) AS detect_isPrimary, refExtendedness, g_cModelFlux, r_cModelFlux, i_cModelFlux';

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

async function withDuckdb<T>(fn: (run: (sql: string) => Promise<unknown>) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    return await fn((sql) => connection.run(sql));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function ingestObject(catalogDir: string, parquet: string): Promise<void> {
  rmSync(catalogDir, { recursive: true, force: true });
  const catalog = await Catalog.create(catalogDir, {
    schemaYaml: readFileSync(dp02Path, 'utf8'),
    partitioning,
    engine: { kind: 'duckdb' },
  });
  try {
    await catalog.ingestFiles('Object', [parquet]);
  } finally {
    await catalog.close();
  }
}

async function sampleIds(catalogDir: string): Promise<string[]> {
  const catalog = await Catalog.open(catalogDir, { readOnly: true });
  try {
    const result = await catalog.query('SELECT TOP 100 objectId FROM Object ORDER BY objectId');
    return result.rows.map((row) => String(row[0]));
  } finally {
    await catalog.close();
  }
}

export async function prepareServerData(
  dir: string,
  options: { objects?: number; downloadRows?: number; log?: (line: string) => void } = {},
): Promise<ServerBenchData> {
  const objects = options.objects ?? 1_000_000;
  const downloadRows = options.downloadRows ?? 5_000_000;
  const log = options.log ?? ((line: string) => console.error(line));
  const readyPath = join(dir, 'ready.json');
  if (existsSync(readyPath)) {
    const ready = JSON.parse(readFileSync(readyPath, 'utf8')) as ServerBenchData;
    if (ready.objects === objects && ready.downloadRows === downloadRows) return ready;
  }
  mkdirSync(dir, { recursive: true });
  const simDir = join(dir, 'sim');
  const objectParquet = join(dir, 'Object.parquet');
  const objectCsv = join(dir, 'object.csv');
  const downloadParquet = join(dir, 'download-Object.parquet');

  rmSync(simDir, { recursive: true, force: true });
  let started = performance.now();
  const simulated = await simulateCatalogs({
    outDir: simDir,
    objects: Math.ceil(objects / DETECTED_FRACTION),
    visits: SIM_VISITS,
    bands: 'gri',
    ra: SIM_CENTRE.ra,
    dec: SIM_CENTRE.dec,
    radiusDeg: SIM_RADIUS_DEG,
    seed: 1,
  });
  const detected = simulated.tables.Object?.rows ?? 0;
  log(`sim catalogs: ${detected} Object rows in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (detected < objects)
    throw new Error(`the simulation detected ${detected} objects, fewer than ${objects}`);

  await withDuckdb(async (run) => {
    // N rows drawn evenly over the area (by a hash of the id, not the first N ids, which cluster by tract).
    const objectFiles = sqlString(`${join(simDir, 'Object')}/*.parquet`);
    await run(`COPY (SELECT * FROM (SELECT * FROM read_parquet(${objectFiles}) ORDER BY hash(objectId) LIMIT ${objects})
        ORDER BY objectId) TO ${sqlString(objectParquet)} (FORMAT parquet)`);
    await run(`COPY (SELECT ${DACHS_COLUMNS} FROM read_parquet(${sqlString(objectParquet)}))
        TO ${sqlString(objectCsv)} (FORMAT csv, HEADER true)`);
    await run('SELECT setseed(0.42)');
    // Synthetic rows in the shape of the benchmark catalog's (catalog.bench.ts): only the download reads them.
    await run(`COPY (SELECT 1249537790362800000 + i * 7 AS objectId, 50 + 20 * random() AS coord_ra,
        degrees(asin(sin(radians(-45)) + (sin(radians(-30)) - sin(radians(-45))) * random())) AS coord_dec,
        random() < 0.85 AS detect_isPrimary, CASE WHEN random() < 0.6 THEN 1.0 ELSE 0.0 END AS refExtendedness,
        10 ^ (2 + 3 * random()) AS g_cModelFlux, 10 ^ (2 + 3 * random()) AS r_cModelFlux,
        10 ^ (2 + 3 * random()) AS i_cModelFlux, 10 ^ (2 + 3 * random()) AS r_psfFlux,
        4431 + CAST(floor(random() * 20) AS BIGINT) AS tract
      FROM range(${downloadRows}) t(i)) TO ${sqlString(downloadParquet)} (FORMAT parquet)`);
  });
  rmSync(simDir, { recursive: true, force: true });

  started = performance.now();
  await ingestObject(join(dir, 'catalog'), objectParquet);
  log(`ingested ${objects} Objects in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  started = performance.now();
  await ingestObject(join(dir, 'download'), downloadParquet);
  log(`ingested ${downloadRows} download rows in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  rmSync(downloadParquet, { force: true });

  const ready: ServerBenchData = {
    kind: 'server-bench-data',
    version: 1,
    objects,
    catalogDir: join(dir, 'catalog'),
    objectCsv,
    downloadRows,
    downloadCatalogDir: join(dir, 'download'),
    footprint: { ...SIM_CENTRE, radiusDeg: SIM_RADIUS_DEG - FOOTPRINT_MARGIN_DEG },
    sampleObjectIds: await sampleIds(join(dir, 'catalog')),
  };
  writeFileSync(readyPath, `${JSON.stringify(ready, null, 2)}\n`);
  return ready;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const opt = (name: string): number | undefined => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  const dir = args[0];
  if (!dir || dir.startsWith('--')) {
    console.error('usage: server-data.js DIR [--objects N] [--download-rows M]');
    process.exit(2);
  }
  const ready = await prepareServerData(dir, { objects: opt('objects'), downloadRows: opt('download-rows') });
  console.log(JSON.stringify(ready, null, 2));
}
