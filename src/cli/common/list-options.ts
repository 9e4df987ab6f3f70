/**
 * Repeatable list options as upstream's `butler` takes them: `--collections a,b --collections c` means
 * [a, b, c]. Options are not variadic, so a positional argument after the option is never swallowed by it.
 */

/** Commander argument parser: append the comma-separated items of `value` to the list so far. */
export function appendCommaSeparated(value: string, previous: readonly string[] | undefined): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return [...(previous ?? []), ...items];
}

/** Commander argument parser for repeatable options whose values may contain commas (`--bind k=a,b`). */
export function appendValue(value: string, previous: readonly string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
