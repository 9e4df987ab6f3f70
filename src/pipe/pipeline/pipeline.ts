/**
 * A loaded pipeline: its imports expanded and its override files read, so it is plain data (tasks with ordered
 * config assignments, subsets, steps, contracts). Selecting labels, adding tasks and applying command-line
 * overrides each give a new Pipeline; `resolve()` hands the tasks to `resolvePipeline` and then checks the
 * contracts on the resolved (defaulted) configs; `toYaml()` writes the expanded pipeline, which loads back to the
 * same thing.
 */
import { stringify as stringifyYaml } from 'yaml';
import type { DimensionUniverse } from '../../butler/index.js';
import { meridianError } from '../../errors.js';
import type { ResolvedPipeline } from '../model.js';
import { resolvePipeline, type TaskEntry } from '../resolve.js';
import type { TaskRegistry } from '../task.js';
import { evaluateExpression, expressionLabels, isTruthy } from './expression.js';
import { type ConfigAssignment, type ContractIR, type StepIR, type SubsetIR, withOrigin } from './ir.js';

export interface PipelineTaskSpec {
  readonly label: string;
  /** Registry name of the task. */
  readonly taskClass: string;
  /** Config assignments in the order they apply (imports first, then the file, then the command line). */
  readonly config: readonly ConfigAssignment[];
}

/** The expanded content of a pipeline. */
export interface PipelineData {
  readonly description: string;
  readonly instrument: string | null;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly tasks: readonly PipelineTaskSpec[];
  readonly subsets: readonly SubsetIR[];
  readonly steps: readonly StepIR[];
  readonly contracts: readonly ContractIR[];
}

export interface PipelineContext {
  readonly registry: TaskRegistry;
  readonly universe?: DimensionUniverse;
}

export class Pipeline {
  readonly data: PipelineData;
  private readonly context: PipelineContext;

  constructor(data: PipelineData, context: PipelineContext) {
    validatePipelineData(data, 'the pipeline');
    this.data = Object.freeze(data);
    this.context = context;
  }

  get description(): string {
    return this.data.description;
  }

  get instrument(): string | null {
    return this.data.instrument;
  }

  /** Task labels in file order (`resolve()` orders them producers first). */
  get labels(): readonly string[] {
    return this.data.tasks.map((t) => t.label);
  }

  get tasks(): readonly PipelineTaskSpec[] {
    return this.data.tasks;
  }

  get subsets(): readonly SubsetIR[] {
    return this.data.subsets;
  }

  get steps(): readonly StepIR[] {
    return this.data.steps;
  }

  get contracts(): readonly ContractIR[] {
    return this.data.contracts;
  }

  get parameters(): Readonly<Record<string, unknown>> {
    return this.data.parameters;
  }

  get registry(): TaskRegistry {
    return this.context.registry;
  }

  task(label: string): PipelineTaskSpec {
    const t = this.data.tasks.find((x) => x.label === label);
    if (t === undefined) throw unknownLabel(label, this.labels);
    return t;
  }

  /**
   * Keep the named labels and subsets (mixed, as in `file.yaml#isr,step1`). Subsets keep only their selected
   * members (and go when none is left), so each kept task stays in its step; contracts that read a task that is
   * not kept go.
   */
  select(names: readonly string[]): Pipeline {
    const keep = expandNames(this.data, names, 'the selector');
    return new Pipeline(restrictToLabels(this.data, keep, 'EDIT'), this.context);
  }

  /** The same pipeline with config assignments appended to one task (they win over everything before). */
  withConfig(label: string, assignments: readonly ConfigAssignment[]): Pipeline {
    this.task(label);
    const tasks = this.data.tasks.map((t) =>
      t.label === label ? Object.freeze({ ...t, config: Object.freeze([...t.config, ...assignments]) }) : t,
    );
    return new Pipeline({ ...this.data, tasks: Object.freeze(tasks) }, this.context);
  }

  /** The same pipeline with one more task (as `pipetask -t NAME:LABEL` adds one). */
  withTask(taskClass: string, label: string, config: readonly ConfigAssignment[] = []): Pipeline {
    this.context.registry.get(taskClass);
    if (this.labels.includes(label)) {
      throw meridianError('PIPELINE_INVALID', `the pipeline already has a task labelled '${label}'`, {
        label,
      });
    }
    const task = Object.freeze({ label, taskClass, config: Object.freeze([...config]) });
    return new Pipeline({ ...this.data, tasks: Object.freeze([...this.data.tasks, task]) }, this.context);
  }

  /** Each task's config as a nested object over its defaults, `parameters.NAME` values substituted. */
  taskEntries(): TaskEntry[] {
    return this.data.tasks.map((t) => ({
      label: t.label,
      taskName: t.taskClass,
      config: applyAssignments(t.config, this.data.parameters),
    }));
  }

