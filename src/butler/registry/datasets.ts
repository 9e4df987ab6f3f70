import { type Kysely, type RawBuilder, sql } from 'kysely';
import { bulkInsert, toBigIntOrNull, toNumber } from '../../db/index.js';
import { meridianError } from '../../errors.js';
import type { DatasetRef, DatasetType } from '../core/dataset-type.js';
import { deterministicDatasetId, type IdGenerationMode, uuidv7 } from '../core/ids.js';
import { DataCoordinate, type DataIdValue } from '../dimensions/data-id.js';
import { nowTai, Timespan } from '../time/index.js';
import type { CollectionManager, CollectionRecord } from './collections.js';
import { type DatasetIdCodec, datasetIdCodec, idsToDb } from './dataset-ids.js';
import type { DatasetTypeManager, DatasetTypeRecord } from './dataset-types.js';
import type { RegistryDatabase } from './open.js';
import { timespanColumns, timespansOverlap } from './query/timespan-sql.js';

export interface DatasetAssociation {
  readonly ref: DatasetRef;
  readonly collection: string;
  readonly timespan: Timespan | null;
}

/** SQL condition "stored timespan of `alias` overlaps `ts`"; empty stored timespans overlap nothing. */
export function timespanOverlapSql(alias: string, ts: Timespan) {
  const stored = timespanColumns(alias);
  const literal = {
    begin: ts.begin === null ? sql`NULL` : sql`CAST(${ts.begin} AS BIGINT)`,
    end: ts.end === null ? sql`NULL` : sql`CAST(${ts.end} AS BIGINT)`,
  };
  return sql<boolean>`(${timespansOverlap(stored, literal)} AND (${stored.begin} IS NULL OR ${stored.end} IS NULL OR ${stored.begin} < ${stored.end}))`;
}

/** Batches at least this large go through the back end's bulk path (COPY on PostgreSQL); smaller ones are INSERTs. */
const BULK_LOAD_MIN_ROWS = 256;

/** Inserts, finds, associates, certifies and removes datasets. */
export class DatasetManager {
  /** Dataset IDs at the SQL boundary (text in the API, 16 bytes in the database). */
  readonly ids: DatasetIdCodec;
  /** `collection id:dataset type id` pairs whose summary row this process inserted (or found) and committed. */
  private readonly knownSummaries = new Set<string>();

  constructor(
    private readonly database: RegistryDatabase,
    private readonly types: DatasetTypeManager,
    private readonly collections: CollectionManager,
  ) {
    this.ids = datasetIdCodec(database.capabilities);
  }

  private batchSize(columnCount: number): number {
    return Math.max(
      1,
      Math.min(2000, Math.floor(this.database.capabilities.maxBindParameters / columnCount)),
    );
  }

  makeRef(rec: DatasetTypeRecord, id: string, values: Record<string, DataIdValue>, run: string): DatasetRef {
    const dt = rec.datasetType;
    return { id, datasetType: dt, dataId: new DataCoordinate(dt.dimensions, values, false), run };
  }

  /**
   * Insert new datasets into a RUN. Unique IDs are UUIDv7; deterministic modes use the UUIDv5 recipe. A data ID
   * that already has a dataset of this type in the RUN is a DATASET_CONFLICT and nothing is inserted.
   */
  async insert(
    rec: DatasetTypeRecord,
    dataIds: readonly Record<string, DataIdValue>[],
    run: CollectionRecord,
    mode: IdGenerationMode = 'UNIQUE',
    cacheCheck?: RawBuilder<boolean>,
  ): Promise<DatasetRef[]> {
    const refs = dataIds.map((required) => {
      const id =
        mode === 'UNIQUE' ? uuidv7() : deterministicDatasetId(rec.datasetType.name, required, run.name, mode);
      return this.makeRef(rec, id, required, run.name);
    });
    await this.writeRefs(rec, refs, run, cacheCheck);
    return refs;
  }

