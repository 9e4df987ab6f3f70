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

function count(text: string, what: 'error' | 'warning'): number {
  if (text.includes('verification OK')) return 0;
  const match = new RegExp(`(\\d+) ${what}`).exec(text);
  return match ? Number(match[1]) : what === 'error' ? -1 : 0;
}

/**
 * fitsverify's verdict on a file from its one-line (-q) summaries: errors from `fitsverify -q -e` (errors only) and
 * warnings from a full `fitsverify -q` run, where checksum mismatches are reported.
 */
export function fitsverify(path: string): { errors: number; warnings: number; text: string } {
  const errorsOnly = spawnSync('fitsverify', ['-q', '-e', path], { encoding: 'utf8' });
  const full = spawnSync('fitsverify', ['-q', path], { encoding: 'utf8' });
  const errorText = `${errorsOnly.stdout}${errorsOnly.stderr}`;
  const fullText = `${full.stdout}${full.stderr}`;
  return {
    errors: count(errorText, 'error'),
    warnings: count(fullText, 'warning'),
    text: `${errorText}${fullText}`,
  };
}