  /** Resolve the tasks (configs validated and defaulted, connections filled) and check every contract. */
  resolve(): ResolvedPipeline {
    const resolved = resolvePipeline(this.taskEntries(), this.context.registry, {
      description: this.data.description,
      instrument: this.data.instrument,
      universe: this.context.universe,
    });
    checkContracts(this.data.contracts, resolved);
    return resolved;
  }

  /** The expanded pipeline as YAML (no imports, no override files); loading it gives the same pipeline. */
  toYaml(): string {
    const doc: Record<string, unknown> = { description: this.data.description };
    if (this.data.instrument !== null) doc.instrument = this.data.instrument;
    if (Object.keys(this.data.parameters).length > 0) doc.parameters = this.data.parameters;
    doc.tasks = Object.fromEntries(
      this.data.tasks.map((t) => [
        t.label,
        t.config.length === 0 ? t.taskClass : { class: t.taskClass, config: configMaps(t.config) },
      ]),
    );
    if (this.data.subsets.length > 0) {
      doc.subsets = Object.fromEntries(
        this.data.subsets.map((s) => [
          s.name,
          s.description === null ? [...s.labels] : { subset: [...s.labels], description: s.description },
        ]),
      );
    }
    if (this.data.steps.length > 0) {
      doc.steps = this.data.steps.map((s) => ({ label: s.label, dimensions: s.dimensions.join(', ') }));
    }
    if (this.data.contracts.length > 0) {
      doc.contracts = this.data.contracts.map((c) =>
        c.msg === null ? c.contract : { contract: c.contract, msg: c.msg },
      );
    }
    return stringifyYaml(doc, { lineWidth: 0, aliasDuplicateObjects: false });
  }
}

/** Assignments as a list of maps, a new map whenever a field repeats (so the order of application survives). */
function configMaps(assignments: readonly ConfigAssignment[]): Record<string, unknown>[] {
  const maps: Record<string, unknown>[] = [];
  let current: Record<string, unknown> | null = null;
  for (const a of assignments) {
    if (current === null || Object.hasOwn(current, a.field)) {
      current = {};
      maps.push(current);
    }
    current[a.field] = a.value;
  }
  return maps;
}

const PARAMETER = /^parameters\.([A-Za-z_][A-Za-z0-9_]*)$/;

/** Nested config from dotted assignments: `a.b: 1` sets `{a: {b: 1}}`; a later assignment wins. */
export function applyAssignments(
  assignments: readonly ConfigAssignment[],
  parameters: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of assignments) {
    let value = a.value;
    const param = typeof value === 'string' ? PARAMETER.exec(value) : null;
    if (param !== null) {
      const paramName = param[1]!;
      if (!Object.hasOwn(parameters, paramName)) {
        const known = Object.keys(parameters);
        throw withOrigin(
          a.origin,
          `${a.field}: unknown parameter '${paramName}' (${known.length > 0 ? `parameters: ${known.join(', ')}` : 'the pipeline declares no parameters'})`,
        );
      }
      value = parameters[paramName];
    }
    const path = a.field.split('.');
    let target = out;
    for (const part of path.slice(0, -1)) {
      const next = target[part];
      if (next === undefined) {
        target[part] = {};
      } else if (next === null || typeof next !== 'object' || Array.isArray(next)) {
        throw withOrigin(a.origin, `${a.field}: '${part}' was set to a value that is not a map`);
      } else {
        // Copy: the value may be a frozen object from an earlier whole-map assignment.
        target[part] = { ...(next as Record<string, unknown>) };
      }
      target = target[part] as Record<string, unknown>;
    }
    target[path.at(-1)!] = structuredClone(value);
  }
  return out;
}

function checkContracts(contracts: readonly ContractIR[], resolved: ResolvedPipeline): void {
  const configs = new Map(resolved.tasks.map((t) => [t.label, t.config]));
  for (const c of contracts) {
    const lookup = (label: string, path: readonly string[]): unknown => {
      const config = configs.get(label);
      if (config === undefined) {
        throw meridianError('PIPELINE_INVALID', `contract "${c.contract}": there is no task '${label}'`, {
          contract: c.contract,
        });
      }
      let value: unknown = config;
      for (const [i, key] of path.entries()) {
        if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) {
          throw meridianError(
            'PIPELINE_INVALID',
            `contract "${c.contract}": ${label} has no config field ${path.slice(0, i + 1).join('.')}`,
            { contract: c.contract, label },
          );
        }
        value = (value as Record<string, unknown>)[key];
      }
      return value;
    };
    if (!isTruthy(evaluateExpression(c.expr, lookup, c.contract))) {
      throw meridianError(
        'PIPELINE_CONTRACT_FAILED',
        `contract failed: ${c.contract}${c.msg === null ? '' : ` (${c.msg})`}`,
        { contract: c.contract, msg: c.msg },
      );
    }
  }
}

