import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresEnabled } from '../../support/postgres.js';
import { dropPostgresSchema, pgUrl, populate, writeJsonFiles } from '../fixtures.js';
import { butler, butlerJson, butlerOk, tempDir } from '../helpers.js';

/**
 * Every command on a PostgreSQL registry (export/import and transfers across back ends). Skipped (visibly) without
 * MERIDIAN_TEST_POSTGRES; fails instead when MERIDIAN_REQUIRE_POSTGRES=1.
 */
const available = postgresEnabled('butler CLI on PostgreSQL');
const namespace = `cli_${process.pid}_${Date.now().toString(36)}`;

describe.runIf(available)('butler CLI on PostgreSQL', () => {
  let dir: ReturnType<typeof tempDir>;
  let repo: string;
  beforeAll(async () => {
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

  it('runs the other commands on PostgreSQL too, and refuses bad input without changes', async () => {
    const types = await butlerJson(['query-dataset-types', repo, '-v']);
    expect(types.map((t: any) => t.name)).toEqual(expect.arrayContaining(['bias', 'config', 'metrics']));
    const ids = await butlerJson(['query-data-ids', repo, 'visit', '--where', "band = 'g'"]);
    expect(ids.map((d: any) => d.visit)).toEqual([1]);
    await butlerOk([
      'certify-calibrations',
      repo,
      'calib/run1',
      'Cam1/calib',
      'bias',
      '--begin-date',
      '2020-01-01T00:00:00',
    ]);
    expect(await butlerJson(['query-datasets', repo, 'bias', '--collections', 'Cam1/calib'])).toHaveLength(4);
    await butlerOk(['associate', repo, 'tagged', '--datasets', 'metrics', '--collections', 'run1']);
    expect(await butlerJson(['query-datasets', repo, 'metrics', '--collections', 'tagged'])).toHaveLength(2);
    await butlerOk([
      'disassociate',
      repo,
      'tagged',
      '--datasets',
      'metrics',
      '--collections',
      'run1',
      '--where',
      'visit = 1',
    ]);
    expect(await butlerJson(['query-datasets', repo, 'metrics', '--collections', 'tagged'])).toHaveLength(1);
    await butlerOk(['remove-collections', repo, 'tagged', '--no-confirm']);

    // Export from PostgreSQL, import into SQLite; transfer back into a second PostgreSQL repository.
    const exportDir = join(dir.path, 'export');
    await butlerOk([
      'export',
      repo,
      join(exportDir, 'export.yaml'),
      '--datasets',
      'metrics',
      '--collections',
      'run1',
      '--directory',
      exportDir,
    ]);
    const sqliteRepo = join(dir.path, 'sqlite-repo');
    await butlerOk(['create', sqliteRepo]);
    await butlerOk(['import', sqliteRepo, exportDir]);
    expect(await butlerJson(['query-datasets', sqliteRepo, 'metrics', '--collections', 'run1'])).toHaveLength(
      2,
    );
    const back = join(dir.path, 'pg-back');
    await butlerOk(['create', back, '--registry-db', pgUrl!, '--namespace', `${namespace}_b`]);
    try {
      await butlerOk([
        'transfer-datasets',
        sqliteRepo,
        back,
        'metrics',
        '--collections',
        'run1',
        '--register-dataset-types',
      ]);
      const again = await butlerOk([
        'transfer-datasets',
        sqliteRepo,
        back,
        'metrics',
        '--collections',
        'run1',
        '--register-dataset-types',
      ]);
      expect(again).toContain('Transferred 0 dataset(s), skipped 2 already present.');
      expect(await butlerJson(['query-datasets', back, 'metrics', '--collections', 'run1'])).toHaveLength(2);
      const artifacts = join(dir.path, 'artifacts');
      await butlerOk(['retrieve-artifacts', back, artifacts, '--collections', 'run1']);
      expect(
        (await import('node:fs'))
          .readdirSync(artifacts, { recursive: true })
          .some((f) => String(f).endsWith('.json')),
      ).toBe(true);
    } finally {
      await dropPostgresSchema(back);
    }

    // Bad input: each refused with a code, nothing changed.
    const before = await butlerJson(['query-datasets', repo, '*', '--collections', '*']);
    const unknown = await butler(['query-datasets', repo, 'nosuchtype', '--collections', 'run1']);
    expect(unknown.stderr).toContain('[DATASET_TYPE_UNKNOWN]');
    const files = join(dir.path, 'bad');
    mkdirSync(files);
    writeJsonFiles(files, ['x.json']);
    writeFileSync(join(files, 't.csv'), 'file,instrument\nx.json,Cam1\n');
    const incomplete = await butler([
      'ingest-files',
      repo,
      'bias',
      'badrun',
      join(files, 't.csv'),
      '-t',
      'copy',
    ]);
    expect(incomplete.stderr).toMatch(/\[(DATA_ID_INCOMPLETE|TABLE_FORMAT)\]/);
    const malformed = await butler(['query-data-ids', repo, 'visit', '--where', 'visit IN (1, 2']);
    expect(malformed.stderr).toContain('[QUERY_SYNTAX]');
    await butlerOk(['register-dataset-type', repo, 'scratch', 'int', 'instrument']);
    await butlerOk(['remove-dataset-type', repo, 'scratch']);
    const inUse = await butler(['remove-dataset-type', repo, 'metrics']);
    expect(inUse.stderr).toContain('[DATASET_TYPE_IN_USE]');
    expect(await butlerJson(['query-datasets', repo, '*', '--collections', '*'])).toEqual(before);
    expect((await butlerJson(['query-collections', repo])).map((c: any) => c.name)).not.toContain('badrun');
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
