/**
 * `RemoteButler`: the butler's read interface over the Butler API (`meridian serve --repo`, docs/butler-api.md),
 * with the same method names and signatures as `Butler` where they make sense, so that code written against the
 * `ButlerReader` type runs on either. Results are rebuilt from the API's versioned JSON (refs, data IDs, records)
 * in the server's dimension universe; `get()` downloads the dataset's file and reads it with the standard
 * formatters, exactly as the local datastore does (components and read parameters included). Uses the global
 * fetch only and knows nothing of the server's code.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { meridianError } from '../../errors.js';
import type { Butler, GetOptions } from '../butler.js';
import {
  type DatasetRef,
  type DatasetRefJSON,
  DatasetType,
  type DatasetTypeJSON,
  refFromJSON,
  splitComponentName,
} from '../core/dataset-type.js';
import { FileDatastore } from '../datastore/file-datastore.js';
import type { DataCoordinate, DataIdInput, DataIdValue, DimensionRecord } from '../dimensions/data-id.js';
import {
  type DataIdJSON,
  type DimensionRecordJSON,
  dataIdFromJSON,
  dimensionRecordFromJSON,
} from '../dimensions/data-id-json.js';
import { DimensionUniverse } from '../dimensions/universe.js';
import { type FormatterPlugin, standardFormatters } from '../formatters/standard.js';
import { collectionsToSearch, datasetNotFound } from '../lookup.js';
import type { CollectionRecord, CollectionType } from '../registry/collections.js';
import type { DataIdQueryOptions, DatasetQueryOptions } from '../registry/registry.js';
import type { FormatterRegistry } from '../storage/formatter.js';
import type { StorageClassRegistry } from '../storage/storage-class.js';
import type { Timespan } from '../time/index.js';
import { ButlerHttp } from './http.js';

/** The major version of the Butler API this client speaks. */
const API_VERSION = 1;

/** The read methods `Butler` and `RemoteButler` share: code typed against this runs on either. */
export type ButlerReader = Pick<
  Butler,
  | 'getDatasetType'
  | 'findDataset'
  | 'get'
  | 'exists'
  | 'queryDatasets'
  | 'queryDataIds'
  | 'queryDimensionRecords'
>;

export interface RemoteButlerOptions {
  /** A token with the `read:butler` scope (and `read:image` for `get`), sent as `Authorization: Bearer`. */
  readonly token?: string;
  /** Default collections searched by get/find/queryDatasets, as `Butler.open(..., { collections })`. */
  readonly collections?: readonly string[];
  /** Formatters beyond the standard ones, to read datasets of storage classes the server has plugins for. */
  readonly formatters?: readonly FormatterPlugin[];
  /** Replaces the global fetch. */
  readonly fetch?: typeof fetch;
}

/** What the Butler API says about one stored file of a dataset (the server writes it with this same type). */
export interface StoredFileJSON {
  readonly component: string | null;
  readonly formatter: string;
  readonly storageClass: string;
  readonly sizeBytes: number;
  readonly checksum: string | null;
  /** The file's name (no directory): the download's suggested name and extension. */
  readonly filename: string;
}

interface QueryAnswer {
  readonly count: number;
  readonly limit: number;
  readonly truncated: boolean;
}

/** A collection as the API lists it, with the members of a chain. */
export interface RemoteCollection {
  readonly name: string;
  readonly type: CollectionType;
  readonly doc: string | null;
  readonly children?: readonly string[];
}

function plainDataId(dataId: DataIdInput): Record<string, DataIdValue> {
  const out: Record<string, DataIdValue> = {};
  for (const [key, value] of Object.entries(dataId)) {
    if (value === undefined || value === null) continue;
    out[key] = typeof value === 'bigint' ? Number(value) : typeof value === 'boolean' ? String(value) : value;
  }
  return out;
}

function path(...parts: string[]): string {
  return parts.map((p) => `/${encodeURIComponent(p)}`).join('');
}

export class RemoteButler {
  readonly url: string;
  /** Default collections of get/find/queryDatasets. */
  collections: readonly string[];
  readonly storageClasses: StorageClassRegistry;
  readonly formatters: FormatterRegistry;
  readonly #http: ButlerHttp;
  #universe: DimensionUniverse | undefined;
  #connecting: Promise<DimensionUniverse> | undefined;

