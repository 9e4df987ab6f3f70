/**
 * Loading pipeline files: read the YAML (ir.ts), expand its imports depth first (include/exclude, rename,
 * importContracts, labeledSubsetModifyMode; `${ENV}` in locations; paths relative to the importing file; cycles
 * refused), read `file:` config overrides, merge the file's own declarations over the imported ones, then apply
 * the `#label,subset` selector and the command-line overrides (`-c label:field=value`, `-C label:file.yaml`).
 *
 * Merge rules, after Rubin's PipelineIR: a label imported twice is an error; a label redeclared with the same
 * class appends its config (the current file wins); with a different class it replaces the import. Own subsets
 * and parameters replace imported ones of the same name; own `steps` replace imported steps; contracts add up.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve as resolvePath } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { DimensionUniverse } from '../../butler/index.js';
import { meridianError } from '../../errors.js';
import type { TaskRegistry } from '../task.js';
import { formatExpression, renameExpressionLabels } from './expression.js';
import {
  type ConfigAssignment,
  type ConfigBlock,
  type ContractIR,
  checkedAssignment,
  type ImportIR,
  type PipelineIR,
  parseConfigOverrideFile,
  parsePipelineYaml,
  withOrigin,
} from './ir.js';
import {
  expandNames,
  Pipeline,
  type PipelineData,
  type PipelineTaskSpec,
  restrictToLabels,
  validatePipelineData,
} from './pipeline.js';

/** A config override from the command line, in the order given (later ones win). */
export type ConfigOverride = ConfigValueOverride | ConfigFileOverride;

export interface ConfigValueOverride {
  readonly kind: 'value';
  readonly label: string;
  readonly field: string;
  readonly value: unknown;
}

export interface ConfigFileOverride {
  readonly kind: 'file';
  readonly label: string;
  /** Relative to the working directory. */
  readonly path: string;
}

export interface LoadPipelineOptions {
  readonly registry: TaskRegistry;
  readonly universe?: DimensionUniverse;
  readonly overrides?: readonly ConfigOverride[];
  /** For `${VAR}` in import locations; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Load `path` or `path#label,subset,...`: imports expanded, selector applied, overrides applied. Tasks are only
 * looked up in the registry when the pipeline is resolved (or a `-t` task is added).
 */
export async function loadPipeline(uri: string, options: LoadPipelineOptions): Promise<Pipeline> {
  const { path, selector } = splitSelector(uri);
  const data = await readPipelineFile(resolvePath(path), [], options.env ?? process.env);
  let pipeline = new Pipeline(data, { registry: options.registry, universe: options.universe });
  if (selector !== null) pipeline = pipeline.select(selector);
  return applyConfigOverrides(pipeline, options.overrides ?? []);
}

/** Load pipeline YAML text that imports nothing relative (e.g. the output of `toYaml()`), for tests and tools. */
export async function loadPipelineText(
  text: string,
  source: string,
  options: LoadPipelineOptions,
): Promise<Pipeline> {
  const ir = parsePipelineYaml(text, source);
  const data = await expandIR(ir, resolvePath(source), [], options.env ?? process.env);
  const pipeline = new Pipeline(data, { registry: options.registry, universe: options.universe });
  return applyConfigOverrides(pipeline, options.overrides ?? []);
}

/** `file.yaml#a,b` -> path and names; the `#` part is a selector only when it looks like a list of names. */
export function splitSelector(uri: string): { path: string; selector: string[] | null } {
  const hash = uri.lastIndexOf('#');
  if (hash < 0) return { path: uri, selector: null };
  const names = uri
    .slice(hash + 1)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0 || !names.every((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n))) {
    throw meridianError(
      'PIPELINE_INVALID',
      `'${uri.slice(hash)}' is not a selector: after '#' list task labels and subsets separated by commas`,
      { selector: uri.slice(hash + 1) },
    );
  }
  return { path: uri.slice(0, hash), selector: names };
}

/** `label:field.sub=value`: the value is read as YAML, so 1, true, [1, 2] and 'x' keep their types. */
export function parseConfigOverride(text: string): ConfigValueOverride {
  const m = /^([A-Za-z_][A-Za-z0-9_]*):([^=]+)=(.*)$/s.exec(text);
  if (m === null) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `-c ${text}: expected LABEL:FIELD=VALUE, e.g. isr:doBias=false or add:addend=2`,
      { override: text },
    );
  }
  let value: unknown;
  try {
    value = parseYaml(m[3]!);
  } catch (err) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `-c ${text}: the value is not valid YAML`,
      { override: text },
      err,
    );
  }
  return Object.freeze({ kind: 'value', label: m[1]!, field: m[2]!.trim(), value: value ?? null });
}

