import type { Command } from 'commander';
import { aggregateGraph } from '../../pipe/index.js';
import { withButler } from '../butler/open.js';
import { printJson } from '../common/json.js';
import { withProgress } from '../common/progress.js';
import { withGraph } from './run.js';

/** `pipetask aggregate-graph REPO GRAPH`: merge a graph's finished quanta into the registry (idempotent). */
export function registerAggregateGraphCommand(program: Command): void {
  program
    .command('aggregate-graph')
    .description(
      'Merge the outputs and provenance of every finished quantum of a graph into the registry (safe to rerun).',
    )
    .argument('<repo>', 'Butler repository')
    .argument('<qgraph>', 'Quantum graph file')
    .option('--json', 'Print the merge summary as JSON')
    .addHelpText(
      'after',
      `
Registers the output run, the output dataset types and the CHAINED output collection (when the graph names one),
then imports the datasets of succeeded quanta with their datastore records, about 10,000 per transaction.
Outputs of failed quanta are left out.

Examples:
  pipetask aggregate-graph ./repo g.qg`,
    )
    .action(async (repo: string, qgraph: string, opts: { json?: boolean }) => {
      await withButler(repo, 'write', async (butler, signal) => {
        await withGraph(qgraph, butler.universe, async (source) => {
          const merge = await withProgress((reporter) =>
            aggregateGraph(butler, source, { signal, onProgress: reporter.update }),
          );
          if (opts.json) printJson(merge);
          else {
            process.stdout.write(
              `Merged ${merge.quantaMerged} quanta into run ${merge.run} (${merge.quantaNotMerged} not finished): ${merge.datasetsInserted} datasets inserted, ${merge.datasetsAlreadyPresent} already present\n`,
            );
          }
        });
      });
    });
}
