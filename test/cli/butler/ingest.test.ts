import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSqliteRepo, repoState, writeJsonFiles } from '../fixtures.js';
import { butler, butlerJson, butlerOk, tempDir } from '../helpers.js';

let dir: ReturnType<typeof tempDir>;
let repo: string;
beforeAll(async () => {
  dir = tempDir();
  repo = await makeSqliteRepo(dir.path);
  await butlerOk(['register-dataset-type', repo, 'frames', 'StructuredDataDict', 'instrument', 'detector']);
});
afterAll(() => dir.cleanup());

function code(stderr: string): string | undefined {
  return stderr.match(/\[([A-Z_]+)\]/)?.[1];
}

describe('ingest-files', () => {
  it('ingests a CSV table with paths relative to the table and an ECSV table with --prefix and --data-id', async () => {
    const files = join(dir.path, 'files');
    mkdirSync(files);
    writeJsonFiles(files, ['a.json', 'b.json', 'c.json', 'd.json']);
    writeFileSync(join(files, 'table.csv'), 'file,instrument,detector\na.json,Cam1,1\n"b.json",Cam1,2\n\n');
    const out = await butlerOk([
      'ingest-files',
      repo,
      'frames',
      'ingest/csv',
      join(files, 'table.csv'),
      '-t',
      'copy',
    ]);
    expect(out).toBe('Ingested 2 file(s) as frames into ingest/csv.\n');
    const ecsv = join(dir.path, 'table.ecsv');
    writeFileSync(
      ecsv,
      [
        '# %ECSV 1.0',
        '# ---',
        '# datatype:',
        '# - {name: path, datatype: string}',
        '# - {name: detector, datatype: int64}',
        '# schema: astropy-2.0',
        'path detector',
        'c.json 3',
        '"d.json"   4',
        '',
      ].join('\n'),
    );
    await butlerOk([
      'ingest-files',
      repo,
      'frames',
      'ingest/ecsv',
      ecsv,
      '--prefix',
      files,
      '--data-id',
      'instrument=Cam1',
      '--id-generation-mode',
      'dataid_type_run',
      '-t',
      'copy',
    ]);
    const refs = await butlerJson([
      'query-datasets',
      repo,
      'frames',
      '--collections',
      'ingest/*',
      '--show-uri',
    ]);
    expect(refs.map((r: any) => [r.run, r.dataId.detector]).sort()).toEqual([
      ['ingest/csv', 1],
      ['ingest/csv', 2],
      ['ingest/ecsv', 3],
      ['ingest/ecsv', 4],
    ]);
    expect(refs.every((r: any) => r.uri.startsWith(repo) && existsSync(r.uri))).toBe(true);
    expect((await repoState(repo)).problems).toEqual([]);
  });

  it('rejects bad tables and data IDs, naming the line, and leaves the repository unchanged', async () => {
    const files = join(dir.path, 'bad');
    mkdirSync(files);
    writeJsonFiles(files, ['x.json', 'y.json']);
    const table = (name: string, text: string) => {
      writeFileSync(join(files, name), text);
      return join(files, name);
    };
    const before = await repoState(repo);
    const cases: [string[], string, RegExp][] = [
      [
        ['nosuch', 'ingest/bad', table('ok.csv', 'file,instrument,detector\nx.json,Cam1,1\n')],
        'DATASET_TYPE_UNKNOWN',
        /nosuch/,
      ],
      [
        [
          'frames',
          'ingest/bad',
          table('short.csv', 'file,instrument,detector\nx.json,Cam1,1\ny.json,Cam1\n'),
        ],
        'TABLE_FORMAT',
        /short\.csv, line 3: expected 3 columns/,
      ],
      [
        ['frames', 'ingest/bad', table('quote.csv', 'file,instrument\n"x.json,Cam1\n')],
        'TABLE_FORMAT',
        /line 2: unterminated quoted field/,
      ],
      [['frames', 'ingest/bad', table('empty.csv', '')], 'TABLE_FORMAT', /no header row/],
      [
        ['frames', 'ingest/bad', table('nodet.csv', 'file,instrument\nx.json,Cam1\n')],
        'DATA_ID_INCOMPLETE',
        /nodet\.csv, line 2: .*detector/,
      ],
      [
        [
          'frames',
          'ingest/bad',
          table('baddet.csv', 'file,instrument,detector\nx.json,Cam1,1\ny.json,Cam1,99\n'),
        ],
        'DATA_ID_INVALID',
        /line 3/,
      ],
      [
        [
          'frames',
          'ingest/bad',
          table('nofile.csv', 'file,instrument,detector\nx.json,Cam1,1\nmissing.json,Cam1,2\n'),
          '-t',
          'copy',
        ],
        'FILE_NOT_FOUND',
        /missing\.json/,
      ],
      [['frames', 'ingest/bad', join(files, 'absent.csv')], 'FILE_NOT_FOUND', /absent\.csv/],
      [
        [
          'frames',
          'ingest/bad',
          table('clash.csv', 'file,instrument,detector\nx.json,Cam2,1\n'),
          '--data-id',
          'instrument=Cam1',
        ],
        'DATA_ID_INCONSISTENT',
        /line 2/,
      ],
    ];
    const results = await Promise.all(cases.map(([args]) => butler(['ingest-files', repo, ...args])));
    results.forEach((r, i) => {
      expect(r.code, cases[i]![1]).toBe(1);
      expect(code(r.stderr), r.stderr).toBe(cases[i]![1]);
      expect(r.stderr).toMatch(cases[i]![2]);
    });
    const usage = await butler([
      'ingest-files',
      repo,
      'frames',
      'ingest/bad',
      join(files, 'ok.csv'),
      '-t',
      'teleport',
    ]);
    expect(usage.code).toBe(2);
    expect(await repoState(repo)).toEqual(before);
  });

  it('refuses to ingest the same data IDs twice into a RUN', async () => {
    const files = join(dir.path, 'twice');
    mkdirSync(files);
    writeJsonFiles(files, ['p.json', 'q.json']);
    writeFileSync(join(files, 't.csv'), 'file,instrument,detector\np.json,Cam1,1\n');
    await butlerOk(['ingest-files', repo, 'frames', 'ingest/twice', join(files, 't.csv'), '-t', 'copy']);
    const before = await repoState(repo);
    writeFileSync(join(files, 't2.csv'), 'file,instrument,detector\nq.json,Cam1,2\np.json,Cam1,1\n');
    const again = await butler([
      'ingest-files',
      repo,
      'frames',
      'ingest/twice',
      join(files, 't2.csv'),
      '-t',
      'copy',
    ]);
    expect(again.code).toBe(1);
    expect(code(again.stderr)).toBe('DATASET_CONFLICT');
    // All or nothing: q.json (detector 2) was not ingested either, and no file was left behind.
    expect(await repoState(repo)).toEqual(before);
  });
});

