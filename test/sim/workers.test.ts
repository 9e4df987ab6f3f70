/**
 * The worker-thread path. Under Vitest the simulator runs from TypeScript sources, where no compiled worker exists
 * and raws are rendered in the calling thread; here the simulator is transpiled to JavaScript (as `npm run build`
 * does) into a temporary directory and run with two worker threads, and its files must be byte-identical to the
 * in-process run.
 */

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { compiledWorkerPath } from '../../src/sim/workers.js';
import { removeTemporaryDirectories, SMALL_SURVEY, smallSurvey, temporaryDirectory } from './helpers.js';

afterAll(removeTemporaryDirectories);

const repo = fileURLToPath(new URL('../../', import.meta.url));

function sourceFiles(directory: string, recursive: boolean): string[] {
  return readdirSync(directory, { recursive, encoding: 'utf8' })
    .filter((p) => p.endsWith('.ts'))
    .map((p) => join(directory, p));
}

/** Transpile the simulator and the modules it imports (no type check: that is tsc's job) into `out`. */
function transpile(out: string): void {
  // The survey simulator is the top level of src/sim (src/sim/catalogs is a separate catalogue simulator).
  const sources = [
    join(repo, 'src/errors.ts'),
    ...sourceFiles(join(repo, 'src/sim'), false),
    ...['formats', 'sphere'].flatMap((d) => sourceFiles(join(repo, 'src', d), true)),
  ];
  for (const source of sources) {
    const { outputText } = ts.transpileModule(readFileSync(source, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      fileName: source,
    });
    const target = join(out, relative(join(repo, 'src'), source)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
  writeFileSync(join(out, 'package.json'), '{"type": "module"}\n');
  symlinkSync(join(repo, 'node_modules'), join(out, 'node_modules'), 'dir');
}

function digests(root: string): Record<string, string> {
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((p) =>
    statSync(join(root, p)).isFile(),
  );
  return Object.fromEntries(
    files.sort().map((f) => [
      f,
      createHash('sha256')
        .update(readFileSync(join(root, f)))
        .digest('hex'),
    ]),
  );
}

describe('rendering on worker threads', () => {
  it('runs in-process from TypeScript sources', () => {
    expect(compiledWorkerPath()).toBeUndefined();
  });

  it('compiled code renders on worker threads, byte-identical to the in-process run', async () => {
    const build = temporaryDirectory('build');
    transpile(build);
    const threadedOut = join(build, 'survey');
    const script = `
      import { simulateSurvey } from './sim/index.js';
      const result = await simulateSurvey({ ...${JSON.stringify(SMALL_SURVEY)}, workers: 2, outDir: ${JSON.stringify(threadedOut)} });
      console.log(JSON.stringify({ renderMode: result.renderMode }));
    `;
    writeFileSync(join(build, 'run.js'), script);
    const child = spawnSync(process.execPath, [join(build, 'run.js')], { encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout.trim().split('\n').pop()!)).toEqual({ renderMode: 'threads' });

    const inProcess = await smallSurvey('in-process');
    expect(inProcess.renderMode).toBe('in-process');
    expect(digests(threadedOut)).toEqual(digests(inProcess.outDir));
  });
});
