/**
 * A failed ingest leaves nothing stuck (issue 9): a one-shot ingest checks every input before it begins and aborts
 * its own transaction when it fails later, so the same ingest run again succeeds with the right count; a duplicate
 * is only what is committed, and content staged in another open transaction is named with what to do; a one-shot
 * transaction whose process died is aborted on the next open; string lengths are checked; `ingestDirectory` refuses
 * the partial output of an interrupted `sim catalogs`.
 */

import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catalog, ingestDirectory } from '../../src/catalog/index.js';
import { makeMeridianProgram } from '../../src/cli/meridian.js';
import { simulateCatalogs } from '../../src/sim/catalogs/simulate.js';
import { runInProcess } from '../cli/in-process.js';
import { generateFixture } from './fixtures/generate.js';
import { dp02SchemaYaml, temporaryDir } from './helpers.js';

const tmp = temporaryDir('ingest-failures');
const schemaPath = new URL('../../config/catalog/dp02.yaml', import.meta.url).pathname;
const fixture = generateFixture(join(tmp.dir, 'fixture'));
let n = 0;
const newCatalog = () => Catalog.create(join(tmp.dir, `c${++n}`), { schemaYaml: dp02SchemaYaml });
const count = async (catalog: Catalog, table: string) =>
  Number((await catalog.query(`SELECT COUNT(*) AS n FROM ${table}`)).rows[0][0]);
const states = async (catalog: Catalog) => (await catalog.stats()).transactions.map((t) => t.state);
const storeOf = (catalog: Catalog) =>
  (catalog as unknown as { store: { connection: DuckDBConnection } }).store.connection;

/** The fixture's Visit rows split in two files, so an ingest has a good first file. */
const visitLines = readFileSync(fixture.Visit, 'utf8').trim().split('\n');
const visitA = join(tmp.dir, 'visit-a.csv');
const visitB = join(tmp.dir, 'visit-b.csv');
writeFileSync(visitA, `${[visitLines[0], ...visitLines.slice(1, 21)].join('\n')}\n`);
writeFileSync(visitB, `${[visitLines[0], ...visitLines.slice(21)].join('\n')}\n`);

afterAll(() => tmp.remove());

describe('a failed one-shot ingest leaves nothing open, and the retry succeeds', () => {
  const cases: [string, () => [string, string[]], string][] = [
    ['a missing second file', () => ['Visit', [visitA, join(tmp.dir, 'absent.csv')]], 'FILE_NOT_FOUND'],
    ['an unknown table', () => ['Visits', [visitA, visitB]], 'INVALID_ARGUMENT'],
    ['a directory given as a file', () => ['Visit', [visitA, join(tmp.dir, 'fixture')]], 'INVALID_ARGUMENT'],
    ['the same file twice', () => ['Visit', [visitA, visitB, visitA]], 'INVALID_ARGUMENT'],
    [
      'two files with the same content',
      () => {
        const copy = join(tmp.dir, 'visit-a-copy.csv');
        cpSync(visitA, copy);
        return ['Visit', [visitA, copy]];
      },
      'INVALID_ARGUMENT',
    ],
  ];
  it.each(cases)('%s', async (_, input, code) => {
    const catalog = await newCatalog();
    try {
      const [table, paths] = input();
      await expect(catalog.ingestFiles(table, paths)).rejects.toMatchObject({ code });
      // Checked before any transaction began: nothing staged, nothing open.
      expect(await states(catalog)).toEqual([]);
      await catalog.ingestFiles('Visit', [visitA, visitB]);
      expect(await count(catalog, 'Visit')).toBe(40);
      expect(await states(catalog)).toEqual(['committed']);
    } finally {
      await catalog.close();
    }
  });

  it('a second file that fails while staging aborts the transaction holding the good first file', async () => {
    const catalog = await newCatalog();
    try {
      const bad = join(tmp.dir, 'visit-bad.csv');
      writeFileSync(bad, `${visitLines[0]}\n${visitLines[21].replace(/^\d+/, 'not-a-number')}\n`);
      const err = await catalog.ingestFiles('Visit', [visitA, bad]).catch((e) => e);
      expect(err.code).toBe('CATALOG_INGEST');
      // The cause is the engine's own error, not an object wrapping it.
      expect(err.cause).toBeInstanceOf(Error);
      expect(err.cause.message).toMatch(/^Conversion Error/);
      expect(await states(catalog)).toEqual(['aborted']);
      await catalog.ingestFiles('Visit', [visitA, visitB]);
      expect(await count(catalog, 'Visit')).toBe(40);
    } finally {
      await catalog.close();
    }
  });
});

