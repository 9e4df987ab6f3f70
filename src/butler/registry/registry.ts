import type { RawBuilder } from 'kysely';
import { checkSchemaVersion, latestVersion } from '../../db/index.js';
import { meridianError } from '../../errors.js';
import { throwIfAborted } from '../abort.js';
import { type DatasetRef, DatasetType } from '../core/dataset-type.js';
import type { IdGenerationMode } from '../core/ids.js';
import type { DataCoordinate, DataIdInput, DataIdValue, DimensionRecord } from '../dimensions/data-id.js';
import { type DimensionGroup, DimensionUniverse } from '../dimensions/universe.js';
import type { Timespan } from '../time/index.js';
import { RegistryCache } from './cache.js';
import {
  type CollectionManager as CM,
  CollectionManager,
  type CollectionRecord,
  type CollectionType,
} from './collections.js';
import {
  DatasetTypeManager,
  type DatasetTypeRecord,
  type DatasetTypeManager as DTM,
} from './dataset-types.js';
import { type DatasetAssociation, DatasetManager } from './datasets.js';
import { DimensionRecordManager } from './dimension-records.js';
import { findDatasetIds, refsForIds } from './find-many.js';
import type { RegistryDatabase } from './open.js';
import type { DatasetSearch } from './query/builder.js';
import { type QueryOptions, queryDataIds, queryDatasetsOfType, queryDimensionRecords } from './query/run.js';
import { getAttribute, hasRegistryTables, migrateRegistry, registrySchema, setAttribute } from './schema.js';
import { StoredRecordManager } from './stored-records.js';

export interface DatasetQueryOptions extends QueryOptions {
  readonly collections: readonly string[];
  readonly findFirst?: boolean;
}

export interface DataIdQueryOptions extends QueryOptions {
  readonly datasets?: readonly string[];
  readonly collections?: readonly string[];
}

/**
 * The registry: dimension records, collections, dataset types and datasets in one SQL database. All writes run
 * in transactions; a failed call leaves nothing behind.
 */
export class Registry {
  readonly universe: DimensionUniverse;
  readonly dimensions: DimensionRecordManager;
  readonly collections: CM;
  readonly datasetTypes: DTM;
  readonly datasets: DatasetManager;
  readonly stored: StoredRecordManager;
  /** Collections, chains and dataset types in memory, checked against the database's cache token (cache.ts). */
  readonly cache: RegistryCache;

  private constructor(
    readonly database: RegistryDatabase,
    universe: DimensionUniverse,
  ) {
    this.universe = universe;
    this.dimensions = new DimensionRecordManager(database, universe);
    this.cache = new RegistryCache(database);
    this.collections = new CollectionManager(database, this.cache);
    this.datasetTypes = new DatasetTypeManager(database, universe, this.cache);
    this.datasets = new DatasetManager(database, this.datasetTypes, this.collections);
    this.stored = new StoredRecordManager(database);
  }

  /** Create the schema in an empty database. */
  static async create(database: RegistryDatabase, universe: DimensionUniverse): Promise<Registry> {
    await database.transaction(async (trx) => {
      if (await hasRegistryTables(database)) {
        throw meridianError('REPO_EXISTS', `a registry already exists in ${database.displayUrl}`);
      }
      await migrateRegistry(database, universe);
      await setAttribute(trx, 'config:dimensions.json', JSON.stringify(universe.toJSON()));
      await setAttribute(trx, 'universe', `${universe.namespace}:${universe.version}`);
    });
    return new Registry(database, universe);
  }

