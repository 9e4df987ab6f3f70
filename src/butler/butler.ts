import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DatabaseConfigInput } from '../db/index.js';
import { meridianError } from '../errors.js';
import { throwIfAborted } from './abort.js';
import { type CleanupOptions, type CleanupReport, cleanupRepository } from './cleanup.js';
import { type ButlerConfig, defaultButlerConfig, readButlerConfig, writeButlerConfig } from './config.js';
import { type DatasetRef, DatasetType, splitComponentName } from './core/dataset-type.js';
import type { IdGenerationMode } from './core/ids.js';
import { type Datastore, toDatastoreRef } from './datastore/datastore.js';
import { FileDatastore } from './datastore/file-datastore.js';
import type { DatastoreRef, StoredFileInfo, TransferMode } from './datastore/types.js';
import type { DataCoordinate, DataIdInput, DimensionRecord } from './dimensions/data-id.js';
import { DimensionUniverse } from './dimensions/universe.js';
import { type FormatterPlugin, standardFormatters } from './formatters/standard.js';
import { collectionsToSearch, datasetNotFound } from './lookup.js';
import {
  type DataIdQueryOptions,
  type DatasetQueryOptions,
  openRegistryDatabase,
  Registry,
  type RegistryLocation,
  registryLocation,
} from './registry/index.js';
import { emptyTrash, removeRuns } from './removal.js';
import type { FormatterRegistry } from './storage/formatter.js';
import type { StorageClassRegistry } from './storage/storage-class.js';
import type { Timespan } from './time/index.js';

export interface ButlerOpenOptions {
  /** Open for writing. Implied by `run`. Without either the butler is read-only, as upstream. */
  readonly writeable?: boolean;
  /** Default output RUN for put/ingest. */
  readonly run?: string;
  /** Default collections searched by get/find. */
  readonly collections?: readonly string[];
  /** Formatters beyond the standard ones (images, tables, sky maps), known to this butler only. */
  readonly formatters?: readonly FormatterPlugin[];
  /** Called once when a write waits for another process's registry lock (SQLite); see OpenOptions.onWait. */
  readonly onWait?: (what: string) => void;
}

export interface ButlerCreateOptions {
  /** Where the registry lives: `{ db, namespace }` as in butler.yaml, or a src/db URL or configuration object. */
  readonly registry?: RegistryLocation | DatabaseConfigInput;
  readonly universe?: DimensionUniverse;
  readonly checksum?: boolean;
  readonly templates?: Record<string, string>;
  /** Formatters beyond the standard ones (images, tables, sky maps), known to this butler only. */
  readonly formatters?: readonly FormatterPlugin[];
}

export interface GetOptions {
  readonly collections?: readonly string[];
  readonly parameters?: Record<string, unknown>;
  readonly timespan?: Timespan | null;
  /** Verify the file's checksum while reading (when one was recorded). */
  readonly verify?: boolean;
}

/** One file to ingest and the dataset(s) it holds. */
export interface FileDataset {
  readonly path: string;
  readonly refs: readonly { readonly datasetType: string; readonly dataId: DataIdInput }[];
  readonly formatter?: string;
}

export interface IngestOptions {
  readonly run?: string;
  readonly transfer?: TransferMode;
  readonly idGenerationMode?: IdGenerationMode;
  /** Skip files whose datasets (by deterministic ID) are already present: makes re-ingest idempotent. */
  readonly skipExisting?: boolean;
  /** Cancels the ingest (ABORTED); nothing is registered and every file already placed is put back. */
  readonly signal?: AbortSignal;
  /**
   * With `skipExisting`: hears of each dataset that was already stored and so was skipped, decided inside the
   * ingest's transaction, so that concurrent ingests of the same files each learn exactly what they inserted.
   */
  readonly onAlreadyPresent?: (ref: DatasetRef) => void;
}

/**
 * The Data Butler: a registry of datasets (SQL) and a datastore of files, used together. Every write happens in a
 * registry transaction; the files it writes are removed again if the transaction fails.
 */
