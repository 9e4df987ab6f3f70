/**
 * The pipeline YAML format (Rubin's PipelineIR keys) parsed into a validated, frozen intermediate representation.
 * This file does no I/O: `file:` config entries and `imports` keep the paths as written, and load.ts reads them.
 *
 *   description   required text
 *   tasks         label -> "task.Name" | {class, config}; config is one map or a list of maps of
 *                 `dotted.field: value`, where `file:` names one or more YAML override files
 *   instrument    text
 *   parameters    name -> value; a config value written `parameters.NAME` is replaced by it
 *   imports       (or `inherits`) path | {location, include | exclude, rename, importContracts, labeledSubsetModifyMode}
 *   subsets       name -> [labels] | {subset: [labels], description}
 *   steps         [{label: subset, dimensions: "visit, detector"}]
 *   contracts     [expression | {contract, msg}]
 *
 * Every error is PIPELINE_INVALID naming the file, line and column.
 */
import { z } from 'zod';
import { meridianError } from '../../errors.js';
import { type Expr, parseExpression } from './expression.js';
import {
  offsetOf,
  parseWith,
  positionText,
  readYamlSource,
  type YamlSource,
  yamlError,
} from './yaml-source.js';

/** One `field.sub: value` config assignment, with where it was written (for later errors). */
export interface ConfigAssignment {
  readonly field: string;
  readonly value: unknown;
  readonly origin: string;
}

/** A config entry of a task: assignments, or override files still to be read (relative to the pipeline file). */
export type ConfigBlock =
  | { readonly kind: 'values'; readonly assignments: readonly ConfigAssignment[] }
  | { readonly kind: 'file'; readonly path: string; readonly origin: string };

export interface TaskIR {
  readonly label: string;
  /** Registry name of the task. */
  readonly taskClass: string;
  readonly config: readonly ConfigBlock[];
  readonly origin: string;
}

export interface ImportIR {
  /** As written (environment variables not yet expanded). */
  readonly location: string;
  readonly include: readonly string[] | null;
  readonly exclude: readonly string[] | null;
  readonly rename: Readonly<Record<string, string>>;
  readonly importContracts: boolean;
  readonly labeledSubsetModifyMode: 'DROP' | 'EDIT';
  readonly origin: string;
}

export interface SubsetIR {
  readonly name: string;
  readonly labels: readonly string[];
  readonly description: string | null;
}

export interface StepIR {
  /** The subset that is the step. */
  readonly label: string;
  readonly dimensions: readonly string[];
}

export interface ContractIR {
  readonly contract: string;
  readonly msg: string | null;
  readonly expr: Expr;
}

export interface PipelineIR {
  readonly source: string;
  readonly description: string;
  readonly instrument: string | null;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly imports: readonly ImportIR[];
  readonly tasks: readonly TaskIR[];
  readonly subsets: readonly SubsetIR[];
  /** null when the file declares no `steps` key (an empty list is a declaration). */
  readonly steps: readonly StepIR[] | null;
  readonly contracts: readonly ContractIR[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const FIELD = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** A strict object whose unknown-key message lists the keys it allows. */
function strict<T extends z.ZodRawShape>(shape: T) {
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === 'unrecognized_keys' ? `allowed: ${Object.keys(shape).join(', ')}` : undefined,
  });
}

const name = (what: string) =>
  z.string().regex(NAME, `${what} must be letters, digits and _ (not starting with a digit)`);
const nameList = (what: string) => z.array(name(what));
const text = z.string();

const configMap = z.record(z.string(), z.unknown());
const configEntry = z.union([configMap, z.null()]);

const taskSchema = z.union(
  [
    z.string().min(1),
    strict({ class: z.string().min(1), config: z.union([configEntry, z.array(configEntry)]).optional() }),
  ],
  { error: 'a task is a registered task name or {class, config}' },
);

const importSchema = z.union(
  [
    z.string().min(1),
    strict({
      location: z.string().min(1),
      include: nameList('an included label or subset').optional(),
      exclude: nameList('an excluded label or subset').optional(),
      rename: z.record(name('a label'), name('a label')).optional(),
      importContracts: z.boolean().optional(),
      labeledSubsetModifyMode: z.enum(['DROP', 'EDIT']).optional(),
    }),
  ],
  { error: 'an import is a path or {location, include|exclude, rename, importContracts, ...}' },
);

const subsetSchema = z.union(
  [
    nameList('a subset member'),
    strict({ subset: nameList('a subset member'), description: text.optional() }),
  ],
  {
    error: 'a subset is a list of labels or {subset: [labels], description}',
  },
);

const stepSchema = strict({
  label: name('a step label'),
  dimensions: z.union([z.string(), z.array(name('a dimension'))]),
});

const contractSchema = z.union(
  [z.string().min(1), strict({ contract: z.string().min(1), msg: text.optional() })],
  {
    error: 'a contract is an expression or {contract, msg}',
  },
);

