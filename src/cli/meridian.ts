import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { runDemo } from '../demo/index.js';
import { isMeridianError } from '../errors.js';
import { registerCatalogCommands } from './catalog.js';
import { registerSimCommands } from './sim.js';
import { registerSimCatalogCommands } from './sim-catalogs.js';

const MERIDIAN_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** The `meridian` program: everything that is not butler/pipetask/bps (sim, catalog, serve, demo, ...). */
export function buildMeridianProgram(): Command {
  const program = new Command('meridian')
    .description('Meridian: data production and data access for sky surveys')
    .version(MERIDIAN_VERSION)
    .showHelpAfterError()
    .exitOverride();
  program
    .command('demo')
    .description('Run the end-to-end demonstration on the embedded defaults (SQLite, local files)')
    .option('--workdir <dir>', 'directory for everything the demo creates', 'demo-work')
    .addHelpText('after', '\nExample:\n  npm run demo -- --workdir /tmp/meridian-demo\n')
    .action(async (opts: { workdir: string }) => {
      await runDemo({ workdir: opts.workdir, log: (line) => console.log(line) });
    });
  registerSimCommands(program);
  registerSimCatalogCommands(program);
  registerCatalogCommands(program);
  return program;
}

export async function runMeridianCli(argv: string[]): Promise<void> {
  const program = buildMeridianProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('commander.')) {
      process.exitCode = code === 'commander.helpDisplayed' || code === 'commander.version' ? 0 : 2;
      return;
    }
    if (isMeridianError(err)) {
      console.error(`meridian: error [${err.code}]: ${err.message}\n  hint: ${err.hint}`);
    } else if (process.env.MERIDIAN_DEBUG === '1') {
      console.error(err);
    } else {
      console.error(`meridian: error [INTERNAL]: ${(err as Error).message ?? String(err)}`);
    }
    process.exitCode = 1;
  }
}