  static async open(database: RegistryDatabase): Promise<Registry> {
    let universeJson: string | undefined;
    try {
      if (!(await hasRegistryTables(database))) {
        throw meridianError('REPO_NOT_FOUND', `no registry tables in ${database.displayUrl}`);
      }
      const version = await checkSchemaVersion(database, registrySchema);
      const latest = latestVersion(registrySchema);
      if (version < latest) {
        throw meridianError(
          'SCHEMA_VERSION',
          `registry schema version ${version} in ${database.displayUrl} is older than this Meridian's (${latest}); migrate it with \`butler migrate REPO\` (back the repository up first), then open it again`,
          { component: registrySchema.name, version, supported: latest, command: 'butler migrate' },
        );
      }
      universeJson = await getAttribute(database.db, 'config:dimensions.json');
    } catch (err) {
      throw database.translateError(err, 'open registry');
    }
    if (universeJson === undefined)
      throw meridianError('SCHEMA_VERSION', 'registry has no dimension universe');
    return new Registry(database, new DimensionUniverse(JSON.parse(universeJson)));
  }

  /**
   * Bring an existing registry's schema to this Meridian's version, in one transaction (nothing changes if a step
   * fails). Safe to run again; concurrent migrators wait for each other. Opening a registry that needs it fails
   * with SCHEMA_VERSION naming `butler migrate`.
   */
  static async migrate(database: RegistryDatabase): Promise<{ readonly from: number; readonly to: number }> {
    try {
      if (!(await hasRegistryTables(database))) {
        throw meridianError('REPO_NOT_FOUND', `no registry tables in ${database.displayUrl}`);
      }
      const universeJson = await getAttribute(database.db, 'config:dimensions.json');
      if (universeJson === undefined) {
        throw meridianError('SCHEMA_VERSION', 'registry has no dimension universe');
      }
      return await migrateRegistry(database, new DimensionUniverse(JSON.parse(universeJson)));
    } catch (err) {
      throw database.translateError(err, 'migrate registry');
    }
  }

  async close(): Promise<void> {
    await this.database.close();
  }

  transaction<T>(fn: () => Promise<T>): Promise<T> {
    return this.database.transaction(() => fn());
  }

  /**
   * Forget cached dimension records and reload collections and dataset types. Changes by other processes to
   * collections and dataset types are noticed without it (cache.ts); dimension records are only ever added.
   */
  async refresh(): Promise<void> {
    this.dimensions.clearCache();
    this.cache.invalidate();
    await this.cache.ensureFresh();
  }

  // ---- dimensions -------------------------------------------------------------------------------------------

  insertDimensionData(
    element: string,
    records: readonly Record<string, unknown>[],
    options?: { skipExisting?: boolean },
  ) {
    return this.dimensions.insert(element, records, options);
  }

  syncDimensionData(element: string, record: Record<string, unknown>): Promise<boolean> {
    return this.dimensions.sync(element, record);
  }

  expandDataId(
    dataId: DataIdInput,
    dimensions?: DimensionGroup | readonly string[],
  ): Promise<DataCoordinate> {
    const group =
      dimensions === undefined || 'names' in dimensions ? dimensions : this.universe.group(dimensions);
    return this.dimensions.expand(dataId, group as DimensionGroup | undefined);
  }

  // ---- collections ------------------------------------------------------------------------------------------

  registerRun(name: string, doc?: string): Promise<boolean> {
    return this.collections.register(name, 'RUN', doc);
  }

  registerCollection(name: string, type: CollectionType, doc?: string): Promise<boolean> {
    return this.collections.register(name, type, doc);
  }

  getCollectionType(name: string): Promise<CollectionType> {
    return this.collections.get(name).then((r) => r.type);
  }

  getCollectionChain(name: string): Promise<string[]> {
    return this.collections.getChain(name);
  }

  setCollectionChain(parent: string, children: readonly string[], options?: { flatten?: boolean }) {
    return this.collections.setChain(parent, children, options);
  }

  getCollectionParentChains(name: string): Promise<string[]> {
    return this.collections.parentChains(name);
  }

  queryCollections(
    patterns: readonly string[] = [],
    types?: readonly CollectionType[],
  ): Promise<CollectionRecord[]> {
    return this.collections.query(patterns, types);
  }

  /** Remove a non-RUN collection, or an empty-able RUN (its datasets go too; the Butler trashes their files). */
  removeCollection(name: string): Promise<void> {
    return this.database.transaction(async (trx) => {
      const rec = await this.cache.validated(() => this.collections.get(name));
      if (rec.type === 'RUN') await this.datasets.removeRun(trx, rec);
      await this.collections.remove(name);
    });
  }

