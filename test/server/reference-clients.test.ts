/**
 * The reference clients against a live server on the fixture catalog: STILTS taplint (0 errors and 0 warnings on
 * the stages this service covers) and pyvo (the system Python's Debian package). Missing tools skip with a note,
 * unless MERIDIAN_TEST_TOOLS=1, where they must be present (CI).
 */

import { execFile, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { buildFixtureCatalog, generateFixture, temporaryDir } from '../catalog/helpers.js';
import { SCHEMA } from './helpers.js';

const run = promisify(execFile);
const SYSTEM_PYTHON = '/usr/bin/python3';
const toolsRequired = process.env.MERIDIAN_TEST_TOOLS === '1';
const stiltsAvailable = spawnSync('stilts', ['-version'], { stdio: 'ignore' }).status === 0;
const pyvoAvailable = spawnSync(SYSTEM_PYTHON, ['-c', 'import pyvo'], { stdio: 'ignore' }).status === 0;

function skipWithout(tool: string, available: boolean): boolean {
  if (available || toolsRequired) return false;
  console.warn(`[server tests] ${tool} is not installed: skipping (MERIDIAN_TEST_TOOLS=1 makes this fail)`);
  return true;
}

/** Stages this service covers: everything but ObsCore and ObsLocTAP (not served). docs/tap.md lists them. */
const TAPLINT_STAGES = '-OBS -LOC';

const tmp = temporaryDir('server-clients');
let server: RunningServer;
beforeAll(async () => {
  if (!(stiltsAvailable || pyvoAvailable || toolsRequired)) return;
  const catalog = await buildFixtureCatalog(tmp.dir, generateFixture(`${tmp.dir}/fixture`));
  const dir = catalog.dir;
  await catalog.close();
  server = await startServer({ catalog: dir, port: 0, auth: { allowAnonymous: true } });
});
afterAll(async () => {
  await server?.close();
  tmp.remove();
});

describe.skipIf(skipWithout('stilts', stiltsAvailable))('STILTS taplint', () => {
  it('reports 0 errors and 0 warnings', async () => {
    const { stdout } = await run(
      'stilts',
      ['taplint', `tapurl=${server.tapUrl}`, `stages=${TAPLINT_STAGES}`],
      {
        maxBuffer: 64 * 1024 * 1024,
        timeout: 300_000,
      },
    );
    // taplint exits 0 whatever it finds: its verdict is the Totals line.
    const totals = /Totals: Errors: (\d+); Warnings: (\d+); Infos: \d+; Summaries: \d+; Failures: (\d+)/.exec(
      stdout,
    );
    expect(totals, stdout.slice(-3000)).not.toBeNull();
    const findings = stdout.split('\n').filter((line) => /^[EWF]-/.test(line));
    expect(findings, findings.join('\n')).toEqual([]);
    expect(totals?.slice(1).map(Number)).toEqual([0, 0, 0]);
    // Every stage we claim actually ran.
    for (const stage of [
      'TMV',
      'TME',
      'TMS',
      'TMC',
      'CPV',
      'CAP',
      'AVV',
      'QGE',
      'QPO',
      'MDQ',
      'EXA',
      'QAS',
      'UWS',
      'UPL',
    ]) {
      expect(stdout).toContain(`Section ${stage}:`);
    }
  }, 300_000);
});

describe.skipIf(skipWithout('stilts', stiltsAvailable))('STILTS reads our BINARY2', () => {
  it('with nulls, 64-bit ids, booleans and strings, as the same rows as our CSV', async () => {
    const query = `SELECT TOP 6 o.objectId, o.coord_ra, o.detect_isPrimary, o.g_psfFlux, c.band
      FROM ${SCHEMA}.Object AS o JOIN ${SCHEMA}.ForcedSource AS c ON c.objectId = o.objectId ORDER BY o.objectId, c.band`;
    const url = (format: string) =>
      `${server.tapUrl}/sync?${new URLSearchParams({ LANG: 'ADQL', QUERY: query, FORMAT: format })}`;
    const binary2 = `${tmp.dir}/result.b2.xml`;
    writeFileSync(binary2, await (await fetch(url('votable/b2'))).text());
    const { stdout } = await run(
      'stilts',
      ['tpipe', `in=${binary2}`, 'ifmt=votable', 'omode=out', 'ofmt=csv'],
      {
        timeout: 120_000,
      },
    );
    const ours = (await (await fetch(url('csv'))).text()).replaceAll('\r\n', '\n');
    // STILTS writes booleans as true/false and doubles in Java's shortest form, as our CSV does.
    expect(stdout.trim().split('\n')).toEqual(ours.trim().split('\n'));
    const nulls = await run(
      'stilts',
      [
        'tpipe',
        `in=${server.tapUrl}/sync?LANG=ADQL&FORMAT=votable/b2&QUERY=${encodeURIComponent('SELECT TOP 3 column_name, "size", unit FROM tap_schema.columns WHERE unit IS NULL')}`,
        'ifmt=votable',
        'omode=out',
        'ofmt=csv',
      ],
      { timeout: 120_000 },
    );
    expect(
      nulls.stdout
        .trim()
        .split('\n')
        .slice(1)
        .every((line) => line.endsWith(',,')),
    ).toBe(true);
  }, 120_000);
});

describe.skipIf(skipWithout('pyvo', pyvoAvailable))('pyvo', () => {
  it('runs sync queries, sees MAXREC overflow and query errors', async () => {
    const script = fileURLToPath(new URL('./py/pyvo_sync.py', import.meta.url));
    const { stdout } = await run(SYSTEM_PYTHON, [script, server.tapUrl, SCHEMA], { timeout: 120_000 });
    const seen = JSON.parse(stdout) as Record<string, unknown>;
    expect(seen.maxrec).toBe(100_000);
    expect(seen.hardlimit).toBe(10_000_000);
    expect(seen.rows).toBe(5);
    expect(seen.fields).toEqual(['objectId', 'coord_ra', 'coord_dec']);
    expect(seen.objectIdKind).toBe('i');
    expect((seen.objectIds as string[])[0]).toMatch(/^\d{19}$/);
    expect(seen.binary2ObjectIds).toEqual(seen.objectIds);
    expect(seen.raUnit).toBe('deg');
    expect(seen.overflowRows).toBe(3);
    expect(seen.overflowStatus).toBe('OVERFLOW');
    expect(seen.tapSchemaTables).toContain('tap_schema.columns');
    expect(seen.tapSchemaTables).toContain(`${SCHEMA}.Object`);
    expect(seen.vosiTables).toEqual(seen.tapSchemaTables);
    expect(seen.error).toMatch(/ADQL syntax error at line 1, column \d+/);
  }, 120_000);

  it('runs async jobs: run_async, and submit_job, run, wait, fetch_result, delete', async () => {
    const script = fileURLToPath(new URL('./py/pyvo_async.py', import.meta.url));
    const { stdout } = await run(SYSTEM_PYTHON, [script, server.tapUrl, SCHEMA], { timeout: 120_000 });
    expect(JSON.parse(stdout)).toEqual({
      runAsyncRows: 4,
      submittedPhase: 'PENDING',
      phase: 'COMPLETED',
      rows: 2,
      status: 'OVERFLOW',
      afterDelete: 'gone',
    });
  }, 120_000);

  it('uploads an astropy table and joins it with Object, sync and async', async () => {
    const script = fileURLToPath(new URL('./py/pyvo_upload.py', import.meta.url));
    const { stdout } = await run(SYSTEM_PYTHON, [script, server.tapUrl, SCHEMA], { timeout: 120_000 });
    const seen = JSON.parse(stdout) as {
      oracle: [number, string][];
      sync: [number, string][];
      async: [number, string][];
      asyncPhase: string;
    };
    // The script's own brute-force oracle: astropy separations between every Object and every position.
    const expected = seen.oracle;
    expect(expected.length).toBeGreaterThanOrEqual(25);
    expect(seen.sync).toEqual(expected);
    expect(seen.asyncPhase).toBe('COMPLETED');
    expect(seen.async).toEqual(expected);
  }, 120_000);
});
