/**
 * Resolving tasks into a ResolvedPipeline: validate each task's config against its schema, fill connection-name
 * templates and apply `connections.*` overrides, add the automatic config/metadata/log connections, check that the
 * dataset types agree between tasks, and order the tasks so producers come before consumers. The pipeline YAML
 * loader ends here; code that builds pipelines programmatically can call it directly.
 */
import { createHash } from 'node:crypto';
import type { DimensionUniverse } from '../butler/index.js';
import { meridianError } from '../errors.js';
import {
  type Connection,
  configDatasetTypeName,
  logDatasetTypeName,
  metadataDatasetTypeName,
  type PrerequisiteLookup,
} from './connections.js';
import type { PipelineDatasetType, ResolvedConnection, ResolvedPipeline, ResolvedTask } from './model.js';
import type { TaskDefinition, TaskRegistry } from './task.js';

export interface TaskEntry {
  readonly label: string;
  /** Registry name of the task. */
  readonly taskName: string;
  /**
   * Config values over the schema's defaults, as a nested object (`{ a: { b: 1 } }` for `a.b: 1`). The key
   * `connections` holds connection-name overrides: `connections.<attr>` (a whole name) or
   * `connections.<template>` (a template value).
   */
  readonly config?: Readonly<Record<string, unknown>>;
}

export interface ResolveOptions {
  readonly description?: string;
  readonly instrument?: string | null;
  /** When given, every dimension named by a task or connection must exist in it. */
  readonly universe?: DimensionUniverse;
}

const LABEL = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Storage classes of the automatic per-task datasets. */
export const AUTOMATIC_STORAGE_CLASSES = {
  config: 'Config',
  metadata: 'TaskMetadata',
  log: 'StructuredDataList',
};

export function resolvePipeline(
  entries: readonly TaskEntry[],
  registry: TaskRegistry,
  options: ResolveOptions = {},
): ResolvedPipeline {
  const seen = new Set<string>();
  const tasks: ResolvedTask[] = [];
  for (const entry of entries) {
    if (!LABEL.test(entry.label) || entry.label === 'parameters') {
      throw invalid(
        `'${entry.label}' is not a valid task label (letters, digits, _; not 'parameters')`,
        entry.label,
      );
    }
    if (seen.has(entry.label)) throw invalid(`the task label '${entry.label}' is used twice`, entry.label);
    seen.add(entry.label);
    tasks.push(resolveTask(entry, registry.get(entry.taskName), options.universe));
  }
  const datasetTypes = collectDatasetTypes(tasks);
  return Object.freeze({
    description: options.description ?? '',
    instrument: options.instrument ?? null,
    tasks: Object.freeze(orderTasks(tasks, datasetTypes)),
    datasetTypes: Object.freeze([...datasetTypes.values()].sort((a, b) => a.name.localeCompare(b.name))),
  });
}

