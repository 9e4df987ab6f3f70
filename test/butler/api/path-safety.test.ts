/**
 * Paths that come from files (export files, source registries, registry records, templates filled from run names)
 * never make the butler read or write outside the directory they belong to, unless the caller asks for it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import {
  type Butler,
  exportDatasets,
  importDatasets,
  TRANSFER_MODES,
  transferFrom,
  verifyRepository,
} from '../../../src/butler/index.js';
import { expectCode, makeRepo, tempDir } from './helpers.js';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir('meridian-paths-');
});
afterEach(() => dir.cleanup());

const secretContent = JSON.stringify({ summary: { secret: true }, output: {}, data: [] });

/** A file outside every repository and export directory, which no hostile path may reach. */
function secretFile(name = 'secret.json'): string {
  const outside = join(dir.path, 'outside');
  mkdirSync(outside, { recursive: true });
  const path = join(outside, name);
  writeFileSync(path, secretContent);
  return path;
}

/** An export directory with one metrics dataset whose file entry is replaced by `path`. */
async function hostileExport(name: string, path: (exportDir: string) => string): Promise<string> {
  const source = await makeRepo(join(dir.path, `src-${name}`));
  await source.put(
    { summary: { visit: 1 }, output: {}, data: [1] },
    'metrics',
    { instrument: 'Cam1', visit: 1 },
    {
      run: 'site2/run',
    },
  );
  const refs = await source.registry.queryDatasets('metrics', { collections: ['*'] });
  const exportDir = join(dir.path, `export-${name}`);
  const file = join(exportDir, 'export.yaml');
  await exportDatasets(source, file, refs, { directory: exportDir });
  await source.close();
  const doc = parseYaml(readFileSync(file, 'utf8'));
  for (const item of doc.data) if (item.type === 'dataset') item.records[0].path = path(exportDir);
  writeFileSync(file, stringifyYaml(doc));
  return file;
}

describe('importDatasets refuses export-file paths outside the export directory', () => {
  const hostile: Record<string, (exportDir: string) => string> = {
    'a ../ path': () => '../outside/secret.json',
    'an absolute path': () => join(dir.path, 'outside', 'secret.json'),
    'a directory link out of it': (exportDir) => {
      symlinkSync(join(dir.path, 'outside'), join(exportDir, 'linked'));
      return 'linked/secret.json';
    },
  };

  for (const [kind, path] of Object.entries(hostile)) {
    it(`refuses ${kind} in every transfer mode, writing nothing; allowOutsideExportDirectory lets it in`, async () => {
      secretFile();
      const file = await hostileExport(kind.replace(/\W+/g, '-'), path);
      for (const transfer of TRANSFER_MODES) {
        const repo = await makeRepo(join(dir.path, `dst-${kind.replace(/\W+/g, '-')}-${transfer}`));
        const err = await expectCode(importDatasets(repo, file, { transfer }), 'PATH_TRAVERSAL');
        expect(err.message).toMatch(/--allow-outside-export-dir/);
        expect(await repo.registry.queryDatasets('metrics', { collections: ['*'] })).toEqual([]);
        expect((await verifyRepository(repo)).problems).toEqual([]);
        expect(readdirSync(repo.root).filter((f) => !f.startsWith('gen3.sqlite3'))).toEqual(['butler.yaml']);
        await repo.close();
      }
      // With the explicit option the file is read (copied here), and the result is a clean repository.
      const repo = await makeRepo(join(dir.path, `dst-${kind.replace(/\W+/g, '-')}-allowed`));
      const result = await importDatasets(repo, file, {
        transfer: 'copy',
        allowOutsideExportDirectory: true,
      });
      expect(result).toEqual({ datasets: 1, skipped: 0 });
      const [ref] = await repo.registry.queryDatasets('metrics', { collections: ['*'] });
      expect(await repo.get(ref!)).toEqual(JSON.parse(secretContent));
      expect((await verifyRepository(repo)).problems).toEqual([]);
      await repo.close();
      expect(readFileSync(join(dir.path, 'outside', 'secret.json'), 'utf8')).toBe(secretContent);
    });
  }

  it('accepts an absolute path that lies inside the export directory, and an in-directory file that is a link', async () => {
    secretFile();
    const file = await hostileExport('inside', (exportDir) => {
      symlinkSync(join(dir.path, 'outside', 'secret.json'), join(exportDir, 'link.json'));
      return join(exportDir, 'link.json');
    });
    const repo = await makeRepo(join(dir.path, 'dst-inside'));
    expect(await importDatasets(repo, file, { transfer: 'copy' })).toEqual({ datasets: 1, skipped: 0 });
    await repo.close();
  });
});