  /**
   * Insert datasets whose IDs are already known (import, transfer, merge of pipeline outputs). With
   * `skipExisting`, refs already present with the same ID, type, RUN and data ID are skipped (idempotent);
   * any other clash is a DATASET_CONFLICT.
   */
  async importRefs(
    rec: DatasetTypeRecord,
    refs: readonly DatasetRef[],
    run: CollectionRecord,
    options: { skipExisting?: boolean } = {},
  ): Promise<DatasetRef[]> {
    let toInsert = [...refs];
    if (options.skipExisting) {
      const existing = await this.getByIds(refs.map((r) => r.id));
      toInsert = [];
      for (const ref of refs) {
        const have = existing.get(ref.id);
        if (have === undefined) {
          toInsert.push(ref);
          continue;
        }
        if (
          have.run !== ref.run ||
          have.datasetType.name !== ref.datasetType.parentName ||
          have.dataId.key !== new DataCoordinate(rec.datasetType.dimensions, ref.dataId.values, false).key
        ) {
          throw meridianError(
            'DATASET_CONFLICT',
            `dataset ${ref.id} already exists with a different definition (${have.datasetType.name} ${have.dataId} in ${have.run})`,
            { id: ref.id },
          );
        }
      }
    }
    const normalized = toInsert.map((r) =>
      this.makeRef(rec, r.id, pickRequired(rec.datasetType, r), run.name),
    );
    await this.writeRefs(rec, normalized, run);
    return normalized;
  }

  private async writeRefs(
    rec: DatasetTypeRecord,
    refs: readonly DatasetRef[],
    run: CollectionRecord,
    cacheCheck?: RawBuilder<boolean>,
  ): Promise<void> {
    if (refs.length === 0) return;
    const dims = rec.datasetType.dimensions.required;
    const ingestDate = nowTai();
    const datasetRows: unknown[][] = [];
    const tagRows: unknown[][] = [];
    for (const r of refs) {
      const id = this.ids.toDb(r.id);
      if (id === null) {
        throw meridianError('INVALID_ARGUMENT', `dataset ID '${r.id}' is not a UUID`, { id: r.id });
      }
      datasetRows.push([id, rec.id, run.id, ingestDate]);
      const tag: unknown[] = [run.id, rec.id, id];
      for (const d of dims) tag.push(r.dataId.values[d]);
      tagRows.push(tag);
    }
    const datasetColumns = ['id', 'dataset_type_id', 'run_id', 'ingest_date'];
    const tagColumns = ['collection_id', 'dataset_type_id', 'dataset_id', ...dims];
    // Inside a caller's transaction a savepoint lets us diagnose a conflict (PostgreSQL aborts the whole
    // transaction on an error otherwise); in our own transaction the diagnosis runs after its rollback, and the
    // two round trips are saved (a batch of a thousand rows is a dozen milliseconds: each trip counts).
    const nested = this.database.executor() !== this.database.db;
    const summaryKey = `${run.id}:${rec.id}`;
    try {
      await this.database.transaction(async (trx) => {
        // Locked by the transaction itself, before any savepoint: a row lock taken in a subtransaction and shared
        // with another writer's becomes a multixact of subtransaction ids, slower for every later check.
        await this.lockParents(trx, rec, run, cacheCheck);
        if (nested) await sql`SAVEPOINT meridian_write_refs`.execute(trx);
        try {
          await this.load(trx, 'dataset', datasetColumns, datasetRows);
          await this.load(trx, rec.tagsTable, tagColumns, tagRows);
          // A summary row this process saw committed cannot be gone while lockParents holds the RUN and the type:
          // only removing the collection or the (then unused) type deletes it, and both wait for those locks.
          if (!(this.database.capabilities.rowLocks && this.knownSummaries.has(summaryKey)))
            await this.addToSummary(trx, run.id, rec.id);
          if (nested) await sql`RELEASE SAVEPOINT meridian_write_refs`.execute(trx);
        } catch (err) {
          if (!nested) throw err;
          await sql`ROLLBACK TO SAVEPOINT meridian_write_refs`.execute(trx);
          await sql`RELEASE SAVEPOINT meridian_write_refs`.execute(trx);
          if (this.database.isUniqueViolation(err)) throw await this.describeConflict(rec, refs, run, err);
          throw err;
        }
      });
    } catch (err) {
      if (!nested && this.database.isUniqueViolation(err))
        throw await this.describeConflict(rec, refs, run, err);
      throw err;
    }
    // Only once committed (a caller's transaction may still roll back).
    if (!nested) this.knownSummaries.add(summaryKey);
  }

