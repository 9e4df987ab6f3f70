import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSqliteRepo, repoState } from '../fixtures.js';
import { butler, butlerJson, butlerOk, tableBody, tempDir } from '../helpers.js';

let dir: ReturnType<typeof tempDir>;
let repo: string;
beforeAll(async () => {
  dir = tempDir();
  repo = await makeSqliteRepo(dir.path);
});
afterAll(() => dir.cleanup());

describe('dataset type commands', () => {
  it('registers dataset types, idempotently, and rejects bad definitions without changing anything', async () => {
    expect(
      await butlerOk([
        'register-dataset-type',
        repo,
        'calexp',
        'StructuredDataDict',
        'instrument',
        'visit',
        'detector',
      ]),
    ).toBe('Registered dataset type calexp.\n');
    expect(
      await butlerOk([
        'register-dataset-type',
        repo,
        'calexp',
        'StructuredDataDict',
        'instrument',
        'visit',
        'detector',
      ]),
    ).toContain('already registered');
    await butlerOk([
      'register-dataset-type',
      repo,
      'flat',
      'StructuredDataDict',
      'instrument',
      'detector',
      'physical_filter',
      '--is-calibration',
    ]);
    const before = await repoState(repo);
    const conflict = await butler([
      'register-dataset-type',
      repo,
      'calexp',
      'StructuredDataDict',
      'instrument',
      'visit',
    ]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('[DATASET_TYPE_CONFLICT]');
    const badClass = await butler(['register-dataset-type', repo, 'x', 'NoSuchClass', 'instrument']);
    expect(badClass.stderr).toContain('[STORAGE_CLASS_UNKNOWN]');
    const badDim = await butler([
      'register-dataset-type',
      repo,
      'y',
      'StructuredDataDict',
      'instrument',
      'nosuchdim',
    ]);
    expect(badDim.stderr).toContain('[UNKNOWN_DIMENSION]');
    const badName = await butler(['register-dataset-type', repo, '1bad', 'StructuredDataDict']);
    expect(badName.stderr).toContain('[DATASET_TYPE_NAME_INVALID]');
    expect(await repoState(repo)).toEqual(before);
  });

  it('lists dataset types as a table, verbosely, as JSON and restricted to collections', async () => {
    const plain = await butlerOk(['query-dataset-types', repo]);
    expect(plain.split('\n')[0]).toBe('name');
    expect(tableBody(plain)).toEqual(expect.arrayContaining(['bias', 'config', 'metrics']));
    const verbose = await butlerOk(['query-dataset-types', repo, 'b*', '-v']);
    expect(verbose).toMatch(/^name\s+dimensions\s+storageClass\s+isCalibration\n/);
    expect(tableBody(verbose)).toEqual([
      expect.stringMatching(/^bias\s+instrument, detector\s+StructuredDataDict\s+true$/),
    ]);
    const json = await butlerJson(['query-dataset-types', repo, 'metrics']);
    expect(json).toEqual([
      {
        name: 'metrics',
        dimensions: ['instrument', 'band', 'physical_filter', 'day_obs', 'visit'],
        storageClass: 'StructuredDataDict',
        isCalibration: false,
      },
    ]);
    const inRun = await butlerJson(['query-dataset-types', repo, '--collections', 'calib/*']);
    expect(inRun.map((t: { name: string }) => t.name)).toEqual(['bias']);
    expect(await butlerOk(['query-dataset-types', repo, 'zzz*'])).toBe('No dataset types found.\n');
    const unknown = await butler(['query-dataset-types', repo, 'nosuch']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('[DATASET_TYPE_UNKNOWN]');
  });

  it('removes unused dataset types by name or glob and refuses types that have datasets', async () => {
    await butlerOk(['register-dataset-type', repo, 'tmp_a', 'StructuredDataDict', 'instrument']);
    await butlerOk(['register-dataset-type', repo, 'tmp_b', 'StructuredDataDict', 'instrument']);
    expect(await butlerOk(['remove-dataset-type', repo, 'tmp_*'])).toBe(
      'Removed dataset type(s): tmp_a, tmp_b\n',
    );
    expect(await butlerOk(['remove-dataset-type', repo, 'tmp_*'])).toContain('No dataset types match');
    const inUse = await butler(['remove-dataset-type', repo, 'config', 'metrics']);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toContain('[DATASET_TYPE_IN_USE]');
    // One transaction: 'config' (unused) is still there because 'metrics' failed.
    expect((await butlerJson(['query-dataset-types', repo, 'config'])).length).toBe(1);
  });
});
