/**
 * Publishing to PostgreSQL workers streams rows with `COPY … FROM STDIN`: a worker that cannot read any file of the
 * czar's host loads every row exactly.
 *
 * How the test proves the czar never writes a file the worker reads: the worker is a database owned by a role that
 * is neither superuser nor a member of `pg_read_server_files`, so its server refuses every `COPY … FROM 'file'` by
 * that role (the test shows the refusal), whatever the file and wherever the server runs. Ingest through that role
 * succeeds, so no row can have travelled through a file. The czar's temporary directory (TMPDIR) is also checked to
 * stay empty. A second worker whose table refuses some rows (a CHECK constraint) shows a copy failing half-way: the
 * commit fails with a coded error, and neither worker keeps a row of the transaction.
 */

import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Catalog, compareCatalogs } from '../../src/catalog/index.js';
import { describePostgres } from '../support/postgres.js';
import { ingestOrder } from './fixtures/generate.js';
import { buildFixtureCatalog, dp02SchemaYaml, generateFixture, temporaryDir } from './helpers.js';
import { dropDatabase, postgresUrl, uniqueName, urlWithDatabase } from './postgres/setup.js';

const tmp = temporaryDir('copy-stdin');

async function asAdmin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Strings that CSV quoting must carry exactly: quotes, separators, line breaks, empty text next to NULL. */
const stringsSchema = `
name: copy_strings
version: 1
tables:
  - name: Notes
    primaryKey: [id]
    partitioning:
      role: regular
    columns:
      - { name: id, datatype: long }
      - { name: flag, datatype: boolean }
      - { name: note, datatype: text }
      - { name: value, datatype: double }
`;
const strings: [number, boolean | null, string | null, number | null][] = [
  [1, true, 'plain', 0.1],
  [2, false, '', -0],
  [3, null, null, null],
  [4, true, 'with "quotes", commas, and\nnew\r\nlines', 1.7976931348623157e308],
  [5, false, '\\N', 5e-324],
  [6, true, 'héllo ✓ \t tab', Number.NaN],
];

