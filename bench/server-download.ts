/**
 * A large sync download: every row of a catalog of M synthetic Objects (default 5,000,000, ten columns) through
 * `/api/tap/sync` with MAXREC = M, in VOTable BINARY2 and, when the service offers it, in VOParquet. The server
 * runs in a child process started afresh for each format, so its peak resident memory (VmHWM in /proc/PID/status)
 * is that download's alone. Reports rows/s and the peak RSS beside the idle server's RSS.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { resultFormats } from '../src/server/index.js';
import type { BenchResult } from './harness.js';
import type { ServerChildReady } from './server-child.js';
import type { ServerBenchData } from './server-data.js';

const childPath = fileURLToPath(new URL('./server-child.js', import.meta.url));
const COLUMNS =
  'objectId, coord_ra, coord_dec, detect_isPrimary, refExtendedness, g_cModelFlux, r_cModelFlux, i_cModelFlux, r_psfFlux, tract';

export interface StartedServer {
  readonly ready: ServerChildReady;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts bench/server-child.js on `catalogDir` and waits for its ready line. */
export async function startServerChild(catalogDir: string): Promise<StartedServer> {
  const child = spawn(process.execPath, [childPath, catalogDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const ready = await new Promise<ServerChildReady>((resolve, reject) => {
    child.once('exit', (code) =>
      reject(new Error(`the server child exited with ${code} before it was ready`)),
    );
    lines.once('line', (line) => resolve(JSON.parse(line) as ServerChildReady));
  });
  return {
    ready,
    child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Resident memory of a process from /proc, in MB: VmRSS (now) or VmHWM (its peak). */
export function residentMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

interface Download {
  readonly bytes: number;
  readonly seconds: number;
  readonly status: number;
  readonly tail: string;
}

function download(url: string): Promise<Download> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    http
      .get(url, (response) => {
        let bytes = 0;
        let tail = '';
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          tail = (tail + chunk.subarray(Math.max(0, chunk.length - 4096)).toString('latin1')).slice(-4096);
        });
        response.on('end', () =>
          resolve({
            bytes,
            seconds: (performance.now() - started) / 1000,
            status: response.statusCode ?? 0,
            tail,
          }),
        );
        response.on('error', reject);
      })
      .on('error', reject);
  });
}

export async function benchDownload(
  data: ServerBenchData,
  log: (line: string) => void,
): Promise<BenchResult[]> {
  const parquet = resultFormats.find((f) => f.mime.includes('parquet'));
  const formats = [
    { label: 'VOTable BINARY2', responseFormat: 'votable/b2' },
    ...(parquet ? [{ label: 'VOParquet', responseFormat: parquet.aliases[0] ?? parquet.mime }] : []),
  ];
  if (!parquet) log('VOParquet is not offered by this build: the download bench runs BINARY2 only');
  const rows = data.downloadRows;
  const results: BenchResult[] = [];
  for (const format of formats) {
    const server = await startServerChild(data.downloadCatalogDir);
    try {
      const idleMb = residentMb(server.ready.pid, 'VmRSS');
      const query = `SELECT ${COLUMNS} FROM Object`;
      const url = `${server.ready.tapUrl}/sync?REQUEST=doQuery&LANG=ADQL&MAXREC=${rows}&RESPONSEFORMAT=${encodeURIComponent(format.responseFormat)}&QUERY=${encodeURIComponent(query)}`;
      const got = await download(url);
      const peakMb = residentMb(server.ready.pid, 'VmHWM');
      const failed =
        got.status !== 200 || /QUERY_STATUS"\s+value="(ERROR|OVERFLOW)"/.test(got.tail)
          ? ` FAILED (HTTP ${got.status})`
          : '';
      log(
        `download ${format.label}: ${rows} rows, ${(got.bytes / 1e6).toFixed(0)} MB in ${got.seconds.toFixed(1)} s; server RSS idle ${idleMb.toFixed(0)} MB, peak ${peakMb.toFixed(0)} MB${failed}`,
      );
      const label = `${rows.toLocaleString('en')} rows × 10 columns, ${format.label}`;
      results.push(
        {
          name: `TAP sync download (${label}, ${(got.bytes / 1e6).toFixed(0)} MB)${failed}`,
          value: rows / got.seconds,
          unit: 'rows/s',
          higherIsBetter: true,
        },
        {
          name: `TAP sync download server peak RSS (${label})`,
          value: peakMb,
          unit: 'MB',
          reference: idleMb,
          referenceName: 'idle server',
        },
      );
    } finally {
      await server.stop();
    }
  }
  return results;
}
