import { afterEach, describe, expect, it } from 'vitest';
import {
  loadPipeline,
  loadPipelineText,
  parseConfigFileOverride,
  parseConfigOverride,
  splitSelector,
} from '../../../src/pipe/index.js';
import { ADD, CALIBRATE, caughtAsync, examples, pipelineDir, testingRegistry } from './helpers.js';

const registry = testingRegistry();
let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

/** Files in a fresh directory; returns the path of `main` (default p.yaml). */
function files(contents: Record<string, string>) {
  const d = pipelineDir(contents);
  cleanups.push(d.cleanup);
  return d;
}

const chain = (label: string, input: string, output: string, extra = '') =>
  `  ${label}:\n    class: ${ADD}\n    config:\n      connections.inputName: ${input}\n      connections.outputName: ${output}\n${extra}`;

describe('loading the example pipelines', () => {
  it('add-chain.yaml: parameters, override files, subsets, steps and contracts', async () => {
    const p = await loadPipeline(`${examples}/add-chain.yaml`, { registry });
    expect(p.labels).toEqual(['addOne', 'addTwo', 'addThree']);
    expect(p.subsets.map((s) => s.name)).toEqual(['step1', 'step2', 'firstOnly']);
    expect(p.steps).toEqual([
      { label: 'step1', dimensions: ['instrument', 'detector'] },
      { label: 'step2', dimensions: ['instrument'] },
    ]);
    const r = p.resolve();
    const addend = Object.fromEntries(r.tasks.map((t) => [t.label, t.config.addend]));
    expect(addend).toEqual({ addOne: 1, addTwo: 2, addThree: 3 });
    // From overrides/add-two.yaml, a `file:` entry relative to the pipeline file.
    expect(r.tasks.find((t) => t.label === 'addTwo')!.config.writeSchema).toBe(true);
    expect(r.datasetTypes.find((d) => d.name === 'add_a2')).toMatchObject({
      producer: 'addTwo',
      consumers: ['addThree'],
    });
  });

  it('imports.yaml: exclude with EDIT, rename, importContracts false, config merged over the import', async () => {
    const p = await loadPipeline(`${examples}/imports.yaml`, { registry });
    expect(p.labels).toEqual(['addOne', 'addTwo', 'calibrate', 'addAfterCalibrate']);
    expect(p.instrument).toBe('MeridianCam');
    expect(p.subsets.map((s) => [s.name, s.labels])).toEqual([
      ['step1', ['addOne', 'addTwo']],
      ['firstOnly', ['addOne']],
      ['calibration', ['calibrate', 'addAfterCalibrate']],
    ]);
    // add-chain's contract on addThree went with addThree; calibrate.yaml's were not imported.
    expect(p.contracts.map((c) => c.contract)).toEqual([
      'addOne.dimensions == addTwo.dimensions',
      'addTwo.addend == 20 and addOne.addend == 10',
    ]);
    const r = p.resolve();
    const two = r.tasks.find((t) => t.label === 'addTwo')!;
    expect(two.config).toMatchObject({ addend: 20, writeSchema: true });
    // The importing file's parameters win over the imported file's.
    expect(r.tasks.find((t) => t.label === 'addOne')!.config.addend).toBe(10);
  });
});

