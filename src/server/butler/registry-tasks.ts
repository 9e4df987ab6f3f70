/**
 * The Butler API's registry work, run in worker threads (src/pool): better-sqlite3 is synchronous, so a slow
 * registry query on the server's own thread would stall every other request (TAP cone searches included). Each
 * thread opens the repository once, read-only, and keeps it for the next task. Inputs and results are plain JSON
 * data (refs, data IDs and records in their versioned JSON forms), so they cross threads and HTTP unchanged; coded
 * errors keep their code across the thread boundary (pool/protocol.ts).
 */

import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  Butler,
  type DataIdJSON,
  type DatasetRef,
  type DatasetRefJSON,
  type DatasetType,
  type DatasetTypeJSON,
  type DimensionRecordJSON,
  dataIdToJSON,
  dimensionRecordToJSON,
  isContained,
  parseCollectionType,
  refToJSON,
  type StoredFileJSON,
  Timespan,
} from '../../butler/index.js';
import { meridianError } from '../../errors.js';
import { fitsBuffer } from '../../formats/index.js';
import { type TaskContext, withTransfer } from '../../pool/index.js';

/** Every task names the repository it reads; a thread may serve several (tests open more than one). */
interface RepoInput {
  readonly repo: string;
}

const opened = new Map<string, Promise<Butler>>();

function butlerFor(repo: string): Promise<Butler> {
  let butler = opened.get(repo);
  if (butler === undefined) {
    butler = Butler.open(repo);
    // A failed open (repository missing) must not be cached: the next task tries again.
    butler.catch(() => opened.delete(repo));
    opened.set(repo, butler);
  }
  return butler;
}

export function datasetTypeToJSON(dt: DatasetType): DatasetTypeJSON {
  return {
    name: dt.name,
    dimensions: [...dt.dimensions.names],
    storageClass: dt.storageClass,
    isCalibration: dt.isCalibration,
    parentStorageClass: dt.parentStorageClass,
  };
}

// ---- metadata ------------------------------------------------------------------------------------------------

export interface RepositoryInfo {
  readonly universe: unknown;
  readonly universeTag: string;
}

export async function repositoryInfo(input: RepoInput): Promise<RepositoryInfo> {
  const butler = await butlerFor(input.repo);
  const universe = butler.universe;
  return { universe: universe.toJSON(), universeTag: `${universe.namespace}:${universe.version}` };
}

export async function datasetTypes(
  input: RepoInput & { readonly patterns: readonly string[] },
): Promise<DatasetTypeJSON[]> {
  const butler = await butlerFor(input.repo);
  return (await butler.registry.queryDatasetTypes(input.patterns)).map(datasetTypeToJSON);
}

export async function datasetType(input: RepoInput & { readonly name: string }): Promise<DatasetTypeJSON> {
  const butler = await butlerFor(input.repo);
  return datasetTypeToJSON(await butler.getDatasetType(input.name));
}

export interface CollectionJSON {
  readonly name: string;
  readonly type: string;
  readonly doc: string | null;
  /** Members of a CHAINED collection, in search order. */
  readonly children?: readonly string[];
}

export async function collections(
  input: RepoInput & { readonly patterns: readonly string[]; readonly types: readonly string[] },
): Promise<CollectionJSON[]> {
  const butler = await butlerFor(input.repo);
  const types = input.types.length > 0 ? input.types.map(parseCollectionType) : undefined;
  const records = await butler.registry.queryCollections(input.patterns, types);
  const out: CollectionJSON[] = [];
  for (const r of records) {
    const children = r.type === 'CHAINED' ? await butler.registry.getCollectionChain(r.name) : undefined;
    out.push({ name: r.name, type: r.type, doc: r.doc, ...(children ? { children } : {}) });
  }
  return out;
}

export interface CollectionDetailJSON extends CollectionJSON {
  /** Chains this collection is a member of. */
  readonly parents: readonly string[];
  /** Dataset types with datasets in the collection (its summary). */
  readonly datasetTypes: readonly string[];
}

export async function collection(
  input: RepoInput & { readonly name: string },
): Promise<CollectionDetailJSON> {
  const butler = await butlerFor(input.repo);
  const type = await butler.registry.getCollectionType(input.name);
  const [record] = (await butler.registry.queryCollections([input.name])).filter(
    (r) => r.name === input.name,
  );
  return {
    name: input.name,
    type,
    doc: record?.doc ?? null,
    ...(type === 'CHAINED' ? { children: await butler.registry.getCollectionChain(input.name) } : {}),
    parents: await butler.registry.getCollectionParentChains(input.name),
    datasetTypes: await butler.registry.collectionSummary(input.name),
  };
}

