import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSqliteRepo } from '../fixtures.js';
import { butler, butlerJson, butlerOk, tempDir } from '../helpers.js';

let dir: ReturnType<typeof tempDir>;
let repo: string;
beforeAll(async () => {
  dir = tempDir();
  repo = await makeSqliteRepo(dir.path);
});
afterAll(() => dir.cleanup());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('query-datasets', () => {
  it('prints one table per dataset type with type, run, id, required dimensions and URI', async () => {
    const out = await butlerOk(['query-datasets', repo, '--collections', 'run1,calib/run1', '--show-uri']);
    // Dataset types come in name order.
    const [bias, metrics] = out.trimEnd().split('\n\n');
    expect(metrics!.split('\n')[0]).toMatch(/^type\s+run\s+id\s+instrument\s+visit\s+uri$/);
    expect(metrics!.split('\n')).toHaveLength(4);
    expect(metrics!.split('\n')[2]).toMatch(/^metrics\s+run1\s+[0-9a-f-]{36}\s+Cam1\s+1\s+\/.*\.json$/);
    expect(bias!.split('\n')[0]).toMatch(/^type\s+run\s+id\s+instrument\s+detector\s+uri$/);
    expect(bias!.split('\n')).toHaveLength(6);
    expect(await butlerOk(['query-datasets', repo, 'config', '--collections', 'run1'])).toBe(
      'No datasets found.\n',
    );
  });

  it('filters with --where, --bind, --data-id, --find-first, --order-by and --limit, and prints JSON', async () => {
    const all = await butlerJson([
      'query-datasets',
      repo,
      'metrics',
      '--collections',
      'run2',
      '--collections',
      'run1',
    ]);
    expect(all).toHaveLength(3);
    expect(Object.keys(all[0]).sort()).toEqual(['dataId', 'id', 'run', 'type']);
    expect(all[0].id).toMatch(UUID);
    const firstFound = await butlerJson([
      'query-datasets',
      repo,
      'metrics',
      '--collections',
      'run2,run1',
      '--find-first',
    ]);
    expect(firstFound.map((r: any) => [r.run, r.dataId.visit]).sort()).toEqual([
      ['run1', 2],
      ['run2', 1],
    ]);
    const [where, bind, dataId, ordered, limited] = await Promise.all([
      butlerJson([
        'query-datasets',
        repo,
        'metrics',
        '--collections',
        'run1',
        '--where',
        "visit = 2 AND band = 'r'",
      ]),
      butlerJson([
        'query-datasets',
        repo,
        'bias',
        '--collections',
        'calib/run1',
        '--where',
        'detector > :d',
        '--bind',
        'd=2',
      ]),
      butlerJson([
        'query-datasets',
        repo,
        'bias',
        '--collections',
        'calib/run1',
        '--data-id',
        'instrument=Cam1,detector=3',
      ]),
      butlerJson(['query-datasets', repo, 'bias', '--collections', 'calib/run1', '--order-by', '-detector']),
      butlerJson([
        'query-datasets',
        repo,
        'bias',
        '--collections',
        'calib/run1',
        '--order-by',
        'detector',
        '--limit',
        '2',
        '--show-uri',
      ]),
    ]);
    expect(where.map((r: any) => r.dataId)).toEqual([{ instrument: 'Cam1', visit: 2 }]);
    expect(bind.map((r: any) => r.dataId.detector).sort()).toEqual([3, 4]);
    expect(dataId.map((r: any) => r.dataId.detector)).toEqual([3]);
    expect(ordered.map((r: any) => r.dataId.detector)).toEqual([4, 3, 2, 1]);
    expect(limited.map((r: any) => r.dataId.detector)).toEqual([1, 2]);
    expect(limited[0].uri).toMatch(/^\/.*\.json$/);
  });

  it('reports bad queries with codes: syntax position, unknown names, find-first wildcards, unknown types', async () => {
    const syntax = await butler(['query-datasets', repo, '--collections', 'run1', '--where', 'visit = = 2']);
    expect(syntax.code).toBe(1);
    expect(syntax.stderr).toMatch(/\[QUERY_SYNTAX\]: .*line 1, column 9/);
    expect(syntax.stderr).toContain('    visit = = 2\n            ^');
    const syntaxJson = await butler([
      'query-datasets',
      repo,
      '--collections',
      'run1',
      '--where',
      'visit = = 2',
      '--json',
    ]);
    const doc = JSON.parse(syntaxJson.stdout);
    expect(doc.error).toMatchObject({ code: 'QUERY_SYNTAX', details: { line: 1, column: 9 } });
    const results = await Promise.all([
      butler(['query-datasets', repo, '--collections', 'run1', '--where', 'nosuch = 3']),
      butler(['query-datasets', repo, '--collections', 'run*', '--find-first']),
      butler(['query-datasets', repo, 'nosuch', '--collections', 'run1']),
      butler(['query-datasets', repo, '--collections', 'nosuch']),
      butler(['query-datasets', repo, '--collections', 'run1', '--bind', 'novalue']),
      butler(['query-datasets', repo, '--collections', 'run1', '--data-id', 'visit']),
      butler(['query-datasets', repo, 'metrics', '--find-first']),
    ]);
    expect(results.map((r) => r.stderr.match(/\[([A-Z_]+)\]/)?.[1])).toEqual([
      'QUERY_INVALID',
      'INVALID_ARGUMENT',
      'DATASET_TYPE_UNKNOWN',
      'COLLECTION_UNKNOWN',
      'INVALID_ARGUMENT',
      'INVALID_ARGUMENT',
      'INVALID_ARGUMENT',
    ]);
    expect(results[6]!.stderr).toContain('--find-first needs --collections');
    expect(results.every((r) => r.code === 1 && r.stdout === '')).toBe(true);
  });
});