export class Butler {
  readonly root: string;
  readonly config: ButlerConfig;
  readonly registry: Registry;
  readonly datastore: Datastore;
  readonly storageClasses: StorageClassRegistry;
  readonly formatters: FormatterRegistry;
  readonly readOnly: boolean;
  run: string | undefined;
  collections: readonly string[];

  private constructor(
    root: string,
    config: ButlerConfig,
    registry: Registry,
    options: ButlerOpenOptions,
    readOnly: boolean,
  ) {
    this.root = root;
    this.config = config;
    this.registry = registry;
    this.readOnly = readOnly;
    const { storageClasses, formatters } = standardFormatters(options.formatters);
    this.storageClasses = storageClasses;
    this.formatters = formatters;
    this.datastore = new FileDatastore(
      { root, templates: config.datastore.templates, checksum: config.datastore.checksum },
      this.storageClasses,
      this.formatters,
      // A file no record points to is an orphan of an interrupted write: the retry may replace it.
      { isPathReferenced: (path) => registry.stored.isPathReferenced(path) },
    );
    this.run = options.run;
    this.collections = options.collections ?? (options.run ? [options.run] : []);
  }

  /** Make a new repository in `root` (an empty or missing directory). */
  static async create(root: string, options: ButlerCreateOptions = {}): Promise<Butler> {
    const abs = resolve(root);
    if (existsSync(abs) && !statSync(abs).isDirectory()) {
      throw meridianError(
        'FILESYSTEM_ERROR',
        `cannot create a repository at ${abs}: it is a file, not a directory; choose an empty or new directory`,
        { root: abs, errno: 'ENOTDIR' },
      );
    }
    if (existsSync(abs) && readdirSync(abs).length > 0) {
      if (existsSync(resolve(abs, 'butler.yaml'))) {
        throw meridianError('REPO_EXISTS', `a butler repository already exists at ${abs}`, { root: abs });
      }
      throw meridianError('REPO_EXISTS', `${abs} is not empty; choose an empty or new directory`, {
        root: abs,
      });
    }
    const config = defaultButlerConfig({
      ...(options.registry ? { registry: registryLocation(options.registry) } : {}),
      datastore: {
        checksum: options.checksum ?? false,
        ...(options.templates ? { templates: options.templates } : {}),
      },
    });
    const createdDir = !existsSync(abs);
    mkdirSync(abs, { recursive: true });
    try {
      const db = await openRegistryDatabase(config.registry, abs, { create: true });
      let registry: Registry;
      try {
        registry = await Registry.create(db, options.universe ?? DimensionUniverse.default());
      } catch (err) {
        await db.close();
        throw err;
      }
      writeButlerConfig(abs, config);
      return new Butler(abs, config, registry, { writeable: true, formatters: options.formatters }, false);
    } catch (err) {
      // Leave nothing behind: remove what we created.
      if (createdDir) rmSync(abs, { recursive: true, force: true });
      else for (const f of readdirSync(abs)) rmSync(resolve(abs, f), { recursive: true, force: true });
      throw err;
    }
  }

  static async open(root: string, options: ButlerOpenOptions = {}): Promise<Butler> {
    const abs = resolve(root);
    const config = readButlerConfig(abs);
    const readOnly = !(options.writeable || options.run);
    const db = await openRegistryDatabase(config.registry, abs, { readOnly, onWait: options.onWait });
    let registry: Registry;
    try {
      registry = await Registry.open(db);
    } catch (err) {
      await db.close();
      throw err;
    }
    const butler = new Butler(abs, config, registry, options, readOnly);
    if (options.run) await registry.registerRun(options.run);
    return butler;
  }

  async close(): Promise<void> {
    await this.registry.close();
  }