describePostgres('COPY FROM STDIN to PostgreSQL workers', () => {
  const role = uniqueName('live_copy');
  const databases: string[] = [];
  let admin: string;
  let worker: string;
  const czarTmp = join(tmp.dir, 'czar-tmp');
  const savedTmp = process.env.TMPDIR;

  /** A database owned by the unprivileged role, with q3c installed by the administrator. */
  async function workerDatabase(name: string): Promise<string> {
    const database = uniqueName(name);
    await asAdmin(admin, (c) => c.query(`CREATE DATABASE "${database}" OWNER "${role}"`));
    const adminUrl = urlWithDatabase(admin, database);
    databases.push(adminUrl);
    await asAdmin(adminUrl, (c) => c.query('CREATE EXTENSION IF NOT EXISTS q3c'));
    const url = new URL(adminUrl);
    url.username = role;
    url.password = 'copy';
    return url.toString();
  }

  beforeAll(async () => {
    admin = postgresUrl as string;
    await asAdmin(admin, (c) => c.query(`CREATE ROLE "${role}" LOGIN PASSWORD 'copy' NOSUPERUSER`));
    worker = await workerDatabase('live_copy_w');
    mkdirSync(czarTmp, { recursive: true });
    process.env.TMPDIR = czarTmp;
  });

  afterAll(async () => {
    process.env.TMPDIR = savedTmp;
    for (const url of databases) await dropDatabase(url).catch(() => undefined);
    await asAdmin(admin, (c) => c.query(`DROP ROLE IF EXISTS "${role}"`)).catch(() => undefined);
    tmp.remove();
  });

  it("the worker's role cannot read a file of the server's host (what server-side COPY needed)", async () => {
    await asAdmin(worker, async (c) => {
      const { rows } = await c.query(
        "SELECT rolsuper, pg_has_role(current_user, 'pg_read_server_files', 'MEMBER') AS reads FROM pg_roles WHERE rolname = current_user",
      );
      expect(rows).toEqual([{ rolsuper: false, reads: false }]);
      await c.query('CREATE TABLE probe (line text)');
      await expect(c.query("COPY probe FROM '/etc/hostname'")).rejects.toMatchObject({ code: '42501' });
    });
  });

  it('loads every fixture table through the unprivileged worker, equal to the embedded engine', async () => {
    const fixture = generateFixture(join(tmp.dir, 'fixture'));
    const duck = await buildFixtureCatalog(join(tmp.dir, 'duck'), fixture);
    const onWorker = await Catalog.create(join(tmp.dir, 'pg'), {
      schemaYaml: dp02SchemaYaml,
      engine: { kind: 'postgres', workers: [worker] },
    });
    try {
      for (const table of ingestOrder) await onWorker.ingestFiles(table, [fixture[table]]);
      const comparison = await compareCatalogs(duck, onWorker);
      expect(comparison.tables.map((t) => t.table)).toContain('Object');
      expect(comparison.equal).toBe(true);
      const count = await onWorker.query('SELECT COUNT(*) AS n FROM Object');
      expect(Number(count.rows[0]?.[0])).toBeGreaterThan(1000);
    } finally {
      await duck.close();
      await onWorker.close();
    }
    // Nothing was written to the czar's temporary directory on the way.
    expect(existsSync(czarTmp) ? readdirSync(czarTmp) : []).toEqual([]);
  });

  it('carries quotes, separators, line breaks, empty strings apart from NULLs, and extreme doubles exactly', async () => {
    const parquet = join(tmp.dir, 'notes.parquet');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const values = strings
      .map(
        ([id, flag, note, value]) =>
          `(${id}, ${flag === null ? 'NULL' : flag}, ${note === null ? 'NULL' : `'${note.replaceAll("'", "''")}'`}, ${value === null ? 'NULL' : `CAST('${Object.is(value, -0) ? '-0.0' : String(value)}' AS DOUBLE)`})`,
      )
      .join(', ');
    await connection.run(
      `COPY (SELECT * FROM (VALUES ${values}) t(id, flag, note, value)) TO '${parquet}' (FORMAT parquet)`,
    );
    connection.closeSync();
    instance.closeSync();
    const database = await workerDatabase('live_copy_s');
    await using catalog = await Catalog.create(join(tmp.dir, 'strings'), {
      schemaYaml: stringsSchema,
      engine: { kind: 'postgres', workers: [database] },
    });
    await catalog.ingestFiles('Notes', [parquet]);
    const stored = await asAdmin(database, async (c) => {
      const { rows } = await c.query({
        text: 'SELECT id, flag, note, value::text AS value FROM notes ORDER BY id',
        rowMode: 'array',
      });
      return rows;
    });
    expect(stored).toEqual([
      ['1', 1, 'plain', '0.1'],
      ['2', 0, '', '-0'],
      ['3', null, null, null],
      ['4', 1, 'with "quotes", commas, and\nnew\r\nlines', '1.7976931348623157e+308'],
      ['5', 0, '\\N', '5e-324'],
      ['6', 1, 'héllo ✓ \t tab', 'NaN'],
    ]);
  });

  it('a copy that fails half-way aborts the commit on every worker with a coded error', async () => {
    const fixture = generateFixture(join(tmp.dir, 'fixture-2'), 7);
    const first = await workerDatabase('live_copy_f1');
    const second = await workerDatabase('live_copy_f2');
    await using catalog = await Catalog.create(join(tmp.dir, 'failing'), {
      schemaYaml: dp02SchemaYaml,
      engine: { kind: 'postgres', workers: [first, second] },
    });
    // Rows of the second worker past some position are refused by its table: the COPY fails after it started.
    await asAdmin(second, (c) =>
      c.query(
        'ALTER TABLE object ADD CONSTRAINT refuse_some CHECK (coord_dec < 1000 AND objectid % 97 <> 5)',
      ),
    );
    const failure = await catalog.ingestFiles('Object', [fixture.Object]).catch((err: unknown) => err);
    expect(failure).toMatchObject({ code: 'CATALOG_INGEST' });
    expect((failure as Error).message).toMatch(/refuse_some/);
    expect((failure as Error).message).not.toMatch(/COPY |SELECT /);
    const stats = await catalog.stats();
    expect(stats.transactions.at(-1)?.state).toBe('aborted');
    for (const url of [first, second]) {
      const left = await asAdmin(
        url,
        async (c) => (await c.query('SELECT COUNT(*)::int AS n FROM object')).rows,
      );
      expect(left).toEqual([{ n: 0 }]);
    }
  });
});
