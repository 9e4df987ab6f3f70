import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addPipelineOptions,
  loadPipelineFromOptions,
  overridesFromOptions,
  type PipelineCliOptions,
} from '../../src/cli/pipetask/pipeline-options.js';
import {
  DEFAULT_TASK_MODULES,
  taskModuleSpecifier,
  taskRegistryFromOptions,
} from '../../src/cli/pipetask/task-modules.js';
import { ensureBuilt, spawnPipetask, tempDir } from './helpers.js';

/** `pipetask build` end to end: the real bin/pipetask.js on a dist/ build, run from the repository root. */

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const chain = 'pipelines/testing/add-chain.yaml';
const imports = 'pipelines/testing/imports.yaml';
const tmp = tempDir('meridian-pipetask-build-');

beforeAll(async () => {
  await ensureBuilt();
});
afterAll(() => tmp.cleanup());

async function buildJson(args: string[]) {
  const r = await spawnPipetask(['build', ...args, '--json']);
  if (r.code !== 0) throw new Error(`pipetask build ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('pipetask build', () => {
  it('validates a pipeline and says what it holds', async () => {
    const r = await spawnPipetask(['build', '-p', chain]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe('Pipeline OK: 3 task(s) (addOne, addTwo, addThree), 14 dataset type(s).\n');
  });

  it('--json: tasks with config hashes, dataset types with producer and consumers, subsets, steps, contracts', async () => {
    const s = await buildJson(['-p', chain]);
    expect(s.tasks.map((t: { label: string; taskName: string }) => [t.label, t.taskName])).toEqual([
      ['addOne', 'meridian.pipe.testing.AddTask'],
      ['addTwo', 'meridian.pipe.testing.AddTask'],
      ['addThree', 'meridian.pipe.testing.AddTask'],
    ]);
    for (const t of s.tasks) expect(t.configHash).toMatch(/^[0-9a-f]{64}$/);
    expect(s.tasks[1].config).toMatchObject({ addend: 2, writeSchema: true });
    expect(s.datasetTypes.find((d: { name: string }) => d.name === 'add_a1')).toEqual({
      name: 'add_a1',
      storageClass: 'StructuredDataDict',
      dimensions: ['instrument', 'detector'],
      isInit: false,
      isPrerequisite: false,
      isCalibration: false,
      producer: 'addOne',
      consumers: ['addTwo'],
    });
    expect(s.datasetTypes.find((d: { name: string }) => d.name === 'add_input')).toMatchObject({
      producer: null,
      consumers: ['addOne'],
    });
    expect(s.subsets.map((x: { name: string }) => x.name)).toEqual(['step1', 'step2', 'firstOnly']);
    expect(s.steps).toEqual([
      { label: 'step1', dimensions: ['instrument', 'detector'] },
      { label: 'step2', dimensions: ['instrument'] },
    ]);
    expect(s.contracts[1]).toEqual({
      contract: 'addThree.addend > addOne.addend',
      msg: 'the last addition must add the most',
    });
  });

  it('selects with #labels,subsets and applies -c and -C in command-line order', async () => {
    const overrides = join(tmp.path, 'o.yaml');
    writeFileSync(overrides, 'addend: 30\n');
    const addendOf = async (args: string[]) =>
      (await buildJson(['-p', `${chain}#firstOnly,addThree`, ...args])).tasks.find(
        (t: { label: string }) => t.label === 'addThree',
      ).config.addend;
    expect(await addendOf([])).toBe(3);
    expect(await addendOf(['-c', 'addThree:addend=10', '-C', `addThree:${overrides}`])).toBe(30);
    expect(await addendOf(['-C', `addThree:${overrides}`, '-c', 'addThree:addend=10'])).toBe(10);
  });

  it('--show pipeline and -s write the expanded pipeline, which builds to the same configs', async () => {
    const saved = join(tmp.path, 'saved.yaml');
    const r = await spawnPipetask([
      'build',
      '-p',
      imports,
      '-c',
      'addOne:writeSchema=true',
      '--show',
      'pipeline',
      '-s',
      saved,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(saved, 'utf8'));
    expect(r.stdout).toContain('description: Builds on add-chain.yaml');
    expect(r.stdout).not.toMatch(/^imports:/m);
    const original = await buildJson(['-p', imports, '-c', 'addOne:writeSchema=true']);
    const again = await buildJson(['-p', saved]);
    expect(again.tasks).toEqual(original.tasks);
    expect(again.datasetTypes).toEqual(original.datasetTypes);
  });

  it('--show config[=LABEL[:FIELD]] prints resolved configs with defaults and connection names', async () => {
    const one = await spawnPipetask([
      'build',
      '-p',
      chain,
      '-c',
      'addOne:addend=0',
      '--show',
      'config=addOne',
    ]);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^### addOne \(meridian\.pipe\.testing\.AddTask\)\n/);
    expect(one.stdout).toContain('addend: 0\n');
    expect(one.stdout).toContain('minimum: 1\n');
    expect(one.stdout).toContain('connections:\n  input: add_input\n  output: add_a1\n');
    expect(one.stdout).not.toContain('### addTwo');
    const field = await spawnPipetask(['build', '-p', chain, '--show', 'config=addTwo:failure.mode']);
    expect(field.stdout).toBe('### addTwo (meridian.pipe.testing.AddTask)\nfailure.mode: none\n');
    const all = await spawnPipetask(['build', '-p', chain, '--show', 'config']);
    expect(all.stdout.match(/^### /gm)).toHaveLength(3);
    const bad = await spawnPipetask(['build', '-p', chain, '--show', 'config=addOne:nothing']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      'error [INVALID_ARGUMENT]: --show config=addOne:nothing: addOne has no config field nothing',
    );
  });

  it('--show task-graph and --pipeline-dot draw the task graph', async () => {
    const dot = join(tmp.path, 'graph.dot');
    const r = await spawnPipetask(['build', '-p', imports, '--show', 'task-graph', '--pipeline-dot', dot]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'addTwo  meridian.pipe.testing.AddTask  {instrument, detector}  after: addOne\n',
    );
    expect(r.stdout).toContain('  prereq    bias_value {instrument, detector}  (calibration)\n');
    const text = readFileSync(dot, 'utf8');
    expect(text).toMatch(/^digraph pipeline \{\n/);
    expect(text).toContain('"dataset:add_a1" -> "task:addTwo";');
  });

  it('--show tasks lists the registered tasks with their docs, with or without a pipeline', async () => {
    const r = await spawnPipetask(['build', '--show', 'tasks']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('meridian.pipe.testing.AddTask\n    Adds `addend`');
    expect(r.stdout).toContain('meridian.pipe.testing.CalibrateTask\n');
  });

  it('-t NAME[:LABEL] builds a pipeline from tasks, or adds to one', async () => {
    const s = await buildJson([
      '-t',
      'meridian.pipe.testing.AddTask:add',
      '-c',
      'add:addend=7',
      '-t',
      'meridian.pipe.testing.CalibrateTask',
    ]);
    expect(
      s.tasks.map((t: { label: string; config: { addend?: number } }) => [t.label, t.config.addend]),
    ).toEqual([
      ['add', 7],
      ['calibrateTask', undefined],
    ]);
    const added = await buildJson([
      '-p',
      'pipelines/testing/calibrate.yaml',
      '-t',
      'meridian.pipe.testing.AddTask:extra',
      '-c',
      'extra:connections.inputName=calibrated_plus',
      '-c',
      'extra:dimensions=[instrument, exposure, detector]',
    ]);
    expect(added.tasks.map((t: { label: string }) => t.label)).toEqual([
      'calibrate',
      'addCalibrated',
      'extra',
    ]);
  });

  it('--task-module loads tasks from a module the operator names', async () => {
    const mod = join(tmp.path, 'my-tasks.mjs');
    const pipe = pathToFileURL(join(root, 'dist/pipe/index.js')).href;
    // The module lives in a temporary directory, so it names its imports by URL.
    const zod = pathToFileURL(createRequire(import.meta.url).resolve('zod')).href;
    writeFileSync(
      mod,
      `import { z } from ${JSON.stringify(zod)};
import { defineTask, Input, Output } from ${JSON.stringify(pipe)};
const Copy = defineTask({
  name: 'my.CopyTask',
  doc: 'Copies its input.',
  config: z.object({ scale: z.number().default(1) }),
  dimensions: ['instrument'],
  connections: {
    input: Input({ name: 'calibrated_plus', storageClass: 'StructuredDataDict', dimensions: ['instrument', 'exposure', 'detector'], multiple: true }),
    output: Output({ name: 'copied', storageClass: 'StructuredDataDict', dimensions: ['instrument'] }),
  },
  async runQuantum() {},
});
export function registerTasks(registry) { registry.register(Copy); }
`,
    );
    const s = await buildJson([
      '-p',
      'pipelines/testing/calibrate.yaml',
      '--task-module',
      mod,
      '-t',
      'my.CopyTask:copy',
      '-c',
      'copy:scale=2',
    ]);
    expect(s.tasks.at(-1)).toMatchObject({ label: 'copy', taskName: 'my.CopyTask', config: { scale: 2 } });
    const listed = await spawnPipetask(['build', '--task-module', mod, '--show', 'tasks']);
    expect(listed.stdout).toContain('my.CopyTask\n    Copies its input.\n');
    const missing = await spawnPipetask([
      'build',
      '--task-module',
      join(tmp.path, 'none.mjs'),
      '--show',
      'tasks',
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('error [TASK_NOT_FOUND]: cannot load the task module');
  });
});

describe('pipetask build: errors', () => {
  it('a duplicate key: PIPELINE_INVALID with file, line and column, and the hint', async () => {
    const bad = join(tmp.path, 'dup.yaml');
    writeFileSync(
      bad,
      'description: d\ntasks:\n  a: meridian.pipe.testing.AddTask\n  a: meridian.pipe.testing.AddTask\n',
    );
    const r = await spawnPipetask(['build', '-p', bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^pipetask: error \[PIPELINE_INVALID\]: .*dup\.yaml:4:3: duplicate key 'a'\n {2}hint: /,
    );
    const json = await spawnPipetask(['build', '-p', bad, '--json']);
    expect(JSON.parse(json.stdout).error).toMatchObject({
      code: 'PIPELINE_INVALID',
      details: { line: 4, column: 3 },
    });
  });

  it('a contract that fails after the overrides: PIPELINE_CONTRACT_FAILED with the contract and its msg', async () => {
    const r = await spawnPipetask(['build', '-p', chain, '-c', 'addThree:addend=0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'error [PIPELINE_CONTRACT_FAILED]: contract failed: addThree.addend > addOne.addend (the last addition must add the most)',
    );
  });

  it('an unknown task, label, or missing pipeline', async () => {
    const unknownTask = await spawnPipetask(['build', '-t', 'no.SuchTask']);
    expect(unknownTask.code).toBe(1);
    expect(unknownTask.stderr).toContain("error [TASK_NOT_FOUND]: no task is registered as 'no.SuchTask'");
    const unknownLabel = await spawnPipetask(['build', '-p', chain, '-c', 'nobody:addend=1']);
    expect(unknownLabel.stderr).toContain("the pipeline has no task labelled 'nobody'");
    const none = await spawnPipetask(['build']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('error [INVALID_ARGUMENT]: no pipeline: give -p/--pipeline FILE');
    const missing = await spawnPipetask(['build', '-p', 'pipelines/testing/nothing.yaml']);
    expect(missing.stderr).toContain(
      'error [FILE_NOT_FOUND]: pipeline: pipelines/testing/nothing.yaml does not exist',
    );
  });

  it('usage errors exit with 2', async () => {
    const show = await spawnPipetask(['build', '-p', chain, '--show', 'everything']);
    expect(show.code).toBe(2);
    expect(show.stderr).toContain('expected pipeline, config[=LABEL[:FIELD]], tasks or task-graph');
    const c = await spawnPipetask(['build', '-p', chain, '-c', 'addend=1']);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('expected LABEL:FIELD=VALUE');
  });
});

// The option helpers qgraph and run share, in process.
/** Parse `args` with a command that has the shared pipeline options, as qgraph and run will. */
function parse(args: string[]): PipelineCliOptions {
  const cmd = addPipelineOptions(new Command('x').exitOverride());
  cmd.parse(args, { from: 'user' });
  return cmd.opts<PipelineCliOptions>();
}

describe('the shared pipetask pipeline options', () => {
  it('load the default task modules in process too (the source tree under a test runner)', async () => {
    expect(DEFAULT_TASK_MODULES).toHaveLength(2);
    const { registry, taskModules } = await taskRegistryFromOptions({});
    expect(taskModules).toEqual([...DEFAULT_TASK_MODULES]);
    expect(registry.names()).toEqual([
      'meridian.pipe.testing.AddTask',
      'meridian.pipe.testing.CalibrateTask',
      'meridian.tasks.calibrate.CalibrateTask',
      'meridian.tasks.characterize.CharacterizeImageTask',
      'meridian.tasks.isr.IsrTask',
      'meridian.tasks.sourcetable.ConsolidateSourceTableTask',
      'meridian.tasks.sourcetable.TransformSourceTableTask',
      'meridian.tasks.sourcetable.WriteSourceTableTask',
      'meridian.tasks.stats.ExposureSummaryTask',
      'meridian.tasks.stats.RawStatisticsTask',
      'meridian.tasks.visit.ConsolidateVisitSummaryTask',
      'meridian.tasks.visit.GlobalPhotoCalibTask',
      'meridian.tasks.visit.IsolatedStarAssociationTask',
      'meridian.tasks.visit.MakeCcdVisitTableTask',
      'meridian.tasks.visit.MakeVisitTableTask',
    ]);
  });

  it('turn --task-module paths into file URLs and leave package names alone', () => {
    expect(taskModuleSpecifier('./x.js')).toMatch(/^file:\/\/.*\/x\.js$/);
    expect(taskModuleSpecifier('/abs/tasks.mjs')).toBe('file:///abs/tasks.mjs');
    expect(taskModuleSpecifier('my-tasks')).toBe('my-tasks');
    expect(taskModuleSpecifier('@scope/tasks/sub')).toBe('@scope/tasks/sub');
    expect(taskModuleSpecifier('file:///a/b.js')).toBe('file:///a/b.js');
  });

  it('keep -c and -C in command-line order across the two options', () => {
    const opts = parse(['-c', 'a:x=1', '-C', 'a:o.yaml', '-c', 'a:x=2', '-C', 'b:p.yaml']);
    expect(overridesFromOptions(opts)).toEqual([
      { kind: 'value', label: 'a', field: 'x', value: 1 },
      { kind: 'file', label: 'a', path: 'o.yaml' },
      { kind: 'value', label: 'a', field: 'x', value: 2 },
      { kind: 'file', label: 'b', path: 'p.yaml' },
    ]);
  });

  it('give the pipeline, its resolution, the registry and the module list', async () => {
    const loaded = await loadPipelineFromOptions(
      parse(['-p', 'pipelines/testing/add-chain.yaml#step2', '-c', 'addThree:addend=9']),
    );
    expect(loaded.pipeline.labels).toEqual(['addThree']);
    expect(loaded.resolved.tasks[0]!.config.addend).toBe(9);
    expect(loaded.registry.has('meridian.pipe.testing.AddTask')).toBe(true);
    expect(loaded.taskModules).toEqual([...DEFAULT_TASK_MODULES]);
  });
});
