/**
 * The packed package works from a scratch project: `npm pack` holds what the exports map names, and
 * `import { Butler } from 'meridian/butler'` (and the other entry points) load and type-check there.
 * Needs dist/ (npm test builds it first; this suite builds it when it is missing).
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ENTRY_POINTS = ['butler', 'catalog', 'sim', 'obs', 'sphere', 'formats', 'db', 'pool', 'server', 'pipe'];

let scratch: string;
let packed: string[];

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'index.js'))) {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  }
  scratch = mkdtempSync(join(tmpdir(), 'meridian-pack-'));
  // --ignore-scripts: pack the dist/ that is already built instead of building it again in `prepare`.
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const [info] = JSON.parse(out) as [{ filename: string; files: { path: string }[] }];
  packed = info.files.map((f) => f.path);
  const pkgDir = join(scratch, 'node_modules', 'meridian');
  mkdirSync(pkgDir, { recursive: true });
  execFileSync('tar', ['-xzf', join(scratch, info.filename), '-C', pkgDir, '--strip-components=1']);
  // The packed package's dependencies come from this checkout's node_modules (no download in a test).
  symlinkSync(join(ROOT, 'node_modules'), join(pkgDir, 'node_modules'), 'dir');
  writeFileSync(
    join(scratch, 'package.json'),
    JSON.stringify({ name: 'scratch', type: 'module', private: true }),
  );
}, 180_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('holds the compiled modules, the programs and the configuration, not sources or tests', () => {
    for (const m of ENTRY_POINTS) {
      expect(packed).toContain(`dist/${m}/index.js`);
      expect(packed).toContain(`dist/${m}/index.d.ts`);
    }
    expect(packed).toContain('bin/butler.js');
    expect(packed).toContain('bin/meridian.js');
    expect(packed).toContain('bin/pipetask.js');
    expect(packed).toContain('config/dimensions.yaml');
    expect(packed).toContain('config/catalog/dp02.yaml');
    expect(packed.filter((p) => p.startsWith('src/') || p.startsWith('test/'))).toEqual([]);
  });

  it('every entry point of the exports map loads from a scratch project', () => {
    const script = [
      ...ENTRY_POINTS.map((m, i) => `import * as m${i} from 'meridian/${m}';`),
      `import * as all from 'meridian';`,
      `console.log(JSON.stringify({ ${ENTRY_POINTS.map((m, i) => `${m}: Object.keys(m${i}).length`).join(', ')}, root: Object.keys(all) }));`,
    ].join('\n');
    writeFileSync(join(scratch, 'load.mjs'), script);
    const counts = JSON.parse(execFileSync('node', ['load.mjs'], { cwd: scratch, encoding: 'utf8' }));
    for (const m of ENTRY_POINTS) expect(counts[m]).toBeGreaterThan(3);
    expect(counts.root).toEqual(
      expect.arrayContaining(['butler', 'catalog', 'sim', 'obs', 'sphere', 'formats']),
    );
  });

  it("import { Butler } from 'meridian/butler' creates and reads a repository", () => {
    writeFileSync(
      join(scratch, 'butler.mjs'),
      [
        `import { Butler } from 'meridian/butler';`,
        `const butler = await Butler.create('repo');`,
        `await butler.registry.registerRun('u/scratch/run');`,
        `const runs = (await butler.registry.queryCollections()).map((c) => c.name);`,
        `await butler.close();`,
        `console.log(JSON.stringify(runs));`,
      ].join('\n'),
    );
    const out = execFileSync('node', ['butler.mjs'], { cwd: scratch, encoding: 'utf8' });
    expect(JSON.parse(out)).toContain('u/scratch/run');
  });

  it('the exports map gives TypeScript users the declarations', () => {
    writeFileSync(
      join(scratch, 'typed.ts'),
      [
        `import { Butler, DataCoordinate } from 'meridian/butler';`,
        `import { Catalog } from 'meridian/catalog';`,
        `import { Angle } from 'meridian/sphere';`,
        `export const used: [typeof Butler, typeof DataCoordinate, typeof Catalog, number] = [Butler, DataCoordinate, Catalog, Angle.fromDegrees(1).degrees];`,
      ].join('\n'),
    );
    writeFileSync(
      join(scratch, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          lib: ['ES2023', 'esnext.disposable'],
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ['typed.ts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    expect(() =>
      execFileSync('node', [tsc, '-p', scratch], { cwd: scratch, encoding: 'utf8' }),
    ).not.toThrow();
    expect(readFileSync(join(scratch, 'node_modules', 'meridian', 'package.json'), 'utf8')).toContain(
      '"exports"',
    );
  });
});
