import { writeFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError } from 'commander';
import { type Butler, DimensionUniverse, fileSystemError } from '../../butler/index.js';
import { meridianError } from '../../errors.js';
import {
  type AggregateSummary,
  aggregateGraph,
  buildQuantumGraph,
  type ExecuteGraphOptions,
  executeGraph,
  executionSummaryLine,
  formatDataId,
  type GraphExecutionSummary,
  memoryGraphSource,
  openQuantumGraph,
  type QuantumGraphSource,
} from '../../pipe/index.js';
import { withButler } from '../butler/open.js';
import { printJson } from '../common/json.js';
import { appendCommaSeparated, appendValue } from '../common/list-options.js';
import { parseNonNegativeInteger, parsePositiveNumber } from '../common/number-options.js';
import { type ProgressReporter, withProgress } from '../common/progress.js';
import { addPipelineOptions, loadPipelineFromOptions } from './pipeline-options.js';
import { parseBindOptions, type QgraphOptions, resolveCollections } from './qgraph.js';
import { addTaskModuleOption, type TaskModuleCliOptions, taskModulesFromOptions } from './task-modules.js';

/**
 * `pipetask run`: execute a saved quantum graph on a pool of worker processes, then merge what succeeded into the
 * registry (the only registry write of a run). Shared by run-qbb, report and aggregate-graph: the execution
 * options and the graph opener.
 */

export interface ExecutionCliOptions extends TaskModuleCliOptions {
  readonly processes?: number;
  readonly skipExisting?: boolean;
  readonly clobberOutputs?: boolean;
  readonly failFast?: boolean;
  readonly timeout?: number;
  readonly memoryPerQuantum?: number;
  readonly json?: boolean;
}

const BYTE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KIB: 1024,
  MIB: 1024 ** 2,
  GIB: 1024 ** 3,
  TIB: 1024 ** 4,
};

/** `2GB`, `512MiB`, `1.5 GB`; a bare number is megabytes, as pipetask's --memory-per-quantum reads it. */
export function parseByteSize(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(value);
  const unit = (m?.[2] ?? '').toUpperCase() || 'MB';
  const factor = BYTE_UNITS[unit];
  if (m === null || factor === undefined || Number(m[1]) <= 0) {
    throw new InvalidArgumentError(`expected a size such as 2GB, 512MiB or 4000 (MB), got '${value}'`);
  }
  return Math.round(Number(m[1]) * factor);
}

export function addExecutionOptions(cmd: Command, options: { taskModule?: boolean } = {}): Command {
  cmd
    .option('-j, --processes <n>', 'Worker processes (default 1)', parseNonNegativeInteger)
    .option('--skip-existing', 'Skip quanta whose <label>_metadata exists (they succeeded before)')
    .option('--clobber-outputs', 'Remove partial outputs of earlier failed attempts before running a quantum')
    .option('--fail-fast', 'Start no new quantum after the first failure')
    .option('--timeout <seconds>', 'Kill a quantum running longer than this', parsePositiveNumber)
    .option(
      '--memory-per-quantum <size>',
      'Kill a quantum whose process grows past this resident size (2GB, 512MiB; bare number: MB)',
      parseByteSize,
    )
    .option('--json', 'Print a JSON summary on stdout');
  return options.taskModule === false ? cmd : addTaskModuleOption(cmd);
}

export function executionOptions(
  repo: string,
  opts: ExecutionCliOptions,
  reporter: ProgressReporter,
  signal: AbortSignal,
): ExecuteGraphOptions {
  if (opts.processes === 0) throw meridianError('INVALID_ARGUMENT', '-j/--processes must be at least 1');
  return {
    repo,
    taskModules: taskModulesFromOptions(opts),
    processes: opts.processes ?? 1,
    skipExisting: opts.skipExisting ?? false,
    clobberOutputs: opts.clobberOutputs ?? false,
    failFast: opts.failFast ?? false,
    timeoutSeconds: opts.timeout ?? null,
    memoryPerQuantumBytes: opts.memoryPerQuantum ?? null,
    onProgress: reporter.update,
    signal,
  };
}

/** Opens a graph file for `use` and always closes it. Without a registry the default universe is assumed. */
export async function withGraph<T>(
  path: string,
  universe: DimensionUniverse | null,
  use: (source: QuantumGraphSource) => Promise<T>,
): Promise<T> {
  const source = await openQuantumGraph(path, universe ?? DimensionUniverse.default());
  try {
    return await use(source);
  } finally {
    await source.close();
  }
}

/** The summary as printed: failures on stderr, the summary line on stdout (or the JSON document). */
export function printExecution(
  summary: GraphExecutionSummary,
  merge: AggregateSummary | null,
  opts: { json?: boolean },
): void {
  for (const f of summary.initFailures) process.stderr.write(`FAILED init of ${f.label}: ${f.message}\n`);
  for (const q of summary.quanta) {
    if (q.status === 'failed')
      process.stderr.write(`FAILED ${q.label} ${formatDataId(q.dataId)}: ${q.message}\n`);
  }
  if (opts.json) {
    const { quanta, ...counts } = summary;
    printJson({
      ...counts,
      failures: quanta.filter((q) => q.status === 'failed'),
      merge,
    });
    return;
  }
  process.stdout.write(`${executionSummaryLine(summary)}\n`);
  if (merge !== null) {
    process.stdout.write(
      `Merged ${merge.quantaMerged} quanta into run ${merge.run}: ${merge.datasetsInserted} datasets inserted, ${merge.datasetsAlreadyPresent} already present\n`,
    );
  }
}

