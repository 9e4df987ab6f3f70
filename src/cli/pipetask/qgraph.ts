import { writeFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError } from 'commander';
import { parse as parseYaml } from 'yaml';
import { Butler, fileSystemError } from '../../butler/index.js';
import { isMeridianError, meridianError } from '../../errors.js';
import {
  type BuildSummary,
  buildQuantumGraph,
  buildQuantumGraphFile,
  memoryGraphSource,
  openQuantumGraph,
  type QuantumGraphHeader,
  type QuantumGraphSource,
  quantumGraphDot,
} from '../../pipe/index.js';
import { interruptible } from '../butler/interrupt.js';
import { printJson } from '../common/json.js';
import { appendCommaSeparated, appendValue } from '../common/list-options.js';
import { type ProgressReporter, withProgress } from '../common/progress.js';
import { formatTable } from '../common/table.js';
import { addPipelineOptions, loadPipelineFromOptions, type PipelineCliOptions } from './pipeline-options.js';

/** `pipetask qgraph`: build a quantum graph from a pipeline and a data query, save it, print a per-task summary. */

export interface QgraphOptions extends PipelineCliOptions {
  readonly butlerConfig: string;
  readonly input?: string[];
  readonly output?: string;
  readonly outputRun?: string;
  readonly dataQuery?: string;
  readonly bind?: string[];
  readonly datasetQueryConstraint?: string;
  readonly skipExistingIn?: string[];
  readonly skipExisting?: boolean;
  readonly extendRun?: boolean;
  readonly clobberOutputs?: boolean;
  readonly saveQgraph?: string;
  readonly qgraphDot?: string;
  readonly json?: boolean;
}

/** `20260102T030405Z`: the default output run is `<output>/<this>`, as pipetask names it. */
export function runTimestamp(now = new Date()): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** `--bind k=v`: the value is a YAML scalar (`5`, `'5'`, `true`, `[1, 2]`). */
export function parseBindOptions(values: readonly string[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const text of values ?? []) {
    const eq = text.indexOf('=');
    if (eq <= 0) throw meridianError('INVALID_ARGUMENT', `--bind: expected name=value, got '${text}'`);
    const name = text.slice(0, eq).trim();
    let value: unknown;
    try {
      value = parseYaml(text.slice(eq + 1));
    } catch {
      throw meridianError('INVALID_ARGUMENT', `--bind ${name}: the value is not a YAML scalar or list`);
    }
    out[name] = value;
  }
  return out;
}

function parseConstraint(value: string): 'all' | 'off' | string[] {
  if (value === 'all' || value === 'off') return value;
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0) throw new InvalidArgumentError("expected 'all', 'off' or dataset type names");
  return names;
}

