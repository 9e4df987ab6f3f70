import { execFile, execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeButlerProgram } from '../../src/cli/butler.js';
import { makeMeridianProgram } from '../../src/cli/meridian.js';
import { type CliResult, runInProcess } from './in-process.js';

export type { CliResult } from './in-process.js';

/**
 * Helpers for running the `butler` and `meridian` programs from tests. `butler(...)` and `meridian(...)` run the
 * program in process (see in-process.ts); `spawnButler(...)`/`spawnMeridian(...)` run the real `bin/*.js` on a
 * `dist/` build, for the few end-to-end checks that need a real process (exit status, closed pipes, a terminal).
 */

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Run `butler ...args` in process; never rejects on a non-zero exit status. stdin is not a terminal. */
export function butler(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runInProcess(makeButlerProgram(), args, { env });
}

/** Run `meridian ...args` in process; never rejects on a non-zero exit status. stdin is not a terminal. */
export function meridian(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runInProcess(makeMeridianProgram(), args, { env });
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

/** Run butler in process with a terminal on stdin, typing `input`; stdout and stderr come back together. */
export async function butlerInTerminal(
  args: readonly string[],
  input: string,
): Promise<{ code: number; output: string }> {
  const r = await runInProcess(makeButlerProgram(), args, { terminalInput: input });
  return { code: r.code, output: r.output };
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

// ---- The real executables, for end-to-end tests ----

const builtPrograms = [
  join(root, 'dist/cli/butler.js'),
  join(root, 'dist/cli/meridian.js'),
  join(root, 'dist/cli/pipetask.js'),
];
/** Holds the PID of the test process that is building, so a lock left by a killed run can be broken. */
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
    const built = Math.min(...builtPrograms.map((p) => statSync(p).mtimeMs));
    return built < newestMtime(join(root, 'src'));
  } catch {
    return true;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take the build lock, or break it if the process that holds it has died; true when this process holds it. */
function tryTakeBuildLock(): boolean {
  try {
    writeFileSync(buildLock, String(process.pid), { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  let holder = Number.NaN;
  try {
    if (statSync(buildLock).isDirectory()) {
      // The lock directory of an older version of this helper, which held no PID: nobody can be building with it.
      rmSync(buildLock, { recursive: true, force: true });
      return false;
    }
    holder = Number.parseInt(readFileSync(buildLock, 'utf8'), 10);
  } catch {
    return false; // released meanwhile: try again
  }
  // An empty file is a lock being written right now; only a PID that is no longer running is stale.
  if (Number.isInteger(holder) && holder > 0 && !isRunning(holder)) rmSync(buildLock, { force: true });
  return false;
}

/**
 * Build `dist/` with tsc when a built program is older than any file in `src/`. Test files run in parallel
 * workers, so one builds while the others wait on the lock. Type errors in files other people are editing do not
 * stop tsc from emitting, so the exit status is ignored and only the output files are checked.
 */
export async function ensureBuilt(): Promise<void> {
  if (!isStale()) return;
  mkdirSync(join(root, 'dist'), { recursive: true });
  const deadline = Date.now() + 10 * 60_000;
  while (!tryTakeBuildLock()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for the build lock ${buildLock}`);
    await new Promise((r) => setTimeout(r, 250));
    if (!isStale()) return;
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
    rmSync(buildLock, { force: true });
  }
  for (const program of builtPrograms) statSync(program);
}

function spawnProgram(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
): Promise<Omit<CliResult, 'output'>> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(root, script), ...args],
      { cwd: root, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        done({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Run `node bin/butler.js ...args` (call ensureBuilt first); never rejects on a non-zero exit status. */
export function spawnButler(args: readonly string[], env: Record<string, string> = {}) {
  return spawnProgram('bin/butler.js', args, env);
}

/** Run `node bin/meridian.js ...args` (call ensureBuilt first); never rejects on a non-zero exit status. */
export function spawnMeridian(args: readonly string[], env: Record<string, string> = {}) {
  return spawnProgram('bin/meridian.js', args, env);
}

/** Run `node bin/pipetask.js ...args` (call ensureBuilt first); never rejects on a non-zero exit status. */
export function spawnPipetask(args: readonly string[], env: Record<string, string> = {}) {
  return spawnProgram('bin/pipetask.js', args, env);
}

/** util-linux `script` runs a command on a pseudo-terminal, which is how a real terminal prompt is tested. */
export const hasScriptCommand = existsSync('/usr/bin/script');

function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Run `bin/butler.js` on a pseudo-terminal (through `script`), typing `input`; stdout and stderr together. */
export function spawnButlerOnTerminal(
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

/**
 * Run `bin/meridian.js` with stdout and stderr on a pseudo-terminal (through `script`), as a user at a terminal
 * does; MERIDIAN_PROGRESS is removed from its environment so the terminal alone decides about progress lines.
 */
export function spawnMeridianOnTerminal(args: readonly string[]): Promise<{ code: number; output: string }> {
  const command = [process.execPath, join(root, 'bin/meridian.js'), ...args].map(shellQuote).join(' ');
  const { MERIDIAN_PROGRESS: _forced, ...env } = process.env;
  return new Promise((done) => {
    const child = spawn('/usr/bin/script', ['-qec', command, '/dev/null'], { cwd: root, env });
    let output = '';
    child.stdout.on('data', (d) => (output += String(d)));
    child.stderr.on('data', (d) => (output += String(d)));
    child.on('close', (code) => done({ code: code ?? 1, output }));
    child.stdin.end();
  });
}

/** Shell-quote a command line, for end-to-end tests that need a shell pipeline. */
export function shellCommand(args: readonly string[]): string {
  return args.map(shellQuote).join(' ');
}

export const repositoryRoot = root;
