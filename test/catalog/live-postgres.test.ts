/**
 * Serving while ingesting on PostgreSQL workers. A commit loads its rows onto each worker (one worker transaction
 * each) before the czar records it, so a reader filters the workers' rows by transaction: it sees the transactions
 * its generation counts as committed and nothing else (`readerViews`). Two databases on the test server stand for
 * two workers.
 */

import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Catalog, LiveCatalog } from '../../src/catalog/index.js';
import { describePostgres } from '../support/postgres.js';
import { dp02SchemaYaml, generateFixture, temporaryDir } from './helpers.js';
import { dropDatabase, freshDatabase, postgresUrl, uniqueName } from './postgres/setup.js';

const CHECKOUT = new URL('../..', import.meta.url).pathname;
const COUNT = 'SELECT COUNT(*) AS n FROM Object';

describePostgres('LiveCatalog on PostgreSQL workers', () => {
  const tmp = temporaryDir('live-pg');
  const workers: string[] = [];
  let parts: string[];
  let serial = 0;

  beforeAll(async () => {
    const fixture = generateFixture(join(tmp.dir, 'fixture'));
    const [header, ...rows] = readFileSync(fixture.Object, 'utf8').trimEnd().split('\n');
    mkdirSync(join(tmp.dir, 'parts'));
    const size = Math.ceil(rows.length / 3);
    parts = [0, 1, 2].map((i) => {
      const path = join(tmp.dir, 'parts', `Object-${i}.csv`);
      writeFileSync(path, `${header}\n${rows.slice(i * size, (i + 1) * size).join('\n')}\n`);
      return path;
    });
  });

  afterAll(async () => {
    for (const url of workers) await dropDatabase(url).catch(() => undefined);
    tmp.remove();
  });

  /** A catalog on two fresh worker databases holding the first part of Object. */
  async function baseCatalog(): Promise<{ dir: string; urls: string[] }> {
    const urls: string[] = [];
    for (const w of [0, 1]) {
      urls.push(await freshDatabase(postgresUrl as string, uniqueName(`live_pg_${serial}_${w}`)));
    }
    workers.push(...urls);
    const dir = join(tmp.dir, `catalog-${serial++}`);
    await using catalog = await Catalog.create(dir, {
      schemaYaml: dp02SchemaYaml,
      engine: { kind: 'postgres', workers: urls },
    });
    await catalog.ingestFiles('Object', [parts[0] as string]);
    return { dir, urls };
  }

  const count = async (reader: { query: Catalog['query'] }) =>
    Number((await reader.query(COUNT)).rows[0]?.[0]);

  it('does not see rows a commit has loaded onto a worker but not yet recorded', async () => {
    const { dir, urls } = await baseCatalog();
    await using live = await LiveCatalog.open(dir);
    const before = await count(live);
    // What a commit in another process leaves between loading worker 0 and recording the transaction: rows of
    // transaction 2 on one worker only.
    const client = new pg.Client(urls[0]);
    await client.connect();
    try {
      await client.query('CREATE TEMPORARY TABLE copied AS SELECT * FROM object LIMIT 5');
      await client.query('UPDATE copied SET qserv_trans_id = 2, objectid = -objectid');
      const { rowCount } = await client.query('INSERT INTO object SELECT * FROM copied');
      expect(rowCount).toBe(5);
    } finally {
      await client.end();
    }
    expect(await count(live)).toBe(before);
    // A plain read-only open filters the same way; the read-write writer sees the worker as it is.
    {
      await using reader = await Catalog.open(dir, { readOnly: true });
      expect(await count(reader)).toBe(before);
    }
    {
      await using writer = await Catalog.open(dir);
      expect(await count(writer)).toBe(before + 5);
    }
  });

  it('answers before or after a commit by `meridian catalog ingest` in another process, never a part', async () => {
    const { dir } = await baseCatalog();
    await using live = await LiveCatalog.open(dir);
    const before = await count(live);
    const child = spawn(
      process.execPath,
      ['bin/meridian.js', 'catalog', 'ingest', dir, 'Object', ...parts.slice(1)],
      { cwd: CHECKOUT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    let finished = false;
    const exited = new Promise<number>((resolve) =>
      child.on('exit', (code) => {
        finished = true;
        resolve(code ?? -1);
      }),
    );
    const answers: number[] = [];
    while (!finished) answers.push(await count(live));
    expect(await exited, output).toBe(0);
    answers.push(await count(live));
    const after =
      before +
      parts.slice(1).reduce((n, p) => n + readFileSync(p, 'utf8').trimEnd().split('\n').length - 1, 0);
    for (const answer of answers) expect([before, after]).toContain(answer);
    expect(answers[0]).toBe(before);
    expect(answers.at(-1)).toBe(after);
  });
});
