import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { RegistryDatabase } from './open.js';

/**
 * What the registry caches and how the cache stays correct.
 *
 * Collections (names, ids, types, docs), chain memberships and dataset types are read from memory. They change
 * rarely, and every change (in this process or another one writing the same database) also writes a new random
 * *cache token* (`butler_attributes.cache_token`) in the same transaction. The cache remembers the token its
 * contents belong to, and is used only when that token is still the database's:
 *
 * - a hot read (queryDatasets, findDataset) folds the check into its one SQL statement
 *   (`… AND (SELECT value FROM butler_attributes WHERE name = 'cache_token') = <token>`). Rows coming back prove
 *   the token was current in the statement's snapshot; an empty answer or an error is checked once more (one extra
 *   round trip), and if the token moved, the cache is reloaded and the read runs again;
 * - any other entry point reads the token first (`validated`, one small round trip) and reloads if it moved;
 * - a write re-reads the token inside its transaction, and its own change moves the token with a conditional
 *   UPDATE that also tells whether the cache was current (then the change is applied to the cache in place; if
 *   not, the cache is reloaded on next use). A rolled-back transaction leaves the cache holding a token the
 *   database never committed, so the next check reloads it.
 *
 * Tokens are random, never counters, so two different states never share one. Dimension records are cached
 * separately (DimensionRecordManager): they are only ever added, and `Registry.refresh` drops them.
 */
export const CACHE_TOKEN = 'cache_token';

export class RegistryCache {
  /** The token the cached contents belong to; null when they must be (re)loaded before use. */
  private token: string | null = null;
  private readonly loaders: (() => Promise<void>)[] = [];
  /** Set while a call runs with the cache already checked (or its check folded into the SQL). */
  private readonly checkedScope = new AsyncLocalStorage<true>();

  constructor(private readonly database: RegistryDatabase) {}

  /** Managers register how to reload their part; all parts are reloaded together. */
  addLoader(load: () => Promise<void>): void {
    this.loaders.push(load);
  }

  private async readToken(): Promise<string> {
    const row = await this.database
      .executor()
      .selectFrom('butler_attributes')
      .select('value')
      .where('name', '=', CACHE_TOKEN)
      .executeTakeFirst();
    return row === undefined ? '' : String(row.value);
  }

  /**
   * Reload everything. The token is read first: a change committed between that read and the loads leaves the
   * cache newer than its token, which the next check sees as stale and reloads again (never the other way round).
   */
  private async reload(): Promise<void> {
    const token = await this.readToken();
    this.token = null;
    for (const load of this.loaders) await load();
    this.token = token;
  }

  /** Reload before the next use, whatever the token says. */
  invalidate(): void {
    this.token = null;
  }

  /** Make sure the cache matches the database (one round trip), unless the current call already did. */
  async ensureFresh(): Promise<void> {
    if (this.checkedScope.getStore() !== undefined && this.token !== null) return;
    if (this.token === null || (await this.readToken()) !== this.token) await this.reload();
  }

  /**
   * For writers, inside their transaction: check the token whatever the scope, so that the write's decisions (does
   * this collection exist?) are taken on what the transaction sees, then run `fn` without further checks.
   */
  async writing<T>(fn: () => Promise<T>): Promise<T> {
    if (this.token === null || (await this.readToken()) !== this.token) await this.reload();
    return this.checkedScope.run(true, fn);
  }

  /** Whether the database's token moved away from the cache's; reloads if so. */
  private async reloadIfStale(): Promise<boolean> {
    if (this.token !== null && (await this.readToken()) === this.token) return false;
    await this.reload();
    return true;
  }

  /** Run `fn` with the cache checked once at the start (nested calls do not check again). */
  async validated<T>(fn: () => Promise<T>): Promise<T> {
    if (this.checkedScope.getStore() !== undefined) return fn();
    await this.ensureFresh();
    return this.checkedScope.run(true, fn);
  }

  /**
   * Run a read that folds the cache check into its SQL: `fn` gets the condition to AND into its statement and
   * says whether its answer is `confirmed` (some statement returned rows, so the token matched). An unconfirmed
   * answer or an error is checked once; if the cache was stale it is reloaded and `fn` runs again, checked.
   */
  async optimistic<T>(
    fn: (check: RawBuilder<boolean>) => Promise<{ value: T; confirmed: boolean }>,
  ): Promise<T> {
    if (this.checkedScope.getStore() !== undefined) return (await fn(sql<boolean>`1 = 1`)).value;
    if (this.token === null) await this.reload();
    let first: { value: T; confirmed: boolean };
    try {
      first = await this.checkedScope.run(true, () => fn(this.condition()));
    } catch (err) {
      if (!(await this.reloadIfStale())) throw err;
      return (await this.checkedScope.run(true, () => fn(sql<boolean>`1 = 1`))).value;
    }
    if (first.confirmed || !(await this.reloadIfStale())) return first.value;
    return (await this.checkedScope.run(true, () => fn(sql<boolean>`1 = 1`))).value;
  }

  /** SQL that is true only while the database's token is the cache's. */
  condition(): RawBuilder<boolean> {
    // COALESCE: a registry without the row (made by hand) compares '' with '', instead of NULL matching nothing.
    return sql<boolean>`COALESCE((SELECT ${sql.ref('value')} FROM butler_attributes WHERE name = ${CACHE_TOKEN}), '') = ${this.token ?? ''}`;
  }

  /**
   * Record a change to collections, chains or dataset types, inside the writing transaction `trx`. Returns true
   * when the cache was current before the change: the caller then applies its change to the cache in place.
   * Otherwise the cache is marked for reloading.
   */
  async changed(trx: Kysely<any>): Promise<boolean> {
    const next = randomUUID();
    const current = this.token;
    if (current !== null) {
      const res = await trx
        .updateTable('butler_attributes')
        .set({ value: next })
        .where('name', '=', CACHE_TOKEN)
        .where('value', '=', current)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 1) {
        this.token = next;
        return true;
      }
    }
    await trx.updateTable('butler_attributes').set({ value: next }).where('name', '=', CACHE_TOKEN).execute();
    this.token = null;
    return false;
  }
}
