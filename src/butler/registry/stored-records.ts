import { toNumber } from '../../db/index.js';
import type { StoredFileInfo } from '../datastore/types.js';
import { type DatasetIdCodec, datasetIdCodec, idsToDb } from './dataset-ids.js';
import type { RegistryDatabase } from './open.js';

/**
 * The datastore's records (which file holds which dataset), kept in the registry database so that they commit
 * in the same transaction as the dataset rows. Removed datasets' records move to a trash table; emptying the
 * trash deletes the files and then the trash rows, so an interrupted removal can always be finished.
 */
export class StoredRecordManager {
  private readonly ids: DatasetIdCodec;

  constructor(private readonly database: RegistryDatabase) {
    this.ids = datasetIdCodec(database.capabilities);
  }

  private toRow(info: StoredFileInfo): Record<string, unknown> {
    return {
      dataset_id: this.ids.toDb(info.datasetId),
      component: info.component ?? '',
      path: info.path,
      formatter: info.formatter,
      storage_class: info.storageClass,
      checksum: info.checksum,
      file_size: info.fileSize,
    };
  }

  private fromRow(row: Record<string, unknown>): StoredFileInfo {
    const component = String(row.component);
    return {
      datasetId: this.ids.fromDb(row.dataset_id),
      component: component === '' ? null : component,
      path: String(row.path),
      formatter: String(row.formatter),
      storageClass: String(row.storage_class),
      checksum: (row.checksum as string | null) ?? null,
      fileSize: toNumber(row.file_size),
    };
  }

  /** Insert records; with `ignoreExisting`, records already there are kept (re-run imports and transfers). */
  async insert(infos: readonly StoredFileInfo[], options: { ignoreExisting?: boolean } = {}): Promise<void> {
    if (infos.length === 0) return;
    await this.database.transaction(async (trx) => {
      for (let i = 0; i < infos.length; i += 1000) {
        const q = trx
          .insertInto('file_datastore_records')
          .values(infos.slice(i, i + 1000).map((x) => this.toRow(x)));
        await (options.ignoreExisting ? q.onConflict((oc) => oc.doNothing()) : q).execute();
      }
    });
  }

  async get(ids: readonly string[]): Promise<Map<string, StoredFileInfo[]>> {
    const out = new Map<string, StoredFileInfo[]>();
    const keys = idsToDb(this.ids, ids);
    for (let i = 0; i < keys.length; i += 1000) {
      const rows = await this.database
        .executor()
        .selectFrom('file_datastore_records')
        .selectAll()
        .where('dataset_id', 'in', keys.slice(i, i + 1000))
        .execute();
      for (const r of rows) {
        const info = this.fromRow(r);
        if (!out.has(info.datasetId)) out.set(info.datasetId, []);
        out.get(info.datasetId)!.push(info);
      }
    }
    return out;
  }

  async all(): Promise<StoredFileInfo[]> {
    const rows = await this.database.executor().selectFrom('file_datastore_records').selectAll().execute();
    return rows.map((r) => this.fromRow(r));
  }

  /** Move the records of these datasets to the trash (inside the caller's transaction). */
  async moveToTrash(ids: readonly string[]): Promise<void> {
    const keys = idsToDb(this.ids, ids);
    await this.database.transaction(async (trx) => {
      for (let i = 0; i < keys.length; i += 1000) {
        const chunk = keys.slice(i, i + 1000);
        const rows = await trx
          .selectFrom('file_datastore_records')
          .selectAll()
          .where('dataset_id', 'in', chunk)
          .execute();
        if (rows.length > 0) await trx.insertInto('file_datastore_trash').values(rows).execute();
        await trx.deleteFrom('file_datastore_records').where('dataset_id', 'in', chunk).execute();
      }
    });
  }

  /** Drop the records of these datasets without deleting their files (the files become orphans). */
  async forget(ids: readonly string[]): Promise<void> {
    const keys = idsToDb(this.ids, ids);
    await this.database.transaction(async (trx) => {
      for (let i = 0; i < keys.length; i += 1000) {
        await trx
          .deleteFrom('file_datastore_records')
          .where('dataset_id', 'in', keys.slice(i, i + 1000))
          .execute();
      }
    });
  }

  /**
   * Whether a live or trashed record points to this path. A path nothing points to holds an orphan file (left by
   * an interrupted write), which the datastore may replace; a trashed path waits for `Butler.emptyTrash`.
   */
  async isPathReferenced(path: string): Promise<boolean> {
    for (const table of ['file_datastore_records', 'file_datastore_trash'] as const) {
      const row = await this.database
        .executor()
        .selectFrom(table)
        .select('path')
        .where('path', '=', path)
        .limit(1)
        .executeTakeFirst();
      if (row !== undefined) return true;
    }
    return false;
  }

  /** Every path a live or trashed record points to (for cleanup's orphan scan). */
  async referencedPaths(): Promise<Set<string>> {
    const out = new Set<string>();
    for (const table of ['file_datastore_records', 'file_datastore_trash'] as const) {
      const rows = await this.database.executor().selectFrom(table).select('path').execute();
      for (const r of rows) out.add(String(r.path));
    }
    return out;
  }

  /** How many trash rows wait for `Butler.emptyTrash`. */
  async trashCount(): Promise<number> {
    const row = await this.database
      .executor()
      .selectFrom('file_datastore_trash')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirst();
    return row === undefined ? 0 : toNumber(row.n);
  }

  /**
   * Trashed records (the oldest `limit` of them, or all), each with whether a live record still uses its path (a
   * file shared by two datasets, or a path written again since, stays).
   */
  async trash(
    options: { limit?: number } = {},
  ): Promise<{ id: number; info: StoredFileInfo; shared: boolean }[]> {
    const query = this.database.executor().selectFrom('file_datastore_trash').selectAll().orderBy('id');
    const rows = await (options.limit === undefined ? query : query.limit(options.limit)).execute();
    const out: { id: number; info: StoredFileInfo; shared: boolean }[] = [];
    for (const r of rows) {
      const live = await this.database
        .executor()
        .selectFrom('file_datastore_records')
        .select('dataset_id')
        .where('path', '=', String(r.path))
        .limit(1)
        .executeTakeFirst();
      out.push({ id: toNumber(r.id), info: this.fromRow(r), shared: live !== undefined });
    }
    return out;
  }

  async deleteTrash(ids: readonly number[]): Promise<void> {
    await this.database.transaction(async (trx) => {
      for (let i = 0; i < ids.length; i += 1000) {
        await trx
          .deleteFrom('file_datastore_trash')
          .where('id', 'in', ids.slice(i, i + 1000))
          .execute();
      }
    });
  }
}
