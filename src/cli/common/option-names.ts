import type { Command } from 'commander';
import { isMeridianError, meridianError } from '../../errors.js';

/**
 * Library validation errors name the library's option (`survey option detectorSize: …`, from a zod path); a
 * command-line user typed `--detector-size`. These helpers rewrite such an error to name the flag.
 */

/**
 * Library option name → command-line flag, for `command`: each option's commander attribute name
 * (`detectorSize` for `--detector-size`), plus `renamed` for library options the command spells differently
 * (`{ radiusDeg: 'radius' }` when `--radius` fills `radiusDeg`).
 */
export function flagNames(
  command: Command,
  renamed: Readonly<Record<string, string>> = {},
): ReadonlyMap<string, string> {
  const names = new Map<string, string>();
  for (const option of command.options) {
    if (option.long !== undefined) names.set(option.attributeName(), option.long);
  }
  for (const [libraryName, attribute] of Object.entries(renamed)) {
    const flag = names.get(attribute);
    if (flag !== undefined) names.set(libraryName, flag);
  }
  return names;
}

/** The library option an INVALID_ARGUMENT error is about: `details.option`, else the first zod issue's path. */
function optionOf(details: Readonly<Record<string, unknown>>): string | undefined {
  if (typeof details.option === 'string') return details.option;
  const issues = details.issues;
  if (Array.isArray(issues) && issues.length > 0) {
    const path = (issues[0] as { path?: unknown }).path;
    if (Array.isArray(path)) return path.join('.');
    if (typeof path === 'string') return path;
  }
  return undefined;
}

/**
 * The same error with the flag in place of the library option name (message, and `details.option`), or `err`
 * itself when it names no option the command has.
 */
export function renameOptionInError(err: unknown, flags: ReadonlyMap<string, string>): unknown {
  if (!isMeridianError(err) || err.code !== 'INVALID_ARGUMENT') return err;
  const details = err.details ?? {};
  const option = optionOf(details);
  const flag = option === undefined ? undefined : flags.get(option);
  if (option === undefined || flag === undefined) return err;
  const word = new RegExp(`(?<![\\w-])${option.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`);
  if (!word.test(err.message)) return err;
  return meridianError(
    'INVALID_ARGUMENT',
    err.message.replace(word, flag),
    { ...details, option: flag },
    err,
  );
}

/** Run a library call whose validation errors should name the flags of `command` (see `flagNames`). */
export async function withFlagNames<T>(
  command: Command,
  call: () => Promise<T>,
  renamed: Readonly<Record<string, string>> = {},
): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw renameOptionInError(err, flagNames(command, renamed));
  }
}

/**
 * The same coded error with each of the library's words for an option (`numStripes`) replaced by the flag
 * (`--stripes`), for library errors that name a parameter in their message rather than in their details.
 */
export function renameWordsInError(err: unknown, words: Readonly<Record<string, string>>): unknown {
  if (!isMeridianError(err)) return err;
  let message = err.message;
  for (const [word, flag] of Object.entries(words)) {
    message = message.replace(new RegExp(`(?<![\\w-])${word}(?![\\w-])`, 'g'), flag);
  }
  return message === err.message ? err : meridianError(err.code, message, err.details, err);
}

/** Run a library call whose errors should say `words`' flags instead of the library's parameter names. */
export async function withFlagWords<T>(
  words: Readonly<Record<string, string>>,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw renameWordsInError(err, words);
  }
}