describe('duplicate contributions', () => {
  it('counts only committed data, and names an open transaction holding the same content', async () => {
    const catalog = await newCatalog();
    try {
      const tx = await catalog.beginTransaction();
      await catalog.contribute(tx, 'Visit', visitA);
      const pending = await catalog.ingestFiles('Visit', [visitA]).catch((e) => e);
      expect(pending.code).toBe('CATALOG_CONTRIBUTION_PENDING');
      expect(pending.details).toMatchObject({ transactionId: tx, table: 'Visit' });
      expect(pending.message).toMatch(
        new RegExp(
          `transaction ${tx}, which is still open .*commit it .*transaction commit DIR ${tx}.*abort it`,
        ),
      );
      expect(pending.hint).toMatch(/Commit that transaction .* or abort it/);
      // Contributing it again to the same open transaction is a duplicate of that transaction.
      await expect(catalog.contribute(tx, 'Visit', visitA)).rejects.toMatchObject({
        code: 'CATALOG_DUPLICATE_CONTRIBUTION',
        details: { transactionId: tx },
      });
      await catalog.abortTransaction(tx);
      // Aborted content is not there: the one-shot ingest now loads it.
      await catalog.ingestFiles('Visit', [visitA]);
      expect(await count(catalog, 'Visit')).toBe(20);
      const again = await catalog.ingestFiles('Visit', [visitA, visitB]).catch((e) => e);
      expect(again.code).toBe('CATALOG_DUPLICATE_CONTRIBUTION');
      expect(again.hint).toMatch(/the rows are already there/);
      await catalog.ingestFiles('Visit', [visitB]);
      expect(await count(catalog, 'Visit')).toBe(40);
      // The same one-shot ingest run again once everything is committed (killed before it reported): nothing to do.
      const rerun = await catalog.ingestFiles('Visit', [visitB]);
      expect(rerun).toMatchObject({ alreadyCommitted: true, contributions: [{ path: visitB, rows: 20 }] });
      expect(await count(catalog, 'Visit')).toBe(40);
    } finally {
      await catalog.close();
    }
  });
});

describe('abandoned one-shot transactions', () => {
  it('are aborted on the next open; explicit transactions stay open', async () => {
    const first = await newCatalog();
    const dir = first.dir;
    const explicit = await first.beginTransaction();
    await first.contribute(explicit, 'Visit', visitA);
    const oneShot = await first.beginTransaction();
    await first.contribute(oneShot, 'Object', fixture.Object);
    // What a one-shot ingest killed before its commit leaves: its transaction started, owned by a dead process.
    await storeOf(first).run(
      'UPDATE _transactions SET ownerHost = ?, ownerPid = ?, ownerToken = ? WHERE id = ?',
      [hostname(), 2 ** 22 + 1, 'killed-process', oneShot],
    );
    await first.close();
    const again = await Catalog.open(dir);
    try {
      expect((await again.stats()).transactions).toEqual([
        { id: explicit, state: 'started' },
        { id: oneShot, state: 'aborted' },
      ]);
      await again.ingestFiles('Object', [fixture.Object]);
      expect(await count(again, 'Object')).toBe(3190);
    } finally {
      await again.close();
    }
  });

  it('of a catalog still open in this process are left alone', async () => {
    const catalog = await newCatalog();
    try {
      const owner = (catalog as unknown as { owner: { token: string } }).owner;
      const tx = await catalog.beginTransaction();
      await storeOf(catalog).run('UPDATE _transactions SET ownerToken = ? WHERE id = ?', [owner.token, tx]);
      const { recoverAbandonedTransactions } = await import('../../src/catalog/ingest.js');
      const ctx = (
        catalog as unknown as { ingestContext: Parameters<typeof recoverAbandonedTransactions>[0] }
      ).ingestContext;
      expect(await recoverAbandonedTransactions(ctx, new Set([owner.token]))).toEqual([]);
      expect(await recoverAbandonedTransactions(ctx, new Set())).toEqual([tx]);
    } finally {
      await catalog.close();
    }
  });
});

describe('string lengths', () => {
  it('refuses a 31-character value in a char column of length 1, naming table, column, file, row and length', async () => {
    const catalog = await newCatalog();
    try {
      const header = visitLines[0].split(',');
      const band = header.indexOf('band');
      expect(band).toBeGreaterThanOrEqual(0);
      const rows = visitLines.slice(1, 6).map((line) => line.split(','));
      rows[2][band] = 'r'.repeat(31);
      const bad = join(tmp.dir, 'visit-long-band.csv');
      writeFileSync(bad, `${[header, ...rows].map((r) => r.join(',')).join('\n')}\n`);
      const err = await catalog.ingestFiles('Visit', [bad]).catch((e) => e);
      expect(err.code).toBe('CATALOG_INGEST');
      expect(err.details).toMatchObject({
        path: bad,
        table: 'Visit',
        column: 'band',
        row: 3,
        length: 31,
        maxLength: 1,
      });
      expect(err.message).toContain(`${bad}, row 3: column band of Visit holds a value of 31 characters`);
      expect(await states(catalog)).toEqual(['aborted']);
      expect(await count(catalog, 'Visit')).toBe(0);
    } finally {
      await catalog.close();
    }
  });
});

