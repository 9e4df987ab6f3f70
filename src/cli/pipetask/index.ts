import type { Command } from 'commander';
import { registerAggregateGraphCommand } from './aggregate-graph.js';
import { registerBuildCommand } from './build.js';
import { registerQgraphCommand } from './qgraph.js';
import { registerReportCommand } from './report.js';
import { registerRunCommand } from './run.js';
import { registerRunQbbCommand } from './run-qbb.js';

/**
 * Every pipetask subcommand, one register function per file (build.ts, qgraph.ts, run.ts, report.ts, ...). Keep
 * one import and one call per line so parallel additions merge cleanly.
 */
export function registerPipetaskCommands(program: Command): void {
  registerBuildCommand(program);
  registerQgraphCommand(program);
  registerRunCommand(program);
  registerRunQbbCommand(program);
  registerReportCommand(program);
  registerAggregateGraphCommand(program);
}
