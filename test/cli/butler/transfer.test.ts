import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { makeSqliteRepo, repoState } from '../fixtures.js';
import { butler, butlerJson, butlerOk, tempDir } from '../helpers.js';

let dir: ReturnType<typeof tempDir>;
let source: string;
beforeAll(async () => {
  dir = tempDir();
  source = await makeSqliteRepo(dir.path, 'source');
  await butlerOk([
    'associate',
    source,
    'best',
    '--collections',
    'run1',
    '--datasets',
    'metrics',
    '--where',
    'visit = 1',
  ]);
});
afterAll(() => dir.cleanup());

function code(stderr: string): string | undefined {
  return stderr.match(/\[([A-Z_]+)\]/)?.[1];
}

const ids = (refs: { id: string }[]) => refs.map((r) => r.id).sort();

describe('transfer-datasets', () => {
  it('dry-runs, needs --register-dataset-types for new types, transfers with IDs kept and skips on re-run', async () => {
    const dest = join(dir.path, 'dest');
    await butlerOk(['create', dest]);
    const wanted = await butlerJson(['query-datasets', source, 'metrics', '--collections', 'run1,run2']);
    expect(
      await butlerOk([
        'transfer-datasets',
        source,
        dest,
        'metrics',
        '--collections',
        'run1,run2',
        '--dry-run',
      ]),
    ).toBe('Dry run: would transfer 3 dataset(s), skip 0 already present; nothing was changed.\n');
    const noTypes = await butler([
      'transfer-datasets',
      source,
      dest,
      'metrics',
      '--collections',
      'run1,run2',
    ]);
    expect(code(noTypes.stderr)).toBe('DATASET_TYPE_UNKNOWN');
    expect(await butlerOk(['query-collections', dest])).toBe('No collections found.\n');

    const out = await butlerOk([
      'transfer-datasets',
      source,
      dest,
      'metrics',
      '--collections',
      'run1,run2',
      '--register-dataset-types',
    ]);
    expect(out).toBe('Transferred 3 dataset(s), skipped 0 already present.\n');
    const got = await butlerJson(['query-datasets', dest, 'metrics', '--collections', 'run1,run2']);
    expect(ids(got)).toEqual(ids(wanted));
    expect(await butlerJson(['query-dimension-records', dest, 'visit'])).toHaveLength(2);
    expect((await repoState(dest)).problems).toEqual([]);
    expect(
      await butlerOk([
        'transfer-datasets',
        source,
        dest,
        '--collections',
        'run1',
        '--where',
        'visit = 1',
        '-t',
        'copy',
      ]),
    ).toBe('Transferred 0 dataset(s), skipped 1 already present.\n');
  });
});

describe('export and import', () => {
  it('exports datasets with their files and TAGGED membership, imports them into a new repository once', async () => {
    const out = join(dir.path, 'exported');
    const exported = await butlerOk([
      'export',
      source,
      join(out, 'export.yaml'),
      '--collections',
      'run1,best',
      '--datasets',
      'metrics',
      '--directory',
      out,
    ]);
    expect(exported).toBe(`Exported 2 dataset(s) and 2 file(s) to ${join(out, 'export.yaml')}.\n`);
    const doc = parseYaml(readFileSync(join(out, 'export.yaml'), 'utf8'));
    expect(doc.description).toBe('Butler Data Repository Export');
    expect(doc.data.filter((d: any) => d.type === 'associations').map((d: any) => d.collection)).toEqual([
      'best',
    ]);

    const dest = join(dir.path, 'imported');
    await butlerOk(['create', dest]);
    expect(await butlerOk(['import', dest, out])).toBe('Imported 2 dataset(s), skipped 0 already present.\n');
    expect(ids(await butlerJson(['query-datasets', dest, '--collections', 'run1']))).toEqual(
      ids(await butlerJson(['query-datasets', source, 'metrics', '--collections', 'run1'])),
    );
    expect(await butlerJson(['query-datasets', dest, '--collections', 'best'])).toHaveLength(1);
    expect(await butlerOk(['import', dest, out, '--skip-dimensions'])).toBe(
      'Imported 0 dataset(s), skipped 2 already present.\n',
    );
    expect((await repoState(dest)).problems).toEqual([]);
    const missing = await butler(['import', dest, join(dir.path, 'nothing-here')]);
    expect(code(missing.stderr)).toBe('FILE_NOT_FOUND');
  });
});

describe('retrieve-artifacts', () => {
  it('copies files out with or without the datastore layout and refuses to overwrite without --clobber', async () => {
    const dest = join(dir.path, 'artifacts');
    const out = await butlerOk([
      'retrieve-artifacts',
      source,
      dest,
      '--collections',
      'calib/run1',
      '--datasets',
      'bias',
    ]);
    expect(out).toContain(`Number of artifacts retrieved into destination ${dest}: 4`);
    const paths = out.trimEnd().split('\n').slice(0, 4);
    expect(paths.every((p) => p.startsWith(join(dest, 'calib/run1')) && existsSync(p))).toBe(true);
    const again = await butler([
      'retrieve-artifacts',
      source,
      dest,
      '--collections',
      'calib/run1',
      '--datasets',
      'bias',
    ]);
    expect(again.code).toBe(1);
    expect(code(again.stderr)).toBe('FILE_EXISTS');
    await butlerOk([
      'retrieve-artifacts',
      source,
      dest,
      '--collections',
      'calib/run1',
      '--datasets',
      'bias',
      '--clobber',
    ]);
    const flat = join(dir.path, 'flat');
    await butlerOk([
      'retrieve-artifacts',
      source,
      flat,
      '--collections',
      'calib/run1',
      '--where',
      'detector < 3',
      '--no-preserve-path',
      '-t',
      'symlink',
    ]);
    expect(readdirSync(flat)).toHaveLength(2);
  });
});