describe('certify-calibrations', () => {
  it('certifies calibrations for a TAI validity range and rejects overlaps and non-calibration types', async () => {
    const out = await butlerOk([
      'certify-calibrations',
      repo,
      'calib/run1',
      'calib',
      'bias',
      '--begin-date',
      '2021-01-01T00:00:00',
      '--end-date',
      '2022-01-01T00:00:00',
    ]);
    expect(out).toBe(
      'Certified 4 bias dataset(s) into calib for [2021-01-01T00:00:00.000000000, 2022-01-01T00:00:00.000000000) TAI.\n',
    );
    expect(await butlerJson(['query-collections', repo, 'calib'])).toEqual([
      { name: 'calib', type: 'CALIBRATION' },
    ]);
    const found = await butlerJson(['query-datasets', repo, 'bias', '--collections', 'calib']);
    expect(found).toHaveLength(4);
    await butlerOk([
      'certify-calibrations',
      repo,
      'calib/run1',
      'calib',
      'bias',
      '--begin-date',
      '2022-01-01T00:00:00',
    ]);
    const results = await Promise.all([
      butler(['certify-calibrations', repo, 'calib/run1', 'calib', 'bias', '--end-date', '2021-06-01']),
      butler(['certify-calibrations', repo, 'run1', 'calib', 'metrics']),
      butler(['certify-calibrations', repo, 'run1', 'calib', 'bias']),
      butler(['certify-calibrations', repo, 'calib/run1', 'calib', 'bias', '--begin-date', 'yesterday']),
      butler(['certify-calibrations', repo, 'calib/run1', 'run1', 'bias']),
    ]);
    expect(results.map((r) => code(r.stderr))).toEqual([
      'CALIBRATION_CONFLICT',
      'COLLECTION_TYPE',
      'DATASET_NOT_FOUND',
      'INVALID_ARGUMENT',
      'COLLECTION_EXISTS',
    ]);
    // The same four datasets, now certified for two adjacent ranges.
    expect(await butlerJson(['query-datasets', repo, 'bias', '--collections', 'calib'])).toEqual(found);
  });
});
