/**
 * HTTP overhead of the TAP sync path, in one process: the same 0.01° cone searches (and objectId lookups) through
 * `Catalog.query` and through a real HTTP GET of `/api/tap/sync` (keep-alive connection, VOTable TABLEDATA read to
 * its last byte), interleaved query by query so that a busy machine slows both alike. Issue targets: cone through
 * HTTP ≤ 1.5× the same query through `Catalog.query`; objectId lookup through HTTP p50 ≤ 3 ms.
 *
 * Stand-alone (e.g. under `node --cpu-prof`): `node dist-bench/bench/server-overhead.js DATA_DIR [--runs N]`.
 */

import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Catalog } from '../src/catalog/index.js';
import { createApp, TAP_PATH } from '../src/server/index.js';
import { type BenchResult, formatResults, percentile } from './harness.js';
import type { ServerBenchData } from './server-data.js';
import { coneAdql, httpGet } from './server-load.js';

export interface OverheadOptions {
  readonly data: ServerBenchData;
  /** Measured queries of each kind (after 30 warm-up runs). */
  readonly runs?: number;
}

/** Cone centres: a fixed spiral over the footprint (any spread of points inside it would do). */
function coneCentres(data: ServerBenchData, n: number): [number, number][] {
  const { ra, dec, radiusDeg } = data.footprint;
  return Array.from({ length: n }, (_, i) => {
    const r = radiusDeg * Math.sqrt((i + 0.5) / n);
    const angle = i * 2.399963;
    return [ra + (r * Math.cos(angle)) / Math.cos((dec * Math.PI) / 180), dec + r * Math.sin(angle)];
  });
}

export async function benchHttpOverhead(options: OverheadOptions): Promise<BenchResult[]> {
  const runs = options.runs ?? 300;
  const warmup = 30;
  const catalog = await Catalog.open(options.data.catalogDir, { readOnly: true });
  const app = createApp({ catalog, logger: false, auth: { allowAnonymous: true } });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const sync = `http://127.0.0.1:${port}${TAP_PATH}/sync?REQUEST=doQuery&LANG=ADQL&QUERY=`;
    const viaHttp = async (adql: string) => {
      const answer = await httpGet(agent, sync + encodeURIComponent(adql));
      if (answer.status !== 200 || answer.body.includes('value="ERROR"'))
        throw new Error(`HTTP ${answer.status}: ${answer.body.slice(0, 300)}`);
    };
    const viaCatalog = (adql: string) => catalog.query(adql);

    const centres = coneCentres(options.data, warmup + runs);
    const cones = centres.map(([ra, dec]) => coneAdql('Object', ra, dec, 0.01));
    const ids = options.data.sampleObjectIds;
    const lookups = Array.from(
      { length: warmup + runs },
      (_, i) =>
        `SELECT objectId, coord_ra, coord_dec, r_cModelFlux FROM Object WHERE objectId = ${ids[i % ids.length]}`,
    );

    // CPU time (this process: server, client and DuckDB threads) per query too: on a loaded machine the wall time
    // of each extra wait (a socket, a turn of the event loop) includes time the scheduler gave other processes.
    const cpuMs = (since: NodeJS.CpuUsage) => {
      const used = process.cpuUsage(since);
      return (used.user + used.system) / 1000;
    };
    const measure = async (queries: readonly string[]) => {
      const direct: number[] = [];
      const overHttp: number[] = [];
      let directCpu = 0;
      let httpCpu = 0;
      for (let i = 0; i < queries.length; i++) {
        const q = queries[i]!;
        let cpu = process.cpuUsage();
        let t0 = performance.now();
        await viaCatalog(q);
        const d = performance.now() - t0;
        const dc = cpuMs(cpu);
        cpu = process.cpuUsage();
        t0 = performance.now();
        await viaHttp(q);
        const h = performance.now() - t0;
        const hc = cpuMs(cpu);
        if (i >= warmup) {
          direct.push(d);
          overHttp.push(h);
          directCpu += dc;
          httpCpu += hc;
        }
      }
      return {
        direct: percentile(direct, 50),
        http: percentile(overHttp, 50),
        directCpu: directCpu / direct.length,
        httpCpu: httpCpu / overHttp.length,
      };
    };
    const cone = await measure(cones);
    const lookup = await measure(lookups);
    const label = `${options.data.objects.toLocaleString('en')} Objects, DuckDB, ${runs} runs`;
    return [
      {
        name: `TAP sync cone r = 0.01° through HTTP, p50 (${label})`,
        value: cone.http,
        unit: 'ms',
        reference: cone.direct,
        referenceName: 'Catalog.query, same process',
        target: 1.5 * cone.direct,
      },
      {
        name: `TAP sync cone r = 0.01° through HTTP, CPU time per query (${label})`,
        value: cone.httpCpu,
        unit: 'ms',
        reference: cone.directCpu,
        referenceName: 'Catalog.query, same process',
      },
      {
        name: `TAP sync objectId lookup through HTTP, p50 (${label})`,
        value: lookup.http,
        unit: 'ms',
        reference: lookup.direct,
        referenceName: 'Catalog.query, same process',
        target: 3,
      },
      {
        name: `TAP sync objectId lookup through HTTP, CPU time per query (${label})`,
        value: lookup.httpCpu,
        unit: 'ms',
        reference: lookup.directCpu,
        referenceName: 'Catalog.query, same process',
      },
    ];
  } finally {
    agent.destroy();
    await app.close();
    await catalog.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: server-overhead.js DATA_DIR [--runs N]');
    process.exit(2);
  }
  const i = process.argv.indexOf('--runs');
  const data = JSON.parse(readFileSync(join(dir, 'ready.json'), 'utf8')) as ServerBenchData;
  const results = await benchHttpOverhead({ data, runs: i > 0 ? Number(process.argv[i + 1]) : undefined });
  console.log(formatResults(results));
}
