/**
 * A Meridian TAP server in a process of its own, for the load and download benchmarks: the server's CPU, memory and
 * peak RSS are then its own, not the load generator's. `node server-child.js CATALOG_DIR` listens on a free port of
 * 127.0.0.1, prints one JSON line `{"url", "tapUrl", "pid"}` on stdout when it is ready, and closes gracefully on
 * SIGTERM. Anonymous access is on (the benchmark sends no token).
 */

import { closeOnSignals, startServer } from '../src/server/index.js';

export interface ServerChildReady {
  readonly url: string;
  readonly tapUrl: string;
  readonly pid: number;
}

async function main(): Promise<void> {
  const catalog = process.argv[2];
  if (!catalog) throw new Error('usage: server-child.js CATALOG_DIR');
  process.env.MERIDIAN_ALLOW_ANONYMOUS = '1';
  const server = await startServer({
    catalog,
    host: '127.0.0.1',
    port: 0,
    logger: false,
    // The 5,000,000-row download asks for every row.
    limits: { maxrecHard: 10_000_000 },
  });
  const ready: ServerChildReady = { url: server.url, tapUrl: server.tapUrl, pid: process.pid };
  console.log(JSON.stringify(ready));
  await closeOnSignals(server);
}

await main();