/** Exit status 1 when a quantum (or a task's init) failed; the good ones were still merged. */
export function setExitStatus(summary: GraphExecutionSummary): void {
  if (summary.failed > 0 || summary.initFailures.length > 0) process.exitCode = 1;
}

async function refuseExistingRun(butler: Butler, run: string): Promise<void> {
  const exists = await butler.registry
    .getCollectionType(run)
    .then(() => true)
    .catch((err: { code?: string }) => {
      if (err.code === 'COLLECTION_UNKNOWN') return false;
      throw err;
    });
  if (exists) {
    throw meridianError(
      'OUTPUT_EXISTS',
      `the output run ${run} already exists in the registry; pass --skip-existing or --extend-run to continue it, or build the graph for a new run`,
      { run },
    );
  }
}

interface RunOptions extends ExecutionCliOptions, QgraphOptions {
  readonly qgraph?: string;
  readonly merge?: boolean;
  readonly summary?: string;
}

/** `run -p/-t ...`: the graph is built first, in memory, exactly as `pipetask qgraph` would build it. */
async function buildGraphFromOptions(
  butler: Butler,
  opts: RunOptions,
  signal: AbortSignal,
): Promise<QuantumGraphSource> {
  const { resolved, registry } = await loadPipelineFromOptions(opts, { universe: butler.universe });
  const { outputRun, inputs, skipExistingIn } = await resolveCollections(butler, opts);
  const graph = await buildQuantumGraph(butler, resolved, {
    tasks: registry,
    inputCollections: inputs,
    outputRun,
    output: opts.output ?? null,
    where: opts.dataQuery ?? null,
    bind: parseBindOptions(opts.bind),
    skipExistingIn,
    clobber: opts.clobberOutputs ?? false,
    command: 'pipetask run',
    signal,
  });
  return memoryGraphSource(graph);
}

export function registerRunCommand(program: Command): void {
  const cmd = program
    .command('run')
    .description(
      'Execute a quantum graph (saved, or built here from a pipeline) on worker processes, then merge its outputs and provenance into the registry.',
    )
    .requiredOption('-b, --butler-config <repo>', 'Butler repository')
    .option('-g, --qgraph <file>', 'Quantum graph file (from pipetask qgraph)')
    .option(
      '-i, --input <collections>',
      'With -p/-t: input collections (comma-separated, repeatable); default: the existing -o chain',
      appendCommaSeparated,
    )
    .option('-o, --output <collection>', 'With -p/-t: CHAINED output collection')
    .option(
      '--output-run <run>',
      'With -p/-t: RUN collection for the outputs (default: <output>/<UTC timestamp>)',
    )
    .option('-d, --data-query <expr>', 'With -p/-t: data query (butler where expression)')
    .option(
      '--bind <name=value>',
      'With -p/-t: value for a :name in the data query, as YAML (repeatable)',
      appendValue,
    )
    .option('--extend-run', 'Write into an output run that already has outputs (implies --skip-existing)')
    .option('--no-merge', 'Leave the outputs unmerged (merge later with pipetask aggregate-graph)')
    .option('--summary <file>', 'Also write the execution summary, with every quantum, as JSON to this file');
  addExecutionOptions(addPipelineOptions(cmd), { taskModule: false })
    .addHelpText(
      'after',
      `
Jobs never write the registry: each quantum writes its outputs to the datastore and a receipt under
REPO/.meridian/qbb/; the merge at the end imports what succeeded (idempotent: safe to rerun). A quantum that
fails (throws, exits, exceeds --memory-per-quantum or --timeout) blocks its descendants; the others go on unless
--fail-fast. Exit status 1 when a quantum failed. Rerun the same command with --skip-existing to finish a run
that failed or was killed. With -p/-t instead of -g the graph is built first, as pipetask qgraph builds it.

Examples:
  pipetask run -b ./repo -g g.qg -j 4
  pipetask run -b ./repo -g g.qg -j 4 --skip-existing --clobber-outputs
  pipetask run -b ./repo -i inputs -o u/me/add -t meridian.pipe.testing.AddTask:add -d "detector < 3" -j 2
  pipetask run -b ./repo -g g.qg --memory-per-quantum 2GB --timeout 600 --summary run.json`,
    )
    .action(async (opts: RunOptions) => {
      const fromPipeline = opts.pipeline !== undefined || (opts.task ?? []).length > 0;
      if (fromPipeline === (opts.qgraph !== undefined)) {
        throw meridianError(
          'INVALID_ARGUMENT',
          'pipetask run needs either -g/--qgraph FILE or a pipeline (-p FILE or -t TASK), not both',
        );
      }
      await withButler(opts.butlerConfig, 'write', async (butler, signal) => {
        const run = async (source: QuantumGraphSource) => {
          if (!opts.skipExisting && !opts.extendRun) await refuseExistingRun(butler, source.header.outputRun);
          const summary = await withProgress((reporter) =>
            executeGraph(source, {
              ...executionOptions(butler.root, opts, reporter, signal),
              extendRun: opts.extendRun ?? false,
            }),
          );
          const merge =
            opts.merge === false
              ? null
              : await withProgress((reporter) =>
                  aggregateGraph(butler, source, { signal, onProgress: reporter.update }),
                );
          if (opts.summary !== undefined) {
            await writeFile(opts.summary, `${JSON.stringify({ ...summary, merge }, null, 2)}\n`).catch(
              (err) => {
                throw fileSystemError(err, 'write the summary file', opts.summary!);
              },
            );
          }
          printExecution(summary, merge, opts);
          setExitStatus(summary);
        };
        if (opts.qgraph !== undefined) await withGraph(opts.qgraph, butler.universe, run);
        else await run(await buildGraphFromOptions(butler, opts, signal));
      });
    });
}
