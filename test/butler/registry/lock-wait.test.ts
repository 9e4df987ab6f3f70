import { join } from 'node:path';
import { CompiledQuery } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { Butler } from '../../../src/butler/index.js';
import { tempDir } from '../../cli/helpers.js';
import { holdSqliteWriteLock } from './lock-holder.js';

/** `onWait`: a SQLite write that waits for another writer's lock says so once, then waits as long as before. */

const dir = tempDir('meridian-lock-wait-');
afterAll(() => dir.cleanup());

async function busyTimeout(butler: Butler): Promise<number> {
  const { rows } = await butler.registry.database.db.executeQuery<{ timeout: bigint }>(
    CompiledQuery.raw('PRAGMA busy_timeout'),
  );
  return Number(rows[0]!.timeout);
}

describe('SQLite registry onWait', () => {
  it('is called once when the write lock is held elsewhere for more than a second, and the write succeeds', async () => {
    const repo = join(dir.path, 'held');
    await (await Butler.create(repo)).close();
    const waits: string[] = [];
    const butler = await Butler.open(repo, { writeable: true, onWait: (what) => waits.push(what) });
    try {
      const holder = holdSqliteWriteLock(join(repo, 'gen3.sqlite3'), 2000);
      await holder.locked;
      const started = Date.now();
      await butler.registry.registerRun('run1');
      expect(Date.now() - started).toBeGreaterThan(1500);
      await holder.done;
      expect(waits).toEqual([expect.stringMatching(/^the write lock of the registry \S+gen3\.sqlite3 /)]);
      expect(await busyTimeout(butler)).toBe(60_000);
      // A free lock: no call.
      await butler.registry.registerRun('run2');
      expect(waits).toHaveLength(1);
    } finally {
      await butler.close();
    }
  });

  it('is not called for a wait shorter than the first attempt', async () => {
    const repo = join(dir.path, 'short');
    await (await Butler.create(repo)).close();
    const waits: string[] = [];
    const butler = await Butler.open(repo, { writeable: true, onWait: (what) => waits.push(what) });
    try {
      const holder = holdSqliteWriteLock(join(repo, 'gen3.sqlite3'), 300);
      await holder.locked;
      await butler.registry.registerRun('run1');
      await holder.done;
      expect(waits).toEqual([]);
      expect(await busyTimeout(butler)).toBe(60_000);
    } finally {
      await butler.close();
    }
  });
});