  /** `await using butler = await Butler.open(repo)` closes it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  get universe(): DimensionUniverse {
    return this.registry.universe;
  }

  assertWriteable(action: string): void {
    if (this.readOnly) {
      throw meridianError('REPO_READ_ONLY', `cannot ${action}: the butler was opened read-only`, { action });
    }
  }

  // ---- dataset types ----------------------------------------------------------------------------------------

  async registerDatasetType(
    name: string,
    dimensions: readonly string[],
    storageClass: string,
    options: { isCalibration?: boolean } = {},
  ): Promise<boolean> {
    this.assertWriteable('register a dataset type');
    this.storageClasses.get(storageClass);
    const dt = new DatasetType(name, this.universe.group(dimensions), storageClass, options);
    this.datastore.validateTemplate(
      { name: dt.name, storageClass: dt.storageClass, dimensions: dt.dimensions.names },
      dt.dimensions.required,
    );
    return this.registry.registerDatasetType(dt);
  }

  /** A dataset type by name; component names (`calexp.wcs`) give the component's type. */
  async getDatasetType(name: string): Promise<DatasetType> {
    const parent = await this.registry.getDatasetType(name);
    const { component } = splitComponentName(name);
    if (component === null) return parent;
    const sc = this.storageClasses.get(parent.storageClass);
    return parent.makeComponent(component, sc.componentStorageClass(component));
  }

  // ---- put / get ----------------------------------------------------------------------------------------------

  /** The datastore's view of a ref: full data ID plus record fields for file templates (expanded if needed). */
  async datastoreRef(ref: DatasetRef, component: string | null = null): Promise<DatastoreRef> {
    if (ref.dataId.hasFull && ref.dataId.records !== undefined) return toDatastoreRef(ref, component);
    const coord = await this.registry.expandDataId(ref.dataId.values, ref.datasetType.dimensions);
    return toDatastoreRef({ ...ref, dataId: coord }, component);
  }

  /**
   * Store an object as a new dataset. Returns its ref. A failed or cancelled (`signal`, ABORTED) put leaves no file
   * and no registry row; a put killed outright leaves at most an orphan file, which its retry replaces.
   */
  async put(
    obj: unknown,
    datasetType: string | DatasetType,
    dataId: DataIdInput = {},
    options: { run?: string; signal?: AbortSignal } = {},
  ): Promise<DatasetRef> {
    this.assertWriteable('put');
    throwIfAborted(options.signal, 'put');
    const run = options.run ?? this.run;
    if (run === undefined)
      throw meridianError(
        'RUN_REQUIRED',
        'put needs an output RUN: pass { run } or open the butler with one',
      );
    const name = typeof datasetType === 'string' ? datasetType : datasetType.name;
    if (splitComponentName(name).component !== null) {
      throw meridianError('INVALID_ARGUMENT', `cannot put a component ('${name}'); put the parent dataset`);
    }
    const dt = await this.registry.getDatasetType(name);
    if (typeof datasetType !== 'string' && !datasetType.equals(dt)) {
      throw meridianError('DATASET_TYPE_CONFLICT', `${datasetType} differs from the registered ${dt}`);
    }
    this.storageClasses.get(dt.storageClass).checkValue?.(obj);
    const coord = await this.registry.expandDataId(dataId, dt.dimensions);
    let written: StoredFileInfo | undefined;
    let full: DatasetRef;
    try {
      // The dataset row is inserted before the file is placed, so a concurrent writer of the same dataset (and
      // path) waits or conflicts on the row before touching the file (docs/datastore.md, "Crash safety").
      full = await this.registry.transaction(async () => {
        await this.registry.registerRun(run);
        const [ref] = await this.registry.insertDatasets(name, [coord.values], run);
        const inserted: DatasetRef = { ...ref!, dataId: coord };
        written = await this.datastore.put(obj, await this.datastoreRef(inserted));
        throwIfAborted(options.signal, 'put');
        await this.registry.stored.insert([written]);
        return inserted;
      });
    } catch (err) {
      if (written !== undefined) await this.datastore.undoIngestOrPut(written).catch(() => {});
      throw err;
    }
    await this.datastore.finishIngest(written!);
    return full;
  }