function unknownLabel(label: string, labels: readonly string[]) {
  return meridianError(
    'PIPELINE_INVALID',
    `the pipeline has no task labelled '${label}' (labels: ${labels.join(', ')})`,
    { label },
  );
}

/** Labels named directly or through a subset; an unknown name is an error saying `where` it came from. */
export function expandNames(data: PipelineData, names: readonly string[], where: string): Set<string> {
  const labels = new Set(data.tasks.map((t) => t.label));
  const out = new Set<string>();
  for (const n of names) {
    const subset = data.subsets.find((s) => s.name === n);
    if (subset !== undefined) for (const l of subset.labels) out.add(l);
    else if (labels.has(n)) out.add(n);
    else {
      throw meridianError(
        'PIPELINE_INVALID',
        `${where} names '${n}', which is neither a task label (${[...labels].join(', ')}) nor a subset (${data.subsets.map((s) => s.name).join(', ') || 'none'})`,
        { name: n },
      );
    }
  }
  return out;
}

/**
 * Only the tasks in `keep`. A subset that loses members is dropped (DROP) or keeps the rest (EDIT); steps follow
 * their subsets; a contract that reads a removed task is dropped.
 */
export function restrictToLabels(
  data: PipelineData,
  keep: ReadonlySet<string>,
  mode: 'DROP' | 'EDIT',
): PipelineData {
  const subsets = data.subsets.flatMap((s) => {
    const kept = s.labels.filter((l) => keep.has(l));
    if (kept.length === s.labels.length) return [s];
    if (mode === 'DROP' || kept.length === 0) return [];
    return [Object.freeze({ ...s, labels: Object.freeze(kept) })];
  });
  const subsetNames = new Set(subsets.map((s) => s.name));
  return {
    ...data,
    tasks: Object.freeze(data.tasks.filter((t) => keep.has(t.label))),
    subsets: Object.freeze(subsets),
    steps: Object.freeze(data.steps.filter((s) => subsetNames.has(s.label))),
    contracts: Object.freeze(
      data.contracts.filter((c) => [...expressionLabels(c.expr)].every((l) => keep.has(l))),
    ),
  };
}

/**
 * The rules a whole pipeline obeys: subsets name existing labels and no subset is named like a label; steps are
 * subsets and, when there are steps, every task is in exactly one of them (as Rubin requires); contracts read
 * existing tasks.
 */
export function validatePipelineData(data: PipelineData, where: string): void {
  const labels = new Set(data.tasks.map((t) => t.label));
  const subsetNames = new Set<string>();
  for (const s of data.subsets) {
    if (labels.has(s.name)) {
      throw invalid(`${where}: the subset '${s.name}' has the name of a task label`, { subset: s.name });
    }
    subsetNames.add(s.name);
    const missing = s.labels.find((l) => !labels.has(l));
    if (missing !== undefined) {
      throw invalid(`${where}: the subset '${s.name}' names '${missing}', which is not a task label`, {
        subset: s.name,
      });
    }
  }
  const stepOf = new Map<string, string>();
  for (const step of data.steps) {
    const subset = data.subsets.find((s) => s.name === step.label);
    if (subset === undefined) {
      throw invalid(`${where}: the step '${step.label}' is not a subset`, { step: step.label });
    }
    for (const l of subset.labels) {
      const other = stepOf.get(l);
      if (other !== undefined) {
        throw invalid(`${where}: the task '${l}' is in two steps, '${other}' and '${step.label}'`, {
          label: l,
        });
      }
      stepOf.set(l, step.label);
    }
  }
  if (data.steps.length > 0) {
    const outside = data.tasks.filter((t) => !stepOf.has(t.label)).map((t) => t.label);
    if (outside.length > 0) {
      throw invalid(
        `${where}: when steps are declared every task must be in one; not in any step: ${outside.join(', ')}`,
        { labels: outside },
      );
    }
  }
  for (const c of data.contracts) {
    const unknown = [...expressionLabels(c.expr)].find((l) => !labels.has(l));
    if (unknown !== undefined) {
      throw invalid(`${where}: the contract "${c.contract}" reads '${unknown}', which is not a task label`, {
        contract: c.contract,
      });
    }
  }
}

function invalid(message: string, details: Record<string, unknown>) {
  return meridianError('PIPELINE_INVALID', message, details);
}

/** A pipeline with no tasks yet, for building one from `-t NAME:LABEL` options or in code with `withTask`. */
export function emptyPipeline(description: string, context: PipelineContext): Pipeline {
  return new Pipeline(
    { description, instrument: null, parameters: {}, tasks: [], subsets: [], steps: [], contracts: [] },
    context,
  );
}