describe('transferFrom refuses source records outside the source root', () => {
  async function tamperedSource(path: (root: string) => string): Promise<Butler> {
    const source = await makeRepo(join(dir.path, 'source'));
    await source.put(
      { summary: { visit: 1 }, output: {}, data: [1] },
      'metrics',
      { instrument: 'Cam1', visit: 1 },
      {
        run: 'site2/run',
      },
    );
    await source.registry.database
      .executor()
      .updateTable('file_datastore_records')
      .set({ path: path(source.root) })
      .execute();
    return source;
  }

  const cases: Record<string, (root: string) => string> = {
    'an absolute path': () => secretFile(),
    'a directory link out of the root': (root) => {
      secretFile();
      symlinkSync(join(dir.path, 'outside'), join(root, 'linked'));
      return 'linked/secret.json';
    },
    'a ../ path': () => {
      secretFile();
      return '../outside/secret.json';
    },
  };

  for (const [kind, path] of Object.entries(cases)) {
    it(`refuses ${kind} before writing anything`, async () => {
      const source = await tamperedSource(path);
      const target = await makeRepo(join(dir.path, 'target'));
      const refs = await source.registry.queryDatasets('metrics', { collections: ['*'] });
      await expectCode(transferFrom(target, source, refs), 'PATH_TRAVERSAL');
      expect(await target.registry.queryDatasets('metrics', { collections: ['*'] })).toEqual([]);
      expect((await verifyRepository(target)).problems).toEqual([]);
      if (kind !== 'a ../ path') {
        // The explicit option lets a 'direct' (absolute) or linked source file through.
        const done = await transferFrom(target, source, refs, { allowOutsideSourceRoot: true });
        expect(done.transferred).toHaveLength(1);
        expect(await target.get(refs[0]!)).toEqual(JSON.parse(secretContent));
      } else {
        await expectCode(
          transferFrom(target, source, refs, { allowOutsideSourceRoot: true }),
          'PATH_TRAVERSAL',
        );
      }
      await source.close();
      await target.close();
    });
  }
});

