import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Helpers for running the real `butler` program (`node bin/butler.js`) from tests. */

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const builtCli = join(root, 'dist/cli/butler.js');
const buildLock = join(root, 'dist/.cli-test-build.lock');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function isStale(): boolean {
  try {
    return statSync(builtCli).mtimeMs < newestMtime(join(root, 'src'));
  } catch {
    return true;
  }
}

/**
 * Build `dist/` with tsc when `dist/cli/butler.js` is older than any file in `src/`. Test files run in parallel
 * workers, so one builds while the others wait on a lock directory. Type errors in files other people are editing
 * do not stop tsc from emitting, so the exit status is ignored and only the output file is checked.
 */
export async function ensureBuilt(): Promise<void> {
  if (!isStale()) return;
  mkdirSync(join(root, 'dist'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(buildLock);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
      if (!isStale()) return;
    }
  }
  try {
    if (isStale()) {
      try {
        execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'ignore' });
      } catch {
        // Errors in other modules' work in progress; the CLI output is checked below.
      }
    }
  } finally {
    rmdirSync(buildLock);
  }
  statSync(builtCli);
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `node bin/butler.js ...args`; never rejects on a non-zero exit status. stdin is not a terminal. */
export function butler(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(root, 'bin/butler.js'), ...args],
      { cwd: root, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        done({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Run and expect success; the error message includes stderr so a failure is easy to read. */
export async function butlerOk(args: readonly string[]): Promise<string> {
  const r = await butler(args);
  if (r.code !== 0) throw new Error(`butler ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Run with --json and parse stdout (which must hold exactly one JSON document). */
export async function butlerJson<T = any>(args: readonly string[]): Promise<T> {
  return JSON.parse(await butlerOk([...args, '--json'])) as T;
}

export function tempDir(prefix = 'meridian-cli-'): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** Lines of a text table after the header and rule. */
export function tableBody(stdout: string): string[] {
  return stdout
    .trimEnd()
    .split('\n')
    .slice(2)
    .filter((l) => l.trim() !== '');
}

/** util-linux `script` runs a command on a pseudo-terminal, which is how the confirmation prompts are tested. */
export const hasScriptCommand = existsSync('/usr/bin/script');

function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Run butler with a terminal on stdin (through `script`), typing `input`; stdout and stderr come back together. */
export function butlerInTerminal(
  args: readonly string[],
  input: string,
): Promise<{ code: number; output: string }> {
  const command = [process.execPath, join(root, 'bin/butler.js'), ...args].map(shellQuote).join(' ');
  return new Promise((done) => {
    const child = spawn('/usr/bin/script', ['-qec', command, '/dev/null'], { cwd: root });
    let output = '';
    child.stdout.on('data', (d) => (output += String(d)));
    child.stderr.on('data', (d) => (output += String(d)));
    child.on('close', (code) => done({ code: code ?? 1, output }));
    child.stdin.end(input);
  });
}