describe('imports', () => {
  const base = `description: base
tasks:
${chain('a', 'add_input', 'x_a')}${chain('b', 'x_a', 'x_b')}${chain('c', 'x_b', 'x_c')}subsets:
  ab: [a, b]
  bc:
    subset: [b, c]
    description: second half
contracts:
  - a.addend == 1
  - contract: b.addend == c.addend
    msg: b and c agree
`;

  it('include keeps the named labels and subsets (mixed); subsets losing members are dropped (DROP)', async () => {
    const d = files({
      'base.yaml': base,
      'p.yaml': 'description: p\nimports:\n  - location: base.yaml\n    include: [ab]\n',
      'q.yaml': 'description: q\nimports:\n  - location: base.yaml\n    include: [c, a]\n',
    });
    const p = await loadPipeline(d.path('p.yaml'), { registry });
    expect(p.labels).toEqual(['a', 'b']);
    expect(p.subsets.map((s) => s.name)).toEqual(['ab']);
    expect(p.contracts.map((c) => c.contract)).toEqual(['a.addend == 1']);
    const q = await loadPipeline(d.path('q.yaml'), { registry });
    expect(q.labels).toEqual(['a', 'c']);
    expect(q.subsets).toEqual([]);
  });

  it('exclude drops labels; EDIT keeps what is left of a subset', async () => {
    const d = files({
      'base.yaml': base,
      'p.yaml':
        'description: p\nimports:\n  - location: base.yaml\n    exclude: [c]\n    labeledSubsetModifyMode: EDIT\n',
      'q.yaml': 'description: q\nimports:\n  - location: base.yaml\n    exclude: [c]\n',
    });
    const p = await loadPipeline(d.path('p.yaml'), { registry });
    expect(p.labels).toEqual(['a', 'b']);
    expect(p.subsets.map((s) => [s.name, s.labels, s.description])).toEqual([
      ['ab', ['a', 'b'], null],
      ['bc', ['b'], 'second half'],
    ]);
    const q = await loadPipeline(d.path('q.yaml'), { registry });
    expect(q.subsets.map((s) => s.name)).toEqual(['ab']);
  });

  it('rename changes labels in tasks, subsets and contracts', async () => {
    const d = files({
      'base.yaml': base,
      'p.yaml': 'description: p\nimports:\n  - location: base.yaml\n    rename: {b: middle, a: b}\n',
    });
    const p = await loadPipeline(d.path('p.yaml'), { registry });
    expect(p.labels).toEqual(['b', 'middle', 'c']);
    expect(p.subsets.map((s) => s.labels)).toEqual([
      ['b', 'middle'],
      ['middle', 'c'],
    ]);
    expect(p.contracts.map((c) => [c.contract, c.msg])).toEqual([
      ['b.addend == 1', null],
      ['middle.addend == c.addend', 'b and c agree'],
    ]);
    expect(p.resolve().tasks.map((t) => t.label)).toEqual(['b', 'middle', 'c']);
  });

  it('importContracts: false leaves the contracts behind', async () => {
    const d = files({
      'base.yaml': base,
      'p.yaml': 'description: p\nimports:\n  - location: base.yaml\n    importContracts: false\n',
    });
    expect((await loadPipeline(d.path('p.yaml'), { registry })).contracts).toEqual([]);
  });

  it('a redeclared label merges config with the same class and replaces the task with another', async () => {
    const d = files({
      'base.yaml': base,
      'p.yaml': `description: p
imports: [base.yaml]
tasks:
  a:
    class: ${ADD}
    config:
      addend: 5
  c: ${CALIBRATE}
contracts: []
`,
    });
    const p = await loadPipeline(d.path('p.yaml'), { registry });
    expect(p.task('a').config.map((x) => [x.field, x.value])).toEqual([
      ['connections.inputName', 'add_input'],
      ['connections.outputName', 'x_a'],
      ['addend', 5],
    ]);
    expect(p.task('c')).toMatchObject({ taskClass: CALIBRATE, config: [] });
  });

  it('expands environment variables (written with braces) in locations, relative to the importing file', async () => {
    const d = files({
      'sub/base.yaml': base,
      'dir/p.yaml': `description: p\nimports: ["../\${WHERE}/base.yaml"]\n`,
    });
    const p = await loadPipeline(d.path('dir/p.yaml'), { registry, env: { WHERE: 'sub' } });
    expect(p.labels).toEqual(['a', 'b', 'c']);
    expect(await caughtAsync(() => loadPipeline(d.path('dir/p.yaml'), { registry, env: {} }))).toMatchObject({
      code: 'PIPELINE_INVALID',
      message: expect.stringMatching(
        /p\.yaml:2:11: the import location \.\.\/\$\{WHERE\}\/base\.yaml uses \$\{WHERE\}, which is not set/,
      ),
    });
  });

  it('detects import cycles and names them', async () => {
    const d = files({
      'a.yaml': 'description: a\nimports: [b.yaml]\n',
      'b.yaml': 'description: b\nimports: [c.yaml]\n',
      'c.yaml': 'description: c\nimports: [a.yaml]\n',
    });
    const err = await caughtAsync(() => loadPipeline(d.path('a.yaml'), { registry }));
    expect(err.code).toBe('PIPELINE_INVALID');
    expect(err.message).toMatch(
      /c\.yaml:2:11: import cycle: .*a\.yaml -> .*b\.yaml -> .*c\.yaml -> .*a\.yaml$/,
    );
  });

  it('refuses unknown names, a label from two imports, a bad rename, a missing file, two instruments', async () => {
    const d = files({
      'base.yaml': base,
      'other.yaml': `description: o\ninstrument: OtherCam\ntasks:\n${chain('a', 'y_in', 'y_a')}`,
      'inst.yaml': 'description: i\ninstrument: MeridianCam\nimports: [other.yaml]\n',
      'unknown.yaml': 'description: p\nimports:\n  - {location: base.yaml, include: [zz]}\n',
      'twice.yaml': 'description: p\nimports: [base.yaml, other.yaml]\n',
      'rename.yaml': 'description: p\nimports:\n  - {location: base.yaml, rename: {zz: q}}\n',
      'clash.yaml': 'description: p\nimports:\n  - {location: base.yaml, rename: {a: b}}\n',
      'missing.yaml': 'description: p\nimports: [nowhere.yaml]\n',
    });
    const load = (name: string) => caughtAsync(() => loadPipeline(d.path(name), { registry }));
    expect((await load('unknown.yaml')).message).toMatch(
      /unknown\.yaml:3:5: the import of base\.yaml names 'zz', which is neither a task label \(a, b, c\) nor a subset \(ab, bc\)/,
    );
    expect((await load('twice.yaml')).message).toMatch(
      /twice\.yaml: the task label 'a' comes from two imports/,
    );
    expect((await load('rename.yaml')).message).toMatch(/rename: 'zz' is not an imported task label/);
    expect((await load('clash.yaml')).message).toMatch(/rename: 'b' is already an imported task label/);
    expect(await load('missing.yaml')).toMatchObject({
      code: 'FILE_NOT_FOUND',
      message: expect.stringMatching(/missing\.yaml:2:11: .*nowhere\.yaml does not exist/),
    });
    expect((await load('inst.yaml')).message).toMatch(
      /two instruments are declared: OtherCam and MeridianCam/,
    );
  });
});