  /** Dataset types (by id) present in each collection, from the collection summaries. */
  async collectionSummary(name: string): Promise<string[]> {
    const rec = await this.collections.get(name);
    const ids = rec.type === 'CHAINED' ? (await this.collections.flatten([rec])).map((r) => r.id) : [rec.id];
    if (ids.length === 0) return [];
    const rows = await this.database
      .executor()
      .selectFrom('collection_summary_dataset_type as s')
      .innerJoin('dataset_type as t', 't.id', 's.dataset_type_id')
      .select('t.name')
      .distinct()
      .where('s.collection_id', 'in', ids)
      .orderBy('t.name')
      .execute();
    return rows.map((r) => String(r.name));
  }

  // ---- dataset types ----------------------------------------------------------------------------------------

  registerDatasetType(dt: DatasetType): Promise<boolean> {
    return this.datasetTypes.register(dt);
  }

  async getDatasetType(name: string): Promise<DatasetType> {
    return (await this.datasetTypes.get(name)).datasetType;
  }

  removeDatasetType(name: string): Promise<void> {
    return this.datasetTypes.remove(name);
  }

  async queryDatasetTypes(patterns: readonly string[] = []): Promise<DatasetType[]> {
    return (await this.datasetTypes.query(patterns)).map((r) => r.datasetType);
  }

  makeDatasetType(
    name: string,
    dimensions: readonly string[],
    storageClass: string,
    isCalibration = false,
  ): DatasetType {
    return new DatasetType(name, this.universe.group(dimensions), storageClass, { isCalibration });
  }

  // ---- datasets ---------------------------------------------------------------------------------------------

  async insertDatasets(
    datasetType: string,
    dataIds: readonly DataIdInput[],
    run: string,
    mode: IdGenerationMode = 'UNIQUE',
  ): Promise<DatasetRef[]> {
    const insert = async (check?: RawBuilder<boolean>) => {
      const rec = await this.datasetTypes.get(datasetType);
      const runRec = await this.collections.getRun(run);
      const values = await this.dimensions.requiredValuesMany(dataIds, rec.datasetType.dimensions);
      return this.datasets.insert(rec, values, runRec, mode, check);
    };
    // Where the insert locks its RUN and type (row locks), the cache check rides on that statement instead of
    // costing a round trip of its own; a stale cache makes it find no row, and `optimistic` reloads and retries.
    if (!this.database.capabilities.rowLocks) return this.cache.validated(() => insert());
    // With no data IDs nothing is locked, so nothing confirmed the cache: `optimistic` checks it once more.
    return this.cache.optimistic(async (check) => ({
      value: await insert(check),
      confirmed: dataIds.length > 0,
    }));
  }