  /** Resolve a dataset type + data ID (or a ref) to a registered ref, searching collections in order. */
  async findDataset(
    datasetType: string,
    dataId: DataIdInput = {},
    options: { collections?: readonly string[]; timespan?: Timespan | null } = {},
  ): Promise<DatasetRef | null> {
    const collections = collectionsToSearch(options.collections, this.collections);
    const dt = await this.registry.getDatasetType(datasetType);
    const coord = await this.registry.expandDataId(dataId, dataIdGroup(dt, dataId));
    return this.registry.findDataset(splitComponentName(datasetType).parent, coord, {
      collections,
      timespan: options.timespan,
    });
  }

  private async resolveRef(
    target: string | DatasetRef,
    dataId: DataIdInput,
    options: GetOptions,
  ): Promise<{ ref: DatasetRef; component: string | null }> {
    if (typeof target !== 'string') {
      return { ref: target, component: target.datasetType.component };
    }
    const { component } = splitComponentName(target);
    const ref = await this.findDataset(target, dataId, options);
    if (ref === null) {
      throw datasetNotFound(target, dataId, options.collections ?? this.collections);
    }
    return { ref, component };
  }

  /** Read a dataset (or one of its components, `calexp.wcs`), with optional read parameters. */
  async get(
    target: string | DatasetRef,
    dataId: DataIdInput = {},
    options: GetOptions = {},
  ): Promise<unknown> {
    const { ref, component } = await this.resolveRef(target, dataId, options);
    const info = await this.storedInfo(ref);
    const dsRef = await this.datastoreRef(ref, component);
    return this.datastore.get(info, dsRef, {
      component,
      parameters: options.parameters,
      verify: options.verify,
    });
  }

  private async storedInfo(ref: DatasetRef): Promise<StoredFileInfo> {
    const infos = (await this.registry.stored.get([ref.id])).get(ref.id);
    const info = infos?.find((i) => i.component === null) ?? infos?.[0];
    if (info === undefined) {
      throw meridianError(
        'DATASET_FILE_MISSING',
        `dataset ${ref.datasetType.name} ${ref.dataId} (${ref.id}) in ${ref.run} has no stored file (it was unstored)`,
        { id: ref.id },
      );
    }
    return info;
  }

  /** Absolute path of a dataset's file. */
  async getURI(
    target: string | DatasetRef,
    dataId: DataIdInput = {},
    options: GetOptions = {},
  ): Promise<string> {
    const { ref } = await this.resolveRef(target, dataId, options);
    return this.datastore.absolutePath(await this.storedInfo(ref));
  }

  /** Whether the dataset is known to the registry and its file exists. */
  async exists(
    target: string | DatasetRef,
    dataId: DataIdInput = {},
    options: GetOptions = {},
  ): Promise<boolean> {
    let ref: DatasetRef | null;
    if (typeof target === 'string') ref = await this.findDataset(target, dataId, options);
    else ref = await this.registry.getDataset(target.id);
    if (ref === null) return false;
    const infos = (await this.registry.stored.get([ref.id])).get(ref.id) ?? [];
    if (infos.length === 0) return false;
    for (const info of infos) if (!(await this.datastore.exists(info))) return false;
    return true;
  }

  // ---- queries ------------------------------------------------------------------------------------------------

  /** Datasets by type, `where` and data ID (Registry.queryDatasets); collections default to the butler's. */
  queryDatasets(
    datasetTypes: string | readonly string[],
    options: Partial<DatasetQueryOptions> = {},
  ): Promise<DatasetRef[]> {
    return this.registry.queryDatasets(datasetTypes, {
      ...options,
      collections: options.collections ?? this.collections,
    });
  }

  /** Data IDs of the given dimensions (Registry.queryDataIds). */
  queryDataIds(dimensions: readonly string[], options: DataIdQueryOptions = {}): Promise<DataCoordinate[]> {
    return this.registry.queryDataIds(dimensions, options);
  }