  constructor(url: string, options: RemoteButlerOptions = {}) {
    this.#http = new ButlerHttp(url, options);
    this.url = this.#http.baseUrl;
    this.collections = options.collections ?? [];
    const { storageClasses, formatters } = standardFormatters(options.formatters);
    this.storageClasses = storageClasses;
    this.formatters = formatters;
  }

  /** A RemoteButler that has already checked the server and loaded its universe (so `.universe` is available). */
  static async open(url: string, options: RemoteButlerOptions = {}): Promise<RemoteButler> {
    const butler = new RemoteButler(url, options);
    await butler.connect();
    return butler;
  }

  /** Checks the server's API version and loads its dimension universe; other calls do this on first use. */
  connect(signal?: AbortSignal): Promise<DimensionUniverse> {
    if (this.#universe !== undefined) return Promise.resolve(this.#universe);
    this.#connecting ??= (async () => {
      const info = await this.#http.json<{ service?: string; apiVersion?: number }>('', { signal });
      if (info.service !== 'meridian-butler' || info.apiVersion !== API_VERSION) {
        throw meridianError(
          'REMOTE_UNAVAILABLE',
          `${this.url} is not a Meridian Butler API of version ${API_VERSION} (it says ${JSON.stringify(info).slice(0, 120)})`,
          { url: this.url },
        );
      }
      const universe = await this.#http.json<{ config: unknown }>('/universe', { signal });
      this.#universe = new DimensionUniverse(universe.config);
      return this.#universe;
    })();
    this.#connecting.catch(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  /** The server's dimension universe; available after `connect()` (or `RemoteButler.open`). */
  get universe(): DimensionUniverse {
    if (this.#universe === undefined) {
      throw meridianError(
        'INVALID_ARGUMENT',
        'the RemoteButler is not connected yet: await remote.connect() first',
      );
    }
    return this.#universe;
  }

  /** Nothing to release (HTTP keeps no session); present so that RemoteButler closes like Butler. */
  async close(): Promise<void> {}

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- dataset types and collections ------------------------------------------------------------------------

  private async datasetTypeFromJSON(json: DatasetTypeJSON): Promise<DatasetType> {
    const universe = await this.connect();
    return new DatasetType(json.name, universe.group(json.dimensions), json.storageClass, {
      isCalibration: json.isCalibration,
      parentStorageClass: json.parentStorageClass,
    });
  }

  /** A dataset type by name; component names (`calexp.wcs`) give the component's type. */
  async getDatasetType(name: string): Promise<DatasetType> {
    return this.datasetTypeFromJSON(await this.#http.json<DatasetTypeJSON>(path('dataset-types', name)));
  }

  /** Registered dataset types whose names match the globs (all without patterns), as `Registry.queryDatasetTypes`. */
  async queryDatasetTypes(patterns: readonly string[] = []): Promise<DatasetType[]> {
    const query = patterns.map((p) => `pattern=${encodeURIComponent(p)}`).join('&');
    const answer = await this.#http.json<{ datasetTypes: DatasetTypeJSON[] }>(
      `/dataset-types${query ? `?${query}` : ''}`,
    );
    return Promise.all(answer.datasetTypes.map((d) => this.datasetTypeFromJSON(d)));
  }