export function registerQgraphCommand(program: Command): void {
  addPipelineOptions(
    program
      .command('qgraph')
      .description(
        'Build a quantum graph from a pipeline and a data query; save it and print a summary per task.',
      ),
  )
    .requiredOption('-b, --butler-config <repo>', 'Repository directory')
    .option(
      '-i, --input <collections>',
      'Input collections, searched in order (comma-separated, repeatable); default: the existing -o chain',
      appendCommaSeparated,
    )
    .option('-o, --output <collection>', 'CHAINED output collection (the output run goes first in it)')
    .option('--output-run <run>', 'RUN collection for the outputs (default: <output>/<UTC timestamp>)')
    .option(
      '-d, --data-query <expr>',
      'Data query (butler where expression), e.g. "visit = 1 AND detector < 3"',
    )
    .option('--bind <name=value>', 'Value for a :name in the data query, as YAML (repeatable)', appendValue)
    .option(
      '--dataset-query-constraint <constraint>',
      "Inputs that constrain the data query: 'all' (default; deferred inputs excepted), 'off', or names",
    )
    .option(
      '--skip-existing-in <collections>',
      'Leave out quanta whose metadata exists here (comma-separated)',
      appendCommaSeparated,
    )
    .option('--skip-existing', 'Leave out quanta whose metadata exists in the output collection')
    .option(
      '--extend-run',
      'Write into the existing output run (--output-run, or the first run in -o); implies --skip-existing',
    )
    .option('--clobber-outputs', 'Allow outputs that already exist in the output run (the run replaces them)')
    .option(
      '-q, --save-qgraph <file>',
      'Write the graph file (quanta are streamed to it while the graph is built)',
    )
    .option('--qgraph-dot <file>', 'Write the quantum graph as Graphviz DOT')
    .option('--json', 'Print a JSON summary on stdout')
    .addHelpText(
      'after',
      `
The summary lists each task with its quanta, the quanta dropped for lack of work and those skipped as already
done. An empty graph is an error (QGRAPH_EMPTY) saying which input or constraint gave no rows.

Examples:
  pipetask qgraph -b ./repo -i raw/run,calib -o u/me/cal -p pipelines/testing/calibrate.yaml -q cal.mqg
  pipetask qgraph -b ./repo -i inputs --output-run u/me/run1 -t meridian.pipe.testing.AddTask:add \\
      -d "detector IN (:d)" --bind "d=[1, 2]" --json
  pipetask qgraph -b ./repo -o u/me/cal --extend-run -p calibrate.yaml -q again.mqg`,
    )
    .action(async (opts: QgraphOptions, cmd: Command) => {
      // The command line as given (commander keeps it on the program), recorded in the graph's header.
      const raw = (cmd.parent as (Command & { rawArgs?: string[] }) | null)?.rawArgs ?? [];
      const command = ['pipetask', ...raw.slice(2)].join(' ');
      await withProgress(async (reporter) => {
        await runQgraph(opts, command, reporter);
      });
    });
}

async function runQgraph(opts: QgraphOptions, command: string, reporter: ProgressReporter): Promise<void> {
  const constraint =
    opts.datasetQueryConstraint === undefined ? 'all' : parseConstraint(opts.datasetQueryConstraint);
  const bind = parseBindOptions(opts.bind);
  const butler = await Butler.open(opts.butlerConfig);
  try {
    const { resolved, registry } = await loadPipelineFromOptions(opts, { universe: butler.universe });
    const { outputRun, inputs, skipExistingIn } = await resolveCollections(butler, opts);
    const options = {
      tasks: registry,
      inputCollections: inputs,
      outputRun,
      output: opts.output ?? null,
      where: opts.dataQuery ?? null,
      bind,
      datasetQueryConstraint: constraint,
      skipExistingIn,
      clobber: opts.clobberOutputs ?? false,
      command,
      onProgress: (p: { phase: string; label?: string; done: number; total: number }) =>
        reporter.update({
          phase: p.label === undefined ? p.phase : `${p.phase} ${p.label}`,
          done: p.done,
          total: p.total,
          unit: p.phase === 'task' ? 'quanta' : undefined,
        }),
    };
    let header: QuantumGraphHeader;
    let summary: BuildSummary;
    let source: QuantumGraphSource | null = null;
    await interruptible(async (signal) => {
      if (opts.saveQgraph !== undefined) {
        ({ header, summary } = await buildQuantumGraphFile(butler, resolved, opts.saveQgraph, {
          ...options,
          signal,
        }));
        if (opts.qgraphDot !== undefined) source = await openQuantumGraph(opts.saveQgraph, butler.universe);
      } else {
        const graph = await buildQuantumGraph(butler, resolved, { ...options, signal });
        ({ header, summary } = graph);
        source = memoryGraphSource(graph);
      }
    });
    reporter.end({ clear: true });
    try {
      if (opts.qgraphDot !== undefined && source !== null) {
        await writeText(opts.qgraphDot, quantumGraphDot(source as QuantumGraphSource));
      }
    } finally {
      await (source as QuantumGraphSource | null)?.close();
    }
    const rows = resolved.tasks.map((t) => ({ label: t.label, ...summary![t.label]! }));
    if (opts.json) {
      printJson({
        graphId: header!.graphId,
        file: opts.saveQgraph ?? null,
        outputRun: header!.outputRun,
        output: header!.output,
        inputCollections: header!.inputCollections,
        dataQuery: header!.dataQuery,
        nQuanta: header!.nQuanta,
        nDatasets: header!.nDatasets,
        tasks: rows,
      });
      return;
    }
    process.stdout.write(
      `${formatTable(rows, [
        'label',
        { key: 'quanta', align: 'right' },
        { key: 'noWork', header: 'no work', align: 'right' },
        { key: 'skipped', align: 'right' },
      ])}\n`,
    );
    process.stdout.write(
      `Quantum graph: ${header!.nQuanta} quanta, ${header!.nDatasets} datasets; output run ${header!.outputRun}${
        opts.saveQgraph === undefined ? ' (not saved: give -q FILE)' : `; saved to ${opts.saveQgraph}`
      }.\n`,
    );
  } finally {
    await butler.close();
  }
}

