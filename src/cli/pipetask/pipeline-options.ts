import type { Command } from 'commander';
import type { DimensionUniverse } from '../../butler/index.js';
import { meridianError } from '../../errors.js';
import {
  applyConfigOverrides,
  type ConfigOverride,
  emptyPipeline,
  loadPipeline,
  type Pipeline,
  parseConfigFileOverride,
  parseConfigOverride,
  type ResolvedPipeline,
  type TaskRegistry,
} from '../../pipe/index.js';
import { addTaskModuleOption, type TaskModuleCliOptions, taskRegistryFromOptions } from './task-modules.js';

/**
 * The options that say which pipeline a pipetask command works on, shared by build, qgraph and run:
 * `-p/--pipeline FILE[#labels]`, `-t/--task NAME[:LABEL]` (repeatable; adds tasks, or makes the whole pipeline
 * when there is no -p), `-c/--config LABEL:FIELD=VALUE` and `-C/--config-file LABEL:FILE` (repeatable; applied in
 * the order given across both options, so a later one wins), and `--task-module SPEC`.
 */

/** One -c or -C, stamped with its place on the command line so the two lists can be merged back in order. */
export interface OrderedOverride {
  readonly order: number;
  readonly override: ConfigOverride;
}

export interface PipelineCliOptions extends TaskModuleCliOptions {
  readonly pipeline?: string;
  readonly task?: string[];
  readonly config?: OrderedOverride[];
  readonly configFile?: OrderedOverride[];
}

export interface LoadedPipeline {
  readonly pipeline: Pipeline;
  /** The pipeline resolved (configs defaulted and validated, connections filled, contracts checked). */
  readonly resolved: ResolvedPipeline;
  readonly registry: TaskRegistry;
  /** Import specifiers of the task modules, for worker processes to load the same registry. */
  readonly taskModules: readonly string[];
}

/** Commander parses options left to right, so a shared counter gives their command-line order. */
let overrideCounter = 0;

function collectOverride(parse: (text: string) => ConfigOverride) {
  return (value: string, previous: OrderedOverride[] | undefined): OrderedOverride[] => [
    ...(previous ?? []),
    { order: overrideCounter++, override: parse(value) },
  ];
}

export function addPipelineOptions(cmd: Command): Command {
  cmd
    .option('-p, --pipeline <file>', 'Pipeline YAML file, optionally with #label,subset,... to select tasks')
    .option(
      '-t, --task <name[:label]>',
      'Add a registered task (label: the last part of the name, lower-cased first letter); repeatable',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option(
      '-c, --config <label:field=value>',
      "Config override; the value is YAML (1, true, [1, 2], 'x'); repeatable, later ones win",
      collectOverride(parseConfigOverride),
    )
    .option(
      '-C, --config-file <label:file>',
      'YAML file of field: value config overrides for one task; repeatable, in order with -c',
      collectOverride(parseConfigFileOverride),
    );
  return addTaskModuleOption(cmd);
}

/** The -c/-C overrides in command-line order. */
export function overridesFromOptions(opts: PipelineCliOptions): ConfigOverride[] {
  return [...(opts.config ?? []), ...(opts.configFile ?? [])]
    .sort((a, b) => a.order - b.order)
    .map((o) => o.override);
}

function defaultLabel(taskName: string): string {
  const last = taskName.split('.').at(-1) ?? taskName;
  return last.charAt(0).toLowerCase() + last.slice(1);
}

/** Load the task registry and the pipeline the options name, apply overrides, and resolve it. */
export async function loadPipelineFromOptions(
  opts: PipelineCliOptions,
  context: { universe?: DimensionUniverse } = {},
): Promise<LoadedPipeline> {
  const { registry, taskModules } = await taskRegistryFromOptions(opts);
  const tasks = opts.task ?? [];
  if (opts.pipeline === undefined && tasks.length === 0) {
    throw meridianError(
      'INVALID_ARGUMENT',
      'no pipeline: give -p/--pipeline FILE or at least one -t/--task NAME[:LABEL]',
    );
  }
  let pipeline =
    opts.pipeline !== undefined
      ? await loadPipeline(opts.pipeline, { registry, universe: context.universe })
      : emptyPipeline(`Tasks from the command line: ${tasks.join(', ')}`, {
          registry,
          universe: context.universe,
        });
  for (const spec of tasks) {
    const colon = spec.indexOf(':');
    const name = colon < 0 ? spec : spec.slice(0, colon);
    const label = colon < 0 ? defaultLabel(spec) : spec.slice(colon + 1);
    pipeline = pipeline.withTask(name, label);
  }
  pipeline = await applyConfigOverrides(pipeline, overridesFromOptions(opts));
  return { pipeline, resolved: pipeline.resolve(), registry, taskModules };
}
