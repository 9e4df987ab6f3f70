/**
 * JSON output for `--json` modes: one document on stdout and nothing else. BigInt values (TAI nanoseconds, large
 * IDs) become decimal strings because JSON numbers cannot hold them exactly. Every program prints JSON through
 * here (documents, and the `{"error": ...}` document of a failed command), so they all agree on the spelling.
 */

function replaceBigInt(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

export function toJsonText(value: unknown): string {
  return JSON.stringify(value, replaceBigInt, 2);
}

/** One line of JSON, for a small value quoted inside a sentence of text output. */
export function toInlineJsonText(value: unknown): string {
  return JSON.stringify(value, replaceBigInt);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${toJsonText(value)}\n`);
}