describe('the datastore stays inside its root', () => {
  it('refuses to write through a directory of the root that is a link out of it', async () => {
    const repo = await makeRepo(join(dir.path, 'repo'));
    const outside = join(dir.path, 'outside');
    mkdirSync(outside);
    symlinkSync(outside, join(repo.root, 'evil'));
    await expectCode(
      repo.put(
        { summary: {}, output: {}, data: [] },
        'metrics',
        { instrument: 'Cam1', visit: 1 },
        { run: 'evil' },
      ),
      'PATH_TRAVERSAL',
    );
    expect(readdirSync(outside)).toEqual([]);
    expect(await repo.registry.queryDatasets('metrics', { collections: ['*'] })).toEqual([]);
    await repo.close();
  });

  it('keeps run names with ../ and / inside the root', async () => {
    const repo = await makeRepo(join(dir.path, 'repo'));
    const before = readdirSync(dir.path).sort();
    for (const run of ['../../escape', 'a/../../../escape', '..', '/etc/escape', 'u/../../x']) {
      try {
        await repo.put(
          { summary: {}, output: {}, data: [] },
          'metrics',
          { instrument: 'Cam1', visit: 1 },
          { run },
        );
        const uri = await repo.getURI('metrics', { instrument: 'Cam1', visit: 1 }, { collections: [run] });
        expect(uri.startsWith(`${repo.root}/`), `${run} → ${uri}`).toBe(true);
      } catch (err) {
        expect(['PATH_TRAVERSAL', 'COLLECTION_NAME_INVALID']).toContain((err as { code: string }).code);
      }
    }
    expect(readdirSync(dir.path).sort()).toEqual(before);
    expect(existsSync('/etc/escape')).toBe(false);
    expect((await verifyRepository(repo)).problems).toEqual([]);
    await repo.close();
  });

  it('reads a tampered record with ../ as PATH_TRAVERSAL and never deletes a file an absolute record names', async () => {
    const repo = await makeRepo(join(dir.path, 'repo'));
    const ref = await repo.put(
      { summary: {}, output: {}, data: [] },
      'metrics',
      { instrument: 'Cam1', visit: 1 },
      {
        run: 'run',
      },
    );
    const setPath = (path: string) =>
      repo.registry.database.executor().updateTable('file_datastore_records').set({ path }).execute();
    secretFile();
    await setPath('../outside/secret.json');
    await expectCode(repo.get(ref), 'PATH_TRAVERSAL');
    await expectCode(repo.getURI(ref), 'PATH_TRAVERSAL');
    // An absolute record is what 'direct' ingest writes: readable where it is, never deleted by the butler.
    const secret = join(dir.path, 'outside', 'secret.json');
    await setPath(secret);
    await repo.pruneDatasets([ref], { purge: true });
    expect(readFileSync(secret, 'utf8')).toBe(secretContent);
    await repo.close();
  });

  it('refuses to delete through a directory of the root that became a link out of it', async () => {
    const repo = await makeRepo(join(dir.path, 'repo'));
    const ref = await repo.put(
      { summary: {}, output: {}, data: [] },
      'metrics',
      { instrument: 'Cam1', visit: 1 },
      {
        run: 'run',
      },
    );
    const [info] = (await repo.registry.stored.get([ref.id])).get(ref.id)!;
    const outside = join(dir.path, 'outside');
    mkdirSync(outside);
    // The run directory is replaced by a link to a directory holding a file of the same relative name.
    const top = info!.path.split('/')[0]!;
    const rest = info!.path.split('/').slice(1).join('/');
    mkdirSync(join(outside, rest, '..'), { recursive: true });
    writeFileSync(join(outside, rest), 'not yours');
    const { renameSync } = await import('node:fs');
    renameSync(join(repo.root, top), join(dir.path, 'moved-away'));
    symlinkSync(outside, join(repo.root, top));
    await expectCode(repo.datastore.removeArtifact(info!), 'PATH_TRAVERSAL');
    expect(readFileSync(join(outside, rest), 'utf8')).toBe('not yours');
    await repo.close();
  });
});

describe('exportDatasets stays inside its output directory', () => {
  it('refuses to copy through a directory of the output that is a link out of it', async () => {
    const repo = await makeRepo(join(dir.path, 'repo'));
    await repo.put(
      { summary: {}, output: {}, data: [] },
      'metrics',
      { instrument: 'Cam1', visit: 1 },
      { run: 'run' },
    );
    const refs = await repo.registry.queryDatasets('metrics', { collections: ['*'] });
    const out = join(dir.path, 'out');
    const outside = join(dir.path, 'outside');
    mkdirSync(out);
    mkdirSync(outside);
    symlinkSync(outside, join(out, 'run'));
    await expectCode(
      exportDatasets(repo, join(out, 'export.yaml'), refs, { directory: out }),
      'PATH_TRAVERSAL',
    );
    expect(readdirSync(outside)).toEqual([]);
    expect(existsSync(join(out, 'export.yaml'))).toBe(false);
    await repo.close();
  });
});