describe('ingestDirectory on the output of sim catalogs', () => {
  const sim = join(tmp.dir, 'sim');
  beforeAll(async () => {
    await simulateCatalogs({ outDir: sim, objects: 300, visits: 3, seed: 5 });
  }, 120_000);

  const copyOfSim = (name: string) => {
    const dir = join(tmp.dir, name);
    cpSync(sim, dir, { recursive: true });
    return dir;
  };

  it('refuses a directory without its manifest (the simulation did not finish) and ingests nothing', async () => {
    const partial = copyOfSim('sim-no-manifest');
    rmSync(join(partial, 'manifest.json'));
    const catalog = await newCatalog();
    try {
      const err = await ingestDirectory(catalog, partial).catch((e) => e);
      expect(err.code).toBe('CATALOG_INPUT_INCOMPLETE');
      expect(err.message).toMatch(/no manifest\.json.*the simulation did not finish; nothing was ingested/);
      expect(await states(catalog)).toEqual([]);
    } finally {
      await catalog.close();
    }
    // The command exits with the error instead of 0.
    const db = join(tmp.dir, 'cli-db');
    const cli = (...args: string[]) => runInProcess(makeMeridianProgram(), args);
    expect((await cli('catalog', 'create', db, '--schema', schemaPath)).code).toBe(0);
    const result = await cli('catalog', 'ingest-dir', db, partial);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/\[CATALOG_INPUT_INCOMPLETE\]/);
  });

  it('names the tables its manifest lists that are missing, and ingests nothing', async () => {
    const partial = copyOfSim('sim-missing-tables');
    rmSync(join(partial, 'ForcedSource'), { recursive: true });
    mkdirSync(join(partial, 'ForcedSource'));
    rmSync(join(partial, 'CcdVisit'), { recursive: true });
    const catalog = await newCatalog();
    try {
      const err = await ingestDirectory(catalog, partial).catch((e) => e);
      expect(err.code).toBe('CATALOG_INPUT_INCOMPLETE');
      expect(err.details.missing).toEqual(expect.arrayContaining(['ForcedSource', 'CcdVisit']));
      expect(err.details.missing).toHaveLength(2);
      expect(await states(catalog)).toEqual([]);
    } finally {
      await catalog.close();
    }
  });

  it('refuses a manifest that lists a file outside the directory', async () => {
    const hostile = copyOfSim('sim-hostile');
    const manifestPath = join(hostile, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    manifest.tables.Visit.files = ['../visit-a.csv'];
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const catalog = await newCatalog();
    try {
      await expect(ingestDirectory(catalog, hostile)).rejects.toMatchObject({ code: 'PATH_TRAVERSAL' });
      expect(await states(catalog)).toEqual([]);
    } finally {
      await catalog.close();
    }
  });

  it('finishes a load interrupted after some tables were committed when run again', async () => {
    const catalog = await newCatalog();
    try {
      const manifest = JSON.parse(readFileSync(join(sim, 'manifest.json'), 'utf8')) as {
        tables: Record<string, { rows: number; files: string[] }>;
      };
      // What a killed ingest-dir leaves: its first tables committed, one transaction each.
      await catalog.ingestFiles(
        'Visit',
        manifest.tables.Visit.files.map((f) => join(sim, f)),
      );
      await catalog.ingestFiles(
        'Object',
        manifest.tables.Object.files.map((f) => join(sim, f)),
      );
      const lines: string[] = [];
      const loaded = await ingestDirectory(catalog, sim, (line) => lines.push(line));
      expect(lines).toContain(
        `Visit: already loaded from these ${manifest.tables.Visit.files.length} file(s), skipped`,
      );
      expect(loaded.map((l) => l.table)).not.toContain('Object');
      expect(await count(catalog, 'Object')).toBe(manifest.tables.Object.rows);
      expect(await count(catalog, 'ForcedSource')).toBe(manifest.tables.ForcedSource.rows);
      expect((await states(catalog)).every((s) => s === 'committed')).toBe(true);
    } finally {
      await catalog.close();
    }
  });

  it('loads a complete directory: every table the manifest lists, with its row count', async () => {
    const catalog = await newCatalog();
    try {
      const loaded = await ingestDirectory(catalog, sim);
      const manifest = JSON.parse(readFileSync(join(sim, 'manifest.json'), 'utf8')) as {
        tables: Record<string, { rows: number; files: string[] }>;
      };
      for (const l of loaded) expect(l.rows).toBe(manifest.tables[l.table].rows);
      const listed = Object.entries(manifest.tables)
        .filter(([name, t]) => t.files.length > 0 && catalog.schema.tables.some((s) => s.name === name))
        .map(([name]) => name);
      expect(loaded.map((l) => l.table).sort()).toEqual(listed.sort());
    } finally {
      await catalog.close();
    }
  });
});