export function resolveTask(
  entry: TaskEntry,
  def: TaskDefinition,
  universe?: DimensionUniverse,
): ResolvedTask {
  const { connections: connectionOverrides = {}, ...fields } = (entry.config ?? {}) as Record<
    string,
    unknown
  >;
  if (
    typeof connectionOverrides !== 'object' ||
    connectionOverrides === null ||
    Array.isArray(connectionOverrides)
  ) {
    throw invalid(`${entry.label}: 'connections' must map names to dataset type names`, entry.label);
  }
  const parsed = def.config.strict().safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw meridianError(
      'PIPELINE_INVALID',
      `${entry.label} (${def.name}): invalid config: ${where}${issue.message}`,
      { label: entry.label, task: def.name, field: issue.path.join('.') },
    );
  }
  const config = parsed.data as Record<string, unknown>;
  const dimensions = [...(typeof def.dimensions === 'function' ? def.dimensions(config) : def.dimensions)];
  const declared = typeof def.connections === 'function' ? def.connections(config) : def.connections;
  const overrides = connectionOverrides as Record<string, unknown>;
  const templates = def.templates ?? {};
  for (const [key, value] of Object.entries(overrides)) {
    if (typeof value !== 'string' || value.length === 0) {
      throw invalid(`${entry.label}: connections.${key} must be a non-empty string`, entry.label);
    }
    if (!(key in declared) && !(key in templates)) {
      throw invalid(
        `${entry.label}: connections.${key} is neither a connection (${Object.keys(declared).join(', ')}) nor a template (${Object.keys(templates).join(', ') || 'none'})`,
        entry.label,
      );
    }
  }
  const checkDims = (dims: readonly string[], what: string): void => {
    if (typeof dims === 'string' || !Array.isArray(dims)) {
      throw invalid(`${entry.label}: ${what} dimensions must be a list, not a string`, entry.label);
    }
    if (universe === undefined) return;
    for (const d of dims) {
      if (!universe.has(d))
        throw invalid(`${entry.label}: ${what} names the unknown dimension '${d}'`, entry.label);
    }
  };
  checkDims(dimensions, 'the task');

  const connections: ResolvedConnection[] = [];
  for (const [attr, c] of Object.entries(declared)) {
    const override = overrides[attr];
    const datasetType =
      typeof override === 'string'
        ? override
        : fillTemplates(c.name, templates, overrides, entry.label, attr);
    connections.push(resolveConnection(attr, c, datasetType, entry.label));
    if ('dimensions' in c) checkDims(c.dimensions, `connection '${attr}'`);
  }
  const auto = (
    attr: string,
    kind: 'initOutput' | 'output',
    datasetType: string,
    storageClass: string,
    dims: readonly string[],
  ): ResolvedConnection => ({
    attr,
    kind,
    datasetType,
    storageClass,
    dimensions: Object.freeze([...dims]),
    multiple: false,
    minimum: 1,
    deferLoad: false,
    deferGraphConstraint: false,
    isCalibration: false,
    lookup: null,
  });
  connections.push(
    auto('_config', 'initOutput', configDatasetTypeName(entry.label), AUTOMATIC_STORAGE_CLASSES.config, []),
    auto(
      '_metadata',
      'output',
      metadataDatasetTypeName(entry.label),
      AUTOMATIC_STORAGE_CLASSES.metadata,
      dimensions,
    ),
    auto('_log', 'output', logDatasetTypeName(entry.label), AUTOMATIC_STORAGE_CLASSES.log, dimensions),
  );
  return Object.freeze({
    label: entry.label,
    taskName: def.name,
    config: Object.freeze(config),
    configHash: configHash(config),
    dimensions: Object.freeze(dimensions),
    connections: Object.freeze(connections.map((c) => Object.freeze(c))),
  });
}

function resolveConnection(
  attr: string,
  c: Connection,
  datasetType: string,
  label: string,
): ResolvedConnection {
  const multiple = c.multiple ?? false;
  const minimum = c.kind === 'input' || c.kind === 'prerequisite' ? (c.minimum ?? 1) : 1;
  if (minimum > 1 && !multiple) {
    throw invalid(`${label}: connection '${attr}' has minimum ${minimum} but is not 'multiple'`, label);
  }
  const dimensions = 'dimensions' in c ? c.dimensions : [];
  const isCalibration = 'isCalibration' in c ? (c.isCalibration ?? false) : false;
  let lookup: PrerequisiteLookup | null = null;
  if (c.kind === 'prerequisite') {
    lookup =
      c.lookup ??
      (isCalibration
        ? { kind: 'calibration' }
        : dimensions.length === 1 && /^(htm|healpix)\d+$/.test(dimensions[0]!)
          ? { kind: 'region' }
          : { kind: 'dataId' });
  }
  return {
    attr,
    kind: c.kind,
    datasetType,
    storageClass: c.storageClass,
    dimensions: Object.freeze([...dimensions]),
    multiple,
    minimum,
    deferLoad: c.kind === 'input' || c.kind === 'prerequisite' ? (c.deferLoad ?? false) : false,
    deferGraphConstraint: c.kind === 'input' ? (c.deferGraphConstraint ?? false) : false,
    isCalibration,
    lookup,
  };
}

function fillTemplates(
  name: string,
  templates: Readonly<Record<string, string>>,
  overrides: Readonly<Record<string, unknown>>,
  label: string,
  attr: string,
): string {
  return name.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, key: string) => {
    const v = overrides[key] ?? templates[key];
    if (typeof v !== 'string')
      throw invalid(`${label}: connection '${attr}' uses the unknown template {${key}}`, label);
    return v;
  });
}

