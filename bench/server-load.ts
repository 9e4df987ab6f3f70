/**
 * Load generator for TAP services: C concurrent clients (default 50), each sending sync cone searches of radius r
 * (default 0.01°) at random positions inside a footprint, one after another over keep-alive connections, for S
 * seconds (default 60). It runs in a child process of its own (`runLoad` forks this file with `--worker`), so the
 * benchmark process, the server under test and the clients do not share an event loop.
 *
 * A request counts as an error when the HTTP status is not 200, the connection fails, or the VOTable says
 * QUERY_STATUS=ERROR. Latency is from sending the request to the last byte of the response.
 *
 * Stand-alone, against any TAP service (DaCHS, Meridian, another):
 *   node dist-bench/bench/server-load.js --tap URL --table NAME --ra RA --dec DEC --radius R
 *     [--clients 50] [--seconds 60] [--cone 0.01] [--seed 1]
 */

import { fork } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { percentile } from './harness.js';

export interface LoadOptions {
  /** The TAP service root (…/tap); queries go to its /sync. */
  readonly tapUrl: string;
  /** The table as the service's ADQL names it (Object; meridian_bench.object on DaCHS). */
  readonly table: string;
  readonly footprint: { readonly ra: number; readonly dec: number; readonly radiusDeg: number };
  readonly clients?: number;
  readonly seconds?: number;
  readonly coneRadiusDeg?: number;
  readonly seed?: number;
  /**
   * Tokens sent as `Authorization: Bearer`, client i using tokens[i % n] (a class of students, each their own user
   * with their own per-user limits); none sends no header (DaCHS, or an anonymous Meridian).
   */
  readonly tokens?: readonly string[];
}

export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  /** Up to five error descriptions (status and the start of the body). */
  readonly errorSamples: readonly string[];
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Mean rows per answer, to see that both services return the same cones. */
  readonly meanRows: number;
}

const workerPath = fileURLToPath(import.meta.url);

/** Runs the load in a forked process and returns its summary. */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(workerPath, ['--worker', JSON.stringify(options)], {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    let result: LoadResult | null = null;
    child.on('message', (message) => {
      result = message as LoadResult;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (result !== null) resolve(result);
      else reject(new Error(`the load generator exited with ${code} before reporting`));
    });
  });
}

/** Deterministic pseudo-random numbers in [0, 1) (a 32-bit xorshift), one stream per client. */
function randomStream(seed: number): () => number {
  let x = (seed * 2654435761) >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

const RAD = Math.PI / 180;

/** A point uniform on the sphere inside the footprint circle (rejection from the enclosing RA/Dec band). */
function randomPosition(random: () => number, footprint: LoadOptions['footprint']): [number, number] {
  const { ra, dec, radiusDeg } = footprint;
  const sinLo = Math.sin((dec - radiusDeg) * RAD);
  const sinHi = Math.sin((dec + radiusDeg) * RAD);
  const halfWidth = radiusDeg / Math.cos((Math.abs(dec) + radiusDeg) * RAD);
  for (;;) {
    const d = Math.asin(sinLo + (sinHi - sinLo) * random()) / RAD;
    const r = ra - halfWidth + 2 * halfWidth * random();
    const cosDistance =
      Math.sin(d * RAD) * Math.sin(dec * RAD) +
      Math.cos(d * RAD) * Math.cos(dec * RAD) * Math.cos((r - ra) * RAD);
    if (cosDistance >= Math.cos(radiusDeg * RAD)) return [r, d];
  }
}

export function coneAdql(table: string, ra: number, dec: number, radiusDeg: number): string {
  return `SELECT objectId, coord_ra, coord_dec FROM ${table} WHERE CONTAINS(POINT('ICRS', coord_ra, coord_dec), CIRCLE('ICRS', ${ra.toFixed(6)}, ${dec.toFixed(6)}, ${radiusDeg})) = 1`;
}

interface Answer {
  readonly status: number;
  readonly body: string;
}

export function httpGet(
  agent: http.Agent,
  url: string,
  headers: http.OutgoingHttpHeaders = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

/** Rows in a TABLEDATA VOTable. */
function countRows(body: string): number {
  let rows = 0;
  for (let i = body.indexOf('<TR'); i >= 0; i = body.indexOf('<TR', i + 3)) rows++;
  return rows;
}

async function generateLoad(options: LoadOptions): Promise<LoadResult> {
  const clients = options.clients ?? 50;
  const seconds = options.seconds ?? 60;
  const cone = options.coneRadiusDeg ?? 0.01;
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const sync = `${options.tapUrl.replace(/\/+$/, '')}/sync`;
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  let rows = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;

  async function client(index: number): Promise<void> {
    const random = randomStream((options.seed ?? 1) * 1000 + index + 1);
    const token = options.tokens?.length ? options.tokens[index % options.tokens.length] : undefined;
    const headers = token === undefined ? {} : { authorization: `Bearer ${token}` };
    while (performance.now() < deadline) {
      const [ra, dec] = randomPosition(random, options.footprint);
      const query = coneAdql(options.table, ra, dec, cone);
      // TABLEDATA from both (DaCHS answers BINARY by default): the same document kind, and rows can be counted.
      const url = `${sync}?REQUEST=doQuery&LANG=ADQL&RESPONSEFORMAT=votable/td&QUERY=${encodeURIComponent(query)}`;
      const sent = performance.now();
      let failure: string | null = null;
      try {
        const answer = await httpGet(agent, url, headers);
        if (answer.status !== 200) failure = `HTTP ${answer.status}: ${answer.body.slice(0, 200)}`;
        else if (/name="QUERY_STATUS"\s+value="ERROR"/.test(answer.body))
          failure = `QUERY_STATUS=ERROR: ${answer.body.slice(-300)}`;
        else rows += countRows(answer.body);
      } catch (err) {
        failure = `connection: ${(err as Error).message}`;
      }
      latencies.push(performance.now() - sent);
      if (failure !== null) {
        errors++;
        if (errorSamples.length < 5) errorSamples.push(failure);
      }
    }
  }

  await Promise.all(Array.from({ length: clients }, (_, i) => client(i)));
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  const ok = latencies.length - errors;
  return {
    requests: latencies.length,
    errors,
    errorSamples,
    seconds: elapsed,
    perSecond: latencies.length / elapsed,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: percentile(latencies, 100),
    meanRows: ok > 0 ? rows / ok : 0,
  };
}

function optionValue(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const workerOptions = optionValue(args, 'worker');
  if (workerOptions !== undefined) {
    const result = await generateLoad(JSON.parse(workerOptions) as LoadOptions);
    process.send?.(result);
  } else {
    const tapUrl = optionValue(args, 'tap');
    const table = optionValue(args, 'table');
    const [ra, dec, radiusDeg] = ['ra', 'dec', 'radius'].map((n) => Number(optionValue(args, n)));
    if (!tapUrl || !table || ![ra, dec, radiusDeg].every(Number.isFinite)) {
      console.error(
        'usage: server-load.js --tap URL --table NAME --ra RA --dec DEC --radius R [--clients 50] [--seconds 60] [--cone 0.01] [--seed 1]',
      );
      process.exit(2);
    }
    const num = (name: string) =>
      optionValue(args, name) === undefined ? undefined : Number(optionValue(args, name));
    const result = await runLoad({
      tapUrl,
      table,
      footprint: { ra: ra!, dec: dec!, radiusDeg: radiusDeg! },
      clients: num('clients'),
      seconds: num('seconds'),
      coneRadiusDeg: num('cone'),
      seed: num('seed'),
    });
    console.log(JSON.stringify(result, null, 2));
  }
}