describe('query-data-ids and query-dimension-records', () => {
  it('lists data IDs with implied dimensions, constrained by datasets, ordered, limited and offset', async () => {
    const table = await butlerOk(['query-data-ids', repo, 'visit', '--where', "instrument = 'Cam1'"]);
    expect(table.split('\n')[0]).toMatch(/^instrument\s+band\s+physical_filter\s+day_obs\s+visit$/);
    expect(table).toMatch(/\nCam1\s+g\s+Cam1-G\s+20210909\s+1\n/);
    const [detectors, withData, paged] = await Promise.all([
      butlerJson(['query-data-ids', repo, 'detector', '--order-by', '-detector']),
      butlerJson(['query-data-ids', repo, 'visit', '--datasets', 'metrics', '--collections', 'run2']),
      butlerJson([
        'query-data-ids',
        repo,
        'exposure',
        '--order-by',
        'exposure',
        '--limit',
        '2',
        '--offset',
        '1',
      ]),
    ]);
    expect(detectors.map((d: any) => d.detector)).toEqual([4, 3, 2, 1]);
    expect(withData).toEqual([
      { instrument: 'Cam1', band: 'g', physical_filter: 'Cam1-G', day_obs: 20210909, visit: 1 },
    ]);
    expect(paged.map((d: any) => d.exposure)).toEqual([101, 110]);
    expect(await butlerOk(['query-data-ids', repo, 'visit', '--where', 'visit > 100'])).toBe(
      'No data IDs found.\n',
    );
    const unknown = await butler(['query-data-ids', repo, 'nosuchdim']);
    expect(unknown.stderr).toContain('[UNKNOWN_DIMENSION]');
  });

  it('lists records with TAI timespans, abbreviated regions in tables and encoded regions in JSON', async () => {
    const table = await butlerOk(['query-dimension-records', repo, 'visit', '--order-by', 'visit']);
    const lines = table.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^instrument\s+id\s+name\s+physical_filter\s+day_obs\s+seq_num.*timespan\.begin \(TAI\)\s+timespan\.end \(TAI\)\s+region$/,
    );
    expect(lines[2]).toMatch(
      /^Cam1\s+1\s+one\s+Cam1-G\s+20210909\s.*2021-09-09T20:00:00\.0+\s+2021-09-09T20:01:30\.0+\s+\(box\)$/,
    );
    const json = await butlerJson([
      'query-dimension-records',
      repo,
      'visit',
      '--where',
      'visit = :v',
      '--bind',
      'v=2',
    ]);
    expect(json).toHaveLength(1);
    expect(json[0]).toMatchObject({ instrument: 'Cam1', id: 2, name: 'two', physical_filter: 'Cam1-R1' });
    expect(json[0].timespan).toEqual({
      begin: '2021-09-09T21:00:00.000000000',
      end: '2021-09-09T21:01:30.000000000',
    });
    expect(typeof json[0].region).toBe('string');
    expect(json[0].region.length).toBeGreaterThan(10);
    const detectors = await butlerJson([
      'query-dimension-records',
      repo,
      'detector',
      '--where',
      "detector.purpose = 'WAVEFRONT'",
    ]);
    expect(detectors).toEqual([
      { instrument: 'Cam1', id: 4, full_name: 'Bb', name_in_raft: 'b', raft: 'B', purpose: 'WAVEFRONT' },
    ]);
    const withData = await butlerJson([
      'query-dimension-records',
      repo,
      'detector',
      '--datasets',
      'bias',
      '--collections',
      'calib/run1',
      '--limit',
      '1',
      '--order-by',
      'detector',
    ]);
    expect(withData.map((r: any) => r.id)).toEqual([1]);
    const unknown = await butler(['query-dimension-records', repo, 'nosuch']);
    expect(unknown.stderr).toContain('[UNKNOWN_DIMENSION]');
  });
});