  /**
   * Where `dataset` has no per-row foreign keys to its RUN and dataset type (schema step 3, back ends with row
   * locks), check both once for the batch and hold a key-share lock on each until the transaction ends: a
   * concurrent removal of the RUN or the type waits for this insert, then sees its rows (and removes them, or
   * refuses); a removal that got there first makes this insert fail here, as the foreign key did.
   */
  private async lockParents(
    trx: Kysely<any>,
    rec: DatasetTypeRecord,
    run: CollectionRecord,
    cacheCheck: RawBuilder<boolean> = sql<boolean>`1 = 1`,
  ): Promise<void> {
    if (!this.database.capabilities.rowLocks) return;
    // Both rows in one statement (one round trip), with the caller's cache check folded in (RegistryCache
    // .optimistic: no row and a moved token means a stale cache, and the caller runs again); which row is missing
    // is asked only when one is.
    const locked = await trx
      .selectFrom('run as r')
      .innerJoin('dataset_type as t', (j) => j.on('t.id', '=', rec.id))
      .select('r.collection_id')
      .where('r.collection_id', '=', run.id)
      .where(cacheCheck)
      .forKeyShare()
      .executeTakeFirst();
    if (locked !== undefined) return;
    const runRow = await trx
      .selectFrom('run')
      .select('collection_id')
      .where('collection_id', '=', run.id)
      .executeTakeFirst();
    if (runRow === undefined) {
      throw meridianError(
        'COLLECTION_UNKNOWN',
        `RUN collection '${run.name}' does not exist (it was removed)`,
        {
          name: run.name,
        },
      );
    }
    throw meridianError(
      'DATASET_TYPE_UNKNOWN',
      `dataset type '${rec.datasetType.name}' is not registered (it was removed)`,
      { name: rec.datasetType.name },
    );
  }

