import { Command } from 'commander';
import { registerCleanupCommand } from './butler/cleanup.js';
import { registerCollectionCommands } from './butler/collections.js';
import { registerDatasetTypeCommands } from './butler/dataset-types.js';
import { registerIngestCommands } from './butler/ingest.js';
import { installInterruptHandlers, interruptedStatus } from './butler/interrupt.js';
import { registerMembershipCommands } from './butler/membership.js';
import { registerObsCommands } from './butler/obs.js';
import { registerPruneCommands } from './butler/prune.js';
import { registerQueryCommands } from './butler/query.js';
import { registerRepoCommands } from './butler/repo.js';
import { registerTransferCommands } from './butler/transfer.js';
import { prepareProgram, runMain } from './common/run-program.js';
import { MERIDIAN_VERSION } from './common/version.js';

/**
 * The `butler` program: the data butler's command-line interface, with the subcommand names and options of
 * Rubin's `butler` where they exist. Each command parses its arguments, calls the butler library and prints.
 */
export function makeButlerProgram(): Command {
  const program = prepareProgram(new Command('butler'));
  program
    .description('Manage and query a Meridian data butler repository (registry + datastore).')
    .version(MERIDIAN_VERSION)
    .addHelpText(
      'after',
      `
REPO is a repository directory (its butler.yaml says where the registry database is).
Listing commands take --json for a machine-readable document on stdout; a failed command then also prints
{"error": {...}} on stdout.
Exit status: 0 success, 1 error (message on stderr with a code and a hint), 2 bad usage, 130/143 interrupted
by SIGINT/SIGTERM (a write rolls back first; a second signal stops at once; \`butler cleanup\` removes leftovers).
Set MERIDIAN_DEBUG=1 to see stack traces of unexpected errors.

Examples:
  butler create ./repo
  butler query-collections ./repo
  butler query-datasets ./repo --collections run1 --where "visit > 5" --json
  butler COMMAND --help`,
    );
  registerRepoCommands(program);
  registerCleanupCommand(program);
  registerDatasetTypeCommands(program);
  registerCollectionCommands(program);
  registerQueryCommands(program);
  registerIngestCommands(program);
  registerMembershipCommands(program);
  registerPruneCommands(program);
  registerTransferCommands(program);
  registerObsCommands(program);
  return program;
}

/** Run `butler` as its executable does, with `argv` as in `process.argv` (node, script, args...). */
export async function runButlerCli(argv: readonly string[]): Promise<void> {
  const removeHandlers = installInterruptHandlers();
  try {
    await runMain(makeButlerProgram(), argv);
  } finally {
    removeHandlers();
  }
  // An interrupted write has rolled back (or finished, if the signal came after its commit): 130/143 either way.
  process.exitCode = interruptedStatus() ?? process.exitCode;
}
