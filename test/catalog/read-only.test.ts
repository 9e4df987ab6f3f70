/**
 * A read-only open (`Catalog.open(dir, { readOnly: true })`): it writes nothing (the czar file and the director
 * index replica keep their bytes, even when the replica is missing), two processes have one catalog open read-only
 * at once and both query it, a read-write open beside them is CATALOG_BUSY (DuckDB's limit), writes are
 * CATALOG_READ_ONLY, and a crashed commit awaiting recovery is refused rather than served half-published.
 * The second process runs the built library (`dist/`, as the CLI tests do: `npm test` builds first).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIRECTOR_INDEX_FILE } from '../../src/catalog/director-index.js';
import { Catalog } from '../../src/catalog/index.js';
import { describePostgres } from '../support/postgres.js';
import { ingestOrder } from './fixtures/generate.js';
import { buildFixtureCatalog, dp02SchemaYaml, generateFixture, temporaryDir } from './helpers.js';
import { dropDatabase, freshDatabase, postgresUrl, uniqueName } from './postgres/setup.js';

const CHECKOUT = new URL('../..', import.meta.url).pathname;
const tmp = temporaryDir('read-only');
const fixture = generateFixture(join(tmp.dir, 'fixture'));
const objectId = String(fixture.sampleObjectIds[0]);
const COUNT = 'SELECT COUNT(*) AS n FROM Object';
const LOOKUP = `SELECT objectId, coord_ra FROM Object WHERE objectId = ${objectId}`;
let dir: string;

/**
 * Every data file of the catalog directory with a digest of its bytes. SQLite's -shm and -wal side files are left
 * out: a reader of a WAL database creates them (they are its locking protocol, not data).
 */
function snapshot(catalogDir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(catalogDir)
      .filter((name) => !/-(shm|wal)$/.test(name))
      .sort()
      .map((name) => [
        name,
        createHash('sha256')
          .update(readFileSync(join(catalogDir, name)))
          .digest('hex'),
      ]),
  );
}

/** A second process that opens the catalog read-only, queries it, prints the answers and holds it open. */
function startReader(catalogDir: string): { child: ChildProcess; answers: Promise<unknown[]> } {
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { Catalog } from './dist/catalog/index.js';
       const catalog = await Catalog.open(${JSON.stringify(catalogDir)}, { readOnly: true });
       const answers = [];
       for (const adql of ${JSON.stringify([COUNT, LOOKUP])}) {
         answers.push((await catalog.query(adql)).rows.map((r) => r.map(String)));
       }
       console.log(JSON.stringify(answers));
       setInterval(() => {}, 1000);`,
    ],
    { cwd: CHECKOUT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const answers = new Promise<unknown[]>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(JSON.parse(out));
    });
    child.on('exit', (code) => reject(new Error(`the reader process exited (${code})`)));
  });
  return { child, answers };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
}

const replicaOf = (catalog: Catalog) =>
  (catalog as unknown as { store: { replica: { checked: Map<string, boolean> } } }).store.replica;

const rowsOf = async (catalog: Catalog, adql: string) =>
  (await catalog.query(adql)).rows.map((r) => r.map(String));

beforeAll(async () => {
  const built = await buildFixtureCatalog(join(tmp.dir, 'a'), fixture);
  dir = built.dir;
  await built.close();
});

afterAll(() => tmp.remove());

describe('Catalog.open read-only', () => {
  it('two processes open one catalog read-only at once and both query it; nothing is written', async () => {
    const before = snapshot(dir);
    const reader = await Catalog.open(dir, { readOnly: true });
    const other = startReader(dir);
    try {
      const mine = [await rowsOf(reader, COUNT), await rowsOf(reader, LOOKUP)];
      const theirs = await other.answers;
      expect(Number(mine[0][0][0])).toBeGreaterThan(1000);
      expect(mine[1]).toHaveLength(1);
      expect(theirs).toEqual(mine);
      // Both still open: this process queries again while the other holds the catalog.
      expect(await rowsOf(reader, LOOKUP)).toEqual(mine[1]);
      // The lookup went through the director index replica (read-only), not the slower fallback on the czar.
      expect(replicaOf(reader).checked.get('Object')).toBe(true);
      // DuckDB admits no read-write process beside readers.
      await expect(Catalog.open(dir)).rejects.toMatchObject({ code: 'CATALOG_BUSY' });
    } finally {
      await stop(other.child);
      await reader.close();
    }
    expect(snapshot(dir)).toEqual(before);
  });

  it('refuses writes with CATALOG_READ_ONLY', async () => {
    await using reader = await Catalog.open(dir, { readOnly: true });
    await expect(reader.beginTransaction()).rejects.toMatchObject({ code: 'CATALOG_READ_ONLY' });
    await expect(reader.ingestFiles('Object', [fixture.Object])).rejects.toMatchObject({
      code: 'CATALOG_READ_ONLY',
      httpStatus: 403,
    });
    await expect(reader.abortTransaction(1)).rejects.toMatchObject({ code: 'CATALOG_READ_ONLY' });
  });

  it('answers director lookups from the czar when the replica is missing, without creating it', async () => {
    const copy = join(tmp.dir, 'no-replica');
    cpSync(dir, copy, { recursive: true });
    rmSync(join(copy, DIRECTOR_INDEX_FILE));
    const before = snapshot(copy);
    {
      await using reader = await Catalog.open(copy, { readOnly: true });
      const plan = await reader.plan(LOOKUP);
      expect(plan.chunks).toHaveLength(1);
      expect(await rowsOf(reader, LOOKUP)).toHaveLength(1);
      expect(replicaOf(reader).checked.get('Object')).toBe(false);
    }
    expect(existsSync(join(copy, DIRECTOR_INDEX_FILE))).toBe(false);
    expect(snapshot(copy)).toEqual(before);
  });

  it('refuses to serve a catalog whose commit was cut off by a crash', async () => {
    const copy = join(tmp.dir, 'crashed');
    cpSync(dir, copy, { recursive: true });
    // What a crash during a commit leaves: a transaction still publishing.
    const instance = await DuckDBInstance.create(join(copy, 'czar.duckdb'));
    const connection = await instance.connect();
    await connection.run("UPDATE _transactions SET state = 'publishing' WHERE id = 1");
    connection.closeSync();
    instance.closeSync();
    await expect(Catalog.open(copy, { readOnly: true })).rejects.toMatchObject({
      code: 'CATALOG_READ_ONLY',
      details: { transactionId: 1 },
    });
  });
});

describePostgres('Catalog.open read-only on a PostgreSQL worker', () => {
  let url: string;

  afterAll(async () => {
    if (url) await dropDatabase(url).catch(() => undefined);
  });

  it('queries the worker and refuses writes, writing nothing to the czar', async () => {
    url = await freshDatabase(postgresUrl as string, uniqueName('meridian_catro_read_only'));
    const pgDir = join(tmp.dir, 'pg');
    const writer = await Catalog.create(pgDir, {
      schemaYaml: dp02SchemaYaml,
      engine: { kind: 'postgres', workers: [url] },
    });
    for (const table of ingestOrder) await writer.ingestFiles(table, [fixture[table]]);
    const want = await rowsOf(writer, LOOKUP);
    await writer.close();
    const before = snapshot(pgDir);
    {
      await using reader = await Catalog.open(pgDir, { readOnly: true });
      expect(await rowsOf(reader, LOOKUP)).toEqual(want);
      await expect(reader.ingestFiles('Object', [fixture.Object])).rejects.toMatchObject({
        code: 'CATALOG_READ_ONLY',
      });
    }
    expect(snapshot(pgDir)).toEqual(before);
  });
});
