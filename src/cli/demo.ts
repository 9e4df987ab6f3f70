/**
 * `meridian demo`: the end-to-end demonstration, then (unless `--no-serve`) `meridian serve` on what it made, so a
 * new user ends with a live TAP service and Butler API to point TOPCAT or pyvo at. Ctrl-C stops it.
 */

import { join } from 'node:path';
import type { Command } from 'commander';
import { runDemo } from '../demo/index.js';
import { closeOnSignals, type RunningServer, startServer } from '../server/index.js';
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
      log('');
      log('== Meridian demo, part 4: the Science Platform API ==');
      for (const line of describeServer(server)) log(line);
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

function describeServer(server: RunningServer): string[] {
  return [
    `Portal:      ${server.url}/portal`,
    `TAP service: ${server.tapUrl}`,
    `health:      ${server.url}/health`,
    '',
    'From Python (pyvo):',
    `  import pyvo; print(pyvo.dal.TAPService("${server.tapUrl}").run_sync("SELECT TOP 5 * FROM tap_schema.tables"))`,
    'In TOPCAT: VO → Table Access Protocol (TAP) Query, then paste the TAP service URL.',
    '',
    'Serving until Ctrl-C.',
  ];
}