  /** Records of one dimension element (Registry.queryDimensionRecords). */
  queryDimensionRecords(element: string, options: DataIdQueryOptions = {}): Promise<DimensionRecord[]> {
    return this.registry.queryDimensionRecords(element, options);
  }

  // ---- ingest -------------------------------------------------------------------------------------------------

  /**
   * Ingest existing files. The whole batch is one transaction: if any file fails, nothing is registered and every
   * file already placed is put back.
   */
  async ingest(files: readonly FileDataset[], options: IngestOptions = {}): Promise<DatasetRef[]> {
    this.assertWriteable('ingest');
    const signal = options.signal;
    throwIfAborted(signal, 'ingest');
    const run = options.run ?? this.run;
    if (run === undefined) throw meridianError('RUN_REQUIRED', 'ingest needs an output RUN');
    const transfer = options.transfer ?? 'auto';
    const mode = options.idGenerationMode ?? 'UNIQUE';
    if (options.skipExisting && mode === 'UNIQUE') {
      throw meridianError(
        'INVALID_ARGUMENT',
        'skipExisting needs a deterministic idGenerationMode (DATAID_TYPE or DATAID_TYPE_RUN)',
      );
    }
    // Validate everything before touching anything.
    const prepared: { file: FileDataset; datasetType: string; coord: DataCoordinate }[] = [];
    for (const file of files) {
      throwIfAborted(signal, 'ingest');
      if (file.refs.length !== 1) {
        throw meridianError(
          'NOT_IMPLEMENTED',
          `ingesting ${file.refs.length} datasets from one file is not supported (${file.path})`,
        );
      }
      const r = file.refs[0]!;
      const dt = await this.registry.getDatasetType(r.datasetType);
      prepared.push({
        file,
        datasetType: r.datasetType,
        coord: await this.registry.expandDataId(r.dataId, dt.dimensions),
      });
    }
    const placed: { info: StoredFileInfo; transfer: TransferMode }[] = [];
    let refs: DatasetRef[];
    let alreadyPresent: DatasetRef[] = [];
    try {
      refs = await this.registry.transaction(async () => {
        alreadyPresent = [];
        await this.registry.registerRun(run);
        const out: DatasetRef[] = [];
        const infos: StoredFileInfo[] = [];
        for (const p of prepared) {
          // Inside the transaction: a cancellation rolls it back and the catch below puts placed files back.
          throwIfAborted(signal, 'ingest');
          let ref: DatasetRef | undefined;
          if (options.skipExisting) {
            const existing = await this.registry.findDataset(p.datasetType, p.coord, { collections: [run] });
            if (existing !== null) {
              const stored = (await this.registry.stored.get([existing.id])).get(existing.id);
              if (stored !== undefined) {
                out.push(existing);
                alreadyPresent.push(existing);
                continue;
              }
              ref = existing;
            }
          }
          if (ref === undefined) {
            [ref] = await this.registry.insertDatasets(p.datasetType, [p.coord.values], run, mode);
          }
          const full: DatasetRef = { ...ref!, dataId: p.coord };
          // A 'move' keeps its source until the records are committed (finishIngest below).
          const info = await this.datastore.ingest(p.file.path, await this.datastoreRef(full), transfer, {
            formatter: p.file.formatter,
            deferSourceRemoval: true,
          });
          placed.push({ info, transfer });
          infos.push(info);
          out.push(full);
        }
        throwIfAborted(signal, 'ingest');
        await this.registry.stored.insert(infos);
        return out;
      });
    } catch (err) {
      for (const p of placed.reverse())
        await this.datastore.undoIngestOrPut(p.info, p.transfer).catch(() => {});
      throw err;
    }
    // Committed (unless a caller wrapped this call in its own transaction: then a 'move' source goes before that
    // outer commit, which is why the CLI does not wrap it).
    for (const p of placed) await this.datastore.finishIngest(p.info);
    for (const ref of alreadyPresent) options.onAlreadyPresent?.(ref);
    return refs;
  }

