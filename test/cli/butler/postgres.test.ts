import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropPostgresSchema, pgUrl, populate, postgresAvailable, writeJsonFiles } from '../fixtures.js';
import { butler, butlerJson, butlerOk, ensureBuilt, tempDir } from '../helpers.js';

/**
 * A representative subset of the commands on a PostgreSQL registry. Skipped (visibly) without
 * MERIDIAN_TEST_POSTGRES; fails instead when MERIDIAN_REQUIRE_POSTGRES=1.
 */
const available = postgresAvailable();
const namespace = `cli_${process.pid}_${Date.now().toString(36)}`;

describe.runIf(available)('butler CLI on PostgreSQL', () => {
  let dir: ReturnType<typeof tempDir>;
  let repo: string;
  beforeAll(async () => {
    await ensureBuilt();
    dir = tempDir();
    repo = join(dir.path, 'repo');
    const out = await butlerOk(['create', repo, '--registry-db', pgUrl!, '--namespace', namespace]);
    expect(out).toContain(`namespace ${namespace}`);
    // The password never appears in output; the URL is shown redacted.
    const password = new URL(pgUrl!).password;
    if (password) expect(out).not.toContain(`:${password}@`);
    await populate(repo);
  });
  afterAll(async () => {
    if (repo !== undefined) await dropPostgresSchema(repo);
    dir?.cleanup();
  });

  it('queries, chains, ingests, prunes and verifies', async () => {
    const config = await butlerJson(['config-dump', repo, '--subset', 'registry']);
    expect(config.registry.namespace).toBe(namespace);
    await butlerOk(['collection-chain', repo, 'all', 'run2', 'run1']);
    expect(await butlerJson(['query-collections', repo, 'all', '--chains', 'TABLE'])).toEqual([
      { name: 'all', type: 'CHAINED', children: ['run2', 'run1'] },
    ]);
    await butlerOk(['collection-chain', repo, 'calibs', 'calib/run1']);
    const first = await butlerJson([
      'query-datasets',
      repo,
      'bias',
      '--collections',
      'calibs',
      '--find-first',
    ]);
    expect(first.map((r: any) => r.dataId.detector).sort()).toEqual([1, 2, 3, 4]);
    expect(await butlerJson(['query-datasets', repo, 'metrics', '--collections', 'all'])).toHaveLength(3);
    const records = await butlerJson(['query-dimension-records', repo, 'visit', '--order-by', '-visit']);
    expect(records.map((r: any) => r.id)).toEqual([2, 1]);
    expect(records[0].timespan.begin).toBe('2021-09-09T21:00:00.000000000');

    const files = join(dir.path, 'files');
    mkdirSync(files);
    writeJsonFiles(files, ['a.json', 'b.json']);
    writeFileSync(join(files, 't.csv'), 'file,instrument,detector\na.json,Cam1,1\nb.json,Cam1,2\n');
    await butlerOk(['register-dataset-type', repo, 'frames', 'StructuredDataDict', 'instrument', 'detector']);
    await butlerOk(['ingest-files', repo, 'frames', 'ingest', join(files, 't.csv'), '-t', 'copy']);
    const twice = await butler([
      'ingest-files',
      repo,
      'frames',
      'ingest',
      join(files, 't.csv'),
      '-t',
      'copy',
    ]);
    expect(twice.stderr).toContain('[DATASET_CONFLICT]');
    expect(await butlerJson(['query-datasets', repo, 'frames', '--collections', 'ingest'])).toHaveLength(2);

    const syntax = await butler(['query-datasets', repo, '--collections', 'run1', '--where', 'visit = = 1']);
    expect(syntax.code).toBe(1);
    expect(syntax.stderr).toContain('[QUERY_SYNTAX]');

    await butlerOk([
      'prune-datasets',
      repo,
      'ingest',
      '--purge',
      'ingest',
      '--datasets',
      'frames',
      '--where',
      'detector = 1',
      '--no-confirm',
    ]);
    expect(await butlerJson(['query-datasets', repo, 'frames', '--collections', 'ingest'])).toHaveLength(1);
    await butlerOk(['remove-runs', repo, 'ingest', '--no-confirm']);
    expect(await butlerJson(['verify', repo])).toEqual({ datasets: 7, files: 7, problems: [] });
  });

  it('find-first search of a dataset type with temporal dimensions', async () => {
    const first = await butlerJson([
      'query-datasets',
      repo,
      'metrics',
      '--collections',
      'all',
      '--find-first',
    ]);
    expect(first.map((r: any) => [r.run, r.dataId.visit]).sort()).toEqual([
      ['run1', 2],
      ['run2', 1],
    ]);
  });
});

if (!available) {
  describe('butler CLI on PostgreSQL', () => {
    it.skip('skipped: set MERIDIAN_TEST_POSTGRES=postgresql://user:pass@host:port/db to run the PostgreSQL variant', () => {});
  });
}