describe('subsets, steps and contracts of a whole pipeline', () => {
  const two = `tasks:\n${chain('a', 'add_input', 'x_a')}${chain('b', 'x_a', 'x_b')}`;
  const load = (text: string) => loadPipelineText(text, 'p.yaml', { registry });

  it('refuses subsets naming unknown labels or named like a label', async () => {
    expect((await caughtAsync(() => load(`description: d\n${two}subsets:\n  s: [a, zz]\n`))).message).toBe(
      "p.yaml: the subset 's' names 'zz', which is not a task label",
    );
    expect((await caughtAsync(() => load(`description: d\n${two}subsets:\n  a: [b]\n`))).message).toBe(
      "p.yaml: the subset 'a' has the name of a task label",
    );
  });

  it('requires every task in exactly one step when steps are declared', async () => {
    await expect(
      load(
        `description: d\n${two}subsets:\n  s1: [a]\n  s2: [b]\nsteps:\n  - {label: s1, dimensions: detector}\n  - {label: s2, dimensions: ""}\n`,
      ),
    ).resolves.toBeDefined();
    expect(
      (
        await caughtAsync(() =>
          load(`description: d\n${two}subsets:\n  s1: [a]\nsteps:\n  - {label: s1, dimensions: detector}\n`),
        )
      ).message,
    ).toBe('p.yaml: when steps are declared every task must be in one; not in any step: b');
    expect(
      (
        await caughtAsync(() =>
          load(
            `description: d\n${two}subsets:\n  s1: [a, b]\n  s2: [b]\nsteps:\n  - {label: s1, dimensions: detector}\n  - {label: s2, dimensions: detector}\n`,
          ),
        )
      ).message,
    ).toBe("p.yaml: the task 'b' is in two steps, 's1' and 's2'");
    expect(
      (
        await caughtAsync(() =>
          load(`description: d\n${two}steps:\n  - {label: nope, dimensions: detector}\n`),
        )
      ).message,
    ).toBe("p.yaml: the step 'nope' is not a subset");
  });

  it('checks contracts on the resolved, defaulted configs after all overrides', async () => {
    const text = `description: d\n${two}contracts:\n  - a.addend == b.addend\n  - contract: a.minimum == 1 and a.failure.mode == "none"\n    msg: defaults are visible\n`;
    const p = await load(text);
    expect(() => p.resolve()).not.toThrow();
    const broken = await loadPipelineText(text, 'p.yaml', {
      registry,
      overrides: [parseConfigOverride('a:addend=2')],
    });
    const err = (() => {
      try {
        broken.resolve();
      } catch (e) {
        return e as { code: string; message: string };
      }
    })();
    expect(err).toMatchObject({
      code: 'PIPELINE_CONTRACT_FAILED',
      message: 'contract failed: a.addend == b.addend',
    });
    const withMsg = await loadPipelineText(text, 'p.yaml', {
      registry,
      overrides: [parseConfigOverride('a:failure.mode=throw')],
    });
    expect(() => withMsg.resolve()).toThrow(
      'contract failed: a.minimum == 1 and a.failure.mode == "none" (defaults are visible)',
    );
  });

  it('refuses contracts on unknown labels at load and on unknown fields at resolve', async () => {
    expect(
      (await caughtAsync(() => load(`description: d\n${two}contracts: [zz.addend == 1]\n`))).message,
    ).toBe(`p.yaml: the contract "zz.addend == 1" reads 'zz', which is not a task label`);
    const p = await load(`description: d\n${two}contracts: [a.nothing.here == 1]\n`);
    expect(() => p.resolve()).toThrow('contract "a.nothing.here == 1": a has no config field nothing');
  });
});