  /** Collections matching the globs and types, as `Registry.queryCollections` (without the internal ids). */
  async queryCollections(
    patterns: readonly string[] = [],
    types?: readonly CollectionType[],
  ): Promise<RemoteCollection[]> {
    const query = [
      ...patterns.map((p) => `pattern=${encodeURIComponent(p)}`),
      ...(types ?? []).map((t) => `type=${encodeURIComponent(t)}`),
    ].join('&');
    const answer = await this.#http.json<{ collections: RemoteCollection[] }>(
      `/collections${query ? `?${query}` : ''}`,
    );
    return answer.collections;
  }

  async getCollectionType(name: string): Promise<CollectionRecord['type']> {
    return (await this.collectionInfo(name)).type;
  }

  async getCollectionChain(name: string): Promise<string[]> {
    const info = await this.collectionInfo(name);
    if (info.type !== 'CHAINED') {
      throw meridianError('COLLECTION_TYPE', `collection ${name} is ${info.type}, not CHAINED`, { name });
    }
    return [...(info.children ?? [])];
  }

  /** A collection with its chain members, the chains it belongs to and the dataset types it holds. */
  collectionInfo(name: string): Promise<RemoteCollection & { parents: string[]; datasetTypes: string[] }> {
    return this.#http.json(`/collections/${name.split('/').map(encodeURIComponent).join('/')}`);
  }

  // ---- finding and reading datasets -------------------------------------------------------------------------

  private async refFrom(json: DatasetRefJSON): Promise<DatasetRef> {
    return refFromJSON(json, await this.connect());
  }

  /** Resolve a dataset type + data ID to a registered ref, searching collections in order. */
  async findDataset(
    datasetType: string,
    dataId: DataIdInput = {},
    options: { collections?: readonly string[]; timespan?: Timespan | null } = {},
  ): Promise<DatasetRef | null> {
    const collections = collectionsToSearch(options.collections, this.collections);
    const answer = await this.#http.json<{ ref: DatasetRefJSON | null }>('/find-dataset', {
      method: 'POST',
      body: {
        datasetType,
        dataId: plainDataId(dataId),
        collections,
        ...(options.timespan ? { timespan: options.timespan.toJSON() } : {}),
      },
    });
    if (answer.ref === null) return null;
    const ref = await this.refFrom(answer.ref);
    // The server finds the parent dataset; a component name asks for the component's ref, as the local butler.
    const { component } = splitComponentName(datasetType);
    if (component === null) return ref;
    const componentType = await this.getDatasetType(datasetType);
    return { ...ref, datasetType: componentType };
  }

  /** A dataset by id (null if the server has none). */
  async getDataset(id: string): Promise<DatasetRef | null> {
    try {
      return await this.refFrom((await this.datasetInfo(id)).ref);
    } catch (err) {
      if ((err as { code?: string }).code === 'DATASET_NOT_FOUND') return null;
      throw err;
    }
  }

  private datasetInfo(id: string): Promise<{ ref: DatasetRefJSON; files: StoredFileJSON[] }> {
    return this.#http.json(path('datasets', id));
  }

  private async resolveRef(
    target: string | DatasetRef,
    dataId: DataIdInput,
    options: GetOptions,
  ): Promise<{ ref: DatasetRef; component: string | null }> {
    if (typeof target !== 'string') return { ref: target, component: target.datasetType.component };
    const ref = await this.findDataset(splitComponentName(target).parent, dataId, options);
    if (ref === null) {
      throw datasetNotFound(target, dataId, options.collections ?? this.collections);
    }
    return { ref, component: splitComponentName(target).component };
  }

  /**
   * Read a dataset (or one of its components, `calexp.wcs`), with optional read parameters: the file is downloaded
   * and read with the same formatter as the local datastore would use (`verify` checks the recorded checksum).
   */
  async get(
    target: string | DatasetRef,
    dataId: DataIdInput = {},
    options: GetOptions = {},
  ): Promise<unknown> {
    const { ref, component: requested } = await this.resolveRef(target, dataId, options);
    const { files } = await this.datasetInfo(ref.id);
    const info = files.find((f) => f.component === null) ?? files[0];
    if (info === undefined) {
      throw meridianError(
        'DATASET_FILE_MISSING',
        `dataset ${ref.datasetType.name} ${ref.dataId} (${ref.id}) in ${ref.run} has no stored file (it was unstored)`,
        { id: ref.id },
      );
    }
    const response = await this.#http.request(`${path('datasets', ref.id)}/file`, {
      headers: { accept: '*/*' },
    });
    const bytes = new Uint8Array(await response.arrayBuffer());
    const dir = await mkdtemp(join(tmpdir(), 'meridian-remote-'));
    try {
      // The server's file name keeps the extension a formatter may look at (`.fits.fz`); no directory part.
      const file = join(dir, info.filename.replace(/[/\\]/g, '_') || 'dataset');
      await writeFile(file, bytes);
      if (options.verify === true && info.checksum !== null) {
        const actual = await FileDatastore.computeChecksum(file);
        if (actual !== info.checksum) {
          throw meridianError(
            'DATASET_CHECKSUM_MISMATCH',
            `dataset ${ref.id}: the downloaded file has checksum ${actual}, expected ${info.checksum}`,
            { datasetId: ref.id, expected: info.checksum, actual },
          );
        }
      }
      const formatter = this.formatters.byName(info.formatter);
      // A file that holds one component already is that component: read it whole (as FileDatastore.get).
      const component = requested === info.component ? null : requested;
      return await formatter.read(file, {
        component,
        parameters: options.parameters,
        storageClass: this.storageClasses.get(info.storageClass),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** The dataset's download URL (the local butler gives a file path). */
  async getURI(
    target: string | DatasetRef,
    dataId: DataIdInput = {},
    options: GetOptions = {},
  ): Promise<string> {
    const { ref } = await this.resolveRef(target, dataId, options);
    return `${this.url}${path('datasets', ref.id)}/file`;
  }

  /** Whether the dataset is known to the registry and its file exists. */
  async exists(
    target: string | DatasetRef,
    dataId: DataIdInput = {},
    options: GetOptions = {},
  ): Promise<boolean> {
    const ref = typeof target === 'string' ? await this.findDataset(target, dataId, options) : target;
    if (ref === null) return false;
    const answer = await this.#http.json<{ exists: boolean }>(`${path('datasets', ref.id)}/exists`);
    return answer.exists;
  }

  // ---- queries ------------------------------------------------------------------------------------------------

  /**
   * POSTs a query and checks the server's row limit: a result the server cut while the caller asked for more rows
   * (or for all of them) is QUERY_LIMIT rather than a silently short answer.
   */
  private async query<T extends QueryAnswer>(
    route: string,
    body: Record<string, unknown>,
    requestedLimit: number | null | undefined,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    const answer = await this.#http.json<T>(route, { method: 'POST', body, signal });
    const wanted = requestedLimit ?? Number.POSITIVE_INFINITY;
    if (answer.truncated && answer.limit < wanted) {
      throw meridianError(
        'QUERY_LIMIT',
        `the server returns at most ${answer.limit} rows per query and more matched; pass { limit } (and offset) or a narrower where`,
        { limit: answer.limit },
      );
    }
    return answer;
  }

  private static queryBody(options: DataIdQueryOptions | Partial<DatasetQueryOptions>) {
    return {
      ...(options.where ? { where: options.where } : {}),
      ...(options.bind ? { bind: options.bind } : {}),
      ...(options.dataId ? { dataId: plainDataId(options.dataId) } : {}),
      ...(options.orderBy ? { orderBy: options.orderBy } : {}),
      ...(typeof options.limit === 'number' ? { limit: options.limit } : {}),
      ...(typeof options.offset === 'number' ? { offset: options.offset } : {}),
    };
  }

  /** Datasets by type, `where` and data ID (Registry.queryDatasets); collections default to the butler's. */
  async queryDatasets(
    datasetTypes: string | readonly string[],
    options: Partial<DatasetQueryOptions> = {},
  ): Promise<DatasetRef[]> {
    const answer = await this.query<QueryAnswer & { refs: DatasetRefJSON[] }>(
      '/query-datasets',
      {
        datasetTypes: typeof datasetTypes === 'string' ? [datasetTypes] : datasetTypes,
        collections: options.collections ?? this.collections,
        ...(options.findFirst === undefined ? {} : { findFirst: options.findFirst }),
        ...RemoteButler.queryBody(options),
      },
      options.limit,
      options.signal,
    );
    const universe = await this.connect();
    return answer.refs.map((r) => refFromJSON(r, universe));
  }

  /** Data IDs of the given dimensions (Registry.queryDataIds). */
  async queryDataIds(
    dimensions: readonly string[],
    options: DataIdQueryOptions = {},
  ): Promise<DataCoordinate[]> {
    const answer = await this.query<QueryAnswer & { dataIds: DataIdJSON[] }>(
      '/query-data-ids',
      {
        dimensions,
        ...(options.datasets ? { datasets: options.datasets } : {}),
        ...(options.collections ? { collections: options.collections } : {}),
        ...RemoteButler.queryBody(options),
      },
      options.limit,
      options.signal,
    );
    const universe = await this.connect();
    return answer.dataIds.map((d) => dataIdFromJSON(d, universe));
  }

  /** Records of one dimension element (Registry.queryDimensionRecords). */
  async queryDimensionRecords(element: string, options: DataIdQueryOptions = {}): Promise<DimensionRecord[]> {
    const answer = await this.query<QueryAnswer & { records: DimensionRecordJSON[] }>(
      '/query-dimension-records',
      {
        element,
        ...(options.datasets ? { datasets: options.datasets } : {}),
        ...(options.collections ? { collections: options.collections } : {}),
        ...RemoteButler.queryBody(options),
      },
      options.limit,
      options.signal,
    );
    return answer.records.map(dimensionRecordFromJSON);
  }
}