  /** Insert refs with known IDs (import/transfer/merge); idempotent with `skipExisting`. */
  async importDatasets(
    refs: readonly DatasetRef[],
    options: { skipExisting?: boolean } = {},
  ): Promise<DatasetRef[]> {
    const out: DatasetRef[] = [];
    const groups = new Map<string, DatasetRef[]>();
    for (const r of refs) {
      const k = `${r.datasetType.parentName}\u0000${r.run}`;
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k)!.push(r);
    }
    await this.database.transaction(() =>
      this.cache.writing(async () => {
        for (const group of groups.values()) {
          const first = group[0]!;
          const rec = await this.datasetTypes.get(first.datasetType.parentName);
          const run = await this.collections.getRun(first.run);
          out.push(...(await this.datasets.importRefs(rec, group, run, options)));
        }
      }),
    );
    return out;
  }

  async getDataset(id: string): Promise<DatasetRef | null> {
    return (await this.getDatasets([id])).get(id.toLowerCase()) ?? null;
  }

  getDatasets(ids: readonly string[]): Promise<Map<string, DatasetRef>> {
    return this.cache.validated(() => this.datasets.getByIds(ids));
  }

  /** Every dataset ID in the registry, in its text form. */
  allDatasetIds(): Promise<string[]> {
    return this.datasets.allIds();
  }

  /** Find one dataset by type and data ID through an ordered collection search. */
  async findDataset(
    datasetType: string,
    dataId: DataIdInput | DataCoordinate,
    options: { collections: readonly string[]; timespan?: Timespan | null },
  ): Promise<DatasetRef | null> {
    return this.cache.optimistic(async (check) => {
      const rec = await this.datasetTypes.get(datasetType);
      const coord =
        'group' in dataId && 'values' in dataId
          ? (dataId as DataCoordinate)
          : await this.dimensions.expand(dataId as DataIdInput, undefined);
      const values = await this.valuesForType(rec, coord);
      const collections = await this.collections.resolveSearch(options.collections, { ordered: true });
      let timespan = options.timespan ?? null;
      if (timespan === null && rec.datasetType.isCalibration) timespan = temporalSpan(coord);
      const found = await this.datasets.findInCollections(rec, values, collections, timespan, check);
      return { value: found?.ref ?? null, confirmed: found !== null };
    });
  }

  /**
   * Find-first lookup of one dataset type for many data IDs at once (plain values of the type's required
   * dimensions), aligned with `dataIds`: null where no collection holds one. For a calibration type, `timespans`
   * (aligned too) picks the certification valid at each data ID's time. A few statements per 500 data IDs, where
   * `findDataset` in a loop would be one search each (the quantum graph builder's lookups).
   */
  async findDatasets(
    datasetType: string,
    dataIds: readonly Readonly<Record<string, DataIdValue>>[],
    options: { collections: readonly string[]; timespans?: readonly (Timespan | null)[] },
  ): Promise<(DatasetRef | null)[]> {
    const rec = await this.datasetTypes.get(datasetType);
    const collections = await this.collections.resolveSearch(options.collections, { ordered: true });
    const ids = await findDatasetIds(this.database, rec, dataIds, collections, options.timespans);
    return refsForIds(ids, (list) => this.datasets.getByIds(list));
  }

  /** The values of a data ID for a dataset type's required dimensions (expanding if needed). */
  private async valuesForType(
    rec: DatasetTypeRecord,
    coord: DataCoordinate,
  ): Promise<Record<string, DataIdValue>> {
    const dims = rec.datasetType.dimensions;
    const values: Record<string, DataIdValue> = {};
    let expanded = coord;
    if (dims.required.some((d) => coord.values[d] === undefined)) {
      expanded = await this.dimensions.expand(coord.values, coord.group.union(dims));
    }
    for (const d of dims.required) {
      const v = expanded.values[d];
      if (v === undefined) {
        throw meridianError(
          'DATA_ID_INCOMPLETE',
          `data ID ${coord} is missing '${d}', required by dataset type ${rec.datasetType.name} ${dims}`,
          { missing: d },
        );
      }
      values[d] = v;
    }
    return values;
  }

  removeDatasets(refs: readonly DatasetRef[]): Promise<void> {
    return this.datasets.remove(refs.map((r) => r.id));
  }

  async associate(collection: string, refs: readonly DatasetRef[]): Promise<void> {
    await this.datasets.associate(await this.collections.get(collection), refs);
  }

  async disassociate(collection: string, refs: readonly DatasetRef[]): Promise<void> {
    await this.datasets.disassociate(await this.collections.get(collection), refs);
  }

  async certify(collection: string, refs: readonly DatasetRef[], timespan: Timespan): Promise<void> {
    await this.datasets.certify(await this.collections.get(collection), refs, timespan);
  }

  async decertify(
    collection: string,
    datasetType: string,
    timespan: Timespan,
    options: { dataIds?: readonly DataIdInput[] } = {},
  ): Promise<number> {
    const rec = await this.datasetTypes.get(datasetType);
    const dataIds =
      options.dataIds === undefined
        ? undefined
        : await Promise.all(
            options.dataIds.map(
              async (d) => (await this.dimensions.expand(d, rec.datasetType.dimensions)).required,
            ),
          );
    return this.datasets.decertify(await this.collections.get(collection), rec, timespan, dataIds);
  }

  async queryDatasetAssociations(
    datasetType: string,
    collections: readonly string[],
  ): Promise<DatasetAssociation[]> {
    const rec = await this.datasetTypes.get(datasetType);
    const colls = await this.collections.resolveSearch(collections.length > 0 ? collections : ['*'], {
      ordered: false,
    });
    return this.datasets.associations(rec, colls);
  }

  // ---- queries ----------------------------------------------------------------------------------------------

  private async datasetSearches(
    names: readonly string[],
    collections: readonly string[],
  ): Promise<DatasetSearch[]> {
    if (names.length === 0) return [];
    if (collections.length === 0) {
      throw meridianError(
        'INVALID_ARGUMENT',
        'a dataset constraint needs collections to search (--collections)',
      );
    }
    const colls = await this.collections.resolveSearch(collections, { ordered: false });
    const out: DatasetSearch[] = [];
    for (const n of names)
      for (const rec of await this.datasetTypes.query([n])) out.push({ rec, collections: colls });
    return out;
  }

  private async coerceDataId(
    dataId: DataIdInput | undefined,
  ): Promise<Record<string, DataIdValue> | undefined> {
    if (dataId === undefined || Object.keys(dataId).length === 0) return undefined;
    return (await this.dimensions.expand(dataId)).values;
  }

  /**
   * Datasets matching types (names or globs), collections, a `where` expression and a data ID. Find-first
   * (default when collections are given in order) returns one dataset per data ID per type.
   */
  async queryDatasets(
    datasetTypes: string | readonly string[],
    options: DatasetQueryOptions,
  ): Promise<DatasetRef[]> {
    throwIfAborted(options.signal, 'queryDatasets');
    const names = typeof datasetTypes === 'string' ? [datasetTypes] : datasetTypes;
    const findFirst = options.findFirst ?? false;
    // One statement per dataset type; collections, chains, types and RUN names come from the cache, whose check
    // rides in each statement (cache.ts).
    return this.cache.optimistic(async (check) => {
      const collections = await this.collections.resolveSearch(
        options.collections.length > 0 ? options.collections : ['*'],
        { ordered: findFirst },
      );
      const recs = await this.datasetTypes.query(names.length > 0 ? names : ['*']);
      const dataId = await this.coerceDataId(options.dataId);
      const out: DatasetRef[] = [];
      let confirmed = recs.length > 0;
      for (const rec of recs) {
        throwIfAborted(options.signal, 'queryDatasets');
        const result = await queryDatasetsOfType(
          this.database,
          rec,
          collections,
          findFirst,
          [],
          { ...options, dataId },
          (id) => this.collections.cachedById(id),
          check,
        );
        confirmed &&= result.confirmed;
        out.push(...result.refs);
      }
      return { value: out, confirmed };
    });
  }

  async queryDataIds(
    dimensions: readonly string[],
    options: DataIdQueryOptions = {},
  ): Promise<DataCoordinate[]> {
    throwIfAborted(options.signal, 'queryDataIds');
    const group = this.universe.group(dimensions);
    const searches = await this.datasetSearches(options.datasets ?? [], options.collections ?? []);
    const dataId = await this.coerceDataId(options.dataId);
    return queryDataIds(this.database, group, searches, { ...options, dataId });
  }

  async queryDimensionRecords(element: string, options: DataIdQueryOptions = {}): Promise<DimensionRecord[]> {
    throwIfAborted(options.signal, 'queryDimensionRecords');
    const searches = await this.datasetSearches(options.datasets ?? [], options.collections ?? []);
    const dataId = await this.coerceDataId(options.dataId);
    return queryDimensionRecords(this.database, this.dimensions, element, searches, { ...options, dataId });
  }
}

/** The timespan of the most specific temporal record in an expanded data ID (for calibration lookups). */
export function temporalSpan(coord: DataCoordinate): Timespan | null {
  for (const name of ['exposure', 'visit', 'day_obs']) {
    const rec = coord.records?.[name];
    if (rec?.timespan) return rec.timespan;
  }
  return null;
}