describe('parameters', () => {
  it('replace a whole config value; an unknown one is an error at its position', async () => {
    const text = `description: d\nparameters: {n: 7, dims: [instrument]}\ntasks:\n  a:\n    class: ${ADD}\n    config:\n      addend: parameters.n\n      dimensions: parameters.dims\n      connections.outputName: "parameters.n is only replaced when it is the whole value"\n`;
    const r = (await loadPipelineText(text, 'p.yaml', { registry })).resolve();
    expect(r.tasks[0]!.config).toMatchObject({ addend: 7, dimensions: ['instrument'] });
    const bad = await loadPipelineText(text.replace('parameters.n\n', 'parameters.m\n'), 'p.yaml', {
      registry,
    });
    expect(() => bad.resolve()).toThrow("p.yaml:7:7: addend: unknown parameter 'm' (parameters: n, dims)");
  });
});

describe('selectors', () => {
  it('split a path from its labels', () => {
    expect(splitSelector('a/b.yaml#x, y')).toEqual({ path: 'a/b.yaml', selector: ['x', 'y'] });
    expect(splitSelector('a/b.yaml')).toEqual({ path: 'a/b.yaml', selector: null });
    expect(() => splitSelector('a.yaml#')).toThrow("'#' is not a selector");
    expect(() => splitSelector('a.yaml#x;y')).toThrow("'#x;y' is not a selector");
  });

  it('keep labels and subsets (mixed), with the subsets, steps and contracts that still apply', async () => {
    const step1 = await loadPipeline(`${examples}/add-chain.yaml#step1`, { registry });
    expect(step1.labels).toEqual(['addOne', 'addTwo']);
    expect(step1.steps.map((s) => s.label)).toEqual(['step1']);
    expect(step1.contracts.map((c) => c.contract)).toEqual(['addOne.dimensions == addTwo.dimensions']);
    const mixed = await loadPipeline(`${examples}/add-chain.yaml#firstOnly,addThree`, { registry });
    expect(mixed.labels).toEqual(['addOne', 'addThree']);
    expect(mixed.subsets.map((s) => [s.name, s.labels])).toEqual([
      ['step1', ['addOne']],
      ['step2', ['addThree']],
      ['firstOnly', ['addOne']],
    ]);
    expect(mixed.contracts.map((c) => c.contract)).toEqual(['addThree.addend > addOne.addend']);
    // addThree reads add_a2, which nothing in the selection writes: it becomes an overall input.
    expect(mixed.resolve().datasetTypes.find((d) => d.name === 'add_a2')!.producer).toBeNull();
    expect(
      (await caughtAsync(() => loadPipeline(`${examples}/add-chain.yaml#nothing`, { registry }))).message,
    ).toMatch(
      /the selector names 'nothing', which is neither a task label \(addOne, addTwo, addThree\) nor a subset/,
    );
  });
});

