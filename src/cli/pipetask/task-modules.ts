import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { loadTaskRegistry, type TaskRegistry } from '../../pipe/index.js';
import { appendValue } from '../common/list-options.js';

/**
 * Where pipetask finds task definitions. A pipeline file only names tasks; the code comes from these modules, each
 * exporting `registerTasks(registry)`: Meridian's own (found next to this module, so the same list works from
 * `dist/` and from `src/` under a test runner) plus any the operator names with `--task-module`. Executors in
 * worker processes load the same list, so they see the same registry.
 */
export const DEFAULT_TASK_MODULES: readonly string[] = Object.freeze([
  new URL('../../pipe/testing/tasks.js', import.meta.url).href,
]);

export interface TaskModuleCliOptions {
  readonly taskModule?: string[];
}

export function addTaskModuleOption(cmd: Command): Command {
  return cmd.option(
    '--task-module <spec>',
    'Also load tasks from this module (a path or a package name; it exports registerTasks(registry)); repeatable',
    appendValue,
  );
}

/**
 * A `--task-module` value as an import specifier: a path (`./x.js`, `../x.js`, `/abs/x.js`, or anything ending
 * in .js/.mjs) becomes a file URL relative to the working directory; anything else is a package name.
 */
export function taskModuleSpecifier(spec: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(spec) && !/^[a-z]:[\\/]/i.test(spec)) return spec;
  const looksLikePath =
    spec.startsWith('./') || spec.startsWith('../') || isAbsolute(spec) || /\.(c|m)?js$/.test(spec);
  return looksLikePath ? pathToFileURL(resolve(spec)).href : spec;
}

/** The default modules followed by the operator's, as import specifiers. */
export function taskModulesFromOptions(opts: TaskModuleCliOptions): string[] {
  return [...DEFAULT_TASK_MODULES, ...(opts.taskModule ?? []).map(taskModuleSpecifier)];
}

export async function taskRegistryFromOptions(
  opts: TaskModuleCliOptions,
): Promise<{ registry: TaskRegistry; taskModules: string[] }> {
  const taskModules = taskModulesFromOptions(opts);
  return { registry: await loadTaskRegistry(taskModules), taskModules };
}
