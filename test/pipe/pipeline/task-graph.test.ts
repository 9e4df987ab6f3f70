import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadPipeline, taskGraphDot, taskGraphText } from '../../../src/pipe/index.js';
import { examples, testingRegistry } from './helpers.js';

const registry = testingRegistry();

async function resolved(name: string) {
  return (await loadPipeline(`${examples}/${name}`, { registry })).resolve();
}

/** Nodes (id -> attribute text) and edges (from, to, attributes) of DOT written one statement per line. */
function parseDot(dot: string) {
  const nodes = new Map<string, string>();
  const edges: { from: string; to: string; attrs: string }[] = [];
  for (const line of dot.split('\n')) {
    const edge = /^ {2}"([^"]+)" -> "([^"]+)"(?: \[(.*)\])?;$/.exec(line);
    if (edge !== null) {
      edges.push({ from: edge[1]!, to: edge[2]!, attrs: edge[3] ?? '' });
      continue;
    }
    const node = /^ {2}"([^"]+)" \[(.*)\];$/.exec(line);
    if (node !== null) nodes.set(node[1]!, node[2]!);
  }
  return { nodes, edges };
}

describe('taskGraphText', () => {
  it('lists tasks producers first, with their inputs and outputs and what they wait for', async () => {
    const text = taskGraphText(await resolved('imports.yaml'));
    expect(text).toBe(`addOne  meridian.pipe.testing.AddTask  {instrument, detector}
  in        add_input {instrument, detector}
  out       add_a1 {instrument, detector}
addTwo  meridian.pipe.testing.AddTask  {instrument, detector}  after: addOne
  in        add_a1 {instrument, detector}
  out       add_a2 {instrument, detector}
  init out  add_a2_schema
calibrate  meridian.pipe.testing.CalibrateTask  {instrument, exposure, detector}
  in        raw_value {instrument, exposure, detector}
  prereq    bias_value {instrument, detector}  (calibration)
  prereq    refcat_value {htm7}  (multiple, deferred)
  out       calibrated {instrument, exposure, detector}
addAfterCalibrate  meridian.pipe.testing.AddTask  {instrument, exposure, detector}  after: calibrate
  in        calibrated {instrument, exposure, detector}
  out       calibrated_plus {instrument, exposure, detector}
(4 tasks; each also writes <label>_config, _metadata and _log)
`);
  });
});

describe('taskGraphDot', () => {
  it('has a node per task and per dataset type, and edges for reads and writes', async () => {
    const r = await resolved('imports.yaml');
    const dot = taskGraphDot(r);
    expect(dot.startsWith('digraph pipeline {\n')).toBe(true);
    expect(dot.endsWith('}\n')).toBe(true);
    const { nodes, edges } = parseDot(dot);
    expect([...nodes.keys()].filter((k) => k.startsWith('task:')).sort()).toEqual(
      r.tasks.map((t) => `task:${t.label}`).sort(),
    );
    expect([...nodes.keys()].filter((k) => k.startsWith('dataset:')).sort()).toEqual(
      [
        'add_a1',
        'add_a2',
        'add_a2_schema',
        'add_input',
        'bias_value',
        'calibrated',
        'calibrated_plus',
        'raw_value',
        'refcat_value',
      ].map((n) => `dataset:${n}`),
    );
    expect(nodes.get('task:addTwo')).toContain('shape=box');
    expect(nodes.get('task:addTwo')).toContain(
      'label="addTwo\\nmeridian.pipe.testing.AddTask\\n{instrument, detector}"',
    );
    // Prerequisites are styled apart, init-outputs dashed.
    expect(nodes.get('dataset:bias_value')).toContain('peripheries=2');
    expect(nodes.get('dataset:refcat_value')).toContain('peripheries=2');
    expect(nodes.get('dataset:add_a2_schema')).toContain('style=dashed');
    expect(nodes.get('dataset:add_a1')).toBe('shape=ellipse, label="add_a1\\n{instrument, detector}"');
    expect(edges).toContainEqual({ from: 'dataset:add_a1', to: 'task:addTwo', attrs: '' });
    expect(edges).toContainEqual({ from: 'task:addTwo', to: 'dataset:add_a2', attrs: '' });
    expect(edges).toContainEqual({ from: 'task:addTwo', to: 'dataset:add_a2_schema', attrs: 'style=dashed' });
    expect(edges).toContainEqual({ from: 'dataset:bias_value', to: 'task:calibrate', attrs: 'style=dashed' });
    // Every edge joins declared nodes, and no automatic dataset is drawn.
    for (const e of edges) expect(nodes.has(e.from) && nodes.has(e.to)).toBe(true);
    expect(dot).not.toMatch(/_metadata|_log|_config/);
    expect(edges).toHaveLength(11);
  });

  // CI installs graphviz and sets MERIDIAN_TEST_TOOLS, so there the check cannot skip.
  it.runIf(existsSync('/usr/bin/dot') || process.env.MERIDIAN_TEST_TOOLS === '1')(
    'is accepted by Graphviz',
    async () => {
      const svg = execFileSync('/usr/bin/dot', ['-Tsvg'], {
        input: taskGraphDot(await resolved('imports.yaml')),
      });
      expect(svg.toString()).toContain('<svg');
    },
  );
});
