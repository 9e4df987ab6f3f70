import { Command } from 'commander';
import { installInterruptHandlers, interruptedStatus } from './butler/interrupt.js';
import { prepareProgram, runMain } from './common/run-program.js';
import { MERIDIAN_VERSION } from './common/version.js';
import { registerPipetaskCommands } from './pipetask/index.js';

/**
 * The `pipetask` program: build, inspect and run pipelines, with the subcommand names and options of Rubin's
 * `pipetask` where they exist (build, qgraph, run, run-qbb, report, aggregate-graph).
 */
export function makePipetaskProgram(): Command {
  const program = prepareProgram(new Command('pipetask'));
  program
    .description('Build quantum graphs from pipelines and data queries, run them, and report on runs.')
    .version(MERIDIAN_VERSION)
    .addHelpText(
      'after',
      `
A pipeline is a YAML file (optionally with a #label,subset selector). Tasks come from registered task modules:
Meridian's own, plus any module named with --task-module (it must export registerTasks(registry)).
Listing and summary commands take --json. Exit status: 0 success, 1 error (code and hint on stderr), 2 bad usage,
130/143 interrupted.

Examples:
  pipetask build -p pipelines/demo.yaml#step1 --show pipeline
  pipetask qgraph -b ./repo -i MeridianCam/raw/all,MeridianCam/calib -o u/me/run1 -p pipelines/demo.yaml \\
      -d "detector IN (0, 1)" -q g.mqg
  pipetask run -b ./repo -g g.mqg -j 2
  pipetask report ./repo g.mqg`,
    );
  registerPipetaskCommands(program);
  return program;
}

/** Run `pipetask` as its executable does, with `argv` as in `process.argv` (node, script, args...). */
export async function runPipetaskCli(argv: readonly string[]): Promise<void> {
  const removeHandlers = installInterruptHandlers();
  try {
    await runMain(makePipetaskProgram(), argv);
  } finally {
    removeHandlers();
  }
  process.exitCode = interruptedStatus() ?? process.exitCode;
}
