import { describe, expect, it } from 'vitest';
import { parseConfigOverrideFile, parsePipelineYaml } from '../../../src/pipe/index.js';
import { ADD, caught } from './helpers.js';

/** The error of parsing `text` as a pipeline called p.yaml. */
function parseError(text: string) {
  return caught(() => parsePipelineYaml(text, 'p.yaml')) as {
    code: string;
    message: string;
    details: { file: string; line: number; column: number };
  };
}

describe('parsePipelineYaml: the keys', () => {
  it('reads every top-level key', () => {
    const ir = parsePipelineYaml(
      `description: all keys
instrument: MeridianCam
parameters:
  n: 3
  name: x
imports:
  - base.yaml
  - location: \${HOME}/other.yaml
    include: [a, sub]
    rename: {a: b}
    importContracts: false
    labeledSubsetModifyMode: EDIT
tasks:
  one: ${ADD}
  two:
    class: ${ADD}
    config:
      addend: parameters.n
      failure.mode: throw
  three:
    class: ${ADD}
    config:
      - addend: 1
      - file: [o1.yaml, o2.yaml]
        writeSchema: true
subsets:
  plain: [one, two]
  described:
    subset: [three]
    description: the third
steps:
  - label: plain
    dimensions: instrument, detector
  - label: described
    dimensions: [instrument]
contracts:
  - one.addend == 1
  - contract: two.addend > 0
    msg: positive
`,
      'all.yaml',
    );
    expect(ir.description).toBe('all keys');
    expect(ir.instrument).toBe('MeridianCam');
    expect(ir.parameters).toEqual({ n: 3, name: 'x' });
    expect(ir.imports).toMatchObject([
      {
        location: 'base.yaml',
        include: null,
        exclude: null,
        importContracts: true,
        labeledSubsetModifyMode: 'DROP',
      },
      {
        location: `\${HOME}/other.yaml`,
        include: ['a', 'sub'],
        rename: { a: 'b' },
        importContracts: false,
        labeledSubsetModifyMode: 'EDIT',
        origin: 'all.yaml:8:5',
      },
    ]);
    expect(ir.tasks.map((t) => [t.label, t.taskClass])).toEqual([
      ['one', ADD],
      ['two', ADD],
      ['three', ADD],
    ]);
    expect(ir.tasks[1]!.config).toEqual([
      {
        kind: 'values',
        assignments: [
          { field: 'addend', value: 'parameters.n', origin: 'all.yaml:18:7' },
          { field: 'failure.mode', value: 'throw', origin: 'all.yaml:19:7' },
        ],
      },
    ]);
    expect(ir.tasks[2]!.config).toEqual([
      { kind: 'values', assignments: [{ field: 'addend', value: 1, origin: 'all.yaml:23:9' }] },
      { kind: 'values', assignments: [{ field: 'writeSchema', value: true, origin: 'all.yaml:25:9' }] },
      { kind: 'file', path: 'o1.yaml', origin: 'all.yaml:24:9' },
      { kind: 'file', path: 'o2.yaml', origin: 'all.yaml:24:9' },
    ]);
    expect(ir.subsets).toEqual([
      { name: 'plain', labels: ['one', 'two'], description: null },
      { name: 'described', labels: ['three'], description: 'the third' },
    ]);
    expect(ir.steps).toEqual([
      { label: 'plain', dimensions: ['instrument', 'detector'] },
      { label: 'described', dimensions: ['instrument'] },
    ]);
    expect(ir.contracts.map((c) => [c.contract, c.msg])).toEqual([
      ['one.addend == 1', null],
      ['two.addend > 0', 'positive'],
    ]);
    expect(Object.isFrozen(ir) && Object.isFrozen(ir.tasks[0])).toBe(true);
  });

  it("accepts 'inherits' as the old name of 'imports', and imports without tasks", () => {
    const ir = parsePipelineYaml('description: d\ninherits: [a.yaml]\n', 'p.yaml');
    expect(ir.imports.map((i) => i.location)).toEqual(['a.yaml']);
    expect(ir.tasks).toEqual([]);
    expect(ir.steps).toBeNull();
  });
});