describe('command-line overrides', () => {
  it('parse values as YAML', () => {
    expect(parseConfigOverride('a:addend=1')).toEqual({
      kind: 'value',
      label: 'a',
      field: 'addend',
      value: 1,
    });
    expect(parseConfigOverride('a:x.y=true').value).toBe(true);
    expect(parseConfigOverride('a:x=[1, 2]').value).toEqual([1, 2]);
    expect(parseConfigOverride("a:x='3'").value).toBe('3');
    expect(parseConfigOverride('a:x=a=b').value).toBe('a=b');
    expect(parseConfigOverride('a:x={mode: throw}').value).toEqual({ mode: 'throw' });
    expect(parseConfigFileOverride('a:dir/o.yaml')).toEqual({ kind: 'file', label: 'a', path: 'dir/o.yaml' });
    expect(() => parseConfigOverride('addend=1')).toThrow('expected LABEL:FIELD=VALUE');
    expect(() => parseConfigOverride('a:x=[1,')).toThrow('the value is not valid YAML');
    expect(() => parseConfigFileOverride('nolabel')).toThrow('expected LABEL:FILE');
  });

  it('apply in order after the file (later wins), -C files relative to the working directory', async () => {
    const d = files({ 'o.yaml': 'addend: 30\nwriteSchema: true\n' });
    const load = (overrides: string[]) =>
      loadPipeline(`${examples}/add-chain.yaml`, {
        registry,
        overrides: overrides.map((o) =>
          o.startsWith('C ') ? parseConfigFileOverride(o.slice(2)) : parseConfigOverride(o),
        ),
      });
    const addendOf = async (overrides: string[]) =>
      (await load(overrides)).resolve().tasks.find((t) => t.label === 'addThree')!.config.addend;
    expect(await addendOf(['addThree:addend=10'])).toBe(10);
    expect(await addendOf(['addThree:addend=10', `C addThree:${d.path('o.yaml')}`])).toBe(30);
    expect(await addendOf([`C addThree:${d.path('o.yaml')}`, 'addThree:addend=10'])).toBe(10);
    expect(await caughtAsync(() => load(['nobody:addend=1']))).toMatchObject({
      code: 'PIPELINE_INVALID',
      message: "-c nobody:...: the pipeline has no task labelled 'nobody' (labels: addOne, addTwo, addThree)",
    });
    expect((await caughtAsync(() => load(['addThree:bad..field=1']))).message).toContain(
      "'bad..field' is not a config field",
    );
    expect((await caughtAsync(() => load(['C addThree:/nonexistent/o.yaml']))).code).toBe('FILE_NOT_FOUND');
  });

  it('reject a value the schema refuses, naming the task and field', async () => {
    const p = await loadPipeline(`${examples}/add-chain.yaml`, {
      registry,
      overrides: [parseConfigOverride('addOne:addend=lots')],
    });
    expect(() => p.resolve()).toThrow(
      /addOne \(meridian\.pipe\.testing\.AddTask\): invalid config: addend: /,
    );
  });
});

describe('toYaml', () => {
  it('writes the expanded pipeline, which loads back to the same pipeline', async () => {
    for (const [name, override] of [
      ['add-chain.yaml', 'addOne:writeSchema=true'],
      ['calibrate.yaml', 'calibrate:useRefcat=false'],
      ['imports.yaml', 'addAfterCalibrate:failure={mode: throw, where: {detector: 1}}'],
      ['add-chain.yaml#firstOnly,addThree', 'addThree:addend=4'],
    ]) {
      const p = await loadPipeline(`${examples}/${name}`, {
        registry,
        overrides: [parseConfigOverride(override!)],
      });
      const text = p.toYaml();
      expect(text).not.toMatch(/^imports:|^ *- file:|^ *file:/m);
      const again = await loadPipelineText(text, 'saved.yaml', { registry });
      const shape = (x: typeof p) => ({
        ...x.data,
        tasks: x.data.tasks.map((t) => ({ ...t, config: t.config.map((a) => [a.field, a.value]) })),
        contracts: x.data.contracts.map((c) => [c.contract, c.msg, c.expr]),
      });
      expect(shape(again)).toEqual(shape(p));
      expect(again.resolve()).toEqual(p.resolve());
      expect(again.toYaml()).toBe(text);
    }
  });

  it('keeps the order of repeated assignments by starting a new map', async () => {
    const p = await loadPipeline(`${examples}/imports.yaml`, { registry });
    expect(p.toYaml()).toContain('        writeSchema: true\n      - addend: 20\n');
  });
});