/** `label:path/to/overrides.yaml` (relative to the working directory). */
export function parseConfigFileOverride(text: string): ConfigFileOverride {
  const m = /^([A-Za-z_][A-Za-z0-9_]*):(.+)$/s.exec(text);
  if (m === null) {
    throw meridianError('INVALID_ARGUMENT', `-C ${text}: expected LABEL:FILE, e.g. isr:isr-overrides.yaml`, {
      override: text,
    });
  }
  return Object.freeze({ kind: 'file', label: m[1]!, path: m[2]! });
}

/** Apply command-line overrides in order; an unknown label is an error. */
export async function applyConfigOverrides(
  pipeline: Pipeline,
  overrides: readonly ConfigOverride[],
): Promise<Pipeline> {
  let out = pipeline;
  for (const o of overrides) {
    if (!out.labels.includes(o.label)) {
      throw meridianError(
        'PIPELINE_INVALID',
        `${o.kind === 'value' ? '-c' : '-C'} ${o.label}:...: the pipeline has no task labelled '${o.label}' (labels: ${out.labels.join(', ')})`,
        { label: o.label },
      );
    }
    const assignments =
      o.kind === 'value'
        ? [checkedAssignment(o.field, o.value, `-c ${o.label}:${o.field}`)]
        : await readOverrideFile(resolvePath(o.path), `-C ${o.label}`);
    out = out.withConfig(o.label, assignments);
  }
  return out;
}

function displayPath(absolute: string): string {
  const rel = relative(process.cwd(), absolute);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : absolute;
}

async function readText(absolute: string, origin: string): Promise<string> {
  try {
    return await readFile(absolute, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw meridianError('FILE_NOT_FOUND', `${origin}: ${displayPath(absolute)} does not exist`, {
        path: displayPath(absolute),
      });
    }
    if (code === 'EISDIR') {
      throw meridianError('PIPELINE_INVALID', `${origin}: ${displayPath(absolute)} is a directory`, {
        path: displayPath(absolute),
      });
    }
    throw err;
  }
}

async function readOverrideFile(absolute: string, origin: string): Promise<ConfigAssignment[]> {
  return parseConfigOverrideFile(await readText(absolute, origin), displayPath(absolute));
}

async function readPipelineFile(
  absolute: string,
  stack: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  origin = 'pipeline',
): Promise<PipelineData> {
  const ir = parsePipelineYaml(await readText(absolute, origin), displayPath(absolute));
  return expandIR(ir, absolute, stack, env);
}

