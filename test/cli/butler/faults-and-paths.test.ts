/**
 * Environment faults get codes (not INTERNAL) and paths from files stay inside their directories, through the
 * `butler` program: create on a file, a dropped registry table, a registry that is not SQLite, an unwritable
 * datastore, hostile import and ingest tables.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { makeSqliteRepo, repoState, writeJsonFiles } from '../fixtures.js';
import { butler, butlerOk, tempDir } from '../helpers.js';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.cleanup());

function code(stderr: string): string | undefined {
  return stderr.match(/\[([A-Z_]+)\]/)?.[1];
}

/**
 * Makes `path` unwritable for this process and returns the undo, or null when that is impossible here. As root,
 * permissions do not apply, so the immutable attribute is used (ext4, xfs, btrfs); otherwise chmod.
 */
function makeUnwritable(path: string): (() => void) | null {
  if (process.getuid?.() === 0) {
    try {
      execFileSync('chattr', ['+i', path], { stdio: 'ignore' });
      return () => execFileSync('chattr', ['-i', path], { stdio: 'ignore' });
    } catch {
      return null;
    }
  }
  execFileSync('chmod', ['555', path]);
  return () => execFileSync('chmod', ['755', path]);
}

describe('environment faults have codes', () => {
  it('butler create on an existing regular file is FILESYSTEM_ERROR, and so is a path under a file', async () => {
    const file = join(dir.path, 'afile');
    writeFileSync(file, 'x');
    for (const target of [file, join(file, 'sub')]) {
      const r = await butler(['create', target]);
      expect(r.code).toBe(1);
      expect(code(r.stderr), r.stderr).toBe('FILESYSTEM_ERROR');
      expect(r.stderr).not.toMatch(/This is a bug/);
    }
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('a registry with a dropped table is DATABASE_SCHEMA_DAMAGED for every command that needs it', async () => {
    const repo = await makeSqliteRepo(dir.path);
    const verify = (repo: string) => butler(['verify', repo]);
    const query = (repo: string) => butler(['query-datasets', repo, 'metrics', '--collections', 'run1']);
    const commandsNeeding: Record<string, ((repo: string) => ReturnType<typeof butler>)[]> = {
      dataset: [verify, query],
      file_datastore_records: [verify],
      collection: [query],
    };
    for (const [table, commands] of Object.entries(commandsNeeding)) {
      const copy = join(dir.path, `damaged-${table}`);
      execFileSync('cp', ['-r', repo, copy]);
      const db = new BetterSqlite3(join(copy, 'gen3.sqlite3'));
      db.pragma('foreign_keys = OFF');
      db.exec(`DROP TABLE ${table}`);
      db.close();
      const results = await Promise.all(commands.map((command) => command(copy)));
      for (const r of results) {
        expect(r.code).toBe(1);
        expect(code(r.stderr), r.stderr).toBe('DATABASE_SCHEMA_DAMAGED');
        expect(r.stderr).toContain(table);
      }
    }
  });

  it('a registry file that is not SQLite is DATABASE_UNAVAILABLE', async () => {
    const repo = await makeSqliteRepo(dir.path);
    writeFileSync(join(repo, 'gen3.sqlite3'), 'this is not a database'.repeat(100));
    rmSync(join(repo, 'gen3.sqlite3-wal'), { force: true });
    rmSync(join(repo, 'gen3.sqlite3-shm'), { force: true });
    const r = await butler(['query-collections', repo]);
    expect(code(r.stderr), r.stderr).toBe('DATABASE_UNAVAILABLE');
  });

  it('an unwritable datastore directory or repository is FILESYSTEM_ERROR, with nothing registered', async (ctx) => {
    const repo = await makeSqliteRepo(dir.path);
    const files = join(dir.path, 'files');
    mkdirSync(files);
    writeJsonFiles(files, ['a.json']);
    writeFileSync(join(files, 't.csv'), 'file,instrument,visit\na.json,Cam1,1\n');
    // The datastore directory of the run exists but cannot be written.
    mkdirSync(join(repo, 'run7'));
    const undoRun = makeUnwritable(join(repo, 'run7'));
    if (undoRun === null) return ctx.skip('cannot make a directory unwritable here');
    try {
      const r = await butler(['ingest-files', repo, 'metrics', 'run7', join(files, 't.csv'), '-t', 'copy']);
      expect(code(r.stderr), r.stderr).toBe('FILESYSTEM_ERROR');
      expect(r.stderr).toContain(join(repo, 'run7'));
    } finally {
      undoRun();
    }
    expect((await repoState(repo)).problems).toEqual([]);
    // The whole repository directory unwritable: SQLite cannot make its -wal file.
    const undoRepo = makeUnwritable(repo);
    try {
      const r = await butler(['ingest-files', repo, 'metrics', 'run8', join(files, 't.csv'), '-t', 'copy']);
      expect(code(r.stderr), r.stderr).toMatch(/^(FILESYSTEM_ERROR|REPO_READ_ONLY)$/);
    } finally {
      undoRepo?.();
    }
  });
});

describe('paths from files stay inside their directories', () => {
  it('butler import refuses an export path outside DIRECTORY unless --allow-outside-export-dir', async () => {
    const source = await makeSqliteRepo(dir.path, 'source');
    const out = join(dir.path, 'exported');
    await butlerOk(['export', source, join(out, 'export.yaml'), '--collections', 'run1', '--directory', out]);
    const secret = join(dir.path, 'secret.json');
    writeFileSync(secret, JSON.stringify({ visit: 99 }));
    const doc = parseYaml(readFileSync(join(out, 'export.yaml'), 'utf8'));
    for (const item of doc.data) if (item.type === 'dataset') item.records[0].path = '../secret.json';
    writeFileSync(join(out, 'export.yaml'), stringifyYaml(doc));
    for (const mode of ['copy', 'symlink', 'direct']) {
      const dest = join(dir.path, `imported-${mode}`);
      await butlerOk(['create', dest]);
      const refused = await butler(['import', dest, out, '-t', mode]);
      expect(code(refused.stderr), refused.stderr).toBe('PATH_TRAVERSAL');
      expect(refused.stderr).toContain('--allow-outside-export-dir');
      expect((await repoState(dest)).datasets).toEqual([]);
    }
    const dest = join(dir.path, 'imported-allowed');
    await butlerOk(['create', dest]);
    expect(await butlerOk(['import', dest, out, '--allow-outside-export-dir'])).toMatch(
      /^Imported 2 dataset/,
    );
    expect((await repoState(dest)).problems).toEqual([]);
  });

  it('butler export without --directory needs --allow-outside-export-dir to import its absolute paths', async () => {
    const source = await makeSqliteRepo(dir.path, 'source');
    const file = join(dir.path, 'paths-only', 'export.yaml');
    await butlerOk(['export', source, file, '--collections', 'run1']);
    const dest = join(dir.path, 'dest');
    await butlerOk(['create', dest]);
    const refused = await butler(['import', dest, join(dir.path, 'paths-only')]);
    expect(code(refused.stderr)).toBe('PATH_TRAVERSAL');
    await butlerOk([
      'import',
      dest,
      join(dir.path, 'paths-only'),
      '--allow-outside-export-dir',
      '-t',
      'direct',
    ]);
    expect((await repoState(dest)).problems).toEqual([]);
  });

  it('butler ingest-files refuses a relative path that leaves the table directory; absolute paths are taken', async () => {
    const repo = await makeSqliteRepo(dir.path);
    const tables = join(dir.path, 'tables');
    mkdirSync(tables);
    writeJsonFiles(dir.path, ['outside.json']);
    writeFileSync(join(tables, 'bad.csv'), 'file,instrument,visit\n../outside.json,Cam1,1\n');
    const bad = await butler(['ingest-files', repo, 'metrics', 'run5', join(tables, 'bad.csv')]);
    expect(code(bad.stderr), bad.stderr).toBe('PATH_TRAVERSAL');
    expect(bad.stderr).toContain('line 2');
    symlinkSync(dir.path, join(tables, 'up'));
    writeFileSync(join(tables, 'linked.csv'), 'file,instrument,visit\nup/outside.json,Cam1,1\n');
    const linked = await butler(['ingest-files', repo, 'metrics', 'run5', join(tables, 'linked.csv')]);
    expect(code(linked.stderr), linked.stderr).toBe('PATH_TRAVERSAL');
    writeFileSync(
      join(tables, 'abs.csv'),
      `file,instrument,visit\n${join(dir.path, 'outside.json')},Cam1,1\n`,
    );
    await butlerOk(['ingest-files', repo, 'metrics', 'run5', join(tables, 'abs.csv'), '-t', 'copy']);
  });

  it('butler transfer-datasets refuses a source record outside the source root unless --allow-outside-source-root', async () => {
    const source = await makeSqliteRepo(dir.path, 'source');
    const secret = join(dir.path, 'secret.json');
    writeFileSync(secret, JSON.stringify({ visit: 99 }));
    const db = new BetterSqlite3(join(source, 'gen3.sqlite3'));
    db.prepare('UPDATE file_datastore_records SET path = ?').run(secret);
    db.close();
    const dest = join(dir.path, 'dest');
    await butlerOk(['create', dest]);
    const args = [
      'transfer-datasets',
      source,
      dest,
      'metrics',
      '--collections',
      'run1',
      '--register-dataset-types',
    ];
    const refused = await butler(args);
    expect(code(refused.stderr), refused.stderr).toBe('PATH_TRAVERSAL');
    expect((await repoState(dest)).datasets).toEqual([]);
    expect(await butlerOk([...args, '--allow-outside-source-root'])).toMatch(/^Transferred 2 dataset/);
  });
});
