import { meridianError } from '../../errors.js';
import type { DatasetRef } from '../core/dataset-type.js';
import type { DatastoreRef, StoredFileInfo, TransferMode } from './types.js';

export type VerifyResult =
  | { ok: true }
  | { ok: false; problem: 'missing' | 'size' | 'checksum'; detail: string };

export type RetrieveMode = 'copy' | 'link' | 'hardlink' | 'symlink' | 'move';

export interface DatastoreGetOptions {
  /** The component to read; defaults to the ref's (`ref.component`, or 'wcs' of a 'calexp.wcs' type name). */
  readonly component?: string | null;
  readonly parameters?: Record<string, unknown>;
  /** Recompute the checksum first (when one was recorded); DATASET_CHECKSUM_MISMATCH if the file changed. */
  readonly verify?: boolean;
}

/**
 * Where dataset files live and how they are read and written. A datastore does file work only: it never talks to
 * the registry. Writes return `StoredFileInfo` records, which the caller keeps (the Butler in the registry table
 * `file_datastore_records`; a job without a registry next to its outputs) and hands back for reads, removal and
 * verification. Refs are `DatastoreRef`s: plain data built from an expanded `DatasetRef` by `toDatastoreRef`.
 */
export interface Datastore {
  /** The root-relative path a dataset would be written to. */
  predictPath(ref: DatastoreRef): string;
  /** CONFIG_INVALID unless the template chosen for a dataset type gives each data ID its own path. */
  validateTemplate(datasetType: DatastoreRef['datasetType'], requiredDimensions: readonly string[]): void;
  /**
   * Writes a new dataset; a failure leaves no file. FILE_EXISTS if its path holds a file a record points to; an
   * orphan there (no record: left by an interrupted write) is replaced.
   */
  put(obj: unknown, ref: DatastoreRef): Promise<StoredFileInfo>;
  /** Reads a stored dataset (or a component of it). */
  get(info: StoredFileInfo, ref: DatastoreRef, options?: DatastoreGetOptions): Promise<unknown>;
  /**
   * Makes an existing file a dataset of this datastore, by the given transfer mode (orphans are replaced as by
   * `put`). With `deferSourceRemoval`, 'move' removes the source only in `finishIngest`.
   */
  ingest(
    sourcePath: string,
    ref: DatastoreRef,
    transfer: TransferMode,
    options?: { formatter?: string; deferSourceRemoval?: boolean },
  ): Promise<StoredFileInfo>;
  /** Completes a put or ingest once its record is committed (removes the source of a deferred 'move'). */
  finishIngest(info: StoredFileInfo): Promise<void>;
  /** Reverses a put or ingest whose record could not be kept (e.g. the registry transaction failed). */
  undoIngestOrPut(info: StoredFileInfo, transfer?: TransferMode): Promise<void>;
  /** True if the dataset's file is there. */
  exists(info: StoredFileInfo): Promise<boolean>;
  /** Deletes a dataset's file (idempotent); files the datastore does not own are left alone. */
  removeArtifact(info: StoredFileInfo): Promise<void>;
  /** Compares a file with its record: presence, size and (unless `checksum: false`) checksum. */
  verify(info: StoredFileInfo, options?: { checksum?: boolean }): Promise<VerifyResult>;
  /** Every artifact the datastore holds, as a root-relative path, for orphan detection (temporary files excluded). */
  walkArtifacts(): AsyncIterable<string>;
  /** Temporary files of unfinished or interrupted writes, as root-relative paths. */
  walkTemporaryFiles(): AsyncIterable<string>;
  /**
   * Deletes a root-relative file that no record points to; with `changedBefore` (ms since the epoch) a file changed
   * later is left alone. Returns whether it was deleted.
   */
  removeOrphan(path: string, options?: { changedBefore?: number }): Promise<boolean>;
  /** The local path of a record's file. */
  absolutePath(info: StoredFileInfo): string;
  /** Copies (or links, or moves) a dataset's file out of the datastore; returns the new path. */
  retrieve(
    info: StoredFileInfo,
    destDir: string,
    options: { transfer: RetrieveMode; preservePath: boolean; clobber: boolean },
  ): Promise<string>;
}

/**
 * The datastore's view of a resolved ref: its full data ID plus the dimension record fields that file templates
 * use (`exposure.obs_id`, `detector.full_name`). The ref's data ID must be expanded (implied values and records),
 * as refs from the registry's `expandDataId` and from `refFromJSON` of such a ref are; without records a template
 * field like `{exposure.obs_id:?}` would silently drop and the file would land at another path.
 */
export function toDatastoreRef(ref: DatasetRef, component: string | null = null): DatastoreRef {
  const coord = ref.dataId;
  if (!coord.hasFull || coord.records === undefined) {
    throw meridianError(
      'DATA_ID_INCOMPLETE',
      `dataset ${ref.datasetType.name} ${coord} (${ref.id}) has an unexpanded data ID: the datastore needs its implied dimensions and dimension records; expand it with registry.expandDataId, or revive the ref with refFromJSON from an expanded ref`,
      { id: ref.id },
    );
  }
  const recordValues: Record<string, string | number> = {};
  for (const [element, rec] of Object.entries(coord.records)) {
    for (const [field, value] of Object.entries(rec)) {
      if (typeof value === 'string' || typeof value === 'number') recordValues[`${element}.${field}`] = value;
    }
  }
  return {
    id: ref.id,
    datasetType: {
      name: ref.datasetType.parentName,
      storageClass: ref.datasetType.parentStorageClass ?? ref.datasetType.storageClass,
      dimensions: ref.datasetType.dimensions.names,
    },
    run: ref.run,
    dataId: { ...coord.values },
    recordValues,
    component,
  };
}