  /**
   * Where tags rows have no foreign key to `dataset` (schema step 3), check that the datasets about to be tagged
   * exist and key-share-lock them until the transaction ends, so a concurrent removal waits for the new tags rows
   * (and deletes them) instead of leaving them behind.
   */
  private async lockExisting(trx: Kysely<any>, refs: readonly DatasetRef[]): Promise<void> {
    if (!this.database.capabilities.rowLocks) return;
    const keys = idsToDb(
      this.ids,
      refs.map((r) => r.id),
    );
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = keys.slice(i, i + 1000);
      const rows = await trx
        .selectFrom('dataset')
        .select('id')
        .where('id', 'in', chunk)
        .forKeyShare()
        .execute();
      if (rows.length < new Set(chunk.map(String)).size) {
        const have = new Set(rows.map((r) => this.ids.fromDb(r.id)));
        const missing = refs.find((r) => !have.has(r.id.toLowerCase()));
        throw meridianError(
          'DATASET_NOT_FOUND',
          `dataset ${missing?.id ?? '?'} does not exist (it was removed?)`,
          {
            id: missing?.id,
          },
        );
      }
    }
  }

  /** Rows into a table: the bulk path for large batches, multi-row INSERTs (bounded by bind parameters) otherwise. */
  private async load(
    trx: Kysely<any>,
    table: string,
    columns: readonly string[],
    rows: readonly (readonly unknown[])[],
  ): Promise<void> {
    if (rows.length >= BULK_LOAD_MIN_ROWS) {
      await this.database.bulkLoad(trx, table, columns, rows);
      return;
    }
    const batch = this.batchSize(columns.length);
    for (let i = 0; i < rows.length; i += batch) {
      await bulkInsert(trx, this.database.capabilities, table, columns, rows.slice(i, i + batch));
    }
  }

  private tagRow(rec: DatasetTypeRecord, ref: DatasetRef, collectionId: number): Record<string, unknown> {
    const row: Record<string, unknown> = {
      dataset_type_id: rec.id,
      dataset_id: this.ids.toDb(ref.id),
      collection_id: collectionId,
    };
    for (const d of rec.datasetType.dimensions.required) row[d] = ref.dataId.values[d];
    return row;
  }

  private async addToSummary(trx: Kysely<any>, collectionId: number, datasetTypeId: number): Promise<void> {
    await trx
      .insertInto('collection_summary_dataset_type')
      .values({ collection_id: collectionId, dataset_type_id: datasetTypeId })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  private async describeConflict(
    rec: DatasetTypeRecord,
    refs: readonly DatasetRef[],
    collection: CollectionRecord,
    cause: unknown,
  ): Promise<Error> {
    const ids = await this.getByIds(refs.map((r) => r.id));
    for (const r of refs) {
      const have = ids.get(r.id);
      if (have !== undefined) {
        return meridianError(
          'DATASET_CONFLICT',
          `dataset ID ${r.id} already exists (${have.datasetType.name} in ${have.run})`,
          {
            id: r.id,
          },
          cause,
        );
      }
    }
    for (const r of refs.slice(0, 5000)) {
      const found = await this.findInCollections(rec, r.dataId.values, [collection], null);
      if (found !== null && found.ref.id !== r.id) {
        return meridianError(
          'DATASET_CONFLICT',
          `collection '${collection.name}' already has a ${rec.datasetType.name} dataset for ${r.dataId} (${found.ref.id}); nothing was written`,
          { datasetType: rec.datasetType.name, dataId: r.dataId.toJSON(), collection: collection.name },
          cause,
        );
      }
    }
    return meridianError(
      'DATASET_CONFLICT',
      `conflicting ${rec.datasetType.name} datasets in '${collection.name}' (duplicate data IDs in the input?); nothing was written`,
      { datasetType: rec.datasetType.name, collection: collection.name },
      cause,
    );
  }

  /** Look datasets up by ID (missing ones, and texts that are not UUIDs, are absent from the map). */
  async getByIds(ids: readonly string[]): Promise<Map<string, DatasetRef>> {
    const out = new Map<string, DatasetRef>();
    const keys = idsToDb(this.ids, ids);
    if (keys.length === 0) return out;
    const rows: { id: unknown; dataset_type_id: unknown; run_id: unknown }[] = [];
    for (let i = 0; i < keys.length; i += 1000) {
      rows.push(
        ...((await this.database
          .executor()
          .selectFrom('dataset')
          .select(['id', 'dataset_type_id', 'run_id'])
          .where('id', 'in', keys.slice(i, i + 1000))
          .execute()) as never[]),
      );
    }
    const runs = await this.collections.byIds(rows.map((r) => toNumber(r.run_id)));
    const byType = new Map<number, typeof rows>();
    for (const r of rows) {
      const t = toNumber(r.dataset_type_id);
      if (!byType.has(t)) byType.set(t, []);
      byType.get(t)!.push(r);
    }
    for (const [typeId, typeRows] of byType) {
      const rec = await this.types.getById(typeId);
      const dims = rec.datasetType.dimensions.required;
      for (let i = 0; i < typeRows.length; i += 1000) {
        const chunk = typeRows.slice(i, i + 1000);
        const tagRows = await this.database
          .executor()
          .selectFrom(rec.tagsTable)
          .selectAll()
          .where(
            'dataset_id',
            'in',
            chunk.map((r) => r.id),
          )
          .where('collection_id', 'in', [...new Set(chunk.map((r) => toNumber(r.run_id)))])
          .execute();
        const byId = new Map(tagRows.map((t) => [this.ids.fromDb(t.dataset_id), t]));
        for (const r of chunk) {
          const id = this.ids.fromDb(r.id);
          const t = byId.get(id);
          if (t === undefined) continue;
          const values: Record<string, DataIdValue> = {};
          for (const d of dims) values[d] = readDim(rec, d, t[d]);
          out.set(id, this.makeRef(rec, id, values, runs.get(toNumber(r.run_id))!.name));
        }
      }
    }
    return out;
  }

  /** Every dataset ID in the registry (for `butler verify`). */
  async allIds(): Promise<string[]> {
    const rows = await this.database.executor().selectFrom('dataset').select('id').execute();
    return rows.map((r) => this.ids.fromDb(r.id));
  }

  /**
   * Find the dataset of a type with a data ID in an ordered list of (already flattened) collections: the first
   * collection that has one wins. CALIBRATION collections need a timespan; more than one valid calibration in
   * one collection is ambiguous.
   */
  async findInCollections(
    rec: DatasetTypeRecord,
    values: Readonly<Record<string, DataIdValue>>,
    collections: readonly CollectionRecord[],
    timespan: Timespan | null,
    check: RawBuilder<boolean> = sql<boolean>`1 = 1`,
  ): Promise<{ ref: DatasetRef; collection: CollectionRecord } | null> {
    const dims = rec.datasetType.dimensions.required;
    const tagged = collections.filter((c) => c.type === 'RUN' || c.type === 'TAGGED');
    // Only calibration dataset types can be certified, so other types skip CALIBRATION collections.
    const calibs = rec.datasetType.isCalibration ? collections.filter((c) => c.type === 'CALIBRATION') : [];
    const candidates: { id: string; runId: number; collection: CollectionRecord }[] = [];
    // The dataset's RUN comes with the row (a join), so the ref needs no second statement.
    if (tagged.length > 0) {
      let q = this.database
        .executor()
        .selectFrom(`${rec.tagsTable} as t`)
        .innerJoin('dataset as d', 'd.id', 't.dataset_id')
        .select(['t.dataset_id', 't.collection_id', 'd.run_id'])
        .where('t.dataset_type_id', '=', rec.id)
        .where(
          't.collection_id',
          'in',
          tagged.map((c) => c.id),
        );
      for (const d of dims) q = q.where(`t.${d}`, '=', values[d] as never);
      for (const row of await q.where(check).execute()) {
        candidates.push({
          id: this.ids.fromDb(row.dataset_id),
          runId: toNumber(row.run_id),
          collection: tagged.find((c) => c.id === toNumber(row.collection_id))!,
        });
      }
    }
    if (calibs.length > 0) {
      if (timespan === null) {
        throw meridianError(
          'CALIBRATION_TIMESPAN_REQUIRED',
          `looking up ${rec.datasetType.name} in CALIBRATION collection(s) ${calibs.map((c) => c.name).join(', ')} needs a timespan (give an exposure or visit in the data ID, or a timespan)`,
        );
      }
      let q = this.database
        .executor()
        .selectFrom(`${rec.calibsTable} as c`)
        .innerJoin('dataset as d', 'd.id', 'c.dataset_id')
        .select(['c.dataset_id', 'c.collection_id', 'd.run_id'])
        .where('c.dataset_type_id', '=', rec.id)
        .where(
          'c.collection_id',
          'in',
          calibs.map((c) => c.id),
        )
        .where(timespanOverlapSql('c', timespan));
      for (const d of dims) q = q.where(`c.${d}`, '=', values[d] as never);
      const perCollection = new Map<number, Map<string, number>>();
      for (const row of await q.where(check).execute()) {
        const cid = toNumber(row.collection_id);
        if (!perCollection.has(cid)) perCollection.set(cid, new Map());
        perCollection.get(cid)!.set(this.ids.fromDb(row.dataset_id), toNumber(row.run_id));
      }
      for (const [cid, ids] of perCollection) {
        const coll = calibs.find((c) => c.id === cid)!;
        if (ids.size > 1) {
          throw meridianError(
            'CALIBRATION_AMBIGUOUS',
            `${ids.size} ${rec.datasetType.name} calibrations in '${coll.name}' are valid during ${timespan}; narrow the timespan`,
            { collection: coll.name, ids: [...ids.keys()] },
          );
        }
        const [id, runId] = [...ids][0]!;
        candidates.push({ id, runId, collection: coll });
      }
    }
    if (candidates.length === 0) return null;
    const rank = new Map(collections.map((c, i) => [c.id, i]));
    candidates.sort((a, b) => rank.get(a.collection.id)! - rank.get(b.collection.id)!);
    const best = candidates[0]!;
    const run = (await this.collections.byIds([best.runId])).get(best.runId);
    if (run === undefined) return null;
    const required: Record<string, DataIdValue> = {};
    for (const d of dims) required[d] = values[d]!;
    return { ref: this.makeRef(rec, best.id, required, run.name), collection: best.collection };
  }

  /**
   * Delete datasets from the registry (all their collection memberships go with them). The datasets are locked
   * first (where the back end has row locks), so that a concurrent `associate` of one either finishes first (and
   * its tags row is deleted here) or waits and then finds the dataset gone.
   */
  async remove(ids: readonly string[]): Promise<void> {
    const keys = idsToDb(this.ids, ids);
    await this.database.transaction(async (trx) => {
      for (let i = 0; i < keys.length; i += 1000) {
        const chunk = keys.slice(i, i + 1000);
        let q = trx.selectFrom('dataset').select(['id', 'dataset_type_id']).where('id', 'in', chunk);
        if (this.database.capabilities.rowLocks) q = q.forUpdate();
        const rows = await q.execute();
        const byType = new Map<number, unknown[]>();
        for (const r of rows) {
          const t = toNumber(r.dataset_type_id);
          if (!byType.has(t)) byType.set(t, []);
          byType.get(t)!.push(r.id);
        }
        // Tags rows have no foreign key to `dataset` where the back end has row locks (schema step 3).
        for (const [typeId, typeIds] of byType) {
          const rec = await this.types.getById(typeId);
          await trx.deleteFrom(rec.tagsTable).where('dataset_id', 'in', typeIds).execute();
        }
        await trx.deleteFrom('dataset').where('id', 'in', chunk).execute();
      }
    });
  }

  /**
   * Remove every dataset of a RUN and their tags rows, inside the caller's transaction (the RUN's own removal).
   * Where `dataset` has no foreign keys (schema step 3, back ends with row locks), the RUN is locked first, so
   * inserts into it finish (or wait, then fail), then its datasets, so a concurrent `associate` of one finishes
   * before its tags row is looked for (or waits, then finds the dataset gone).
   */
  async removeRun(trx: Kysely<any>, run: CollectionRecord): Promise<void> {
    if (this.database.capabilities.rowLocks) {
      await trx
        .selectFrom('run')
        .select('collection_id')
        .where('collection_id', '=', run.id)
        .forUpdate()
        .execute();
      await trx.selectFrom('dataset').select('id').where('run_id', '=', run.id).forUpdate().execute();
    }
    const types = await trx
      .selectFrom('dataset')
      .select('dataset_type_id')
      .distinct()
      .where('run_id', '=', run.id)
      .execute();
    for (const t of types) {
      const rec = await this.types.getById(toNumber(t.dataset_type_id));
      await trx
        .deleteFrom(rec.tagsTable)
        .where(
          'dataset_id',
          'in',
          trx
            .selectFrom('dataset')
            .select('id')
            .where('run_id', '=', run.id)
            .where('dataset_type_id', '=', rec.id),
        )
        .execute();
    }
    await trx.deleteFrom('dataset').where('run_id', '=', run.id).execute();
  }

  async associate(tag: CollectionRecord, refs: readonly DatasetRef[]): Promise<void> {
    if (tag.type !== 'TAGGED') {
      throw meridianError(
        'COLLECTION_TYPE',
        `cannot associate into ${tag.type} collection '${tag.name}'; ${tag.type === 'CALIBRATION' ? 'use certify' : 'use a TAGGED collection'}`,
      );
    }
    await this.database.transaction(async (trx) => {
      for (const [rec, group] of await this.groupByType(refs)) {
        await this.lockExisting(trx, group);
        for (const ref of group) {
          const found = await this.findInCollections(rec, ref.dataId.values, [tag], null);
          if (found !== null) {
            if (found.ref.id === ref.id) continue;
            throw meridianError(
              'DATASET_CONFLICT',
              `collection '${tag.name}' already has a different ${rec.datasetType.name} for ${ref.dataId}; nothing was associated`,
            );
          }
          await trx
            .insertInto(rec.tagsTable)
            .values(this.tagRow(rec, ref, tag.id))
            .execute();
        }
        await this.addToSummary(trx, tag.id, rec.id);
      }
    });
  }

  async disassociate(tag: CollectionRecord, refs: readonly DatasetRef[]): Promise<void> {
    if (tag.type !== 'TAGGED') {
      throw meridianError('COLLECTION_TYPE', `cannot disassociate from ${tag.type} collection '${tag.name}'`);
    }
    await this.database.transaction(async (trx) => {
      for (const [rec, group] of await this.groupByType(refs)) {
        const keys = idsToDb(
          this.ids,
          group.map((r) => r.id),
        );
        for (let i = 0; i < keys.length; i += 1000) {
          await trx
            .deleteFrom(rec.tagsTable)
            .where('collection_id', '=', tag.id)
            .where('dataset_id', 'in', keys.slice(i, i + 1000))
            .execute();
        }
      }
    });
  }

  /** Certify refs into a CALIBRATION collection over `timespan`; overlapping validity for one data ID is refused. */
  async certify(calib: CollectionRecord, refs: readonly DatasetRef[], timespan: Timespan): Promise<void> {
    if (calib.type !== 'CALIBRATION') {
      throw meridianError('COLLECTION_TYPE', `collection '${calib.name}' is ${calib.type}, not CALIBRATION`);
    }
    if (timespan.isEmpty) throw meridianError('INVALID_ARGUMENT', 'cannot certify over an empty timespan');
    await this.database.transaction(async (trx) => {
      // The no-overlap rule is checked then enforced by insert: hold the collection's lock meanwhile.
      await this.database.lockForUpdate(trx, calib.id);
      for (const [rec, group] of await this.groupByType(refs)) {
        if (!rec.datasetType.isCalibration) {
          throw meridianError(
            'COLLECTION_TYPE',
            `dataset type '${rec.datasetType.name}' is not a calibration type; it cannot be certified`,
          );
        }
        const seen = new Map<string, string>();
        for (const ref of group) {
          const key = ref.dataId.key;
          if (seen.has(key) && seen.get(key) !== ref.id) {
            throw meridianError(
              'CALIBRATION_CONFLICT',
              `two ${rec.datasetType.name} datasets for ${ref.dataId} in one certification`,
            );
          }
          seen.set(key, ref.id);
          let q = trx
            .selectFrom(`${rec.calibsTable} as c`)
            .select(['c.dataset_id', 'c.timespan_begin', 'c.timespan_end'])
            .where('c.dataset_type_id', '=', rec.id)
            .where('c.collection_id', '=', calib.id)
            .where(timespanOverlapSql('c', timespan));
          for (const d of rec.datasetType.dimensions.required)
            q = q.where(`c.${d}`, '=', ref.dataId.values[d] as never);
          const clash = await q.executeTakeFirst();
          if (clash !== undefined) {
            const ts = new Timespan(toBigIntOrNull(clash.timespan_begin), toBigIntOrNull(clash.timespan_end));
            throw meridianError(
              'CALIBRATION_CONFLICT',
              `${rec.datasetType.name} ${ref.dataId} is already certified in '${calib.name}' for ${ts}, which overlaps ${timespan}; nothing was certified`,
              { collection: calib.name, existing: this.ids.fromDb(clash.dataset_id) },
            );
          }
          const row: Record<string, unknown> = {
            dataset_type_id: rec.id,
            dataset_id: this.ids.toDb(ref.id),
            collection_id: calib.id,
            timespan_begin: timespan.begin,
            timespan_end: timespan.end,
          };
          for (const d of rec.datasetType.dimensions.required) row[d] = ref.dataId.values[d];
          await trx.insertInto(rec.calibsTable).values(row).execute();
        }
        await this.addToSummary(trx, calib.id, rec.id);
      }
    });
  }

  /**
   * Remove validity over `timespan` for a dataset type in a CALIBRATION collection (optionally only some data
   * IDs). Ranges partly inside are cut back, as daf_butler's decertify does.
   */
  async decertify(
    calib: CollectionRecord,
    rec: DatasetTypeRecord,
    timespan: Timespan,
    dataIds?: readonly Readonly<Record<string, DataIdValue>>[],
  ): Promise<number> {
    if (calib.type !== 'CALIBRATION') {
      throw meridianError('COLLECTION_TYPE', `collection '${calib.name}' is ${calib.type}, not CALIBRATION`);
    }
    const dims = rec.datasetType.dimensions.required;
    return this.database.transaction(async (trx) => {
      await this.database.lockForUpdate(trx, calib.id);
      const rows = await trx
        .selectFrom(`${rec.calibsTable} as c`)
        .selectAll()
        .where('c.dataset_type_id', '=', rec.id)
        .where('c.collection_id', '=', calib.id)
        .where(timespanOverlapSql('c', timespan))
        .execute();
      let changed = 0;
      for (const row of rows) {
        if (dataIds !== undefined && !dataIds.some((d) => dims.every((k) => String(d[k]) === String(row[k]))))
          continue;
        const old = new Timespan(toBigIntOrNull(row.timespan_begin), toBigIntOrNull(row.timespan_end));
        await trx.deleteFrom(rec.calibsTable).where('id', '=', row.id).execute();
        const base: Record<string, unknown> = { ...row };
        delete base.id;
        if (timespan.begin !== null && (old.begin === null || old.begin < timespan.begin)) {
          await trx
            .insertInto(rec.calibsTable)
            .values({ ...base, timespan_begin: old.begin, timespan_end: timespan.begin })
            .execute();
        }
        if (timespan.end !== null && (old.end === null || old.end > timespan.end)) {
          await trx
            .insertInto(rec.calibsTable)
            .values({ ...base, timespan_begin: timespan.end, timespan_end: old.end })
            .execute();
        }
        changed++;
      }
      return changed;
    });
  }

  /** Memberships of datasets of a type in collections (with validity ranges for CALIBRATION ones). */
  async associations(
    rec: DatasetTypeRecord,
    collections: readonly CollectionRecord[],
  ): Promise<DatasetAssociation[]> {
    const out: { id: string; collection: CollectionRecord; timespan: Timespan | null }[] = [];
    const tagged = collections.filter((c) => c.type === 'RUN' || c.type === 'TAGGED');
    const calibs = collections.filter((c) => c.type === 'CALIBRATION');
    if (tagged.length > 0) {
      const rows = await this.database
        .executor()
        .selectFrom(rec.tagsTable)
        .select(['dataset_id', 'collection_id'])
        .where('dataset_type_id', '=', rec.id)
        .where(
          'collection_id',
          'in',
          tagged.map((c) => c.id),
        )
        .execute();
      for (const r of rows) {
        out.push({
          id: this.ids.fromDb(r.dataset_id),
          collection: tagged.find((c) => c.id === toNumber(r.collection_id))!,
          timespan: null,
        });
      }
    }
    if (calibs.length > 0) {
      const rows = await this.database
        .executor()
        .selectFrom(rec.calibsTable)
        .select(['dataset_id', 'collection_id', 'timespan_begin', 'timespan_end'])
        .where('dataset_type_id', '=', rec.id)
        .where(
          'collection_id',
          'in',
          calibs.map((c) => c.id),
        )
        .orderBy('timespan_begin')
        .execute();
      for (const r of rows) {
        out.push({
          id: this.ids.fromDb(r.dataset_id),
          collection: calibs.find((c) => c.id === toNumber(r.collection_id))!,
          timespan: new Timespan(toBigIntOrNull(r.timespan_begin), toBigIntOrNull(r.timespan_end)),
        });
      }
    }
    const refs = await this.getByIds(out.map((o) => o.id));
    return out.map((o) => ({ ref: refs.get(o.id)!, collection: o.collection.name, timespan: o.timespan }));
  }

  private async groupByType(refs: readonly DatasetRef[]): Promise<Map<DatasetTypeRecord, DatasetRef[]>> {
    const out = new Map<DatasetTypeRecord, DatasetRef[]>();
    for (const ref of refs) {
      const rec = await this.types.get(ref.datasetType.parentName);
      if (!out.has(rec)) out.set(rec, []);
      out.get(rec)!.push(ref);
    }
    return out;
  }
}

function pickRequired(dt: DatasetType, ref: DatasetRef): Record<string, DataIdValue> {
  const out: Record<string, DataIdValue> = {};
  for (const d of dt.dimensions.required) {
    const v = ref.dataId.values[d];
    if (v === undefined) {
      throw meridianError('DATA_ID_INCOMPLETE', `dataset ${ref.id} has no value for '${d}'`, { missing: d });
    }
    out[d] = v;
  }
  return out;
}

export function readDim(rec: DatasetTypeRecord, dim: string, v: unknown): DataIdValue {
  const type = rec.datasetType.dimensions.universe.element(dim).primaryKey.type;
  return type === 'int' ? toNumber(v) : String(v);
}