function collectDatasetTypes(tasks: readonly ResolvedTask[]): Map<string, PipelineDatasetType> {
  type Mutable = { -readonly [K in keyof PipelineDatasetType]: PipelineDatasetType[K] } & {
    consumers: string[];
  };
  const out = new Map<string, Mutable>();
  const definitionOf = (c: ResolvedConnection) =>
    `${c.storageClass} {${[...c.dimensions].sort().join(', ')}}${c.isCalibration ? ' calibration' : ''}`;
  const firstUse = new Map<string, string>();
  for (const task of tasks) {
    for (const c of task.connections) {
      let dt = out.get(c.datasetType);
      const def = definitionOf(c);
      if (dt === undefined) {
        dt = {
          name: c.datasetType,
          storageClass: c.storageClass,
          dimensions: c.dimensions,
          isCalibration: c.isCalibration,
          isInit: c.kind === 'initInput' || c.kind === 'initOutput',
          producer: null,
          consumers: [],
          isPrerequisite: false,
        };
        out.set(c.datasetType, dt);
        firstUse.set(c.datasetType, `${task.label}.${c.attr}`);
      } else {
        const existing = definitionOf({
          ...c,
          storageClass: dt.storageClass,
          dimensions: dt.dimensions,
          isCalibration: dt.isCalibration,
        });
        if (existing !== def) {
          throw invalid(
            `dataset type ${c.datasetType} is ${def} in ${task.label}.${c.attr} but ${existing} in ${firstUse.get(c.datasetType)}`,
            task.label,
          );
        }
      }
      if (c.kind === 'output' || c.kind === 'initOutput') {
        if (dt.producer !== null) {
          throw invalid(
            `dataset type ${c.datasetType} is written by both ${dt.producer} and ${task.label}`,
            task.label,
          );
        }
        dt.producer = task.label;
      } else {
        if (!dt.consumers.includes(task.label)) dt.consumers.push(task.label);
        if (c.kind === 'prerequisite') dt.isPrerequisite = true;
      }
    }
  }
  for (const dt of out.values()) {
    if (dt.isPrerequisite && dt.producer !== null) {
      throw invalid(
        `dataset type ${dt.name} is a prerequisite input but is written by ${dt.producer} in the same pipeline`,
        dt.producer,
      );
    }
    dt.consumers = Object.freeze([...dt.consumers]) as string[];
    Object.freeze(dt);
  }
  return out as Map<string, PipelineDatasetType>;
}

/** Producers before consumers; ties keep the order of the entries. A cycle is an error naming its tasks. */
function orderTasks(
  tasks: readonly ResolvedTask[],
  types: ReadonlyMap<string, PipelineDatasetType>,
): ResolvedTask[] {
  const upstream = new Map<string, Set<string>>();
  for (const t of tasks) {
    const deps = new Set<string>();
    for (const c of t.connections) {
      if (c.kind !== 'input' && c.kind !== 'initInput') continue;
      const producer = types.get(c.datasetType)?.producer ?? null;
      if (producer !== null && producer !== t.label) deps.add(producer);
      if (producer === t.label)
        throw invalid(`${t.label} reads ${c.datasetType}, which it writes itself`, t.label);
    }
    upstream.set(t.label, deps);
  }
  const done = new Set<string>();
  const out: ResolvedTask[] = [];
  while (out.length < tasks.length) {
    const ready = tasks.find(
      (t) => !done.has(t.label) && [...upstream.get(t.label)!].every((d) => done.has(d)),
    );
    if (ready === undefined) {
      const stuck = tasks.filter((t) => !done.has(t.label)).map((t) => t.label);
      throw invalid(`the tasks ${stuck.join(', ')} form a cycle through their inputs and outputs`, stuck[0]!);
    }
    done.add(ready.label);
    out.push(ready);
  }
  return out;
}

/** SHA-256 of the config's canonical JSON (keys sorted at every level). */
export function configHash(config: unknown): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex');
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function invalid(message: string, label: string) {
  return meridianError('PIPELINE_INVALID', message, { label });
}