const documentSchema = strict({
  description: z.string({ error: 'description is required (free text)' }),
  tasks: z.record(z.string(), taskSchema).optional(),
  instrument: z.string().min(1).optional(),
  parameters: z.record(name('a parameter name'), z.unknown()).optional(),
  imports: z.array(importSchema).optional(),
  inherits: z.array(importSchema).optional(),
  subsets: z.record(z.string(), subsetSchema).optional(),
  steps: z.array(stepSchema).optional(),
  contracts: z.array(contractSchema).optional(),
});

/** Parse and validate pipeline YAML text; `source` names the file in error messages. */
export function parsePipelineYaml(text: string, source: string): PipelineIR {
  const src = readYamlSource(text, source);
  const json = src.doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw yamlError(source, src.lines, 0, 'a pipeline file is a map with at least a description');
  }
  refusePython(src, json as Record<string, unknown>);
  const doc = parseWith(src, documentSchema, json, 'a pipeline');
  if (doc.imports !== undefined && doc.inherits !== undefined) {
    throw yamlError(
      source,
      src.lines,
      offsetOf(src, ['inherits']),
      "use 'imports' or its old name 'inherits', not both",
    );
  }
  const importsKey = doc.imports !== undefined ? 'imports' : 'inherits';
  const importList = doc.imports ?? doc.inherits ?? [];
  if (doc.tasks === undefined && importList.length === 0) {
    throw yamlError(source, src.lines, 0, "a pipeline needs 'tasks' (or 'imports' to take them from)");
  }
  const at = (path: readonly PropertyKey[], key?: string) =>
    positionText(source, src.lines, offsetOf(src, path, key));
  const fail = (path: readonly PropertyKey[], message: string, key?: string) =>
    yamlError(source, src.lines, offsetOf(src, path, key), message);

  const tasks: TaskIR[] = Object.entries(doc.tasks ?? {}).map(([label, t]) => {
    if (!NAME.test(label) || label === 'parameters') {
      throw fail(
        ['tasks'],
        `'${label}' is not a valid task label (letters, digits, _; not 'parameters')`,
        label,
      );
    }
    if (typeof t === 'string')
      return Object.freeze({ label, taskClass: t, config: Object.freeze([]), origin: at(['tasks'], label) });
    const entries = t.config === undefined ? [] : Array.isArray(t.config) ? t.config : [t.config];
    const config = entries.flatMap((entry, i) => {
      const path = Array.isArray(t.config) ? ['tasks', label, 'config', i] : ['tasks', label, 'config'];
      return configBlocks(entry ?? {}, path, src);
    });
    return Object.freeze({
      label,
      taskClass: t.class,
      config: Object.freeze(config),
      origin: at(['tasks'], label),
    });
  });

  const imports: ImportIR[] = importList.map((imp, i) => {
    const origin = at([importsKey, i]);
    if (typeof imp === 'string') {
      return Object.freeze({
        location: imp,
        include: null,
        exclude: null,
        rename: Object.freeze({}),
        importContracts: true,
        labeledSubsetModifyMode: 'DROP' as const,
        origin,
      });
    }
    if (imp.include !== undefined && imp.exclude !== undefined) {
      throw fail([importsKey, i], 'an import takes include or exclude, not both', 'exclude');
    }
    return Object.freeze({
      location: imp.location,
      include: imp.include ? Object.freeze([...imp.include]) : null,
      exclude: imp.exclude ? Object.freeze([...imp.exclude]) : null,
      rename: Object.freeze({ ...(imp.rename ?? {}) }),
      importContracts: imp.importContracts ?? true,
      labeledSubsetModifyMode: imp.labeledSubsetModifyMode ?? 'DROP',
      origin,
    });
  });

  const subsets: SubsetIR[] = Object.entries(doc.subsets ?? {}).map(([subsetName, s]) => {
    if (!NAME.test(subsetName))
      throw fail(['subsets'], `'${subsetName}' is not a valid subset name`, subsetName);
    const labels = Array.isArray(s) ? s : s.subset;
    const repeated = labels.find((l, i) => labels.indexOf(l) !== i);
    if (repeated !== undefined)
      throw fail(['subsets', subsetName], `subset '${subsetName}' lists '${repeated}' twice`);
    return Object.freeze({
      name: subsetName,
      labels: Object.freeze([...labels]),
      description: Array.isArray(s) ? null : (s.description ?? null),
    });
  });

  const steps: StepIR[] | null =
    doc.steps === undefined
      ? null
      : doc.steps.map((s, i) => {
          const dims =
            typeof s.dimensions === 'string'
              ? s.dimensions
                  .split(',')
                  .map((d) => d.trim())
                  .filter((d) => d !== '')
              : s.dimensions;
          const bad = dims.find((d) => !NAME.test(d));
          if (bad !== undefined) throw fail(['steps', i, 'dimensions'], `'${bad}' is not a dimension name`);
          if (doc.steps!.findIndex((o) => o.label === s.label) !== i)
            throw fail(['steps', i], `step '${s.label}' is declared twice`);
          return Object.freeze({ label: s.label, dimensions: Object.freeze(dims) });
        });

  const contracts: ContractIR[] = (doc.contracts ?? []).map((c, i) => {
    const contract = typeof c === 'string' ? c : c.contract;
    let expr: Expr;
    try {
      expr = parseExpression(contract);
    } catch (err) {
      throw fail(['contracts', i], (err as Error).message);
    }
    return Object.freeze({ contract, msg: typeof c === 'string' ? null : (c.msg ?? null), expr });
  });

  return Object.freeze({
    source,
    description: doc.description,
    instrument: doc.instrument ?? null,
    parameters: Object.freeze({ ...(doc.parameters ?? {}) }),
    imports: Object.freeze(imports),
    tasks: Object.freeze(tasks),
    subsets: Object.freeze(subsets),
    steps: steps === null ? null : Object.freeze(steps),
    contracts: Object.freeze(contracts),
  });
}

