import { Command } from 'commander';
import { registerCatalogCommands } from './catalog.js';
import { prepareProgram, runMain } from './common/run-program.js';
import { MERIDIAN_VERSION } from './common/version.js';
import { registerDemoCommand } from './demo.js';
import { registerQaCommand } from './qa.js';
import { registerServeCommand } from './serve.js';
import { registerSimCommands } from './sim.js';
import { registerSimCatalogCommands } from './sim-catalogs.js';
import { registerTokenCommands } from './token.js';

/** The `meridian` program: everything that is not butler/pipetask/bps (sim, catalog, serve, demo, ...). */
export function makeMeridianProgram(): Command {
  const program = prepareProgram(new Command('meridian'))
    .description('Meridian: data production and data access for sky surveys')
    .version(MERIDIAN_VERSION)
    .addHelpText(
      'after',
      `
Commands that print a document take --json; a failed command then also prints {"error": {...}} on stdout.
Exit status: 0 success, 1 error (message on stderr with a code and a hint), 2 bad usage.
Set MERIDIAN_DEBUG=1 to see stack traces of unexpected errors.`,
    );
  registerDemoCommand(program);
  registerSimCommands(program);
  registerSimCatalogCommands(program);
  registerCatalogCommands(program);
  registerServeCommand(program);
  registerQaCommand(program);
  registerTokenCommands(program);
  return program;
}

/** Run `meridian` as its executable does, with `argv` as in `process.argv` (node, script, args...). */
export async function runMeridianCli(argv: readonly string[]): Promise<void> {
  await runMain(makeMeridianProgram(), argv);
}
