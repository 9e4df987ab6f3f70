import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSqliteRepo, repoState } from '../fixtures.js';
import {
  butler,
  butlerInTerminal,
  butlerJson,
  butlerOk,
  hasScriptCommand,
  tableBody,
  tempDir,
} from '../helpers.js';

let dir: ReturnType<typeof tempDir>;
beforeAll(async () => {
  dir = tempDir();
});
afterAll(() => dir.cleanup());

describe('collection commands', () => {
  it('builds chains in every mode and shows them as tree, table, flattened and without children', async () => {
    const repo = await makeSqliteRepo(dir.path, 'chains');
    expect(
      await butlerOk(['collection-chain', repo, 'all', 'run1', 'calib/run1', '--doc', 'everything']),
    ).toBe('all: [run1, calib/run1]\n');
    expect(await butlerOk(['collection-chain', repo, 'all', 'run2', '--mode', 'extend'])).toBe(
      'all: [run1, calib/run1, run2]\n',
    );
    expect(await butlerOk(['collection-chain', repo, 'all', '--mode', 'pop'])).toBe(
      'all: [calib/run1, run2]\n',
    );
    expect(await butlerOk(['collection-chain', repo, 'all', 'run1', '--mode', 'PREPEND'])).toBe(
      'all: [run1, calib/run1, run2]\n',
    );
    expect(await butlerOk(['collection-chain', repo, 'all', 'run2', '--mode', 'remove'])).toBe(
      'all: [run1, calib/run1]\n',
    );
    expect(await butlerOk(['collection-chain', repo, 'outer', 'all', 'run2'])).toBe('outer: [all, run2]\n');
    expect(await butlerOk(['collection-chain', repo, 'flat', 'outer', '--flatten'])).toBe(
      'flat: [run1, calib/run1, run2]\n',
    );

    const bad = [
      ['collection-chain', repo, 'all', '5', '--mode', 'pop'],
      ['collection-chain', repo, 'all', 'run2', '--mode', 'remove'],
      ['collection-chain', repo, 'all', 'outer'],
      ['collection-chain', repo, 'all', 'nosuch'],
      ['collection-chain', repo, 'newchain', '--mode', 'pop'],
      ['collection-chain', repo, 'run1', 'run2'],
    ];
    const codes = await Promise.all(
      bad.map(async (args) => (await butler(args)).stderr.match(/\[([A-Z_]+)\]/)?.[1]),
    );
    expect(codes).toEqual([
      'INVALID_ARGUMENT',
      'INVALID_ARGUMENT',
      'COLLECTION_CYCLE',
      'COLLECTION_UNKNOWN',
      'COLLECTION_UNKNOWN',
      'COLLECTION_TYPE',
    ]);

    const tree = await butlerOk(['query-collections', repo]);
    expect(tree.split('\n').slice(0, 2)).toEqual([
      expect.stringMatching(/^name\s+type$/),
      expect.stringMatching(/^-+\s+-+$/),
    ]);
    const body = tableBody(tree);
    const outerAt = body.findIndex((l) => l.startsWith('outer '));
    expect(body.slice(outerAt, outerAt + 5).map((l) => l.replace(/\s+(RUN|CHAINED)$/, ' $1'))).toEqual([
      'outer CHAINED',
      '  all CHAINED',
      '    run1 RUN',
      '    calib/run1 RUN',
      '  run2 RUN',
    ]);
    expect(await butlerJson(['query-collections', repo, 'outer'])).toEqual([
      {
        name: 'outer',
        type: 'CHAINED',
        children: [
          {
            name: 'all',
            type: 'CHAINED',
            children: [
              { name: 'run1', type: 'RUN' },
              { name: 'calib/run1', type: 'RUN' },
            ],
          },
          { name: 'run2', type: 'RUN' },
        ],
      },
    ]);
    const table = await butlerOk(['query-collections', repo, 'all', 'outer', '--chains', 'table']);
    expect(tableBody(table).map((l) => l.trim().split(/\s+/))).toEqual([
      ['all', 'CHAINED', 'run1'],
      ['calib/run1'],
      ['outer', 'CHAINED', 'all'],
      ['run2'],
    ]);
    expect(await butlerJson(['query-collections', repo, 'outer', '--chains', 'FLATTEN'])).toEqual([
      { name: 'run1', type: 'RUN' },
      { name: 'calib/run1', type: 'RUN' },
      { name: 'run2', type: 'RUN' },
    ]);
    expect(
      await butlerJson([
        'query-collections',
        repo,
        '--chains',
        'NO-CHILDREN',
        '--collection-type',
        'CHAINED',
      ]),
    ).toEqual([
      { name: 'all', type: 'CHAINED' },
      { name: 'flat', type: 'CHAINED' },
      { name: 'outer', type: 'CHAINED' },
    ]);
    const withTypes = await butlerJson([
      'query-collections',
      repo,
      'run*',
      '--collection-type',
      'run',
      '-t',
      '--chains',
      'no-children',
    ]);
    expect(withTypes).toEqual([
      { name: 'run1', type: 'RUN', datasetTypes: ['metrics'] },
      { name: 'run2', type: 'RUN', datasetTypes: ['metrics'] },
    ]);
    expect(await butlerOk(['query-collections', repo, 'zzz*'])).toBe('No collections found.\n');
  });

  it('removes runs and non-RUN collections only with --no-confirm when stdin is not a terminal', async () => {
    const repo = await makeSqliteRepo(dir.path, 'remove');
    await butlerOk(['collection-chain', repo, 'chain', 'run2']);
    await butlerOk(['associate', repo, 'tagged', '--collections', 'run1', '--datasets', 'metrics']);
    const before = await repoState(repo);

    const refused = await butler(['remove-runs', repo, 'run1']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('[INVALID_ARGUMENT]');
    expect(refused.stderr).toContain('--no-confirm');
    const chained = await butler(['remove-runs', repo, 'run2', '--no-confirm']);
    expect(chained.code).toBe(1);
    expect(chained.stderr).toContain('[COLLECTION_IN_USE]');
    expect(chained.stderr).toContain('--force');
    const refusedColl = await butler(['remove-collections', repo, 'tagged']);
    expect(refusedColl.stderr).toContain('--no-confirm');
    expect(await repoState(repo)).toEqual(before);

    const removed = await butlerOk(['remove-runs', repo, 'run2', '--no-confirm', '--force']);
    expect(removed).toMatch(/run2\s+1\s+chain/);
    expect(removed).toContain('Removed 1 RUN collection(s) and 1 dataset(s).');
    expect(await butlerJson(['query-collections', repo, 'chain', '--chains', 'TABLE'])).toEqual([
      { name: 'chain', type: 'CHAINED', children: [] },
    ]);
    expect(await butlerOk(['remove-runs', repo, 'nomatch*', '--no-confirm'])).toContain(
      'No RUN collections match',
    );

    const coll = await butler(['remove-collections', repo, '*a*', '--no-confirm']);
    expect(coll.code).toBe(0);
    expect(coll.stderr).toContain('Skipping RUN collection(s) calib/run1');
    expect(coll.stdout).toContain('Removed 2 collection(s).');
    const after = await butlerJson(['query-collections', repo, '--chains', 'NO-CHILDREN']);
    expect(after.map((c: { name: string }) => c.name)).toEqual(['calib/run1', 'run1']);
    // Datasets stay in their RUN after their TAGGED collection is removed.
    expect(await butlerJson(['query-datasets', repo, 'metrics', '--collections', 'run1'])).toHaveLength(2);
  });

  it.runIf(hasScriptCommand)('asks on a terminal and does nothing unless the answer is yes', async () => {
    const repo = await makeSqliteRepo(dir.path, 'prompt');
    await butlerOk(['collection-chain', repo, 'chain', 'run1']);
    const no = await butlerInTerminal(['remove-runs', repo, 'run2'], 'n\n');
    expect(no.code).toBe(0);
    expect(no.output).toContain('Remove 1 RUN collection(s) and their datasets? [y/N]');
    expect(no.output).toContain('Aborted; nothing removed.');
    const yes = await butlerInTerminal(['remove-collections', repo, 'chain'], 'y\n');
    expect(yes.code).toBe(0);
    expect(yes.output).toContain('Removed 1 collection(s).');
    expect((await butlerJson(['query-collections', repo])).map((c: { name: string }) => c.name)).toEqual([
      'calib/run1',
      'run1',
      'run2',
    ]);
  });
});
