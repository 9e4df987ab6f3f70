import { type Command, CommanderError } from 'commander';
import { handleCliError } from './error-report.js';

/** Exit statuses shared by Meridian's programs. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/**
 * Make a commander program (and the subcommands added to it afterwards) report usage errors instead of exiting,
 * so that `runProgram` can choose the status. Call before adding subcommands: they inherit the setting.
 */
export function prepareProgram(program: Command): Command {
  return program.exitOverride().showHelpAfterError('(run with --help for usage)');
}

/**
 * Parse `argv` (node, script, args...) and run the chosen command. Returns the exit status instead of calling
 * `process.exit`, so stdout is flushed: 0 on success (and for --help), 2 for usage errors, 1 for failures.
 * An action may set `process.exitCode` to choose its own status (e.g. `verify` finding problems).
 */
export async function runProgram(program: Command, argv: readonly string[]): Promise<number> {
  const json = argv.includes('--json');
  process.exitCode = undefined;
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.help' ||
        err.code === 'commander.version'
      ) {
        return EXIT_OK;
      }
      // commander has already printed the message and usage hint to stderr.
      return EXIT_USAGE;
    }
    return handleCliError(err, { program: program.name(), json });
  }
}

/**
 * The body of an executable in `bin/`: run the program on the process's own arguments and leave the status in
 * `process.exitCode`. Output piped into a reader that stops early (`| head`) ends the process quietly with
 * status 0, as it does for Unix tools, instead of an EPIPE stack trace.
 */
export async function runMain(program: Command, argv: readonly string[]): Promise<void> {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT_OK);
    throw err;
  });
  process.exitCode = await runProgram(program, argv);
}