// ---- datasets ------------------------------------------------------------------------------------------------

export interface DatasetJSON {
  readonly ref: DatasetRefJSON;
  readonly files: readonly StoredFileJSON[];
}

async function refById(butler: Butler, id: string): Promise<DatasetRef> {
  const ref = await butler.registry.getDataset(id);
  if (ref === null) {
    throw meridianError('DATASET_NOT_FOUND', `no dataset has id ${id}`, { id });
  }
  return {
    ...ref,
    dataId: await butler.registry.expandDataId(ref.dataId.values, ref.datasetType.dimensions),
  };
}

export async function dataset(input: RepoInput & { readonly id: string }): Promise<DatasetJSON> {
  const butler = await butlerFor(input.repo);
  const ref = await refById(butler, input.id);
  const infos = (await butler.registry.stored.get([ref.id])).get(ref.id) ?? [];
  return {
    ref: refToJSON(ref),
    files: infos.map((i) => ({
      component: i.component,
      formatter: i.formatter,
      storageClass: i.storageClass,
      sizeBytes: i.fileSize,
      checksum: i.checksum,
      filename: basename(i.path),
    })),
  };
}

export async function datasetExists(input: RepoInput & { readonly id: string }): Promise<boolean> {
  const butler = await butlerFor(input.repo);
  const ref = await butler.registry.getDataset(input.id);
  return ref !== null && butler.exists(ref);
}

export interface FindDatasetInput extends RepoInput {
  readonly datasetType: string;
  readonly dataId: Readonly<Record<string, string | number>>;
  readonly collections: readonly string[];
  readonly timespan?: { readonly begin: string | null; readonly end: string | null } | null;
}

export async function findDataset(input: FindDatasetInput): Promise<DatasetRefJSON | null> {
  const butler = await butlerFor(input.repo);
  const ref = await butler.findDataset(input.datasetType, input.dataId, {
    collections: input.collections,
    timespan: input.timespan ? Timespan.fromJSON(input.timespan) : null,
  });
  return ref === null ? null : refToJSON(ref);
}

/** Options shared by the three queries, as they arrive in a request body (validated by the route). */
export interface QueryInput extends RepoInput {
  readonly where?: string | null;
  readonly bind?: Readonly<Record<string, unknown>>;
  readonly dataId?: Readonly<Record<string, string | number>>;
  readonly orderBy?: readonly string[];
  readonly offset?: number | null;
  /** Rows wanted; the task reads one more to tell whether the result was cut. */
  readonly limit: number;
}

export interface QueryResult<T> {
  readonly rows: T[];
  /** More rows matched than `limit`. */
  readonly truncated: boolean;
}

function cut<T>(rows: T[], limit: number): QueryResult<T> {
  return rows.length > limit ? { rows: rows.slice(0, limit), truncated: true } : { rows, truncated: false };
}

function queryOptions(input: QueryInput, signal: AbortSignal) {
  return {
    where: input.where ?? null,
    bind: input.bind ?? {},
    dataId: input.dataId ?? {},
    orderBy: input.orderBy ?? [],
    offset: input.offset ?? null,
    limit: input.limit + 1,
    signal,
  };
}

export async function queryDatasets(
  input: QueryInput & {
    readonly datasetTypes: readonly string[];
    readonly collections: readonly string[];
    readonly findFirst?: boolean;
  },
  context: TaskContext,
): Promise<QueryResult<DatasetRefJSON>> {
  const butler = await butlerFor(input.repo);
  const refs = await butler.registry.queryDatasets(input.datasetTypes, {
    ...queryOptions(input, context.signal),
    collections: input.collections,
    findFirst: input.findFirst,
  });
  return cut(refs.map(refToJSON), input.limit);
}

export async function queryDataIds(
  input: QueryInput & {
    readonly dimensions: readonly string[];
    readonly datasets?: readonly string[];
    readonly collections?: readonly string[];
  },
  context: TaskContext,
): Promise<QueryResult<DataIdJSON>> {
  const butler = await butlerFor(input.repo);
  const ids = await butler.registry.queryDataIds(input.dimensions, {
    ...queryOptions(input, context.signal),
    datasets: input.datasets,
    collections: input.collections,
  });
  return cut(ids.map(dataIdToJSON), input.limit);
}

export async function queryDimensionRecords(
  input: QueryInput & {
    readonly element: string;
    readonly datasets?: readonly string[];
    readonly collections?: readonly string[];
  },
  context: TaskContext,
): Promise<QueryResult<DimensionRecordJSON>> {
  const butler = await butlerFor(input.repo);
  const records = await butler.registry.queryDimensionRecords(input.element, {
    ...queryOptions(input, context.signal),
    datasets: input.datasets,
    collections: input.collections,
  });
  return cut(records.map(dimensionRecordToJSON), input.limit);
}

