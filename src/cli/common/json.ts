/**
 * JSON output for `--json` modes: one document on stdout and nothing else. BigInt values (TAI nanoseconds, large
 * IDs) become decimal strings because JSON numbers cannot hold them exactly.
 */

function replaceBigInt(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

export function toJsonText(value: unknown): string {
  return JSON.stringify(value, replaceBigInt, 2);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${toJsonText(value)}\n`);
}
