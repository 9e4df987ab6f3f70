/**
 * Starting worker threads from TypeScript sources. Under Vitest (and any `.ts` run) there is no compiled worker entry
 * or task module, and Node 20 cannot load `.ts` files itself. A worker started with `--import <register>` gets module
 * hooks that transpile each `.ts` file with the `typescript` package (already a dev dependency: no new package, no
 * type check, just erasing types like `tsc --isolatedModules`) and map the `./x.js` specifiers of our sources to the
 * `./x.ts` file next to them, as TypeScript's NodeNext resolution does. Compiled code (dist/) never needs this.
 *
 * Both modules are `data:` URLs because they must be plain JavaScript in a TypeScript-only source tree; the hooks
 * run on Node's loader thread, which is why they receive the typescript path as registration data.
 */

import { existsSync, lstatSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { meridianError } from '../errors.js';

const HOOKS = `
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
let ts;
let typescriptPath;
let cacheDir;
export function initialize(data) {
  typescriptPath = data.typescriptPath;
  cacheDir = data.cacheDir;
}
async function transpile(url, source) {
  const key = createHash('sha256').update(url).update('\\0').update(source).digest('hex');
  const cached = cacheDir === null ? null : join(cacheDir, key + '.js');
  if (cached !== null) {
    try {
      return await readFile(cached, 'utf8');
    } catch {}
  }
  ts ??= createRequire(typescriptPath)(typescriptPath);
  const { outputText } = ts.transpileModule(source, {
    fileName: url,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      inlineSourceMap: true,
      inlineSources: true,
    },
  });
  if (cached === null) return outputText;
  const temporary = cached + '.' + process.pid + '.' + Math.random().toString(36).slice(2) + '.tmp';
  await mkdir(cacheDir, { recursive: true })
    .then(() => writeFile(temporary, outputText))
    .then(() => rename(temporary, cached))
    .catch(() => {});
  return outputText;
}
export async function resolve(specifier, context, nextResolve) {
  const parent = context.parentURL;
  if (parent && parent.startsWith('file:') && parent.endsWith('.ts') && /^\\.{1,2}\\/.*\\.js$/.test(specifier)) {
    const typescriptUrl = new URL(specifier.slice(0, -3) + '.ts', parent);
    if (existsSync(typescriptUrl)) return { url: typescriptUrl.href, format: 'module', shortCircuit: true };
  }
  return nextResolve(specifier, context);
}
export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const source = await readFile(new URL(url), 'utf8');
  return { format: 'module', source: await transpile(url, source), shortCircuit: true };
}
`;

/**
 * Transpiled modules are kept on disk, keyed by URL and source text, so that a worker started again (a pool's
 * replacement, each pipeline worker process) skips both loading `typescript` and transpiling: under load that is
 * most of a start.
 */
function transpileCacheDir(): string | null {
  const dir = join(
    tmpdir(),
    `meridian-ts-cache-${typeof process.getuid === 'function' ? process.getuid() : 'user'}`,
  );
  // The cache holds code this process will run, in a shared directory: use it only when it is ours and nobody else
  // can write to it (another user could otherwise create it first and plant modules).
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    const uid = typeof process.getuid === 'function' ? process.getuid() : st.uid;
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0) return null;
    return dir;
  } catch {
    return null;
  }
}

const dataUrl = (source: string): string => `data:text/javascript,${encodeURIComponent(source)}`;

let cachedArgv: readonly string[] | undefined;

/** `execArgv` for a worker thread that loads `.ts` modules. */
export function typeScriptWorkerArgv(): readonly string[] {
  if (cachedArgv) return cachedArgv;
  let typescriptPath: string;
  try {
    typescriptPath = createRequire(import.meta.url).resolve('typescript');
  } catch (err) {
    throw meridianError(
      'NOT_IMPLEMENTED',
      'worker threads can run TypeScript sources only when the typescript package is installed',
      {},
      err,
    );
  }
  const register = `import { register } from 'node:module';
register(${JSON.stringify(dataUrl(HOOKS))}, { data: ${JSON.stringify({ typescriptPath, cacheDir: transpileCacheDir() })} });`;
  cachedArgv = Object.freeze(['--import', dataUrl(register)]);
  return cachedArgv;
}

/**
 * The module a URL names, as it exists on disk: `x.js` that is missing next to an `x.ts` (a source tree run by Vitest
 * or another TypeScript runner) becomes `x.ts`. Non-file URLs are returned unchanged.
 */
export function existingModuleUrl(url: URL): URL {
  if (url.protocol !== 'file:' || !url.pathname.endsWith('.js') || existsSync(fileURLToPath(url))) return url;
  const typescript = new URL(url.href.replace(/\.js$/, '.ts'));
  return existsSync(fileURLToPath(typescript)) ? typescript : url;
}

export function needsTypeScript(url: URL): boolean {
  return url.protocol === 'file:' && url.pathname.endsWith('.ts');
}
