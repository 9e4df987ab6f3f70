import { toNumber } from '../../db/index.js';
import { meridianError } from '../../errors.js';
import { DatasetType, splitComponentName, validateDatasetTypeName } from '../core/dataset-type.js';
import type { DimensionUniverse } from '../dimensions/universe.js';
import type { RegistryCache } from './cache.js';
import { globToRegExp, isGlob } from './collections.js';
import type { RegistryDatabase } from './open.js';
import { createDatasetTables, datasetTableNames } from './schema.js';

/** A registered (parent) dataset type with the tables its datasets live in. */
export interface DatasetTypeRecord {
  readonly id: number;
  readonly datasetType: DatasetType;
  readonly tagsTable: string;
  readonly calibsTable: string;
}

/** Dataset types, read from the registry cache (see cache.ts for how it stays correct). */
export class DatasetTypeManager {
  private byName = new Map<string, DatasetTypeRecord>();
  private byId = new Map<number, DatasetTypeRecord>();

  constructor(
    private readonly database: RegistryDatabase,
    private readonly universe: DimensionUniverse,
    private readonly cache: RegistryCache,
  ) {
    cache.addLoader(() => this.load());
  }

  private record(
    id: number,
    name: string,
    storageClass: string,
    isCalibration: boolean,
    groupId: number,
    names: string,
  ): DatasetTypeRecord {
    const group = this.universe.group(names === '' ? [] : names.split(','));
    const tables = datasetTableNames(groupId);
    return Object.freeze({
      id,
      datasetType: new DatasetType(name, group, storageClass, { isCalibration }),
      tagsTable: tables.tags,
      calibsTable: tables.calibs,
    });
  }

  private async load(): Promise<void> {
    const rows = await this.database
      .executor()
      .selectFrom('dataset_type as dt')
      .innerJoin('dimension_group as g', 'g.id', 'dt.dimension_group_id')
      .select([
        'dt.id',
        'dt.name',
        'dt.storage_class',
        'dt.is_calibration',
        'dt.dimension_group_id',
        'g.names',
      ])
      .execute();
    const byName = new Map<string, DatasetTypeRecord>();
    const byId = new Map<number, DatasetTypeRecord>();
    for (const r of rows) {
      const rec = this.record(
        toNumber(r.id),
        String(r.name),
        String(r.storage_class),
        r.is_calibration === true || Number(r.is_calibration) === 1,
        toNumber(r.dimension_group_id),
        String(r.names),
      );
      byName.set(rec.datasetType.name, rec);
      byId.set(rec.id, rec);
    }
    this.byName = byName;
    this.byId = byId;
  }

  /** Register a dataset type; false if an identical one exists; DATASET_TYPE_CONFLICT if it differs. */
  async register(dt: DatasetType): Promise<boolean> {
    if (dt.isComponent()) {
      throw meridianError(
        'DATASET_TYPE_NAME_INVALID',
        `'${dt.name}' is a component dataset type; register its parent '${dt.parentName}' instead`,
      );
    }
    return this.database.transaction((trx) =>
      this.cache.writing(async () => {
        const existing = this.byName.get(dt.name);
        if (existing !== undefined) {
          if (!existing.datasetType.equals(dt)) {
            throw meridianError(
              'DATASET_TYPE_CONFLICT',
              `dataset type '${dt.name}' is already registered as ${existing.datasetType}, which differs from ${dt}`,
              { name: dt.name },
            );
          }
          return false;
        }
        const key = dt.dimensions.names.join(',');
        let group = await trx
          .selectFrom('dimension_group')
          .select('id')
          .where('names', '=', key)
          .executeTakeFirst();
        if (group === undefined) {
          group = await trx
            .insertInto('dimension_group')
            .values({ names: key })
            .returning('id')
            .executeTakeFirstOrThrow();
        }
        const groupId = toNumber(group.id);
        await createDatasetTables(trx, this.database.capabilities, dt.dimensions, groupId);
        let id: number;
        try {
          const row = await trx
            .insertInto('dataset_type')
            .values({
              name: dt.name,
              storage_class: dt.storageClass,
              dimension_group_id: groupId,
              is_calibration: dt.isCalibration,
            })
            .returning('id')
            .executeTakeFirstOrThrow();
          id = toNumber(row.id);
        } catch (err) {
          if (this.database.isUniqueViolation(err)) {
            throw meridianError(
              'DATASET_TYPE_CONFLICT',
              `dataset type '${dt.name}' was registered concurrently`,
            );
          }
          throw err;
        }
        if (await this.cache.changed(trx)) {
          const rec = this.record(id, dt.name, dt.storageClass, dt.isCalibration, groupId, key);
          this.byName.set(dt.name, rec);
          this.byId.set(id, rec);
        }
        return true;
      }),
    );
  }

  /** Reload from the database whatever the cache says (Registry.refresh). */
  async refresh(): Promise<void> {
    await this.load();
  }

  async find(name: string): Promise<DatasetTypeRecord | null> {
    await this.cache.ensureFresh();
    return this.byName.get(splitComponentName(name).parent) ?? null;
  }

  /** The registered parent record for a dataset type name (components resolve to their parent). */
  async get(name: string): Promise<DatasetTypeRecord> {
    validateDatasetTypeName(name);
    const rec = await this.find(name);
    if (rec === null) {
      throw meridianError(
        'DATASET_TYPE_UNKNOWN',
        `dataset type '${splitComponentName(name).parent}' is not registered`,
        {
          name,
        },
      );
    }
    return rec;
  }

  async getById(id: number): Promise<DatasetTypeRecord> {
    await this.cache.ensureFresh();
    const rec = this.byId.get(id);
    if (rec === undefined) throw meridianError('INTERNAL', `no dataset type with id ${id}`);
    return rec;
  }

  async query(patterns: readonly string[] = []): Promise<DatasetTypeRecord[]> {
    await this.cache.ensureFresh();
    const all = [...this.byName.values()].sort((a, b) => (a.datasetType.name < b.datasetType.name ? -1 : 1));
    if (patterns.length === 0) return all;
    const out: DatasetTypeRecord[] = [];
    for (const p of patterns) {
      if (!isGlob(p)) {
        out.push(await this.get(p));
        continue;
      }
      const re = globToRegExp(p);
      out.push(...all.filter((r) => re.test(r.datasetType.name)));
    }
    return [...new Map(out.map((r) => [r.id, r])).values()];
  }

  async remove(name: string): Promise<void> {
    await this.database.transaction((trx) =>
      this.cache.writing(async () => {
        const rec = await this.get(name);
        // `dataset` has no foreign key to its type where the back end has row locks (schema step 3): lock the type
        // so that inserts of it finish before the check below (or wait, then fail).
        if (this.database.capabilities.rowLocks) {
          await trx.selectFrom('dataset_type').select('id').where('id', '=', rec.id).forUpdate().execute();
        }
        const used = await trx
          .selectFrom('dataset')
          .select('id')
          .where('dataset_type_id', '=', rec.id)
          .limit(1)
          .executeTakeFirst();
        if (used !== undefined) {
          throw meridianError(
            'DATASET_TYPE_IN_USE',
            `dataset type '${name}' still has datasets; remove them first (butler prune-datasets / remove-runs)`,
            { name },
          );
        }
        await trx
          .deleteFrom('collection_summary_dataset_type')
          .where('dataset_type_id', '=', rec.id)
          .execute();
        await trx.deleteFrom('dataset_type').where('id', '=', rec.id).execute();
        if (await this.cache.changed(trx)) {
          this.byName.delete(rec.datasetType.name);
          this.byId.delete(rec.id);
        }
      }),
    );
  }
}
