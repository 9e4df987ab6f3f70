import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  bulkInsert,
  checkSchemaVersion,
  type DatabaseConfigInput,
  defineSchemaComponent,
  type Migration,
  migrate,
  type OpenOptions,
  openDatabase,
  readSchemaVersion,
  type SqlDatabase,
  toNumber,
} from '../../src/db/index.js';
import type { DatabasePlace, DatabaseTarget } from './targets.js';

async function errorOf(p: Promise<unknown>): Promise<{ code?: string; message: string }> {
  const err = await p.then(
    () => null,
    (e) => e,
  );
  expect(err, 'expected the call to fail').not.toBeNull();
  return err;
}

function tableStep(version: number, table: string, applied: string[]): Migration<string> {
  return {
    version,
    description: `create ${table}`,
    async up(trx, { capabilities, options }) {
      applied.push(`${options}:${table}`);
      await trx.schema
        .createTable(table)
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('uid', capabilities.uuidType)
        .addColumn('name', 'varchar(64)', (c) => c.unique())
        .execute();
    },
  };
}

/** One behaviour suite for every src/db back end (STYLE habit 5). */
export function databaseContract(target: DatabaseTarget): void {
  const run = target.enabled(`src/db contract: ${target.name}`);
  describe.skipIf(!run)(`src/db contract: ${target.name}`, () => {
    let place: DatabasePlace;
    let database: SqlDatabase;
    const opened: SqlDatabase[] = [];

    async function open(
      config: DatabaseConfigInput = place.url,
      options: OpenOptions = {},
    ): Promise<SqlDatabase> {
      const db = await openDatabase(config, { baseDir: place.baseDir, ...options });
      opened.push(db);
      return db;
    }

    async function makeItems(db: SqlDatabase): Promise<void> {
      await db.db.schema
        .createTable('item')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('name', 'varchar(64)', (c) => c.notNull().unique())
        .execute();
    }

    async function names(db: SqlDatabase): Promise<string[]> {
      const rows = await db.executor().selectFrom('item').select('name').orderBy('id').execute();
      return rows.map((r) => r.name as string);
    }

    beforeEach(async () => {
      place = await target.fresh();
      database = await open(place.url, { create: true });
    });
    afterEach(async () => {
      for (const db of opened.splice(0)) await db.close();
      await place.cleanup();
    });

    describe('configuration', () => {
      it('reaches the same database from a URL, a configuration object and its parts', async () => {
        await makeItems(database);
        await database.transaction((trx) => trx.insertInto('item').values({ id: 1, name: 'a' }).execute());
        for (const config of [place.object, place.parts]) {
          const other = await open(config);
          expect(await other.tableExists('item')).toBe(true);
          expect(await names(other)).toEqual(['a']);
        }
        // Messages name the database without its password.
        const password = place.url.startsWith('postgres') ? new URL(place.url).password : '';
        if (password) expect(database.displayUrl).not.toContain(`:${password}@`);
      });

      it('refuses a database that does not exist unless asked to create it', async () => {
        const err = await errorOf(
          openDatabase(target.name === 'sqlite' ? `${place.url}-missing` : `${place.url}_missing`),
        );
        expect(err.code).toBe('REPO_NOT_FOUND');
      });

      it('reports a database it cannot use as DATABASE_UNAVAILABLE', async () => {
        const err = await errorOf(openDatabase(target.unavailable()));
        expect(err.code).toBe('DATABASE_UNAVAILABLE');
      });

      it('rejects an invalid configuration object with CONFIG_INVALID', async () => {
        const err = await errorOf(openDatabase({ kind: target.name, nonsense: true } as never));
        expect(err.code).toBe('CONFIG_INVALID');
      });
    });

    describe('transactions', () => {
      beforeEach(() => makeItems(database));

      it('commits, and rolls back everything when the function throws', async () => {
        await database.transaction((trx) => trx.insertInto('item').values({ id: 1, name: 'kept' }).execute());
        const failed = database.transaction(async (trx) => {
          await trx.insertInto('item').values({ id: 2, name: 'lost' }).execute();
          throw new Error('boom');
        });
        await expect(failed).rejects.toThrow('boom');
        expect(await names(database)).toEqual(['kept']);
      });

      it('joins the outer transaction when nested, and executor() is the transaction inside it', async () => {
        expect(database.executor()).toBe(database.db);
        const failed = database.transaction(async (outer) => {
          expect(database.executor()).toBe(outer);
          await outer.insertInto('item').values({ id: 1, name: 'outer' }).execute();
          await database.transaction(async (inner) => {
            expect(inner).toBe(outer);
            // The nested call sees the outer call's uncommitted row.
            expect(await names(database)).toEqual(['outer']);
            await inner.insertInto('item').values({ id: 2, name: 'inner' }).execute();
          });
          throw new Error('after the nested transaction');
        });
        await expect(failed).rejects.toThrow('after the nested transaction');
        // The nested call did not commit on its own: the outer rollback removed both rows.
        expect(await names(database)).toEqual([]);
      });

      it('serialises writers that take the same lock (no lost update)', async () => {
        await database.db.schema
          .createTable('counter')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('n', 'bigint', (c) => c.notNull())
          .execute();
        await database.db.insertInto('counter').values({ id: 1, n: 0 }).execute();
        const increment = () =>
          database.transaction(async (trx) => {
            await database.lockForUpdate(trx, 42);
            const row = await trx
              .selectFrom('counter')
              .select('n')
              .where('id', '=', 1)
              .executeTakeFirstOrThrow();
            await new Promise((resolve) => setTimeout(resolve, 50));
            await trx
              .updateTable('counter')
              .set({ n: toNumber(row.n) + 1 })
              .where('id', '=', 1)
              .execute();
          });
        await Promise.all([increment(), increment(), increment()]);
        const row = await database.db.selectFrom('counter').select('n').executeTakeFirstOrThrow();
        expect(toNumber(row.n)).toBe(3);
      });

      it('translates a unique violation so callers can recognise it', async () => {
        await database.db.insertInto('item').values({ id: 1, name: 'a' }).execute();
        const duplicate = await errorOf(
          database.db.insertInto('item').values({ id: 2, name: 'a' }).execute(),
        );
        expect(database.isUniqueViolation(duplicate)).toBe(true);
        const samePrimaryKey = await errorOf(
          database.transaction((trx) => trx.insertInto('item').values({ id: 1, name: 'b' }).execute()),
        );
        expect(database.isUniqueViolation(samePrimaryKey)).toBe(true);
        const otherError = await errorOf(database.db.insertInto('missing_table').values({ id: 1 }).execute());
        expect(database.isUniqueViolation(otherError)).toBe(false);
      });

      it('bulk-inserts rows and reads 64-bit integers back as numbers', async () => {
        const rows = Array.from({ length: 250 }, (_, i) => [i + 1, `n${i}`]);
        await database.transaction((trx) =>
          bulkInsert(trx, database.capabilities, 'item', ['id', 'name'], rows),
        );
        const got = await database.db.selectFrom('item').select(['id']).orderBy('id').execute();
        expect(got.map((r) => toNumber(r.id))).toEqual(rows.map((r) => r[0]));
      });

      it('refuses writes when opened read-only, and still reads', async () => {
        await database.db.insertInto('item').values({ id: 1, name: 'a' }).execute();
        const readOnly = await open(place.url, { readOnly: true });
        expect(readOnly.readOnly).toBe(true);
        expect(await names(readOnly)).toEqual(['a']);
        const inTransaction = await errorOf(
          readOnly.transaction((trx) => trx.insertInto('item').values({ id: 2, name: 'b' }).execute()),
        );
        expect(inTransaction.code).toBe('REPO_READ_ONLY');
        const direct = await errorOf(readOnly.db.insertInto('item').values({ id: 3, name: 'c' }).execute());
        expect(direct.code).toBe('REPO_READ_ONLY');
        expect(await names(database)).toEqual(['a']);
      });
    });

    describe('migrations', () => {
      it('applies the steps once, in order, and is idempotent', async () => {
        const applied: string[] = [];
        const v2 = defineSchemaComponent<string>({
          name: 'store',
          label: 'test store',
          migrations: [tableStep(1, 'store_a', applied), tableStep(2, 'store_b', applied)],
        });
        expect(await readSchemaVersion(database, v2)).toBe(0);
        expect(await migrate(database, v2, 'first')).toEqual({ from: 0, to: 2 });
        expect(applied).toEqual(['first:store_a', 'first:store_b']);
        expect(await database.tableExists('store_b')).toBe(true);
        expect(await migrate(database, v2, 'again')).toEqual({ from: 2, to: 2 });
        expect(applied).toHaveLength(2);
        // A reopened database knows its version.
        const reopened = await open(place.url, { readOnly: true });
        expect(await checkSchemaVersion(reopened, v2)).toBe(2);
      });

      it('upgrades an older schema with only the missing steps', async () => {
        const applied: string[] = [];
        const steps = [tableStep(1, 'up_a', applied), tableStep(2, 'up_b', applied)];
        const v1 = defineSchemaComponent<string>({ name: 'up', label: 'up', migrations: steps.slice(0, 1) });
        const v2 = defineSchemaComponent<string>({ name: 'up', label: 'up', migrations: steps });
        await migrate(database, v1, 'old');
        expect(await migrate(database, v2, 'new')).toEqual({ from: 1, to: 2 });
        expect(applied).toEqual(['old:up_a', 'new:up_b']);
      });

      it('keeps the versions of several components apart', async () => {
        const applied: string[] = [];
        const a = defineSchemaComponent<string>({
          name: 'jobs',
          label: 'jobs',
          migrations: [tableStep(1, 'jobs', applied), tableStep(2, 'job_params', applied)],
        });
        const b = defineSchemaComponent<string>({
          name: 'runs',
          label: 'runs',
          migrations: [tableStep(1, 'runs', applied)],
        });
        await migrate(database, a, 'x');
        expect(await readSchemaVersion(database, b)).toBe(0);
        await migrate(database, b, 'x');
        expect([await readSchemaVersion(database, a), await readSchemaVersion(database, b)]).toEqual([2, 1]);
      });

      it('refuses a database newer than the code with SCHEMA_VERSION', async () => {
        const applied: string[] = [];
        const steps = [tableStep(1, 'new_a', applied), tableStep(2, 'new_b', applied)];
        await migrate(
          database,
          defineSchemaComponent({ name: 'nw', label: 'newer store', migrations: steps }),
          '',
        );
        const old = defineSchemaComponent<string>({
          name: 'nw',
          label: 'newer store',
          migrations: steps.slice(0, 1),
        });
        const checked = await errorOf(checkSchemaVersion(database, old));
        expect(checked.code).toBe('SCHEMA_VERSION');
        expect(checked.message).toMatch(
          /newer store schema version 2 is newer than this Meridian supports \(1\)/,
        );
        expect((await errorOf(migrate(database, old, ''))).code).toBe('SCHEMA_VERSION');
      });

      it('leaves nothing behind when a step fails', async () => {
        const applied: string[] = [];
        const failing = defineSchemaComponent<string>({
          name: 'broken',
          label: 'broken',
          migrations: [
            tableStep(1, 'broken_a', applied),
            {
              version: 2,
              description: 'fails',
              async up() {
                throw new Error('step 2 failed');
              },
            },
          ],
        });
        await expect(migrate(database, failing, '')).rejects.toThrow('step 2 failed');
        expect(await readSchemaVersion(database, failing)).toBe(0);
        expect(await database.tableExists('broken_a')).toBe(false);
      });

      it('refuses to migrate a read-only database', async () => {
        const readOnly = await open(place.url, { readOnly: true });
        const component = defineSchemaComponent<string>({
          name: 'ro',
          label: 'ro',
          migrations: [tableStep(1, 'ro_a', [])],
        });
        expect((await errorOf(migrate(readOnly, component, ''))).code).toBe('REPO_READ_ONLY');
      });

      it('rejects steps out of order', () => {
        expect(() =>
          defineSchemaComponent({ name: 'gap', label: 'gap', migrations: [tableStep(2, 'gap', [])] }),
        ).toThrow(/expected 1/);
      });
    });
  });
}
