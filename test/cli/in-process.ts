import { PassThrough } from 'node:stream';
import { format } from 'node:util';
import type { Command } from 'commander';
import { runProgram } from '../../src/cli/common/run-program.js';

/**
 * Run a Meridian program in the test's own process: the same commander program and the same `runProgram` (exit
 * status, error report, `--json` error document) as `bin/*.js`, without a Node start and a `dist/` build per
 * call. stdout and stderr are captured by swapping `process.stdout.write` / `process.stderr.write` (and the
 * console, which Vitest reroutes) for the duration of the run, stdin is a fake, and `process.exitCode` is put
 * back afterwards. Runs are queued one at a time because the streams they borrow are the process's own.
 */

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr interleaved in the order they were written, as a terminal shows them. */
  readonly output: string;
}

export interface InProcessOptions {
  /** Environment variables set for the run (undefined removes one), restored afterwards. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Text typed on a terminal: stdin then claims to be a TTY, so confirmation prompts ask and read this. Without
   * it stdin is an empty pipe, as for a program run from a script.
   */
  readonly terminalInput?: string;
  /** Text piped to stdin (not a terminal), e.g. a query for `-f -`. */
  readonly pipedInput?: string;
}

let queue: Promise<unknown> = Promise.resolve();

/** Run `body` after every earlier captured run has finished. */
function serialised<T>(body: () => Promise<T>): Promise<T> {
  const run = queue.then(body, body);
  queue = run.catch(() => undefined);
  return run;
}

type Write = typeof process.stdout.write;

function capturingWrite(sink: string[], output: string[]): Write {
  return ((chunk: string | Uint8Array, encodingOrDone?: unknown, done?: unknown) => {
    const text =
      typeof chunk === 'string'
        ? chunk
        : Buffer.from(chunk).toString(
            typeof encodingOrDone === 'string' ? (encodingOrDone as BufferEncoding) : 'utf8',
          );
    sink.push(text);
    output.push(text);
    const callback = typeof encodingOrDone === 'function' ? encodingOrDone : done;
    if (typeof callback === 'function') queueMicrotask(() => (callback as () => void)());
    return true;
  }) as Write;
}

function fakeStdin(terminalInput: string | undefined, pipedInput: string | undefined): NodeJS.ReadStream {
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
  if (terminalInput !== undefined) stdin.isTTY = true;
  stdin.end(terminalInput ?? pipedInput ?? '');
  return stdin as unknown as NodeJS.ReadStream;
}

/** Call `body` with stdout, stderr, the console and stdin redirected, and everything put back afterwards. */
export function captureOutput<T>(
  body: () => Promise<T>,
  options: InProcessOptions = {},
): Promise<{ readonly value: T; readonly stdout: string; readonly stderr: string; readonly output: string }> {
  // stderr is captured, never a terminal: progress lines stay off (as in a pipe) unless a test forces them on.
  const env = { MERIDIAN_PROGRESS: '0', ...options.env };
  return serialised(async () => {
    const out: string[] = [];
    const err: string[] = [];
    const both: string[] = [];
    const saved = {
      stdoutWrite: process.stdout.write,
      stderrWrite: process.stderr.write,
      console: {
        log: console.log,
        info: console.info,
        debug: console.debug,
        warn: console.warn,
        error: console.error,
      },
      stdin: Object.getOwnPropertyDescriptor(process, 'stdin'),
      exitCode: process.exitCode,
      env: Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]])),
    };
    const setEnv = (values: Record<string, string | undefined>) => {
      for (const [k, v] of Object.entries(values)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    };
    try {
      setEnv(env);
      process.stdout.write = capturingWrite(out, both);
      process.stderr.write = capturingWrite(err, both);
      const toStdout = (...args: unknown[]) => void process.stdout.write(`${format(...args)}\n`);
      const toStderr = (...args: unknown[]) => void process.stderr.write(`${format(...args)}\n`);
      Object.assign(console, {
        log: toStdout,
        info: toStdout,
        debug: toStdout,
        warn: toStderr,
        error: toStderr,
      });
      const stdin = fakeStdin(options.terminalInput, options.pipedInput);
      Object.defineProperty(process, 'stdin', { configurable: true, enumerable: true, get: () => stdin });
      const value = await body();
      return { value, stdout: out.join(''), stderr: err.join(''), output: both.join('') };
    } finally {
      process.stdout.write = saved.stdoutWrite;
      process.stderr.write = saved.stderrWrite;
      Object.assign(console, saved.console);
      if (saved.stdin !== undefined) Object.defineProperty(process, 'stdin', saved.stdin);
      process.exitCode = saved.exitCode;
      setEnv(saved.env);
    }
  });
}

/** Run `program` with `args` (what follows the program name on a command line); never rejects on a failure. */
export async function runInProcess(
  program: Command,
  args: readonly string[],
  options: InProcessOptions = {},
): Promise<CliResult> {
  const { value: code, ...streams } = await captureOutput(
    () => runProgram(program, ['node', program.name(), ...args]),
    options,
  );
  return { code, ...streams };
}
