/** `meridian serve`: the TAP service over a catalog database, until SIGTERM or Ctrl-C (a thin layer over startServer). */

import type { Command } from 'commander';
import { closeOnSignals, startServer } from '../server/index.js';
import { parseNonNegativeInteger } from './common/number-options.js';
import { MERIDIAN_VERSION } from './common/version.js';

export function registerServeCommand(program: Command): Command {
  return program
    .command('serve')
    .description('serve a catalog database over HTTP: IVOA TAP 1.1 at /api/tap, /health')
    .requiredOption('--catalog <dir>', 'catalog database directory (from `meridian catalog create`)')
    .option('--repo <dir>', 'butler repository (accepted; the Butler API is not served yet)')
    .option('--port <n>', 'TCP port (0 picks a free one)', parseNonNegativeInteger, 8080)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--base-url <url>', 'public URL of the server root, when it runs behind a proxy')
    .option('--maxrec <n>', 'default MAXREC (rows) of a TAP query', parseNonNegativeInteger)
    .option('--maxrec-hard <n>', 'largest MAXREC honoured', parseNonNegativeInteger)
    .option('--quiet', 'log warnings and errors only')
    .addHelpText(
      'after',
      `
Logs are JSON lines (pino) on stdout, each with the request id (also sent as X-Request-Id).

Examples:
  meridian serve --catalog demo-work/catalog-db
  meridian serve --catalog ./cat --host 0.0.0.0 --port 8080 --base-url https://data.example.org
  python3 -c 'import pyvo; print(pyvo.dal.TAPService("http://127.0.0.1:8080/api/tap").run_sync("SELECT TOP 3 * FROM tap_schema.tables"))'`,
    )
    .action(
      async (o: {
        catalog: string;
        repo?: string;
        port: number;
        host: string;
        baseUrl?: string;
        maxrec?: number;
        maxrecHard?: number;
        quiet?: boolean;
      }) => {
        const server = await startServer({
          catalog: o.catalog,
          repo: o.repo,
          port: o.port,
          host: o.host,
          baseUrl: o.baseUrl,
          limits: {
            ...(o.maxrec === undefined ? {} : { maxrecDefault: o.maxrec }),
            ...(o.maxrecHard === undefined ? {} : { maxrecHard: o.maxrecHard }),
          },
          logger: { level: o.quiet ? 'warn' : 'info' },
          version: MERIDIAN_VERSION,
        });
        console.error(
          `Portal:      ${server.url}/portal\nTAP service: ${server.tapUrl}\nhealth:      ${server.url}/health\n(Ctrl-C stops)`,
        );
        await closeOnSignals(server, (signal) => server.app.log.info({ signal }, 'shutting down'));
      },
    );
}
