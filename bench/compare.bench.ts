/**
 * Compare benchmark (issue 9, "the cross-check between two instances works at survey scale"): `meridian sim
 * catalogs` with N objects, ingested into the embedded DuckDB engine and onto two PostgreSQL worker databases
 * (`cmp_bench_w0_<pid>`, `cmp_bench_w1_<pid>` on the server of MERIDIAN_TEST_POSTGRES), then, each in a child process
 * whose peak RSS is the comparing process's own:
 * - the reference: one full scan of every table on each side (both sides at once, every column read inside the
 *   engine, no hashing);
 * - `compareCatalogs` of the two equal copies;
 * - `compareCatalogs` after one ForcedSource value on a worker is changed in its last bit (found with table, chunk
 *   and key, only that chunk's rows read).
 * The target is 10⁷ Objects in < 1 GB resident and about the time of one full scan of each side.
 */

import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { Catalog, ingestDirectory } from '../src/catalog/index.js';
import { simulateCatalogs } from '../src/sim/index.js';
import { dropDatabase, freshDatabase, uniqueName } from '../test/catalog/postgres/setup.js';
import type { BenchResult } from './harness.js';

export interface CompareBenchOptions {
  readonly objects: number;
  readonly postgresUrl: string;
  readonly workers?: number;
  readonly log?: (line: string) => void;
}

interface ChildResult {
  readonly mode: 'compare' | 'scan';
  readonly ms: number;
  readonly peakRssMb: number;
  readonly rows: number;
  readonly equal?: boolean;
  readonly differingChunks?: readonly string[];
  readonly differences?: readonly {
    table: string;
    chunk: number;
    kind: string;
    key: string;
    columns: string[];
  }[];
}

const dp02Path = fileURLToPath(new URL('../../config/catalog/dp02.yaml', import.meta.url));
const childPath = fileURLToPath(new URL('./compare-child.js', import.meta.url));
/** The `meridian catalog create` defaults. */
const partitioning = { numStripes: 85, numSubStripesPerStripe: 12, overlapDeg: 0.01667 };

async function runChild(mode: 'compare' | 'scan', dirA: string, dirB: string): Promise<ChildResult> {
  const { stdout } = await promisify(execFile)(process.execPath, [childPath, mode, dirA, dirB], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as ChildResult;
}

/** Multiplies one ForcedSource psfFluxErr by (1 + 2⁻⁵²) on the worker that holds it: a last-bit change. */
async function changeOneValue(urls: readonly string[]): Promise<{ chunkId: number; forcedSourceId: string }> {
  for (const url of urls) {
    const client = new pg.Client(url);
    await client.connect();
    try {
      const changed = await client.query(
        `UPDATE forcedsource SET psffluxerr = psffluxerr * (1 + 2.3e-16)
         WHERE forcedsourceid = (SELECT forcedsourceid FROM forcedsource WHERE psffluxerr > 1 LIMIT 1)
         RETURNING chunkid, forcedsourceid::text AS id`,
      );
      if (changed.rows.length === 1)
        return { chunkId: changed.rows[0].chunkid, forcedSourceId: changed.rows[0].id };
    } finally {
      await client.end();
    }
  }
  throw new Error('no ForcedSource row to change');
}

export async function benchCompare(options: CompareBenchOptions): Promise<BenchResult[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const dir = mkdtempSync(join(tmpdir(), 'meridian-bench-compare-'));
  // PostgreSQL workers read the czar's COPY files from under this directory.
  chmodSync(dir, 0o755);
  const schemaYaml = readFileSync(dp02Path, 'utf8');
  const urls: string[] = [];
  const label = `${options.objects.toLocaleString('en')} objects`;
  try {
    const simulated = await simulateCatalogs({ outDir: join(dir, 'sim'), objects: options.objects, seed: 1 });
    const totalRows = Object.values(simulated.tables).reduce((n, t) => n + t.rows, 0);
    log(
      `sim catalogs: ${options.objects} objects, ${totalRows.toLocaleString('en')} rows in ${simulated.seconds.toFixed(1)} s`,
    );
    for (let w = 0; w < (options.workers ?? 2); w++) {
      urls.push(await freshDatabase(options.postgresUrl, uniqueName(`cmp_bench_w${w}`)));
    }
    const dirDuck = join(dir, 'duckdb');
    const dirPostgres = join(dir, 'postgres');
    for (const [catalogDir, engine] of [
      [dirDuck, { kind: 'duckdb' as const }],
      [dirPostgres, { kind: 'postgres' as const, workers: urls }],
    ] as const) {
      const catalog = await Catalog.create(catalogDir, { schemaYaml, partitioning, engine });
      try {
        const started = performance.now();
        await ingestDirectory(catalog, join(dir, 'sim'));
        log(`ingested into ${engine.kind} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      } finally {
        await catalog.close();
      }
    }

    const scan = await runChild('scan', dirDuck, dirPostgres);
    log(`reference scan: ${JSON.stringify(scan)}`);
    const equal = await runChild('compare', dirDuck, dirPostgres);
    log(`compare (equal): ${JSON.stringify({ ...equal, differences: equal.differences?.length })}`);
    if (!equal.equal) log('COMPARE MISMATCH: equal copies reported different');
    const changed = await changeOneValue(urls);
    const found = await runChild('compare', dirDuck, dirPostgres);
    log(`compare (one change at ${JSON.stringify(changed)}): ${JSON.stringify(found)}`);
    const hit = found.differences?.length === 1 && found.differences[0]?.key === changed.forcedSourceId;
    if (!hit || found.differingChunks?.join() !== `ForcedSource:${changed.chunkId}`) {
      log('COMPARE MISMATCH: the changed value was not reported alone');
    }
    const rows = `${(equal.rows / 2).toLocaleString('en')} rows a side`;
    return [
      {
        name: `compare, equal copies (${label}, ${rows}; DuckDB vs ${urls.length} PostgreSQL workers)`,
        value: equal.ms,
        unit: 'ms',
        reference: scan.ms,
        referenceName: 'one full scan of each side',
        target: 1.5 * scan.ms,
      },
      {
        name: `compare, one value changed (${label}; found in ForcedSource chunk ${changed.chunkId})`,
        value: found.ms,
        unit: 'ms',
        reference: scan.ms,
        referenceName: 'one full scan of each side',
        target: 1.5 * scan.ms,
      },
      {
        name: `compare peak RSS, equal copies (${label})`,
        value: equal.peakRssMb,
        unit: 'MB',
        reference: scan.peakRssMb,
        referenceName: 'full scan',
        target: 1024,
      },
      {
        name: `compare peak RSS, one value changed (${label})`,
        value: found.peakRssMb,
        unit: 'MB',
        reference: scan.peakRssMb,
        referenceName: 'full scan',
        target: 1024,
      },
    ];
  } finally {
    for (const url of urls) await dropDatabase(url).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}
