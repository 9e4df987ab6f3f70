/**
 * The director-index lookup replica (SQLite) agrees with the czar's index of record after ingest, after its file is
 * lost, and after a commit whose replica update never happened (a crash between the two commits).
 */

import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { DIRECTOR_INDEX_FILE } from '../../src/catalog/director-index.js';
import { Catalog } from '../../src/catalog/index.js';
import { generateFixture } from './fixtures/generate.js';
import { dp02SchemaYaml, temporaryDir } from './helpers.js';

const tmp = temporaryDir('director-index');
const fixture = generateFixture(join(tmp.dir, 'fixture'));
afterAll(() => tmp.remove());

/** Every objectId of the fixture with the chunk the catalog stored it in, read from the data, not the index. */
async function storedChunks(catalog: Catalog): Promise<Map<string, number>> {
  const chunks = new Map<string, number>();
  for await (const { chunkId, row } of catalog.scanTable('Object')) chunks.set(String(row[0]), chunkId);
  return chunks;
}

async function expectLookupsAgree(catalog: Catalog, sample: readonly [string, number][]): Promise<void> {
  for (const [id, chunk] of sample) {
    const plan = await catalog.plan(`SELECT objectId FROM Object WHERE objectId = ${id}`);
    expect(plan.chunks).toEqual([chunk]);
  }
  const ids = sample.map(([id]) => id);
  const plan = await catalog.plan(`SELECT objectId FROM Object WHERE objectId IN (${ids.join(', ')}, 1)`);
  expect(plan.chunks).toEqual([...new Set(sample.map(([, c]) => c))].sort((a, b) => a - b));
}

describe('director index replica', () => {
  const dir = join(tmp.dir, 'catalog');

  it('answers lookups with the chunks the rows were stored in', async () => {
    const catalog = await Catalog.create(dir, { schemaYaml: dp02SchemaYaml });
    try {
      await catalog.ingestFiles('Object', [fixture.Object]);
      const stored = [...(await storedChunks(catalog))];
      expect(stored.length).toBe(readFileSync(fixture.Object, 'utf8').trim().split('\n').length - 1);
      await expectLookupsAgree(
        catalog,
        stored.filter((_, i) => i % 17 === 0),
      );
      const missing = await catalog.plan('SELECT objectId FROM Object WHERE objectId = 42');
      expect(missing.chunks).toEqual([]);
      expect((await catalog.query('SELECT objectId FROM Object WHERE objectId = 42')).rows).toEqual([]);
    } finally {
      await catalog.close();
    }
  });

  it('is rebuilt from the czar when its file is lost', async () => {
    rmSync(join(dir, DIRECTOR_INDEX_FILE));
    const catalog = await Catalog.open(dir);
    try {
      const stored = [...(await storedChunks(catalog))];
      await expectLookupsAgree(
        catalog,
        stored.filter((_, i) => i % 13 === 0),
      );
    } finally {
      await catalog.close();
    }
  });

  it('is completed when a commit reached the czar but not the replica', async () => {
    // A crash between the czar's commit and the replica's rolls the replica's transaction back, rows and count
    // together: the replica is left without the last commit's keys.
    const db = new Database(join(dir, DIRECTOR_INDEX_FILE));
    const removed = db
      .prepare('SELECT key FROM "director_Object" ORDER BY key LIMIT 25')
      .pluck()
      .safeIntegers()
      .all() as bigint[];
    db.transaction(() => {
      db.prepare('DELETE FROM "director_Object" WHERE key <= ?').run(removed[removed.length - 1]);
      db.prepare("UPDATE replica_rows SET row_count = row_count - 25 WHERE table_name = 'Object'").run();
    })();
    db.close();
    expect(removed.length).toBe(25);
    const catalog = await Catalog.open(dir);
    try {
      const stored = await storedChunks(catalog);
      const sample = removed.map((k) => [String(k), stored.get(String(k)) as number] as [string, number]);
      await expectLookupsAgree(catalog, sample);
    } finally {
      await catalog.close();
    }
  });
});