/** Python config blocks are Rubin's; Meridian never runs code from a pipeline file, so say so plainly. */
function refusePython(src: YamlSource, json: Record<string, unknown>): void {
  const tasks = json.tasks;
  if (tasks === null || typeof tasks !== 'object') return;
  for (const [label, t] of Object.entries(tasks as Record<string, unknown>)) {
    const config = (t as { config?: unknown } | null)?.config;
    const entries = Array.isArray(config) ? config : [config];
    entries.forEach((entry, i) => {
      if (entry !== null && typeof entry === 'object' && 'python' in entry) {
        const path = Array.isArray(config) ? ['tasks', label, 'config', i] : ['tasks', label, 'config'];
        throw yamlError(
          src.source,
          src.lines,
          offsetOf(src, path, 'python'),
          `${label}: 'python' config blocks are not supported: Meridian never runs code from a pipeline file; write the values as 'field: value' (or in a 'file:' override)`,
        );
      }
    });
  }
}

/** One config map: `file:` entries become file blocks; every other key is a dotted field assignment. */
function configBlocks(
  entry: Record<string, unknown>,
  path: readonly PropertyKey[],
  src: YamlSource,
): ConfigBlock[] {
  const blocks: ConfigBlock[] = [];
  const assignments: ConfigAssignment[] = [];
  for (const [key, value] of Object.entries(entry)) {
    const origin = positionText(src.source, src.lines, offsetOf(src, path, key));
    if (key === 'file') {
      const files = Array.isArray(value) ? value : [value];
      for (const f of files) {
        if (typeof f !== 'string' || f === '') {
          throw yamlError(
            src.source,
            src.lines,
            offsetOf(src, path, key),
            "'file' is a path or a list of paths to YAML override files",
          );
        }
        blocks.push(Object.freeze({ kind: 'file', path: f, origin }));
      }
      continue;
    }
    assignments.push(checkedAssignment(key, value, origin));
  }
  if (assignments.length > 0)
    blocks.unshift(Object.freeze({ kind: 'values', assignments: Object.freeze(assignments) }));
  return blocks;
}

export function checkedAssignment(field: string, value: unknown, origin: string): ConfigAssignment {
  if (!FIELD.test(field)) {
    throw withOrigin(origin, `'${field}' is not a config field (dotted names of letters, digits and _)`);
  }
  return Object.freeze({ field, value: deepFreeze(value), origin });
}

/** PIPELINE_INVALID at an origin (`file:line:col`) recorded earlier. */
export function withOrigin(origin: string, message: string) {
  const m = /^(.*):(\d+):(\d+)$/.exec(origin);
  const details = m === null ? {} : { file: m[1], line: Number(m[2]), column: Number(m[3]) };
  return meridianError('PIPELINE_INVALID', `${origin}: ${message}`, details);
}

/**
 * Override files (`file:` entries and `-C label:file.yaml`): a map of `dotted.field: value`, read with the same
 * strictness as a pipeline (duplicate keys refused, positions in every error).
 */
export function parseConfigOverrideFile(text: string, source: string): ConfigAssignment[] {
  const src = readYamlSource(text, source);
  const json = src.doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (json === null || json === undefined) return [];
  const map = parseWith(src, configMap, json, 'a config override file');
  return Object.entries(map).map(([key, value]) => {
    const origin = positionText(source, src.lines, offsetOf(src, [], key));
    if (key === 'file' || key === 'python') {
      throw withOrigin(
        origin,
        `'${key}' is not allowed in a config override file; list the fields themselves`,
      );
    }
    return checkedAssignment(key, value, origin);
  });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
