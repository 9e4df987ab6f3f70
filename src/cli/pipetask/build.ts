import { writeFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError } from 'commander';
import { stringify as stringifyYaml } from 'yaml';
import { fileSystemError } from '../../butler/index.js';
import { meridianError } from '../../errors.js';
import {
  type Pipeline,
  type ResolvedPipeline,
  type TaskRegistry,
  taskGraphDot,
  taskGraphText,
} from '../../pipe/index.js';
import { printJson } from '../common/json.js';
import { addPipelineOptions, loadPipelineFromOptions, type PipelineCliOptions } from './pipeline-options.js';
import { taskRegistryFromOptions } from './task-modules.js';

/** `pipetask build`: load, validate and show a pipeline; save it expanded; draw its task graph. */

type ShowRequest =
  | { readonly kind: 'pipeline' | 'tasks' | 'task-graph' }
  | { readonly kind: 'config'; readonly label: string | null; readonly field: string | null };

interface BuildOptions extends PipelineCliOptions {
  readonly show?: ShowRequest[];
  readonly pipelineDot?: string;
  readonly savePipeline?: string;
  readonly json?: boolean;
}

function parseShow(value: string, previous: ShowRequest[] | undefined): ShowRequest[] {
  const [what, arg] = value.split(/=(.*)/s, 2) as [string, string | undefined];
  let request: ShowRequest;
  if (what === 'config') {
    const [label, field] = (arg ?? '').split(/:(.*)/s, 2);
    request = { kind: 'config', label: label || null, field: field || null };
  } else if ((what === 'pipeline' || what === 'tasks' || what === 'task-graph') && arg === undefined) {
    request = { kind: what };
  } else {
    throw new InvalidArgumentError('expected pipeline, config[=LABEL[:FIELD]], tasks or task-graph');
  }
  return [...(previous ?? []), request];
}

export function registerBuildCommand(program: Command): void {
  addPipelineOptions(
    program
      .command('build')
      .description('Load and validate a pipeline; show it, its config or its task graph; save it expanded.'),
  )
    .option(
      '--show <what>',
      'pipeline (expanded YAML), config[=LABEL[:FIELD]], tasks (registered tasks), task-graph; repeatable',
      parseShow,
    )
    .option('--pipeline-dot <file>', 'Write the task graph as Graphviz DOT (render: dot -Tsvg FILE)')
    .option(
      '-s, --save-pipeline <file>',
      'Write the expanded pipeline (imports and overrides applied) as YAML',
    )
    .option('--json', 'Print a JSON summary (tasks, config hashes, dataset types, subsets, steps) on stdout')
    .addHelpText(
      'after',
      `
Examples:
  pipetask build -p pipelines/testing/add-chain.yaml
  pipetask build -p pipelines/testing/add-chain.yaml#step1 -c addOne:addend=5 --show config=addOne
  pipetask build -p pipelines/testing/imports.yaml --show task-graph --pipeline-dot graph.dot
  pipetask build -t meridian.pipe.testing.AddTask:add -s add.yaml
  pipetask build --show tasks`,
    )
    .action(async (opts: BuildOptions) => {
      const show = opts.show ?? [];
      if (opts.json && show.length > 0) {
        throw meridianError(
          'INVALID_ARGUMENT',
          '--show prints text; with --json the summary already holds the tasks, their configs and the dataset types',
        );
      }
      const hasPipeline = opts.pipeline !== undefined || (opts.task ?? []).length > 0;
      if (!hasPipeline && show.length > 0 && show.every((s) => s.kind === 'tasks')) {
        const { registry } = await taskRegistryFromOptions(opts);
        process.stdout.write(registeredTasksText(registry));
        return;
      }
      const { pipeline, resolved, registry } = await loadPipelineFromOptions(opts);
      if (opts.savePipeline !== undefined) await writeOutput(opts.savePipeline, pipeline.toYaml());
      if (opts.pipelineDot !== undefined) await writeOutput(opts.pipelineDot, taskGraphDot(resolved));
      if (opts.json) {
        printJson(buildSummary(pipeline, resolved));
        return;
      }
      for (const request of show) {
        process.stdout.write(showText(request, pipeline, resolved, registry));
      }
      if (show.length === 0) {
        process.stdout.write(
          `Pipeline OK: ${resolved.tasks.length} task(s) (${resolved.tasks.map((t) => t.label).join(', ')}), ${resolved.datasetTypes.length} dataset type(s).\n`,
        );
      }
    });
}

async function writeOutput(path: string, text: string): Promise<void> {
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

function showText(
  request: ShowRequest,
  pipeline: Pipeline,
  resolved: ResolvedPipeline,
  registry: TaskRegistry,
): string {
  switch (request.kind) {
    case 'pipeline':
      return pipeline.toYaml();
    case 'tasks':
      return registeredTasksText(registry);
    case 'task-graph':
      return taskGraphText(resolved);
    case 'config':
      return configText(resolved, request.label, request.field);
  }
}

function registeredTasksText(registry: TaskRegistry): string {
  return registry
    .names()
    .map((name) => {
      const doc = registry.get(name).doc;
      return doc === undefined ? `${name}\n` : `${name}\n    ${doc}\n`;
    })
    .join('');
}

/** Each task's resolved config (defaults filled) and its connections' dataset types, as YAML. */
function configText(resolved: ResolvedPipeline, label: string | null, field: string | null): string {
  const tasks = label === null ? resolved.tasks : resolved.tasks.filter((t) => t.label === label);
  if (tasks.length === 0) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `--show config=${label}: the pipeline has no task labelled '${label}' (labels: ${resolved.tasks.map((t) => t.label).join(', ')})`,
    );
  }
  return tasks
    .map((task) => {
      const connections = Object.fromEntries(
        task.connections.filter((c) => !c.attr.startsWith('_')).map((c) => [c.attr, c.datasetType]),
      );
      const full: Record<string, unknown> = { ...task.config, connections };
      let value: unknown = full;
      if (field !== null) {
        for (const key of field.split('.')) {
          if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) {
            throw meridianError(
              'INVALID_ARGUMENT',
              `--show config=${task.label}:${field}: ${task.label} has no config field ${field}`,
            );
          }
          value = (value as Record<string, unknown>)[key];
        }
        value = { [field]: value };
      }
      return `### ${task.label} (${task.taskName})\n${stringifyYaml(value, { lineWidth: 0 })}`;
    })
    .join('');
}

/** The `--json` document: what a script needs to know about a pipeline without parsing YAML. */
export function buildSummary(pipeline: Pipeline, resolved: ResolvedPipeline) {
  return {
    description: resolved.description,
    instrument: resolved.instrument,
    tasks: resolved.tasks.map((t) => ({
      label: t.label,
      taskName: t.taskName,
      dimensions: t.dimensions,
      configHash: t.configHash,
      config: t.config,
    })),
    datasetTypes: resolved.datasetTypes.map((d) => ({
      name: d.name,
      storageClass: d.storageClass,
      dimensions: d.dimensions,
      isInit: d.isInit,
      isPrerequisite: d.isPrerequisite,
      isCalibration: d.isCalibration,
      producer: d.producer,
      consumers: d.consumers,
    })),
    subsets: pipeline.subsets.map((s) => ({ name: s.name, labels: s.labels, description: s.description })),
    steps: pipeline.steps.map((s) => ({ label: s.label, dimensions: s.dimensions })),
    contracts: pipeline.contracts.map((c) => ({ contract: c.contract, msg: c.msg })),
  };
}
