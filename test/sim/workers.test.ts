/**
 * The worker-thread path. Raws render on worker threads of the shared pool (src/pool) whenever more than one worker is
 * asked for, both from TypeScript sources (as Vitest runs them, through the pool's TypeScript loader) and from
 * compiled JavaScript: here the simulator is also transpiled to JavaScript (as `npm run build` does) into a temporary
 * directory and run with two worker threads. Every threaded run must be byte-identical to the in-process run.
 */

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTemporaryDirectories, SMALL_SURVEY, smallSurvey, temporaryDirectory } from './helpers.js';

afterAll(removeTemporaryDirectories);

const repo = fileURLToPath(new URL('../../', import.meta.url));

function sourceFiles(directory: string, recursive: boolean): string[] {
  return readdirSync(directory, { recursive, encoding: 'utf8' })
    .filter((p) => p.endsWith('.ts'))
    .map((p) => join(directory, p));
}

/** Transpile the sources (no type check: that is tsc's job) into `out`. */
function transpile(out: string): void {
  // The whole tree: the simulator imports obs and pool, and obs imports the butler.
  const sources = sourceFiles(join(repo, 'src'), true);
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
  it('TypeScript sources render on worker threads too, byte-identical to the in-process run', async () => {
    const threaded = await smallSurvey('ts-threads', { workers: 2 });
    expect(threaded.renderMode).toBe('threads');
    const inProcess = await smallSurvey('ts-in-process');
    expect(inProcess.renderMode).toBe('in-process');
    expect(digests(threaded.outDir)).toEqual(digests(inProcess.outDir));
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
