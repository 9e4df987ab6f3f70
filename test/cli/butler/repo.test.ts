import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { makeButlerProgram } from '../../../src/cli/butler.js';
import { makeSqliteRepo } from '../fixtures.js';
import { butler, butlerJson, butlerOk, tempDir } from '../helpers.js';

/** The commands of this module (other modules register more, e.g. the instrument commands). */
const CORE_COMMANDS = [
  'create',
  'config-dump',
  'verify',
  'register-dataset-type',
  'remove-dataset-type',
  'query-dataset-types',
  'query-collections',
  'collection-chain',
  'remove-runs',
  'remove-collections',
  'query-datasets',
  'query-data-ids',
  'query-dimension-records',
  'ingest-files',
  'certify-calibrations',
  'associate',
  'disassociate',
  'prune-datasets',
  'transfer-datasets',
  'export',
  'import',
  'retrieve-artifacts',
];

let dir: ReturnType<typeof tempDir>;
beforeAll(async () => {
  dir = tempDir();
});
afterAll(() => dir.cleanup());

describe('butler program', () => {
  it('prints help for the program and every command, and exits 2 on usage errors', async () => {
    const top = await butler(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('query-datasets');
    expect(top.stdout).toContain('Examples:');
    for (const c of CORE_COMMANDS) expect(top.stdout).toMatch(new RegExp(`\n {2}${c}[ |]`));
    // One command's help through the whole program; the rest straight from the command objects.
    const one = await butler(['query-datasets', '--help']);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^Usage: butler query-datasets \[options\] <repo> \[globs\.\.\.\]/);
    const program = makeButlerProgram();
    const core = program.commands.filter((c) => CORE_COMMANDS.includes(c.name()));
    expect(core.map((c) => c.name())).toEqual(CORE_COMMANDS);
    for (const cmd of core) {
      let text = '';
      cmd.configureOutput({ writeOut: (s) => (text += s) });
      cmd.outputHelp();
      expect(text, cmd.name()).toContain('Arguments:');
      expect(text, cmd.name()).toMatch(/Examples:\n {2}butler /);
      // Every argument and option is described.
      expect(
        cmd.registeredArguments.every((a) => a.description.length > 0),
        cmd.name(),
      ).toBe(true);
      expect(
        cmd.options.every((o) => o.description.length > 0),
        cmd.name(),
      ).toBe(true);
    }
    const unknown = await butler(['no-such-command']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'no-such-command'");
    const missingArg = await butler(['query-datasets']);
    expect(missingArg.code).toBe(2);
    expect(missingArg.stderr).toContain("missing required argument 'repo'");
    const badChoice = await butler(['query-collections', 'x', '--chains', 'sideways']);
    expect(badChoice.code).toBe(2);
    expect(badChoice.stderr).toContain('TABLE, TREE, FLATTEN, NO-CHILDREN');
    const badLimit = await butler(['query-datasets', 'x', '--limit', 'ten']);
    expect(badLimit.code).toBe(2);
  });

  it('reports a missing repository as REPO_NOT_FOUND with a hint, as text and as JSON', async () => {
    const missing = join(dir.path, 'nowhere');
    const text = await butler(['query-collections', missing]);
    expect(text.code).toBe(1);
    expect(text.stdout).toBe('');
    expect(text.stderr).toMatch(/^butler: error \[REPO_NOT_FOUND\]: no butler repository at .*nowhere/);
    expect(text.stderr).toContain('\n  hint: Create one with `butler create REPO`');
    const json = await butler(['query-collections', missing, '--json']);
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout);
    expect(doc.error.code).toBe('REPO_NOT_FOUND');
    expect(doc.error.hint).toContain('butler create');
    expect(doc.error.details.root).toBe(missing);
  });

  it('reports a corrupt registry with a code and an unexpected error as INTERNAL, stack only under MERIDIAN_DEBUG=1', async () => {
    const repo = join(dir.path, 'broken');
    await butlerOk(['create', repo]);
    writeFileSync(join(repo, 'gen3.sqlite3'), 'this is not a database file, just text '.repeat(200));
    const corrupt = await butler(['query-collections', repo]);
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr).toMatch(/^butler: error \[DATABASE_UNAVAILABLE\]: .*corrupt/);
    // An uncoded failure: the destination of retrieve-artifacts is an existing file, not a directory.
    const good = await makeSqliteRepo(dir.path, 'good');
    const target = join(dir.path, 'a-file');
    writeFileSync(target, 'x');
    const plain = await butler(['retrieve-artifacts', good, target, '--collections', 'run1']);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/^butler: error \[INTERNAL\]: /);
    expect(plain.stderr).toContain('MERIDIAN_DEBUG=1');
    expect(plain.stderr).not.toMatch(/\n\s+at /);
    const debug = await butler(['retrieve-artifacts', good, target, '--collections', 'run1'], {
      MERIDIAN_DEBUG: '1',
    });
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });
});

describe('create, config-dump and verify', () => {
  it('creates a SQLite repository and refuses to create over it', async () => {
    const repo = join(dir.path, 'new');
    const out = await butlerOk(['create', repo, '--checksum']);
    expect(out).toContain(`Created butler repository at ${repo}`);
    expect(existsSync(join(repo, 'butler.yaml'))).toBe(true);
    const again = await butler(['create', repo]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('[REPO_EXISTS]');
    const ns = await butler(['create', join(dir.path, 'ns'), '--namespace', 'x']);
    expect(ns.code).toBe(1);
    expect(ns.stderr).toContain('[INVALID_ARGUMENT]');
    expect(existsSync(join(dir.path, 'ns'))).toBe(false);

    const yaml = parseYaml(await butlerOk(['config-dump', repo]));
    expect(yaml.registry.db).toBe('sqlite:gen3.sqlite3');
    expect(yaml.datastore.checksum).toBe(true);
    expect(yaml.dimensions.namespace).toBe('meridian');
    const dims = await butlerJson(['config-dump', repo, '--subset', 'dimensions']);
    expect(Object.keys(dims)).toEqual(['dimensions']);
    expect(Object.keys(dims.dimensions.elements)).toContain('visit');
    const sc = await butlerJson(['config-dump', repo, '--subset', 'storageClasses']);
    expect(sc.storageClasses.map((s: { name: string }) => s.name)).toContain('StructuredDataDict');
  });

  it('verifies a healthy repository, then reports missing and orphan files with exit status 1', async () => {
    const repo = await makeSqliteRepo(dir.path, 'verify');
    const ok = await butler(['verify', repo]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('Checked 7 datasets and 7 files: no problems.');
    const okJson = await butlerJson(['verify', repo]);
    expect(okJson).toEqual({ datasets: 7, files: 7, problems: [] });

    const uri = (
      await butlerJson(['query-datasets', repo, 'metrics', '--collections', 'run2', '--show-uri'])
    )[0].uri;
    rmSync(uri);
    writeFileSync(join(repo, 'stray.json'), '{}');
    const bad = await butler(['verify', repo]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^problem\s+dataset id\s+path\s+detail/);
    expect(bad.stdout).toMatch(/\nmissing /);
    expect(bad.stdout).toMatch(/\norphan\s+stray\.json/);
    expect(bad.stdout).toContain('2 problem(s)');
    const badJson = await butler(['verify', repo, '--json']);
    expect(badJson.code).toBe(1);
    const doc = JSON.parse(badJson.stdout);
    expect(doc.problems.map((p: { kind: string }) => p.kind).sort()).toEqual(['missing', 'orphan']);
    expect(badJson.stderr).toContain('2 problem(s)');
  });
});