/** The output run, the input collections and where to look for finished quanta, from -i/-o/--output-run/... */
export async function resolveCollections(
  butler: Butler,
  opts: QgraphOptions,
): Promise<{ outputRun: string; inputs: string[]; skipExistingIn: string[] }> {
  let inputs = opts.input ?? [];
  let outputRun = opts.outputRun;
  let chain: string[] = [];
  if (opts.output !== undefined) {
    try {
      chain = await butler.registry.getCollectionChain(opts.output);
    } catch (err) {
      if (!isMeridianError(err, 'COLLECTION_UNKNOWN')) throw err;
    }
  }
  if (opts.extendRun) {
    outputRun ??= chain[0];
    if (outputRun === undefined) {
      throw meridianError(
        'INVALID_ARGUMENT',
        '--extend-run needs an existing run: give --output-run, or -o naming a chain whose first member is the run',
      );
    }
    if (inputs.length === 0) inputs = chain.filter((c) => c !== outputRun);
  }
  if (outputRun === undefined) {
    if (opts.output === undefined) {
      throw meridianError('INVALID_ARGUMENT', 'no output: give -o/--output COLLECTION or --output-run RUN');
    }
    outputRun = `${opts.output}/${runTimestamp()}`;
  }
  // As Rubin's pipetask: without -i, an existing -o chain is the input (its runs and the inputs it was made from);
  // the new run goes in front of it.
  if (inputs.length === 0) inputs = [...chain];
  if (inputs.length === 0) {
    throw meridianError(
      'INVALID_ARGUMENT',
      'no input collections: give -i/--input COLLECTION[,...] (or -o naming an existing chain to continue)',
    );
  }
  const skipExistingIn = [...(opts.skipExistingIn ?? [])];
  if (opts.skipExisting || opts.extendRun) {
    const own = opts.output !== undefined && chain.length > 0 ? opts.output : outputRun;
    if (!skipExistingIn.includes(own)) skipExistingIn.push(own);
  }
  // Collections that do not exist yet (a new output chain) cannot be searched; the run will be new too.
  const existing: string[] = [];
  for (const c of skipExistingIn) {
    try {
      await butler.registry.getCollectionType(c);
      existing.push(c);
    } catch (err) {
      if (!isMeridianError(err, 'COLLECTION_UNKNOWN')) throw err;
      if ((opts.skipExistingIn ?? []).includes(c)) throw err;
    }
  }
  return { outputRun, inputs, skipExistingIn: existing };
}

async function writeText(path: string, text: string): Promise<void> {
  if (path === '-') {
    process.stdout.write(text);
    return;
  }
  try {
    await writeFile(path, text);
  } catch (err) {
    throw fileSystemError(err, 'write the output file', path);
  }
}
