import type { Command } from 'commander';
import { formatReport, reportGraph } from '../../pipe/index.js';
import { printJson } from '../common/json.js';
import { withGraph } from './run.js';

/** `pipetask report REPO GRAPH`: per task label, how many quanta succeeded, failed, are blocked or unknown. */
export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description(
      'Per task label: expected, succeeded, noWork, failed, blocked and unknown quanta, with failures.',
    )
    .argument('<repo>', 'Butler repository')
    .argument('<qgraph>', 'Quantum graph file')
    .option('--json', 'Print the report as JSON')
    .addHelpText(
      'after',
      `
Read from the receipts the run left in the repository; no registry access. "skipped" is counted only in the
summary of pipetask run (--summary), since a skipped quantum is a succeeded one on disk.

Examples:
  pipetask report ./repo g.qg
  pipetask report ./repo g.qg --json`,
    )
    .action(async (repo: string, qgraph: string, opts: { json?: boolean }) => {
      await withGraph(qgraph, null, async (source) => {
        const report = await reportGraph(source, repo);
        if (opts.json) printJson(report);
        else process.stdout.write(formatReport(report));
      });
    });
}
