/**
 * `meridian demo`: the end-to-end demonstration, then (unless `--no-serve`) `meridian serve` on what it made, so a
 * new user ends with a live TAP service and Butler API to point TOPCAT or pyvo at. Ctrl-C stops it.
 */

import { join } from 'node:path';
import type { Command } from 'commander';
import { runDemo } from '../demo/index.js';
import { closeOnSignals, type RunningServer, startServer, TokenStore } from '../server/index.js';
import { parseNonNegativeInteger } from './common/number-options.js';
import { MERIDIAN_VERSION } from './common/version.js';

interface DemoFlags {
  readonly workdir: string;
  readonly serve: boolean;
  readonly port: number;
  readonly host: string;
}

/** The port the demo asks for first; when it is taken the demo takes any free one rather than fail at the end. */
const DEMO_PORT = 8080;

export function registerDemoCommand(program: Command): Command {
  return program
    .command('demo')
    .description(
      'Run the end-to-end demonstration on the embedded defaults (SQLite, local files), then serve what it made',
    )
    .option('--workdir <dir>', 'directory for everything the demo creates', 'demo-work')
    .option('--no-serve', 'exit after the demonstration instead of serving its repository and catalog')
    .option(
      '--port <n>',
      `TCP port of the server (${DEMO_PORT}; a free one if that is taken)`,
      parseNonNegativeInteger,
    )
    .option('--host <host>', 'interface the server listens on', '127.0.0.1')
    .addHelpText(
      'after',
      `
At the end the demo serves its butler repository and catalog (like \`meridian serve\`) until Ctrl-C, and prints
the TAP, Butler API and health URLs. MERIDIAN_ALLOW_ANONYMOUS=1 serves them without a token.

Examples:
  npm run demo
  npm run demo -- --workdir /tmp/meridian-demo --no-serve
  MERIDIAN_ALLOW_ANONYMOUS=1 npm run demo -- --port 9000`,
    )
    .action(async (flags: Partial<DemoFlags> & { workdir: string; serve: boolean; host: string }) => {
      const log = (line: string) => console.log(line);
      await runDemo({ workdir: flags.workdir, log });
      if (!flags.serve) return;
      const server = await serveDemo(flags.workdir, flags.host, flags.port);
      const token = server.allowAnonymous ? null : await demoToken(join(flags.workdir, 'catalog-db'));
      log('');
      log('== Meridian demo, part 6: the Science Platform API ==');
      for (const line of describeServer(server, token)) log(line);
      await closeOnSignals(server, () => log('Stopping the server…'));
    });
}

async function serveDemo(workdir: string, host: string, port: number | undefined): Promise<RunningServer> {
  const options = {
    catalog: join(workdir, 'catalog-db'),
    repo: join(workdir, 'survey-repo'),
    host,
    logger: { level: 'warn' },
    version: MERIDIAN_VERSION,
  };
  if (port !== undefined) return startServer({ ...options, port });
  try {
    return await startServer({ ...options, port: DEMO_PORT });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    console.error(`(port ${DEMO_PORT} is in use; serving on a free port instead)`);
    return startServer({ ...options, port: 0 });
  }
}

/** A read-only token for the demo's user, in the token store the server reads (the catalog directory's default). */
async function demoToken(catalogDir: string): Promise<string> {
  const tokens = await TokenStore.open({ defaultDir: catalogDir });
  try {
    const created = await tokens.create({
      user: 'demo',
      scopes: ['read:tap', 'read:image', 'read:butler'],
      label: 'made by meridian demo',
    });
    return created.token;
  } finally {
    await tokens.close();
  }
}

function describeServer(server: RunningServer, token: string | null): string[] {
  const query = 'SELECT TOP 5 * FROM tap_schema.tables';
  const lines = [`Portal:      ${server.url}/portal`, `TAP service: ${server.tapUrl}`];
  if (server.butlerUrl !== undefined) lines.push(`Butler API:  ${server.butlerUrl}`);
  lines.push(`health:      ${server.url}/health`, '');
  if (token === null) {
    lines.push(
      'Anonymous access is on (MERIDIAN_ALLOW_ANONYMOUS=1): no token is needed.',
      '',
      'From Python (pyvo):',
      `  import pyvo; print(pyvo.dal.TAPService("${server.tapUrl}").run_sync("${query}"))`,
      'In TOPCAT: VO → Table Access Protocol (TAP) Query, then paste the TAP service URL.',
    );
  } else {
    lines.push(
      `token:       ${token}`,
      '             (user demo; scopes read:tap read:image read:butler; `meridian token list --catalog DIR/catalog-db` lists it)',
      '',
      'From Python (pyvo):',
      '  import pyvo, requests',
      `  s = requests.Session(); s.headers["Authorization"] = "Bearer ${token}"`,
      `  print(pyvo.dal.TAPService("${server.tapUrl}", session=s).run_sync("${query}"))`,
      'In TOPCAT: VO → Table Access Protocol (TAP) Query, paste the TAP service URL; when asked to log in, give',
      '  user x-oauth-basic and the token as the password.',
      `With curl: curl -H "Authorization: Bearer ${token}" '${server.tapUrl}/tables'`,
      ...(server.butlerUrl === undefined
        ? []
        : [
            'From the butler library (RemoteButler):',
            `  new RemoteButler('${server.butlerUrl}', { token: '${token}' })  // import from 'meridian/butler'`,
          ]),
    );
  }
  lines.push('', 'Serving until Ctrl-C.');
  return lines;
}
