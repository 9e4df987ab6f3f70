/**
 * Keeps the module boundaries of docs/architecture.md: a module imports another only through that module's
 * index.ts, only the modules it is allowed to depend on, and only src/cli knows commander.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

/** Who may import whom (besides src/errors.ts, which every module may use). Keep in step with docs/architecture.md. */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  sphere: [],
  db: [],
  pool: [],
  formats: ['sphere'],
  butler: ['sphere', 'formats', 'db'],
  obs: ['butler', 'formats', 'sphere'],
  sim: ['obs', 'formats', 'sphere', 'pool'],
  catalog: ['sphere', 'formats', 'pool'],
  server: ['catalog', 'butler', 'formats', 'db', 'pool'],
  pipe: ['butler', 'sphere', 'pool'],
  tasks: ['pipe', 'butler', 'formats', 'sphere'],
  // The processed release into the catalog: where the butler's outputs meet the catalog database.
  release: ['butler', 'catalog', 'formats'],
  qa: ['butler', 'formats', 'sim', 'sphere'],
  // A browser application: it talks to the server over HTTP only (docs/portal.md).
  portal: [],
  demo: [
    'butler',
    'catalog',
    'formats',
    'obs',
    'sim',
    'sphere',
    'db',
    'pool',
    'pipe',
    'tasks',
    'qa',
    'release',
  ],
  cli: ['*'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

interface ImportEdge {
  readonly file: string;
  readonly specifier: string;
}

function importsOf(file: string): ImportEdge[] {
  const text = readFileSync(file, 'utf8');
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)'([^']+)'/g;
  return [...text.matchAll(pattern)].map((m) => ({ file: relative(SRC, file), specifier: m[1] }));
}

/** The top-level module of a path relative to src/ (`butler/registry/x.ts` → `butler`; `errors.ts` → `errors.ts`). */
function moduleOf(pathInSrc: string): string {
  return pathInSrc.split(sep)[0];
}

const edges = sourceFiles(SRC).flatMap(importsOf);

describe('module boundaries', () => {
  it('finds the source tree', () => {
    expect(edges.length).toBeGreaterThan(500);
  });

  it('a module reaches another only through its index.ts', () => {
    const bad = edges.filter((e) => {
      if (!e.specifier.startsWith('.')) return false;
      const target = normalize(join(dirname(e.file), e.specifier));
      const [from, to] = [moduleOf(e.file), moduleOf(target)];
      if (from === to || to.endsWith('.js') || from.endsWith('.ts')) return false;
      return target !== join(to, 'index.js');
    });
    expect(bad.map((e) => `${e.file} imports ${e.specifier}`)).toEqual([]);
  });

  it('a module depends only on the modules it may use', () => {
    const bad = edges.filter((e) => {
      if (!e.specifier.startsWith('.')) return false;
      const target = normalize(join(dirname(e.file), e.specifier));
      const [from, to] = [moduleOf(e.file), moduleOf(target)];
      if (from === to || to === 'errors.js' || from.endsWith('.ts')) return false;
      const allowed = ALLOWED[from];
      if (allowed === undefined) return true;
      return !(allowed.includes('*') || allowed.includes(to));
    });
    expect(bad.map((e) => `${e.file} imports ${e.specifier}`)).toEqual([]);
  });

  it('every top-level module is listed with its allowed dependencies', () => {
    const modules = new Set(edges.map((e) => moduleOf(e.file)).filter((m) => !m.endsWith('.ts')));
    expect([...modules].filter((m) => !(m in ALLOWED))).toEqual([]);
  });

  it('the Portal, which runs in a browser, imports no Node built-in (its Vite config aside)', () => {
    const bad = edges.filter(
      (e) =>
        moduleOf(e.file) === 'portal' &&
        !e.file.endsWith('vite.config.ts') &&
        e.specifier.startsWith('node:'),
    );
    expect(bad.map((e) => `${e.file} imports ${e.specifier}`)).toEqual([]);
  });

  it('only src/cli knows commander', () => {
    const bad = edges.filter((e) => e.specifier === 'commander' && moduleOf(e.file) !== 'cli');
    expect(bad.map((e) => e.file)).toEqual([]);
  });
});
