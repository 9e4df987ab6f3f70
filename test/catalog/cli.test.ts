/**
 * The `meridian catalog` commands end to end in process (the whole `meridian` program, see test/cli/in-process.ts): create, ingest, query in every format (the VOTable is
 * checked with astropy's parser when python3 with astropy is installed), stats, transaction, compare.
 */

import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeMeridianProgram } from '../../src/cli/meridian.js';
import { type CliResult, runInProcess } from '../cli/in-process.js';
import { generateFixture } from './fixtures/generate.js';
import { temporaryDir } from './helpers.js';

const tmp = temporaryDir('cli');
const fixture = generateFixture(join(tmp.dir, 'fixture'));
const schemaPath = new URL('../../config/catalog/dp02.yaml', import.meta.url).pathname;
const dir = join(tmp.dir, 'cat');

/** Run `meridian ...args` in process and return the whole result, whatever the exit status. */
function meridian(...args: string[]): Promise<CliResult> {
  return runInProcess(makeMeridianProgram(), args);
}

/** Run `meridian ...args`, expect exit status 0 and return stdout. */
async function run(...args: string[]): Promise<string> {
  const r = await meridian(...args);
  if (r.code !== 0) throw new Error(`meridian ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return r.stdout;
}

const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : null;
function astropyAvailable(): boolean {
  if (!python) return false;
  try {
    execFileSync(python, ['-c', 'import astropy.io.votable'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  await run('catalog', 'create', dir, '--schema', schemaPath);
  await run('catalog', 'ingest', dir, 'Object', fixture.Object);
});

afterAll(() => tmp.remove());

describe('meridian catalog', () => {
  const cone =
    "SELECT TOP 3 objectId, coord_ra, detect_isPrimary FROM Object WHERE CONTAINS(POINT('ICRS', coord_ra, coord_dec), CIRCLE('ICRS', 62, -37, 0.2)) = 1 ORDER BY objectId";

  it('prints a table, CSV and JSON', async () => {
    const table = await run('catalog', 'query', dir, cone);
    expect(table.split('\n')[0]).toMatch(/^objectId\s+coord_ra\s+detect_isPrimary$/);
    expect(table).toContain('(3 rows)');
    const csv = await run('catalog', 'query', dir, cone, '--format', 'csv');
    expect(csv.split('\r\n')[0]).toBe('objectId,coord_ra,detect_isPrimary');
    const json = JSON.parse(await run('catalog', 'query', dir, cone, '--format', 'json', '--maxrec', '2'));
    expect(json.rows).toHaveLength(2);
    expect(json.overflow).toBe(true);
    expect(json.columns[0]).toEqual({ name: 'objectId', datatype: 'long' });
  });

  it.skipIf(!astropyAvailable())('prints a VOTable that astropy parses, with units and UCDs', async () => {
    const votable = await run('catalog', 'query', dir, cone, '--format', 'votable', '--maxrec', '2');
    const path = join(tmp.dir, 'result.vot');
    writeFileSync(path, votable);
    const script = [
      'import sys, json',
      'from astropy.io.votable import parse',
      "v = parse(sys.argv[1], verify='exception')",
      't = v.get_first_table()',
      'print(json.dumps({"names": t.array.dtype.names, "n": len(t.array), "unit": str(t.fields[1].unit), "ucd": t.fields[1].ucd, "id": str(t.array[0][0]), "status": [i.value for i in v.resources[0].infos]}))',
    ].join('\n');
    const out = JSON.parse(execFileSync(python as string, ['-c', script, path], { encoding: 'utf8' }));
    expect(out.names).toEqual(['objectId', 'coord_ra', 'detect_isPrimary']);
    expect(out.n).toBe(2);
    expect(out.unit).toBe('deg');
    expect(out.ucd).toBe('pos.eq.ra;meta.main');
    const csv = await run('catalog', 'query', dir, cone, '--format', 'csv');
    expect(out.id).toBe(csv.split('\r\n')[1].split(',')[0]);
    expect(out.status).toEqual(['OK', 'OVERFLOW']);
  });

  it('shows stats, runs an explicit transaction and compares', async () => {
    const txId = (await run('catalog', 'transaction', 'begin', dir)).trim();
    expect(await run('catalog', 'ingest', dir, 'Visit', fixture.Visit, '--transaction-id', txId)).toContain(
      'still open',
    );
    expect(await run('catalog', 'stats', dir)).toContain(`open: ${txId}`);
    await run('catalog', 'transaction', 'commit', dir, txId);
    const stats = JSON.parse(await run('catalog', 'stats', dir, '--json'));
    expect(stats.tables.find((t: { name: string }) => t.name === 'Visit').rows).toBe(40);
    const other = join(tmp.dir, 'other');
    await run('catalog', 'create', other, '--schema', schemaPath);
    await run('catalog', 'ingest', other, 'Object', fixture.Object);
    const compared = await meridian('catalog', 'compare', dir, other);
    expect(compared.code).toBe(1);
    const report = compared.stdout;
    expect(report).toContain('same      Object: 3190 / 3190 rows');
    expect(report).toContain('DIFFERENT Visit: 40 / 0 rows');
    expect(report).toMatch(/chunk -1: 40 \/ 0 rows; missing-in-b 40 \(190000, 190001/);
  });

  it('ingests a directory of tables in dependency order', async () => {
    const loaded = join(tmp.dir, 'loaded');
    await run('catalog', 'create', loaded, '--schema', schemaPath);
    const out = await run('catalog', 'ingest-dir', loaded, fixture.dir);
    const order = out.split('\n').map((l) => l.split(':')[0]);
    expect(order.indexOf('Visit')).toBeLessThan(order.indexOf('Object'));
    expect(order.indexOf('Object')).toBeLessThan(order.indexOf('ForcedSource'));
    expect(out).toContain('ForcedSourceOnDiaObject: 1200 rows from 1 file(s)');
  });

  it('reports failures with a code and a hint, and with --json as an error document on stdout', async () => {
    const missing = join(tmp.dir, 'nowhere');
    const text = await meridian('catalog', 'stats', missing);
    expect(text.code).toBe(1);
    expect(text.stdout).toBe('');
    expect(text.stderr).toBe(
      `meridian: error [CATALOG_NOT_FOUND]: no catalog database at ${missing} (catalog.json is missing)\n` +
        '  hint: Create one with `meridian catalog create`.\n',
    );
    const json = await meridian('catalog', 'stats', missing, '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).error).toMatchObject({
      code: 'CATALOG_NOT_FOUND',
      details: { dir: missing },
    });
    const syntax = await meridian('catalog', 'query', dir, 'SELEC x');
    expect(syntax.code).toBe(1);
    expect(syntax.stderr).toMatch(/^meridian: error \[ADQL_SYNTAX\]: .*line 1, column 1/);
    const usage = await meridian(
      'catalog',
      'create',
      join(tmp.dir, 'pg'),
      '--schema',
      schemaPath,
      '--engine',
      'postgres',
    );
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--engine postgres needs --workers');
    expect(existsSync(join(tmp.dir, 'pg'))).toBe(false);
    const badNumber = await meridian('catalog', 'query', dir, 'SELECT 1', '--maxrec', 'ten');
    expect(badNumber.code).toBe(2);
    expect(badNumber.stderr).toContain("expected a non-negative integer, got 'ten'");
  });
});
