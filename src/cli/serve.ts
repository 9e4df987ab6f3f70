/** `meridian serve`: the TAP service over a catalog database, until SIGTERM or Ctrl-C (a thin layer over startServer). */

import type { Command } from 'commander';
import { meridianError } from '../errors.js';
import {
  allowAnonymousFromEnv,
  closeOnSignals,
  readServeConfigFile,
  type ServeConfigFile,
  startServer,
} from '../server/index.js';
import { parseNonNegativeInteger } from './common/number-options.js';
import { MERIDIAN_VERSION } from './common/version.js';

export function registerServeCommand(program: Command): Command {
  return program
    .command('serve')
    .description(
      'serve a catalog database over HTTP (IVOA TAP 1.1 at /api/tap, /health) and a butler repository (/api/butler)',
    )
    .option('--catalog <dir>', 'catalog database directory (from `meridian catalog create`)')
    .option('--config <file>', 'server settings in YAML or JSON (docs/tap.md); flags override it')
    .option('--repo <dir>', 'butler repository, served read-only at /api/butler (docs/butler-api.md)')
    .option('--port <n>', 'TCP port (0 picks a free one)', parseNonNegativeInteger, 8080)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--base-url <url>', 'public URL of the server root, when it runs behind a proxy')
    .option('--maxrec <n>', 'default MAXREC (rows) of a TAP query', parseNonNegativeInteger)
    .option('--maxrec-hard <n>', 'largest MAXREC honoured', parseNonNegativeInteger)
    .option(
      '--allow-anonymous',
      'let requests without a token read (as user anonymous); also MERIDIAN_ALLOW_ANONYMOUS=1',
    )
    .option(
      '--tokens-db <url>',
      'token store: SQLite file or postgresql:// URL (default tokens.sqlite3 in the catalog directory)',
    )
    .option('--quiet', 'log warnings and errors only')
    .addHelpText(
      'after',
      `
Logs are JSON lines (pino) on stdout, each with the request id (also sent as X-Request-Id).
Requests need a token (\`meridian token create\`, docs/auth.md) unless anonymous access is allowed.

Examples:
  meridian serve --catalog demo-work/catalog-db
  meridian serve --catalog demo-work/catalog-db --allow-anonymous
  meridian serve --config /etc/meridian/serve.yaml --port 9000
  meridian serve --catalog ./cat --host 0.0.0.0 --port 8080 --base-url https://data.example.org
  python3 -c 'import pyvo; print(pyvo.dal.TAPService("http://127.0.0.1:8080/api/tap").run_sync("SELECT TOP 3 * FROM tap_schema.tables"))'`,
    )
    .action(
      async (
        o: {
          config?: string;
          catalog?: string;
          repo?: string;
          port: number;
          host: string;
          baseUrl?: string;
          maxrec?: number;
          maxrecHard?: number;
          quiet?: boolean;
          allowAnonymous?: boolean;
          tokensDb?: string;
        },
        command: Command,
      ) => {
        const file: ServeConfigFile | null = o.config === undefined ? null : readServeConfigFile(o.config);
        // Flag > file > default: commander fills in --port and --host defaults, so ask where a value came from.
        const given = (name: string) => command.getOptionValueSource(name) === 'cli';
        const catalog = o.catalog ?? file?.catalog;
        if (catalog === undefined) {
          throw meridianError(
            'INVALID_ARGUMENT',
            'no catalog to serve: give --catalog DIR or `catalog:` in --config',
          );
        }
        const server = await startServer({
          catalog,
          repo: o.repo ?? file?.repo,
          port: given('port') ? o.port : (file?.listen.port ?? o.port),
          host: given('host') ? o.host : (file?.listen.host ?? o.host),
          baseUrl: o.baseUrl ?? file?.listen.baseUrl,
          limits: {
            ...file?.limits,
            ...(o.maxrec === undefined ? {} : { maxrecDefault: o.maxrec }),
            ...(o.maxrecHard === undefined ? {} : { maxrecHard: o.maxrecHard }),
          },
          logger: { level: o.quiet ? 'warn' : (file?.logLevel ?? 'info') },
          version: MERIDIAN_VERSION,
          auth: {
            // --allow-anonymous > MERIDIAN_ALLOW_ANONYMOUS (read by startServer) > the file > off.
            allowAnonymous: o.allowAnonymous ? true : (allowAnonymousFromEnv() ?? file?.auth.allowAnonymous),
            ...(o.tokensDb !== undefined
              ? { tokens: o.tokensDb }
              : file?.auth.tokens === undefined
                ? {}
                : { tokens: file.auth.tokens }),
          },
          jobs: {
            ...(file?.jobs.database === undefined ? {} : { database: file.jobs.database }),
            ...(file?.jobs.resultsDir === undefined ? {} : { resultsDir: file.jobs.resultsDir }),
          },
        });
        const access = server.allowAnonymous
          ? 'tokens, or anonymous reads (--allow-anonymous)'
          : 'tokens only (meridian token create)';
        const butler = server.butlerUrl === undefined ? '' : `Butler API:  ${server.butlerUrl}\n`;
        console.error(
          `Portal:      ${server.url}/portal\nTAP service: ${server.tapUrl}\n${butler}health:      ${server.url}/health\naccess:      ${access}\n(Ctrl-C stops)`,
        );
        await closeOnSignals(server, (signal) => server.app.log.info({ signal }, 'shutting down'));
      },
    );
}
