import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSqliteRepo, repoState } from '../fixtures.js';
import { butler, butlerJson, butlerOk, tempDir } from '../helpers.js';

let dir: ReturnType<typeof tempDir>;
beforeAll(async () => {
  dir = tempDir();
});
afterAll(() => dir.cleanup());

function code(stderr: string): string | undefined {
  return stderr.match(/\[([A-Z_]+)\]/)?.[1];
}

const ids = (refs: { id: string }[]) => refs.map((r) => r.id).sort();

describe('associate and disassociate', () => {
  it('tags datasets into a TAGGED collection and removes them again', async () => {
    const repo = await makeSqliteRepo(dir.path, 'tags');
    expect(
      await butlerOk([
        'associate',
        repo,
        'best',
        '--collections',
        'run2,run1',
        '--datasets',
        'metrics',
        '--find-first',
      ]),
    ).toBe('Associated 2 dataset(s) with best.\n');
    const tagged = await butlerJson(['query-datasets', repo, '--collections', 'best']);
    expect(tagged.map((r: any) => [r.run, r.dataId.visit]).sort()).toEqual([
      ['run1', 2],
      ['run2', 1],
    ]);
    expect(await butlerJson(['query-collections', repo, 'best'])).toEqual([{ name: 'best', type: 'TAGGED' }]);
    expect(
      await butlerOk(['disassociate', repo, 'best', '--datasets', 'metrics', '--where', 'visit = 1']),
    ).toBe('Disassociated 1 dataset(s) from best.\n');
    expect(
      (await butlerJson(['query-datasets', repo, '--collections', 'best'])).map((r: any) => r.dataId.visit),
    ).toEqual([2]);
    const intoRun = await butler([
      'associate',
      repo,
      'run1',
      '--collections',
      'run2',
      '--datasets',
      'metrics',
    ]);
    expect(code(intoRun.stderr)).toBe('COLLECTION_EXISTS');
  });
});

describe('prune-datasets', () => {
  it('enforces the upstream argument rules before touching anything', async () => {
    const repo = await makeSqliteRepo(dir.path, 'rules');
    await butlerOk(['associate', repo, 'tag', '--collections', 'run1', '--datasets', 'metrics']);
    const before = await repoState(repo);
    const cases: [string[], string, RegExp][] = [
      [
        ['run1', '--purge', 'run1', '--disassociate', 'tag', '--no-confirm'],
        'INVALID_ARGUMENT',
        /cannot be used together/,
      ],
      [['--purge', 'run1', '--no-confirm'], 'INVALID_ARGUMENT', /at least one collection/],
      [['run1', '--no-confirm'], 'INVALID_ARGUMENT', /nothing to do/],
      [
        ['run1', '--purge', 'run2', '--no-confirm'],
        'INVALID_ARGUMENT',
        /must also be one of the collections/,
      ],
      [['tag', '--purge', 'tag', '--no-confirm'], 'COLLECTION_TYPE', /not a RUN/],
      [['run1', '--disassociate', 'run1', '--no-confirm'], 'COLLECTION_TYPE', /not a TAGGED/],
      [['run1', '--purge', 'run1'], 'INVALID_ARGUMENT', /pass --no-confirm/],
      [
        ['run1', '--purge', 'run1', '--where', 'visit ==', '--no-confirm'],
        'QUERY_SYNTAX',
        /line 1, column 7/,
      ],
    ];
    const results = await Promise.all(cases.map(([args]) => butler(['prune-datasets', repo, ...args])));
    results.forEach((r, i) => {
      expect(r.code, cases[i]![1]).toBe(1);
      expect(code(r.stderr), r.stderr).toBe(cases[i]![1]);
      expect(r.stderr).toMatch(cases[i]![2]);
    });
    expect(await repoState(repo)).toEqual(before);
  });

  it('dry-runs, then purges, unstores and disassociates', async () => {
    const repo = await makeSqliteRepo(dir.path, 'prune');
    await butlerOk(['associate', repo, 'tag', '--collections', 'run1', '--datasets', 'metrics']);
    const before = await butlerJson(['query-datasets', repo, '--collections', '*', '--show-uri']);
    const state = await repoState(repo);
    const visit2 = before.filter((r: any) => r.run === 'run1' && r.dataId.visit === 2);

    const dry = await butlerOk([
      'prune-datasets',
      repo,
      'run1',
      '--purge',
      'run1',
      '--where',
      'visit = 2',
      '--dry-run',
    ]);
    expect(dry).toMatch(/^type\s+run\s+id\s+dataId\n/);
    expect(dry).toContain(visit2[0].id);
    expect(dry).toContain('Dry run: would purge 1 dataset(s); nothing was changed.');
    expect(await repoState(repo)).toEqual(state);

    const purged = await butlerOk([
      'prune-datasets',
      repo,
      'run1',
      '--purge',
      'run1',
      '--where',
      'visit = 2',
      '--no-confirm',
    ]);
    expect(purged).toContain('Done: purge 1 dataset(s).');
    expect(existsSync(visit2[0].uri)).toBe(false);
    const afterPurge = await butlerJson(['query-datasets', repo, '--collections', '*']);
    expect(ids(afterPurge)).toEqual(ids(before.filter((r: any) => r.id !== visit2[0].id)));

    // --unstore keeps the registry entry but deletes the file; verify reports it as 'unstored' (not an error).
    const quiet = await butlerOk([
      'prune-datasets',
      repo,
      'run2',
      '--unstore',
      '--datasets',
      'metrics',
      '--no-confirm',
      '--quiet',
    ]);
    expect(quiet).toBe('');
    const run2 = await butlerJson(['query-datasets', repo, 'metrics', '--collections', 'run2', '--show-uri']);
    expect(run2).toHaveLength(1);
    expect(run2[0].uri).toBeNull();
    const verify = await butlerJson(['verify', repo]);
    expect(verify.problems.map((p: any) => p.kind)).toEqual(['unstored']);

    await butlerOk(['prune-datasets', repo, 'tag', '--disassociate', 'tag', '--find-all', '--no-confirm']);
    expect(await butlerOk(['query-datasets', repo, '--collections', 'tag'])).toBe('No datasets found.\n');
    expect(await butlerJson(['query-datasets', repo, 'metrics', '--collections', 'run1'])).toHaveLength(1);
    expect(
      await butlerOk(['prune-datasets', repo, 'tag', '--disassociate', 'tag', '--no-confirm']),
    ).toContain('No datasets found');
  });
});
