/**
 * Drawing a resolved pipeline's task graph: as text for a terminal (`pipetask build --show task-graph`) and as
 * Graphviz DOT (`--pipeline-dot FILE`; `dot -Tsvg FILE > graph.svg`). Both leave out the automatic
 * `<label>_config`, `_metadata` and `_log` datasets, which every task has and which would hide the real flow.
 */
import type { ResolvedConnection, ResolvedPipeline, ResolvedTask } from '../model.js';

const AUTOMATIC = new Set(['_config', '_metadata', '_log']);

function declared(task: ResolvedTask): ResolvedConnection[] {
  return task.connections.filter((c) => !AUTOMATIC.has(c.attr));
}

function dims(dimensions: readonly string[]): string {
  return `{${dimensions.join(', ')}}`;
}

/** The labels of the tasks whose outputs (or init-outputs) `task` reads. */
function upstreamOf(pipeline: ResolvedPipeline, task: ResolvedTask): string[] {
  const producers = new Map(pipeline.datasetTypes.map((d) => [d.name, d.producer]));
  const out = new Set<string>();
  for (const c of task.connections) {
    if (c.kind !== 'input' && c.kind !== 'initInput') continue;
    const p = producers.get(c.datasetType);
    if (p !== null && p !== undefined) out.add(p);
  }
  return [...out];
}

const KIND_TEXT: Record<ResolvedConnection['kind'], string> = {
  input: 'in',
  prerequisite: 'prereq',
  output: 'out',
  initInput: 'init in',
  initOutput: 'init out',
};

/**
 * One block per task, in execution order (producers first):
 *
 *   addTwo  meridian.pipe.testing.AddTask  {instrument, detector}  after: addOne
 *     in        add_a1 {instrument, detector}
 *     out       add_a2 {instrument, detector}
 */
export function taskGraphText(pipeline: ResolvedPipeline): string {
  const lines: string[] = [];
  const width = Math.max(...Object.values(KIND_TEXT).map((k) => k.length));
  for (const task of pipeline.tasks) {
    const after = upstreamOf(pipeline, task);
    lines.push(
      `${task.label}  ${task.taskName}  ${dims(task.dimensions)}${after.length > 0 ? `  after: ${after.join(', ')}` : ''}`,
    );
    for (const c of declared(task)) {
      const flags = [
        c.multiple ? 'multiple' : null,
        c.minimum > 1 ? `minimum ${c.minimum}` : null,
        c.deferLoad ? 'deferred' : null,
        c.isCalibration ? 'calibration' : null,
      ].filter((f) => f !== null);
      const shape = c.kind === 'initInput' || c.kind === 'initOutput' ? '' : ` ${dims(c.dimensions)}`;
      lines.push(
        `  ${KIND_TEXT[c.kind].padEnd(width)}  ${c.datasetType}${shape}${flags.length > 0 ? `  (${flags.join(', ')})` : ''}`,
      );
    }
  }
  lines.push(`(${pipeline.tasks.length} tasks; each also writes <label>_config, _metadata and _log)`);
  return `${lines.join('\n')}\n`;
}

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/**
 * Graphviz DOT: a box per task, an ellipse per dataset type, edges dataset -> task (reads) and task -> dataset
 * (writes). Init-inputs/outputs are dashed, prerequisites are grey with a double outline and a dashed edge.
 */
export function taskGraphDot(pipeline: ResolvedPipeline): string {
  const lines = [
    'digraph pipeline {',
    '  rankdir=TB;',
    '  node [fontname="Helvetica", fontsize=10];',
    '  edge [color="#555555"];',
  ];
  const datasetNodes = new Map<string, string>();
  for (const task of pipeline.tasks) {
    for (const c of declared(task)) {
      if (datasetNodes.has(c.datasetType)) continue;
      const isInit = c.kind === 'initInput' || c.kind === 'initOutput';
      const dt = pipeline.datasetTypes.find((d) => d.name === c.datasetType);
      const style = dt?.isPrerequisite
        ? 'shape=ellipse, style=filled, fillcolor="#e0e0e0", peripheries=2'
        : isInit
          ? 'shape=ellipse, style=dashed'
          : 'shape=ellipse';
      const label = isInit ? c.datasetType : `${c.datasetType}\n${dims(c.dimensions)}`;
      datasetNodes.set(
        c.datasetType,
        `  ${quote(`dataset:${c.datasetType}`)} [${style}, label=${quote(label)}];`,
      );
    }
  }
  for (const task of pipeline.tasks) {
    lines.push(
      `  ${quote(`task:${task.label}`)} [shape=box, style="rounded,filled", fillcolor="#dbe9f6", label=${quote(`${task.label}\n${task.taskName}\n${dims(task.dimensions)}`)}];`,
    );
  }
  lines.push(...datasetNodes.values());
  for (const task of pipeline.tasks) {
    for (const c of declared(task)) {
      const t = quote(`task:${task.label}`);
      const d = quote(`dataset:${c.datasetType}`);
      const style =
        c.kind === 'prerequisite' || c.kind === 'initInput' || c.kind === 'initOutput'
          ? ' [style=dashed]'
          : '';
      lines.push(
        c.kind === 'output' || c.kind === 'initOutput'
          ? `  ${t} -> ${d}${style};`
          : `  ${d} -> ${t}${style};`,
      );
    }
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
