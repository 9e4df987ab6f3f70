/**
 * The reference tools the FITS tests compare against: Debian's fitsverify and astropy under the system Python.
 * Missing tools skip their tests with a visible note, unless MERIDIAN_TEST_TOOLS=1, where they must be present.
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const SYSTEM_PYTHON = '/usr/bin/python3';
const toolsRequired = process.env.MERIDIAN_TEST_TOOLS === '1';

function runs(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return result.error === undefined && result.status !== 127;
}

export const fitsverifyAvailable = runs('fitsverify', ['-q', '/dev/null']);
export const astropyAvailable =
  spawnSync(SYSTEM_PYTHON, ['-c', 'import astropy.io.fits, astropy.wcs'], { stdio: 'ignore' }).status === 0;

/** True when the suite should be skipped; prints why, so a skip is never silent. */
export function skipWithout(tool: string, available: boolean): boolean {
  if (available || toolsRequired) return false;
  console.warn(
    `[formats tests] ${tool} is not installed: skipping its tests (MERIDIAN_TEST_TOOLS=1 makes this fail)`,
  );
  return true;
}

/** Run one of the scripts in test/formats/py with the system Python and parse its JSON output. */
export function runPython<T>(script: string, args: string[], input?: string): T {
  const path = fileURLToPath(new URL(`./py/${script}`, import.meta.url));
  const stdout = execFileSync(SYSTEM_PYTHON, [path, ...args], {
    encoding: 'utf8',
    input,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as T;
}

/** fitsverify's verdict on a file: the error and warning counts from its one-line (-q) summary. */
export function fitsverify(path: string): { errors: number; warnings: number; text: string } {
  const result = spawnSync('fitsverify', ['-q', '-e', path], { encoding: 'utf8' });
  const text = `${result.stdout}${result.stderr}`;
  if (text.includes('verification OK')) return { errors: 0, warnings: 0, text };
  const errors = /(\d+) error/.exec(text);
  const warnings = /(\d+) warning/.exec(text);
  return { errors: errors ? Number(errors[1]) : -1, warnings: warnings ? Number(warnings[1]) : 0, text };
}
