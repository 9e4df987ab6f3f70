import type { Command } from 'commander';
import { executeGraph } from '../../pipe/index.js';
import { interruptible } from '../butler/interrupt.js';
import { withProgress } from '../common/progress.js';
import {
  addExecutionOptions,
  type ExecutionCliOptions,
  executionOptions,
  printExecution,
  setExitStatus,
  withGraph,
} from './run.js';

/**
 * `pipetask run-qbb REPO GRAPH`: execute some or all quanta of a graph with no registry access at all (the graph
 * carries the input records; outputs and receipts go to the datastore), as a batch job does. The registry is
 * merged later by `pipetask aggregate-graph`.
 */

interface RunQbbOptions extends ExecutionCliOptions {
  readonly qgraphNodeId?: string[];
}

function parseIds(value: string, previous: string[] | undefined): string[] {
  return [
    ...(previous ?? []),
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  ];
}

export function registerRunQbbCommand(program: Command): void {
  addExecutionOptions(
    program
      .command('run-qbb')
      .description(
        'Execute quanta of a graph through a quantum-backed butler, without touching the registry.',
      )
      .argument('<repo>', 'Butler repository (only its datastore is used)')
      .argument('<qgraph>', 'Quantum graph file')
      .option('--qgraph-node-id <ids>', 'Only these quanta (comma-separated UUIDs; repeatable)', parseIds),
  )
    .addHelpText(
      'after',
      `
The quanta's predecessors must have succeeded already (in this run or an earlier one). Nothing is written to the
registry: run pipetask aggregate-graph REPO QGRAPH afterwards. The graph must use the default dimension universe.

Examples:
  pipetask run-qbb ./repo g.qg
  pipetask run-qbb ./repo g.qg --qgraph-node-id 3f2c...,9a1b... --skip-existing`,
    )
    .action(async (repo: string, qgraph: string, opts: RunQbbOptions) => {
      await interruptible(async (signal) => {
        await withGraph(qgraph, null, async (source) => {
          const summary = await withProgress((reporter) =>
            executeGraph(source, {
              ...executionOptions(repo, opts, reporter, signal),
              ...(opts.qgraphNodeId === undefined ? {} : { quantumIds: opts.qgraphNodeId }),
            }),
          );
          printExecution(summary, null, opts);
          setExitStatus(summary);
        });
      });
    });
}