  // ---- removal ------------------------------------------------------------------------------------------------

  /**
   * Delete the files of trashed records, then the trash rows, in batches of one write transaction each (see
   * removal.ts). Safe to re-run after an interruption. Returns the number of files deleted.
   */
  emptyTrash(options: { signal?: AbortSignal } = {}): Promise<number> {
    return emptyTrash(this, options);
  }

  /**
   * Remove RUN collections, their datasets and (with `unstore`, the default) their files: one RUN per transaction,
   * each followed by the deletion of its files, after any trash of an earlier interrupted removal (see removal.ts).
   * Returns the number of datasets removed.
   */
  removeRuns(
    names: readonly string[],
    options: { unstore?: boolean; unlinkFromChains?: boolean; signal?: AbortSignal } = {},
  ): Promise<number> {
    return removeRuns(this, names, options);
  }

  /**
   * Repair what interrupted commands left: empty the trash, then delete orphan files (no record points to them)
   * and leftover temporary files. See `cleanupRepository` for the options and the report.
   */
  cleanup(options: CleanupOptions = {}): Promise<CleanupReport> {
    return cleanupRepository(this, options);
  }

  /**
   * Prune datasets: `purge` deletes them from the registry and their files; `unstore` deletes only files;
   * `disassociate` removes them from TAGGED collections.
   */
  async pruneDatasets(
    refs: readonly DatasetRef[],
    options: { purge?: boolean; unstore?: boolean; disassociate?: readonly string[] } = {},
  ): Promise<void> {
    this.assertWriteable('prune datasets');
    if (options.purge && options.disassociate && options.disassociate.length > 0) {
      throw meridianError(
        'INVALID_ARGUMENT',
        'purge and disassociate cannot be combined (purge removes datasets everywhere)',
      );
    }
    await this.registry.transaction(async () => {
      for (const tag of options.disassociate ?? []) await this.registry.disassociate(tag, refs);
      if (options.purge || options.unstore) await this.registry.stored.moveToTrash(refs.map((r) => r.id));
      if (options.purge) await this.registry.removeDatasets(refs);
    });
    if (options.purge || options.unstore) await this.emptyTrash();
  }

  /** Remove a non-RUN collection (RUNs go through removeRuns, which also handles their files). */
  async removeCollection(name: string, options: { unlinkFromChains?: boolean } = {}): Promise<void> {
    this.assertWriteable('remove a collection');
    const rec = await this.registry.collections.get(name);
    if (rec.type === 'RUN') {
      await this.removeRuns([name], { unlinkFromChains: options.unlinkFromChains });
      return;
    }
    await this.registry.transaction(async () => {
      if (options.unlinkFromChains) await this.registry.collections.unlinkFromChains(name);
      await this.registry.removeCollection(name);
    });
  }

  /** Copy (or link) dataset files out of the repository. */
  async retrieveArtifacts(
    refs: readonly DatasetRef[],
    destination: string,
    options: {
      transfer?: 'copy' | 'link' | 'hardlink' | 'symlink';
      preservePath?: boolean;
      clobber?: boolean;
    } = {},
  ): Promise<string[]> {
    const out: string[] = [];
    const infos = await this.registry.stored.get(refs.map((r) => r.id));
    mkdirSync(destination, { recursive: true });
    for (const ref of refs) {
      for (const info of infos.get(ref.id) ?? []) {
        out.push(
          await this.datastore.retrieve(info, resolve(destination), {
            transfer: options.transfer ?? 'copy',
            preservePath: options.preservePath ?? true,
            clobber: options.clobber ?? false,
          }),
        );
      }
    }
    return out;
  }
}

/** The dimensions a data ID should be expanded to for a dataset type lookup (adds temporal ones given). */
function dataIdGroup(dt: DatasetType, dataId: DataIdInput) {
  const extra = Object.keys(dataId).filter((k) => !k.includes('.') && dt.dimensions.universe.has(k));
  return dt.dimensions.union(extra);
}