async function expandIR(
  ir: PipelineIR,
  absolute: string,
  stack: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<PipelineData> {
  const here = [...stack, absolute];
  const imported: PipelineData[] = [];
  for (const imp of ir.imports) {
    const target = resolvePath(dirname(absolute), expandEnv(imp.location, imp.origin, env));
    if (here.includes(target)) {
      const cycle = [...here.slice(here.indexOf(target)), target].map(displayPath).join(' -> ');
      throw withOrigin(imp.origin, `import cycle: ${cycle}`);
    }
    const data = await readPipelineFile(target, here, env, imp.origin);
    imported.push(filterImport(data, imp));
  }
  const base = mergeImports(imported, ir.source);
  const ownTasks: PipelineTaskSpec[] = [];
  for (const t of ir.tasks) {
    ownTasks.push({
      label: t.label,
      taskClass: t.taskClass,
      config: Object.freeze(await expandConfigBlocks(t.config, absolute)),
    });
  }
  const data = mergeOwn(base, ir, ownTasks);
  validatePipelineData(data, ir.source);
  return data;
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

function expandEnv(
  location: string,
  origin: string,
  env: Readonly<Record<string, string | undefined>>,
): string {
  return location.replace(ENV_REF, (_, name: string) => {
    const value = env[name];
    if (value === undefined) {
      throw withOrigin(origin, `the import location ${location} uses \${${name}}, which is not set`);
    }
    return value;
  });
}

async function expandConfigBlocks(blocks: readonly ConfigBlock[], pipelineFile: string) {
  const out: ConfigAssignment[] = [];
  for (const b of blocks) {
    if (b.kind === 'values') out.push(...b.assignments);
    else out.push(...(await readOverrideFile(resolvePath(dirname(pipelineFile), b.path), b.origin)));
  }
  return out;
}

/** include/exclude, then rename, then importContracts. */
function filterImport(data: PipelineData, imp: ImportIR): PipelineData {
  const all = data.tasks.map((t) => t.label);
  let keep = new Set(all);
  const where = `${imp.origin}: the import of ${imp.location}`;
  if (imp.include !== null) keep = expandNames(data, imp.include, where);
  if (imp.exclude !== null) {
    const dropped = expandNames(data, imp.exclude, where);
    keep = new Set(all.filter((l) => !dropped.has(l)));
  }
  let out = restrictToLabels(data, keep, imp.labeledSubsetModifyMode);
  if (!imp.importContracts) out = { ...out, contracts: Object.freeze([]) };
  const rename = new Map(Object.entries(imp.rename));
  if (rename.size === 0) return out;
  for (const [from, to] of rename) {
    if (!keep.has(from)) throw withOrigin(imp.origin, `rename: '${from}' is not an imported task label`);
    if (keep.has(to) && !rename.has(to)) {
      throw withOrigin(imp.origin, `rename: '${to}' is already an imported task label`);
    }
  }
  const newName = (l: string) => rename.get(l) ?? l;
  return {
    ...out,
    tasks: Object.freeze(out.tasks.map((t) => Object.freeze({ ...t, label: newName(t.label) }))),
    subsets: Object.freeze(
      out.subsets.map((s) => Object.freeze({ ...s, labels: Object.freeze(s.labels.map(newName)) })),
    ),
    contracts: Object.freeze(out.contracts.map((c) => renameContract(c, rename))),
  };
}

function renameContract(c: ContractIR, rename: ReadonlyMap<string, string>): ContractIR {
  const expr = renameExpressionLabels(c.expr, rename);
  if (expr === c.expr || formatExpression(expr) === formatExpression(c.expr)) return c;
  return Object.freeze({ contract: formatExpression(expr), msg: c.msg, expr });
}

function mergeImports(imported: readonly PipelineData[], source: string): PipelineData {
  const tasks: PipelineTaskSpec[] = [];
  const subsets = new Map<string, PipelineData['subsets'][number]>();
  const steps: PipelineData['steps'][number][] = [];
  const contracts: ContractIR[] = [];
  let instrument: string | null = null;
  let parameters: Record<string, unknown> = {};
  for (const d of imported) {
    for (const t of d.tasks) {
      if (tasks.some((x) => x.label === t.label)) {
        throw meridianError(
          'PIPELINE_INVALID',
          `${source}: the task label '${t.label}' comes from two imports; exclude or rename one`,
          { label: t.label },
        );
      }
      tasks.push(t);
    }
    for (const s of d.subsets) {
      if (subsets.has(s.name)) {
        throw meridianError('PIPELINE_INVALID', `${source}: the subset '${s.name}' comes from two imports`, {
          subset: s.name,
        });
      }
      subsets.set(s.name, s);
    }
    for (const s of d.steps) {
      if (steps.some((x) => x.label === s.label)) {
        throw meridianError('PIPELINE_INVALID', `${source}: the step '${s.label}' comes from two imports`, {
          step: s.label,
        });
      }
      steps.push(s);
    }
    contracts.push(...d.contracts);
    instrument = mergeInstrument(instrument, d.instrument, source);
    parameters = { ...parameters, ...d.parameters };
  }
  return {
    description: '',
    instrument,
    parameters,
    tasks,
    subsets: [...subsets.values()],
    steps,
    contracts,
  };
}

function mergeInstrument(a: string | null, b: string | null, source: string): string | null {
  if (a !== null && b !== null && a !== b) {
    throw meridianError('PIPELINE_INVALID', `${source}: two instruments are declared: ${a} and ${b}`, {
      instruments: [a, b],
    });
  }
  return a ?? b;
}

function mergeOwn(base: PipelineData, ir: PipelineIR, ownTasks: readonly PipelineTaskSpec[]): PipelineData {
  const tasks = [...base.tasks];
  for (const own of ownTasks) {
    const i = tasks.findIndex((t) => t.label === own.label);
    if (i < 0) tasks.push(own);
    else if (tasks[i]!.taskClass === own.taskClass) {
      tasks[i] = Object.freeze({ ...own, config: Object.freeze([...tasks[i]!.config, ...own.config]) });
    } else tasks[i] = own;
  }
  const subsets = new Map(base.subsets.map((s) => [s.name, s]));
  for (const s of ir.subsets) subsets.set(s.name, s);
  return {
    description: ir.description,
    instrument: mergeInstrument(base.instrument, ir.instrument, ir.source),
    parameters: Object.freeze({ ...base.parameters, ...ir.parameters }),
    tasks: Object.freeze(tasks.map((t) => Object.freeze(t))),
    subsets: Object.freeze([...subsets.values()]),
    steps: Object.freeze(ir.steps ?? base.steps),
    contracts: Object.freeze([...base.contracts, ...ir.contracts]),
  };
}
