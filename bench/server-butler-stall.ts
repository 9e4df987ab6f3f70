/**
 * Does a slow butler registry query stall TAP? better-sqlite3 is synchronous, so the Butler API runs registry work
 * in worker threads (src/server/butler/service.ts). This bench starts a real server (catalog + repository, port 0)
 * and measures the p99 of 0.01° cone searches through HTTP:
 *
 *   1. unloaded;
 *   2. while a client keeps a ~2 s Butler API query running (POST /api/butler/query-data-ids), back to back;
 *   3. for reference, while the same registry query runs on the server's own thread (a Butler opened in this
 *      process, which is what serving the registry without the pool would do).
 *
 * Target (issue 10): (2) within 2× of (1). `npm run bench -- --only butler-stall [--visits N] [--seconds S]`.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Butler } from '../src/butler/index.js';
import { Catalog } from '../src/catalog/index.js';
import { type RunningServer, startServer } from '../src/server/index.js';
import { generateFixture, ingestOrder } from '../test/catalog/fixtures/generate.js';
import { type BenchResult, percentile } from './harness.js';

export interface ButlerStallOptions {
  /** Visits in the repository; the slow query scans visits × DETECTORS combinations. */
  readonly visits: number;
  /** How long each phase sends cone searches, in seconds. */
  readonly seconds: number;
  readonly log?: (line: string) => void;
}

const DETECTORS = 1000;
/** An OR across two tables cannot be pushed into either: SQLite walks every visit × detector pair. */
const SLOW_WHERE = "visit.exposure_time < 0 OR detector.full_name = 'nobody'";

/** The shipped schema: the benchmarks run compiled from dist-bench/bench/, two levels below the repository. */
const dp02Path = fileURLToPath(new URL('../../config/catalog/dp02.yaml', import.meta.url));

async function makeRepository(root: string, visits: number): Promise<void> {
  await using butler = await Butler.create(root);
  const r = butler.registry;
  await r.insertDimensionData('instrument', [
    {
      name: 'Cam',
      visit_max: 10_000_000,
      exposure_max: 10_000_000,
      detector_max: DETECTORS,
      class_name: 'bench.Cam',
    },
  ]);
  await r.insertDimensionData('physical_filter', [{ instrument: 'Cam', name: 'Cam-r', band: 'r' }]);
  await r.insertDimensionData('day_obs', [{ instrument: 'Cam', id: 20260101 }]);
  await r.insertDimensionData(
    'detector',
    Array.from({ length: DETECTORS }, (_, i) => ({
      instrument: 'Cam',
      id: i + 1,
      full_name: `D${i + 1}`,
      purpose: 'SCIENCE',
    })),
  );
  for (let start = 0; start < visits; start += 5000) {
    const count = Math.min(5000, visits - start);
    await r.insertDimensionData(
      'visit',
      Array.from({ length: count }, (_, i) => ({
        instrument: 'Cam',
        id: start + i + 1,
        name: `v${start + i + 1}`,
        physical_filter: 'Cam-r',
        day_obs: 20260101,
        exposure_time: 30,
      })),
    );
  }
}

/** `clients` loops of cone searches for `seconds`; the latency of each, in ms. */
async function coneLoad(tapUrl: string, seconds: number, clients = 4): Promise<number[]> {
  const latencies: number[] = [];
  const until = performance.now() + seconds * 1000;
  let n = 0;
  const client = async () => {
    while (performance.now() < until) {
      const ra = 62 + ((n * 0.37) % 1) - 0.5;
      const dec = -37 + ((n++ * 0.53) % 1) - 0.5;
      const query = `SELECT objectId, coord_ra, coord_dec FROM dp02_dc2_catalogs.Object WHERE CONTAINS(POINT('ICRS', coord_ra, coord_dec), CIRCLE('ICRS', ${ra.toFixed(4)}, ${dec.toFixed(4)}, 0.01)) = 1`;
      const t0 = performance.now();
      const response = await fetch(`${tapUrl}/sync`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          LANG: 'ADQL',
          REQUEST: 'doQuery',
          FORMAT: 'csv',
          QUERY: query,
        }).toString(),
      });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`cone search failed: HTTP ${response.status}`);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return latencies;
}

