/**
 * The download writers read back by a reference tool: STILTS votlint finds nothing wrong with the VOTable, and
 * STILTS reads the CSV and the VOTable to the same rows, with the 64-bit id exact and the quoted text intact.
 * Skips with a note without STILTS (MERIDIAN_TEST_TOOLS=1 makes that a failure, as in test/server).
 */

import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResultTable } from '../../src/portal/api/json-result.js';
import { displayedView, toCsv, toVotable } from '../../src/portal/results/export.js';

const run = promisify(execFile);
const stiltsAvailable = spawnSync('stilts', ['-version'], { stdio: 'ignore' }).status === 0;
const toolsRequired = process.env.MERIDIAN_TEST_TOOLS === '1';
if (!stiltsAvailable && !toolsRequired) console.warn('[portal export] stilts is not installed: skipping');

const table: ResultTable = {
  columns: [
    { name: 'objectId', datatype: 'long', unit: null, ucd: 'meta.id;meta.main' },
    { name: 'coord_ra', datatype: 'double', unit: 'deg', ucd: 'pos.eq.ra;meta.main' },
    { name: 'note', datatype: 'char', unit: null, ucd: null },
    { name: 'g_mag', datatype: 'double', unit: null, ucd: null },
  ],
  values: [
    [1651589610221862935n, 9007199254740993n],
    [62.1234567890123, null],
    ['a, "quoted" <b>&</b>', null],
    [21.5, null],
  ],
  rowCount: 2,
  status: 'OK',
};

describe.skipIf(!stiltsAvailable && !toolsRequired)('STILTS reads the downloads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portal3-export-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const view = displayedView(table, null, null);

  it('votlint reports nothing on the VOTable', async () => {
    const file = join(dir, 'result.vot');
    writeFileSync(file, toVotable(table, view));
    const { stdout, stderr } = await run('stilts', ['votlint', 'validate=true', `votable=${file}`]);
    expect(`${stdout}${stderr}`.trim()).toBe('');
  });

  it('reads the same rows from CSV and VOTable, the 19-digit id exact', async () => {
    const csv = join(dir, 'result.csv');
    const vot = join(dir, 'result.vot');
    writeFileSync(csv, toCsv(table, view));
    writeFileSync(vot, toVotable(table, view));
    const read = async (file: string, format: string) =>
      (
        await run('stilts', [
          'tpipe',
          `in=${file}`,
          `ifmt=${format}`,
          'ofmt=csv',
          'cmd=keepcols "objectId note"',
        ])
      ).stdout;
    const fromCsv = await read(csv, 'csv');
    expect(fromCsv).toContain('1651589610221862935,"a, ""quoted"" <b>&</b>"');
    expect(await read(vot, 'votable')).toBe(fromCsv);
  });
});
