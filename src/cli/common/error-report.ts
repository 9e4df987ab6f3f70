import { basename } from 'node:path';
import { fileSystemError } from '../../butler/index.js';
import { ERROR_CODES, type ErrorCode, isMeridianError } from '../../errors.js';
import { printJson } from './json.js';

/** What a failed command reports, on stderr as text and (with `--json`) on stdout as `{"error": ...}`. */
export interface CliErrorReport {
  readonly code: ErrorCode;
  readonly message: string;
  readonly hint: string;
  readonly details: Readonly<Record<string, unknown>>;
}

export interface HandleErrorOptions {
  /** Program name shown before each message (`butler: error [...]`); default: the running script's name. */
  readonly program?: string;
  /** Also write the JSON error document to stdout. */
  readonly json?: boolean;
  /** Print the stack of unexpected errors (set by `MERIDIAN_DEBUG=1`). */
  readonly debug?: boolean;
}

/** A coded report for any thrown value: Meridian errors keep their code; anything else is INTERNAL. */
export function describeError(err: unknown): CliErrorReport {
  if (isMeridianError(err)) {
    return {
      code: err.code,
      message: err.message,
      hint: ERROR_CODES[err.code].hint,
      details: { ...(err.details ?? {}) },
    };
  }
  // A file-system refusal from the operating system (EACCES, ENOSPC, ...) is the environment, not a bug.
  const fsError = fileSystemError(err, 'complete the command');
  if (fsError !== err) return describeError(fsError);
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message, hint: ERROR_CODES.INTERNAL.hint, details: {} };
}

/**
 * Report a failed command and return the exit status (1). Matches on the error's code, never its class, so that
 * errors from another copy of the package are recognised too.
 */
export function handleCliError(err: unknown, options: HandleErrorOptions = {}): number {
  const report = describeError(err);
  const program = options.program ?? basename(process.argv[1] ?? 'meridian', '.js');
  const debug = options.debug ?? process.env.MERIDIAN_DEBUG === '1';
  const lines = [`${program}: error [${report.code}]: ${report.message}`];
  // A where-expression syntax error carries the offending line with a caret under the column.
  if (typeof report.details.excerpt === 'string') {
    lines.push(...report.details.excerpt.split('\n').map((l) => `    ${l}`));
  }
  lines.push(`  hint: ${report.hint}`);
  if (report.code === 'INTERNAL' && debug && err instanceof Error && err.stack) lines.push(err.stack);
  else if (report.code === 'INTERNAL' && !debug)
    lines.push('  (set MERIDIAN_DEBUG=1 to see the stack trace)');
  process.stderr.write(`${lines.join('\n')}\n`);
  if (options.json) printJson({ error: report });
  return 1;
}