/** Runs `slow` back to back until `stop` is set; the duration of each run, in ms. */
async function keepBusy(slow: () => Promise<unknown>, stop: { done: boolean }): Promise<number[]> {
  const durations: number[] = [];
  while (!stop.done) {
    const t0 = performance.now();
    await slow();
    durations.push(performance.now() - t0);
    // A synchronous registry call resolves through microtasks only: yield, or the loop would starve every timer
    // and request (the stop flag included).
    await new Promise((resolve) => setImmediate(resolve));
  }
  return durations;
}

async function whileBusy(
  tapUrl: string,
  seconds: number,
  slow: () => Promise<unknown>,
): Promise<{ latencies: number[]; slowRuns: number[] }> {
  const stop = { done: false };
  const busy = keepBusy(slow, stop);
  // Let the first slow query start before measuring.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const latencies = await coneLoad(tapUrl, seconds);
  stop.done = true;
  return { latencies, slowRuns: await busy };
}

export async function benchButlerStall(options: ButlerStallOptions): Promise<BenchResult[]> {
  const log = options.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'meridian-bench-stall-'));
  let server: RunningServer | undefined;
  try {
    const fixture = generateFixture(join(dir, 'fixture'));
    const catalog = await Catalog.create(join(dir, 'catalog'), {
      schemaYaml: readFileSync(dp02Path, 'utf8'),
    });
    for (const table of ingestOrder) await catalog.ingestFiles(table, [fixture[table]]);
    await catalog.close();
    const repo = join(dir, 'repo');
    await makeRepository(repo, options.visits);

    server = await startServer({ catalog: join(dir, 'catalog'), repo, port: 0, butlerApi: { workers: 1 } });
    const { tapUrl, butlerUrl } = server;
    const slowOverHttp = async () => {
      const response = await fetch(`${butlerUrl}/query-data-ids`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          dimensions: ['visit', 'detector'],
          where: SLOW_WHERE,
          dataId: { instrument: 'Cam' },
        }),
      });
      const body = (await response.json()) as { count?: number };
      if (!response.ok || body.count !== 0) throw new Error(`slow query failed: ${JSON.stringify(body)}`);
    };

    log('butler stall: catalog and repository ready; measuring');
    await coneLoad(tapUrl, 1); // warm-up: engine caches, connections, JIT
    await slowOverHttp(); // warm-up: the worker thread opens the repository
    const unloaded = await coneLoad(tapUrl, options.seconds);
    log(`butler stall: unloaded done (${unloaded.length} cone searches)`);
    const pooled = await whileBusy(tapUrl, options.seconds, slowOverHttp);

    await using inThread = await Butler.open(repo);
    const onThisThread = () =>
      inThread.queryDataIds(['visit', 'detector'], { where: SLOW_WHERE, dataId: { instrument: 'Cam' } });
    const blocking = await whileBusy(tapUrl, options.seconds, onThisThread);

    const p = (values: number[], q: number) => percentile(values, q);
    const slowMs = p(pooled.slowRuns, 50);
    log(
      `butler stall: ${options.visits} visits × ${DETECTORS} detectors; slow query p50 ${slowMs.toFixed(0)} ms ` +
        `over HTTP (${pooled.slowRuns.length} runs); cone searches: unloaded ${unloaded.length}, ` +
        `with the pooled query ${pooled.latencies.length}, with the query on the server thread ${blocking.latencies.length}`,
    );
    const unloadedP99 = p(unloaded, 99);
    return [
      { name: 'butler stall: slow registry query through HTTP (p50)', value: slowMs, unit: 'ms' },
      { name: 'butler stall: cone search p50, unloaded', value: p(unloaded, 50), unit: 'ms' },
      { name: 'butler stall: cone search p99, unloaded', value: unloadedP99, unit: 'ms' },
      {
        name: 'butler stall: cone search p99 while a slow Butler API query runs',
        value: p(pooled.latencies, 99),
        unit: 'ms',
        reference: unloadedP99,
        referenceName: 'unloaded',
        target: 2 * unloadedP99,
      },
      {
        name: 'butler stall: cone search p99 with the same query on the server thread (no pool)',
        value: p(blocking.latencies, 99),
        unit: 'ms',
        reference: unloadedP99,
        referenceName: 'unloaded',
      },
    ];
  } finally {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
