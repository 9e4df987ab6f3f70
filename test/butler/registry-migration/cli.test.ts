import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Butler } from '../../../src/butler/index.js';
import { openRegistryDatabase } from '../../../src/butler/registry/index.js';
import { butler, tempDir } from '../../cli/helpers.js';
import { defaultUniverse } from '../registry/fixtures.js';
import { makeVersion1Registry } from './version1.js';

/** `butler migrate` on a repository whose registry was made at schema version 1 (SQLite). */
describe('butler migrate', () => {
  let dir: ReturnType<typeof tempDir>;
  let repo: string;
  let flats: readonly string[];

  beforeAll(async () => {
    dir = tempDir();
    repo = join(dir.path, 'repo');
    // A repository directory (butler.yaml) whose registry file is replaced by a version-1 one.
    await (await Butler.create(repo)).close();
    rmSync(join(repo, 'gen3.sqlite3'));
    const database = await openRegistryDatabase({ db: 'sqlite:gen3.sqlite3' }, repo, { create: true });
    try {
      flats = (await makeVersion1Registry(database, defaultUniverse())).flats;
    } finally {
      await database.close();
    }
  });

  afterAll(() => dir.cleanup());

  it('other commands refuse the old registry and name the command', async () => {
    const r = await butler(['query-collections', repo]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('SCHEMA_VERSION');
    expect(r.stderr).toContain('butler migrate');
  });

  it('migrates once, then has nothing to do; the repository works afterwards', async () => {
    const first = await butler(['migrate', repo]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('from schema version 1 to 3');
    const again = await butler(['migrate', repo, '--json']);
    expect(JSON.parse(again.stdout)).toEqual({ from: 3, to: 3, migrated: false });
    const query = await butler(['query-datasets', repo, 'flat', '--collections', 'run1', '--json']);
    expect(query.code, query.stderr).toBe(0);
    const ids = (JSON.parse(query.stdout) as { id: string }[]).map((r) => r.id).sort();
    expect(ids).toEqual([...flats].sort());
  });
});