// ---- files ---------------------------------------------------------------------------------------------------

/** A dataset's file as stored: the route streams it (with Range) from `path`. */
export interface StoredFileDownload {
  readonly kind: 'file';
  /** Absolute path, checked to lie inside the datastore root; never sent to the client. */
  readonly path: string;
  readonly filename: string;
  readonly sizeBytes: number;
  readonly modifiedMs: number;
  readonly formatter: string;
}

/** A component read through the formatters and written anew: FITS for an image plane, JSON for the rest. */
export interface ComponentDownload {
  readonly kind: 'bytes';
  readonly bytes: Uint8Array;
  readonly contentType: string;
  readonly filename: string;
  /** The stored file's modification time, for the ETag (a newer Meridian may write a component differently). */
  readonly modifiedMs: number;
}

export type DownloadInput = RepoInput & { readonly id: string; readonly component: string | null };

function outsideRoot(id: string): Error {
  return meridianError(
    'PATH_TRAVERSAL',
    `the file of dataset ${id} lies outside the repository's datastore and is not served over HTTP`,
    { id },
  );
}

export async function datasetFile(input: DownloadInput): Promise<StoredFileDownload> {
  const butler = await butlerFor(input.repo);
  const ref = await refById(butler, input.id);
  const infos = (await butler.registry.stored.get([ref.id])).get(ref.id) ?? [];
  const info = infos.find((i) => i.component === null) ?? infos[0];
  if (info === undefined) {
    throw meridianError('DATASET_FILE_MISSING', `dataset ${ref.id} has no stored file (it was unstored)`, {
      id: ref.id,
    });
  }
  const path = butler.datastore.absolutePath(info);
  // A file ingested 'direct' keeps its absolute path outside the root: the API serves only the datastore.
  if (!isContained(butler.root, path)) throw outsideRoot(ref.id);
  const stats = await stat(path).catch(() => {
    throw meridianError(
      'DATASET_FILE_MISSING',
      `the file of dataset ${ref.id} is missing from the datastore`,
      {
        id: ref.id,
      },
    );
  });
  return {
    kind: 'file',
    path,
    filename: basename(info.path),
    sizeBytes: stats.size,
    modifiedMs: Math.trunc(stats.mtimeMs),
    formatter: info.formatter,
  };
}

/** JSON with bigints as numbers when they fit, else strings (FITS metadata cards may hold 64-bit integers). */
function componentJSON(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v,
  );
}

function isPlane(
  value: unknown,
): value is { array: Float32Array | Int32Array; width: number; height: number } {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { array?: unknown; width?: unknown; height?: unknown };
  return (
    (v.array instanceof Float32Array || v.array instanceof Int32Array) &&
    typeof v.width === 'number' &&
    typeof v.height === 'number'
  );
}

export async function datasetComponent(input: DownloadInput & { readonly component: string }) {
  const butler = await butlerFor(input.repo);
  const ref = await refById(butler, input.id);
  const parent = ref.datasetType;
  const componentType = parent.makeComponent(
    input.component,
    butler.storageClasses.get(parent.storageClass).componentStorageClass(input.component),
  );
  const stored = await datasetFile(input); // the same containment check as a whole-file download
  const value = await butler.get({ ...ref, datasetType: componentType });
  const stem = `${parent.name}_${ref.id}.${input.component}`;
  if (isPlane(value)) {
    const bytes = fitsBuffer([{ kind: 'image', data: value.array, shape: [value.width, value.height] }]);
    const out = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return withTransfer<ComponentDownload>(
      {
        kind: 'bytes',
        bytes: out,
        contentType: 'application/fits',
        filename: `${stem}.fits`,
        modifiedMs: stored.modifiedMs,
      },
      [out.buffer as ArrayBuffer],
    );
  }
  const bytes = new TextEncoder().encode(componentJSON(value ?? null));
  return withTransfer<ComponentDownload>(
    {
      kind: 'bytes',
      bytes,
      contentType: 'application/json',
      filename: `${stem}.json`,
      modifiedMs: stored.modifiedMs,
    },
    [bytes.buffer],
  );
}

/** Closes the thread's repositories (the pool calls nothing at exit; tests and benches may). */
export async function closeRepositories(): Promise<number> {
  const all = [...opened.values()];
  opened.clear();
  await Promise.all(all.map(async (b) => (await b).close().catch(() => undefined)));
  return all.length;
}