describe('parsePipelineYaml: errors name the file, line and column', () => {
  it('refuses duplicate keys at any depth', () => {
    expect(parseError(`description: d\ntasks:\n  a: ${ADD}\n  a: ${ADD}\n`)).toMatchObject({
      code: 'PIPELINE_INVALID',
      message: "p.yaml:4:3: duplicate key 'a'",
      details: { file: 'p.yaml', line: 4, column: 3 },
    });
    expect(
      parseError(
        `description: d\ntasks:\n  a:\n    class: ${ADD}\n    config:\n      addend: 1\n      addend: 2\n`,
      ).message,
    ).toBe("p.yaml:7:7: duplicate key 'addend'");
    expect(parseError('description: d\ndescription: e\n').message).toBe(
      "p.yaml:2:1: duplicate key 'description'",
    );
  });

  it('refuses unknown keys, listing the allowed ones', () => {
    expect(parseError(`description: d\ntasks:\n  a: ${ADD}\nsubset: {}\n`).message).toBe(
      "p.yaml:4:1: unknown key 'subset' in a pipeline (allowed: description, tasks, instrument, parameters, imports, inherits, subsets, steps, contracts)",
    );
    expect(parseError(`description: d\ntasks:\n  a:\n    class: ${ADD}\n    configs: {}\n`).message).toBe(
      "p.yaml:5:5: tasks.a: unknown key 'configs' in a pipeline (allowed: class, config)",
    );
    expect(parseError('description: d\nimports:\n  - location: a.yaml\n    includes: [x]\n').message).toMatch(
      /^p\.yaml:4:5: imports\.0: unknown key 'includes'/,
    );
    expect(
      parseError(`description: d\ntasks: {a: ${ADD}}\nsteps:\n  - label: s\n    dims: x\n`).message,
    ).toMatch(/^p\.yaml:5:5: steps\.0: unknown key 'dims'/);
    expect(
      parseError(`description: d\ntasks: {a: ${ADD}}\ncontracts:\n  - {contract: a.x == 1, message: m}\n`)
        .message,
    ).toMatch(/^p\.yaml:4:26: contracts\.0: unknown key 'message'/);
  });

  it('requires a description, and tasks unless there are imports', () => {
    expect(parseError(`tasks: {a: ${ADD}}\n`).message).toBe(
      'p.yaml:1:1: description: description is required (free text)',
    );
    expect(parseError('description: d\n').message).toBe(
      "p.yaml:1:1: a pipeline needs 'tasks' (or 'imports' to take them from)",
    );
    expect(parseError('- a\n- b\n').message).toBe(
      'p.yaml:1:1: a pipeline file is a map with at least a description',
    );
  });

  it('checks the shape of each value at its position', () => {
    expect(parseError('description: d\ntasks:\n  a: 3\n').message).toBe(
      'p.yaml:3:6: tasks.a: a task is a registered task name or {class, config}',
    );
    expect(parseError('description: d\ntasks:\n  a:\n    class: 3\n').message).toBe(
      'p.yaml:4:12: tasks.a.class: expected string, received number',
    );
    expect(parseError(`description: d\ntasks: {a: ${ADD}}\nsubsets:\n  s: [a, 3]\n`).message).toMatch(
      /^p\.yaml:4:10: subsets\.s\.1: /,
    );
    expect(
      parseError(`description: d\ntasks: {a: ${ADD}}\nsteps:\n  - label: s\n    dimensions: 3\n`).message,
    ).toMatch(/^p\.yaml:5:17: steps\.0\.dimensions: /);
    expect(
      parseError('description: d\nimports:\n  - location: a.yaml\n    labeledSubsetModifyMode: KEEP\n')
        .message,
    ).toMatch(/^p\.yaml:4:30: imports\.0\.labeledSubsetModifyMode: .*DROP.*EDIT/);
  });

  it('refuses bad labels, names and fields', () => {
    expect(parseError(`description: d\ntasks:\n  parameters: ${ADD}\n`).message).toBe(
      "p.yaml:3:3: 'parameters' is not a valid task label (letters, digits, _; not 'parameters')",
    );
    expect(parseError(`description: d\ntasks:\n  2x: ${ADD}\n`).message).toContain(
      "p.yaml:3:3: '2x' is not a valid task label",
    );
    expect(parseError(`description: d\ntasks: {a: ${ADD}}\nsubsets:\n  bad-name: [a]\n`).message).toBe(
      "p.yaml:4:3: 'bad-name' is not a valid subset name",
    );
    expect(parseError(`description: d\ntasks: {a: ${ADD}}\nsubsets:\n  s: [a, a]\n`).message).toBe(
      "p.yaml:4:6: subset 's' lists 'a' twice",
    );
    expect(
      parseError(`description: d\ntasks:\n  a:\n    class: ${ADD}\n    config:\n      bad..field: 1\n`)
        .message,
    ).toBe("p.yaml:6:7: 'bad..field' is not a config field (dotted names of letters, digits and _)");
    expect(
      parseError(
        `description: d\ntasks: {a: ${ADD}}\nsteps:\n  - {label: s, dimensions: "visit, de-tector"}\n`,
      ).message,
    ).toBe("p.yaml:4:28: 'de-tector' is not a dimension name");
    expect(
      parseError(
        `description: d\ntasks: {a: ${ADD}}\nsteps:\n  - {label: s, dimensions: visit}\n  - {label: s, dimensions: visit}\n`,
      ).message,
    ).toBe("p.yaml:5:5: step 's' is declared twice");
  });

  it("refuses 'python' config blocks with an explanation", () => {
    const err = parseError(
      `description: d\ntasks:\n  a:\n    class: ${ADD}\n    config:\n      - addend: 1\n      - python: config.addend = 2\n`,
    );
    expect(err.message).toMatch(
      /^p\.yaml:7:9: a: 'python' config blocks are not supported: Meridian never runs code/,
    );
  });

  it('refuses include with exclude, imports with inherits', () => {
    expect(
      parseError('description: d\nimports:\n  - {location: a.yaml, include: [x], exclude: [y]}\n').message,
    ).toBe('p.yaml:3:38: an import takes include or exclude, not both');
    expect(parseError('description: d\nimports: [a.yaml]\ninherits: [b.yaml]\n').message).toBe(
      "p.yaml:3:11: use 'imports' or its old name 'inherits', not both",
    );
  });

  it('reports contract syntax errors at the contract', () => {
    expect(parseError(`description: d\ntasks: {a: ${ADD}}\ncontracts:\n  - a.x ==\n`).message).toBe(
      'p.yaml:4:5: contract "a.x ==": expected a value (the expression ended) at column 7',
    );
  });

  it('reports YAML syntax errors with their position', () => {
    const err = parseError('description: d\ntasks: [unclosed\n');
    expect(err.code).toBe('PIPELINE_INVALID');
    expect(err.message).toMatch(/^p\.yaml:\d+:\d+: /);
  });
});

describe('parseConfigOverrideFile', () => {
  it('reads dotted fields with positions', () => {
    expect(parseConfigOverrideFile('# c\naddend: 2\nfailure.mode: throw\n', 'o.yaml')).toEqual([
      { field: 'addend', value: 2, origin: 'o.yaml:2:1' },
      { field: 'failure.mode', value: 'throw', origin: 'o.yaml:3:1' },
    ]);
    expect(parseConfigOverrideFile('', 'o.yaml')).toEqual([]);
  });

  it('refuses duplicates, non-maps, file and python', () => {
    expect(caught(() => parseConfigOverrideFile('a: 1\na: 2\n', 'o.yaml')).message).toBe(
      "o.yaml:2:1: duplicate key 'a'",
    );
    expect(caught(() => parseConfigOverrideFile('[1]\n', 'o.yaml')).message).toMatch(/^o\.yaml:1:1: /);
    expect(caught(() => parseConfigOverrideFile('python: x = 1\n', 'o.yaml')).message).toBe(
      "o.yaml:1:1: 'python' is not allowed in a config override file; list the fields themselves",
    );
  });
});
