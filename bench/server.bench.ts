/**
 * TAP server benchmarks (issue 10, "Speed and load"), on the data bench/server-data.ts prepares:
 * 1. HTTP overhead in one process (server-overhead.ts): cone through HTTP vs `Catalog.query`; objectId lookup p50;
 * 2. load: a Meridian server in a child process (server-child.ts), then DaCHS when it answers at `dachsTapUrl`,
 *    each hit by the same load (server-load.ts: 50 clients, 0.01° cones, 60 s); throughput, p50, p99, errors and
 *    the throughput ratio Meridian / DaCHS (target ≥ 10×, p99 ≤ 250 ms, 0 errors);
 * 3. `stilts taplint` against DaCHS, its totals logged next to the figures;
 * 4. the large sync download (server-download.ts): rows/s and the server's peak RSS.
 * DaCHS is set up by bench/dachs/setup.sh (not in CI).
 */

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { TokenStore } from '../src/server/index.js';
import type { BenchResult } from './harness.js';
import { prepareServerData } from './server-data.js';
import { benchDownload, startServerChild } from './server-download.js';
import { type LoadResult, runLoad } from './server-load.js';
import { benchHttpOverhead } from './server-overhead.js';

export interface ServerBenchOptions {
  readonly dataDir: string;
  readonly objects?: number;
  readonly downloadRows?: number;
  readonly clients?: number;
  readonly seconds?: number;
  /** DaCHS's TAP root; skipped when it does not answer. */
  readonly dachsTapUrl?: string;
  readonly dachsTable?: string;
  /** Which parts to run (default all). */
  readonly parts?: readonly ('overhead' | 'load' | 'download')[];
  readonly log?: (line: string) => void;
}

async function reachable(tapUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${tapUrl}/availability`, { signal: AbortSignal.timeout(5000) });
    return response.ok;
  } catch {
    return false;
  }
}

/** `stilts taplint` totals ("Totals: Errors: 0; Warnings: 10; ..."), or null when stilts is missing. */
export async function taplintTotals(tapUrl: string): Promise<string | null> {
  try {
    const { stdout } = await promisify(execFile)(
      'stilts',
      ['taplint', `tapurl=${tapUrl}`, 'stages=-OBS -LOC', 'maxrepeat=3'],
      { maxBuffer: 64 * 1024 * 1024, timeout: 600_000 },
    );
    return /^Totals:.*$/m.exec(stdout)?.[0] ?? null;
  } catch (err) {
    return `taplint failed: ${(err as Error).message.slice(0, 200)}`;
  }
}

function describe(name: string, r: LoadResult): string {
  return `${name}: ${r.requests} requests in ${r.seconds.toFixed(1)} s = ${r.perSecond.toFixed(1)}/s, p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, max ${r.maxMs.toFixed(0)} ms, errors ${r.errors}, mean rows ${r.meanRows.toFixed(2)}${r.errorSamples.length > 0 ? `\n  first errors: ${r.errorSamples.join('\n  ')}` : ''}`;
}

export async function benchServer(options: ServerBenchOptions): Promise<BenchResult[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const parts = new Set(options.parts ?? ['overhead', 'load', 'download']);
  const data = await prepareServerData(options.dataDir, {
    objects: options.objects,
    downloadRows: options.downloadRows,
    log,
  });
  const results: BenchResult[] = [];
  if (parts.has('overhead')) results.push(...(await benchHttpOverhead({ data })));

  if (parts.has('load')) {
    const clients = options.clients ?? 50;
    const seconds = options.seconds ?? 60;
    const load = { footprint: data.footprint, clients, seconds, coneRadiusDeg: 0.01, seed: 1 };
    const label = `${clients} clients, ${seconds} s, 0.01° cones, ${data.objects.toLocaleString('en')} Objects`;
    const tokens = await studentTokens(data.catalogDir, load.clients ?? 50);
    const server = await startServerChild(data.catalogDir);
    let meridian: LoadResult;
    try {
      meridian = await runLoad({ ...load, tapUrl: server.ready.tapUrl, table: 'Object', tokens });
    } finally {
      await server.stop();
    }
    log(describe('Meridian (embedded DuckDB)', meridian));
    let dachs: LoadResult | null = null;
    const dachsUrl = options.dachsTapUrl ?? 'http://127.0.0.1:8089/tap';
    if (await reachable(dachsUrl)) {
      dachs = await runLoad({
        ...load,
        tapUrl: dachsUrl,
        table: options.dachsTable ?? 'meridian_bench.object',
      });
      log(describe('DaCHS', dachs));
      log(`taplint on DaCHS (${dachsUrl}, stages -OBS -LOC): ${await taplintTotals(dachsUrl)}`);
    } else {
      log(`DaCHS does not answer at ${dachsUrl}: the peer run is skipped (bench/dachs/setup.sh sets it up)`);
    }
    results.push(
      {
        name: `TAP load throughput (${label}; ${meridian.errors} errors${dachs ? `, DaCHS ${dachs.errors}` : ''})`,
        value: meridian.perSecond,
        unit: 'queries/s',
        higherIsBetter: true,
        ...(dachs
          ? { reference: dachs.perSecond, referenceName: 'DaCHS 2.7 + q3c', target: 10 * dachs.perSecond }
          : {}),
      },
      {
        name: `TAP load p50 (${label})`,
        value: meridian.p50Ms,
        unit: 'ms',
        ...(dachs ? { reference: dachs.p50Ms, referenceName: 'DaCHS 2.7 + q3c' } : {}),
      },
      {
        name: `TAP load p99 (${label})`,
        value: meridian.p99Ms,
        unit: 'ms',
        target: 250,
        ...(dachs ? { reference: dachs.p99Ms, referenceName: 'DaCHS 2.7 + q3c' } : {}),
      },
    );
  }

  if (parts.has('download')) results.push(...(await benchDownload(data, log)));
  return results;
}

/**
 * One read:tap token per client, each for its own user (student-01, …), in the catalog's token store: the load is a
 * class of students, so every request goes through token checking and every client has its own per-user limits.
 */
async function studentTokens(catalogDir: string, clients: number): Promise<string[]> {
  const store = await TokenStore.open({ defaultDir: catalogDir });
  try {
    const tokens: string[] = [];
    for (let i = 1; i <= clients; i++) {
      const user = `student-${String(i).padStart(2, '0')}`;
      tokens.push(
        (await store.create({ user, scopes: ['read:tap'], label: 'bench/server.bench.ts load' })).token,
      );
    }
    return tokens;
  } finally {
    await store.close();
  }
}
