import { readFileSync } from 'node:fs';

/** The package's version, shown by `--version` of every program (read from package.json, two levels up). */
export const MERIDIAN_VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
