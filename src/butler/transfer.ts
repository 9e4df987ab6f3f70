import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { meridianError } from '../errors.js';
import { encodeRegion } from '../sphere/index.js';
import { throwIfAborted } from './abort.js';
import type { Butler } from './butler.js';
import type { DatasetRef } from './core/dataset-type.js';
import { DatasetType } from './core/dataset-type.js';
import type { StoredFileInfo, TransferMode } from './datastore/types.js';
import { DataCoordinate, type DataIdValue, type DimensionRecord } from './dimensions/data-id.js';
import { resolveInside } from './paths.js';
import { Timespan } from './time/index.js';

/**
 * Moving datasets between repositories: the YAML export format (the shape of daf_butler's export files) and a
 * direct repository-to-repository transfer, which is how a second site's results are merged back.
 */

export const EXPORT_FORMAT_VERSION = '1.0.2';

interface ExportRecordSet {
  element: string;
  records: Record<string, unknown>[];
}

/** Dimension records needed by these refs: every element record of their data IDs, dependencies first. */
export function collectDimensionRecords(
  butler: Butler,
  refs: readonly DatasetRef[],
  options: { signal?: AbortSignal } = {},
): Promise<ExportRecordSet[]> {
  return collectRecords(butler, refs, options.signal, 'collectDimensionRecords');
}

/** collectDimensionRecords, with the name of the calling operation for a cancellation message. */
async function collectRecords(
  butler: Butler,
  refs: readonly DatasetRef[],
  signal: AbortSignal | undefined,
  operation: string,
): Promise<ExportRecordSet[]> {
  const universe = butler.universe;
  const byElement = new Map<string, Map<string, DimensionRecord>>();
  const add = (element: string, rec: DimensionRecord) => {
    const el = universe.element(element);
    const key = el
      .tablePrimaryKey()
      .map((k) => String(rec[k]))
      .join('\u0000');
    if (!byElement.has(element)) byElement.set(element, new Map());
    byElement.get(element)!.set(key, rec);
  };
  const seen = new Set<string>();
  for (const ref of refs) {
    throwIfAborted(signal, operation);
    const key = `${ref.datasetType.dimensions.key}|${ref.dataId.key}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const coord = await butler.registry.expandDataId(ref.dataId.values, ref.datasetType.dimensions);
    for (const [element, rec] of Object.entries(coord.records ?? {})) add(element, rec);
    // Elements populated by a dimension of this data ID (visit_detector_region, visit_definition for a visit).
    for (const el of universe.elements) {
      if (el.populatedBy === undefined || coord.values[el.populatedBy] === undefined || !el.hasTable)
        continue;
      const dataId: Record<string, DataIdValue> = {};
      for (const r of universe.element(el.populatedBy).requires) dataId[r] = coord.values[r]!;
      dataId[el.populatedBy] = coord.values[el.populatedBy]!;
      const key2 = `${el.name}|${JSON.stringify(dataId)}`;
      if (seen.has(key2)) continue;
      seen.add(key2);
      const populated = await butler.registry.queryDimensionRecords(el.name, { dataId });
      for (const rec of populated) add(el.name, rec);
      // Their own dependencies (e.g. the exposures of a visit definition).
      for (const rec of populated) {
        for (const dep of el.requires) {
          const depEl = universe.element(dep);
          if (!depEl.hasTable) continue;
          const depId: Record<string, DataIdValue> = {};
          for (const r of depEl.requires) depId[r] = rec[r] as DataIdValue;
          depId[dep] = rec[dep] as DataIdValue;
          const expanded = await butler.registry.expandDataId(depId, [dep]);
          for (const [e2, r2] of Object.entries(expanded.records ?? {})) add(e2, r2);
        }
      }
    }
  }
  const out: ExportRecordSet[] = [];
  for (const el of universe.elements) {
    const recs = byElement.get(el.name);
    if (recs === undefined) continue;
    out.push({ element: el.name, records: [...recs.values()].map(recordToPlain) });
  }
  return out;
}

function recordToPlain(rec: DimensionRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rec)) {
    if (k === 'region') out.region = v ? encodeRegion(v as never) : null;
    else if (k === 'timespan') out.timespan = v ? (v as Timespan).toJSON() : null;
    else out[k] = v;
  }
  return out;
}

export interface ExportOptions {
  /** Where file copies go (relative paths in the export file are relative to it). No files when absent. */
  readonly directory?: string;
  readonly transfer?: 'copy' | 'link' | 'hardlink' | 'symlink';
  /** Also export these non-RUN collections (TAGGED memberships, CALIBRATION validity, CHAINED definitions). */
  readonly collections?: readonly string[];
  /** Cancels the export (ABORTED): file copies made so far are removed and no export file is written. */
  readonly signal?: AbortSignal;
}

/** Write a YAML export file describing refs, their dimension records, dataset types, runs and files. */
export async function exportDatasets(
  butler: Butler,
  filename: string,
  refs: readonly DatasetRef[],
  options: ExportOptions = {},
): Promise<{ datasets: number; files: number }> {
  const signal = options.signal;
  throwIfAborted(signal, 'exportDatasets');
  const copied: string[] = [];
  try {
    return await writeExport(butler, filename, refs, options, copied);
  } catch (err) {
    for (const path of copied) rmSync(path, { force: true });
    throw err;
  }
}

/** The body of exportDatasets; every file it copies is listed in `copied`, for removal if it fails. */
async function writeExport(
  butler: Butler,
  filename: string,
  refs: readonly DatasetRef[],
  options: ExportOptions,
  copied: string[],
): Promise<{ datasets: number; files: number }> {
  const signal = options.signal;
  const data: Record<string, unknown>[] = [];
  for (const set of await collectRecords(butler, refs, signal, 'exportDatasets'))
    data.push({ type: 'dimension', ...set });
  const runs = [...new Set(refs.map((r) => r.run))].sort();
  for (const run of runs) {
    const rec = await butler.registry.collections.get(run);
    data.push({ type: 'collection', collection_type: 'RUN', name: run, doc: rec.doc });
  }
  const types = new Map<string, DatasetType>();
  for (const r of refs)
    types.set(r.datasetType.parentName, await butler.registry.getDatasetType(r.datasetType.parentName));
  for (const dt of [...types.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    data.push({
      type: 'dataset_type',
      name: dt.name,
      dimensions: [...dt.dimensions.required],
      storage_class: dt.storageClass,
      is_calibration: dt.isCalibration,
    });
  }
  const stored = await butler.registry.stored.get(refs.map((r) => r.id));
  let files = 0;
  const groups = new Map<string, DatasetRef[]>();
  for (const r of refs) {
    const k = `${r.datasetType.parentName}\u0000${r.run}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  for (const group of groups.values()) {
    const records: Record<string, unknown>[] = [];
    for (const ref of group) {
      throwIfAborted(signal, 'exportDatasets');
      const info = stored.get(ref.id)?.[0];
      let path: string | null = null;
      if (info !== undefined && options.directory !== undefined) {
        const target = await butler.datastore.retrieve(info, resolve(options.directory), {
          transfer: options.transfer ?? 'copy',
          preservePath: true,
          clobber: true,
        });
        copied.push(target);
        path = target.slice(resolve(options.directory).length + 1);
        files++;
      } else if (info !== undefined) {
        path = butler.datastore.absolutePath(info);
      }
      records.push({
        dataset_id: [ref.id],
        data_id: [{ ...ref.dataId.required }],
        path,
        formatter: info?.formatter ?? null,
      });
    }
    data.push({
      type: 'dataset',
      dataset_type: group[0]!.datasetType.parentName,
      run: group[0]!.run,
      records,
    });
  }
  for (const name of options.collections ?? []) {
    const rec = await butler.registry.collections.get(name);
    if (rec.type === 'CHAINED') {
      data.push({
        type: 'collection',
        collection_type: 'CHAINED',
        name,
        children: await butler.registry.getCollectionChain(name),
      });
      continue;
    }
    if (rec.type === 'RUN') continue;
    data.push({ type: 'collection', collection_type: rec.type, name, doc: rec.doc });
    const ids = new Set(refs.map((r) => r.id));
    if (rec.type === 'TAGGED') {
      const members: string[] = [];
      for (const dt of types.values()) {
        for (const r of await butler.registry.queryDatasets(dt.name, { collections: [name] }))
          if (ids.has(r.id)) members.push(r.id);
      }
      data.push({ type: 'associations', collection: name, collection_type: 'TAGGED', dataset_ids: members });
    } else {
      const ranges = new Map<string, { timespan: unknown; dataset_ids: string[] }>();
      for (const dt of types.values()) {
        for (const a of await butler.registry.queryDatasetAssociations(dt.name, [name])) {
          if (!ids.has(a.ref.id)) continue;
          const key = JSON.stringify(a.timespan?.toJSON());
          if (!ranges.has(key)) ranges.set(key, { timespan: a.timespan?.toJSON() ?? null, dataset_ids: [] });
          ranges.get(key)!.dataset_ids.push(a.ref.id);
        }
      }
      data.push({
        type: 'associations',
        collection: name,
        collection_type: 'CALIBRATION',
        validity_ranges: [...ranges.values()],
      });
    }
  }
  const doc = {
    description: 'Butler Data Repository Export',
    version: EXPORT_FORMAT_VERSION,
    universe_version: butler.universe.version,
    universe_namespace: butler.universe.namespace,
    data,
  };
  throwIfAborted(signal, 'exportDatasets');
  mkdirSync(dirname(resolve(filename)), { recursive: true });
  // Written next to its final name and renamed, so that a reader never sees half an export file.
  const temporary = `${filename}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, stringifyYaml(doc, { lineWidth: 0 }));
    renameSync(temporary, filename);
  } finally {
    rmSync(temporary, { force: true });
  }
  return { datasets: refs.length, files };
}

export interface ImportOptions {
  /** Directory that relative paths in the export file are relative to (default: the file's directory). */
  readonly directory?: string;
  readonly transfer?: TransferMode;
  readonly skipDimensions?: boolean;
  /**
   * Read files that the export file places outside the export directory (absolute paths, `..`, or a directory
   * that is a symbolic link leading out of it). Off by default: such an entry fails the whole import with
   * PATH_TRAVERSAL before anything is written, because an export file may come from elsewhere and would otherwise
   * copy, link or register any file this process can read.
   */
  readonly allowOutsideExportDirectory?: boolean;
  /** Cancels the import (ABORTED): its transaction rolls back and files already placed are removed. */
  readonly signal?: AbortSignal;
}

/** Import an export file: records, runs, dataset types, datasets and files. Re-importing is a no-op. */
export async function importDatasets(
  butler: Butler,
  filename: string,
  options: ImportOptions = {},
): Promise<{ datasets: number; skipped: number }> {
  butler.assertWriteable('import');
  const signal = options.signal;
  throwIfAborted(signal, 'importDatasets');
  if (!existsSync(filename)) throw meridianError('FILE_NOT_FOUND', `export file ${filename} does not exist`);
  let doc: any;
  try {
    doc = parseYaml(readFileSync(filename, 'utf8'));
  } catch (err) {
    throw meridianError('EXPORT_FORMAT', `cannot parse ${filename}: ${(err as Error).message}`);
  }
  const version = String(doc?.version ?? '');
  const [major, minor] = version.split('.').map(Number);
  if (major !== 1 || (minor ?? 0) > 0 || !Array.isArray(doc?.data)) {
    throw meridianError(
      'EXPORT_FORMAT',
      `${filename}: unsupported export version '${version}' (this Meridian reads 1.0.x)`,
    );
  }
  const directory = resolve(options.directory ?? dirname(resolve(filename)));
  const items = doc.data as any[];
  // Every file path is checked before anything is written, so a hostile entry cannot leave half an import.
  const sourcePaths = exportFilePaths(
    items,
    directory,
    filename,
    options.allowOutsideExportDirectory ?? false,
  );
  let imported = 0;
  let skipped = 0;
  const placed: StoredFileInfo[] = [];
  try {
    await butler.registry.transaction(async () => {
      if (!options.skipDimensions) {
        for (const item of items.filter((i) => i.type === 'dimension')) {
          throwIfAborted(signal, 'importDatasets');
          await butler.registry.insertDimensionData(item.element, item.records, { skipExisting: true });
        }
      }
      for (const item of items.filter((i) => i.type === 'collection')) {
        if (item.collection_type === 'CHAINED') continue;
        await butler.registry.registerCollection(item.name, item.collection_type, item.doc ?? undefined);
      }
      for (const item of items.filter((i) => i.type === 'dataset_type')) {
        await butler.registerDatasetType(item.name, item.dimensions, item.storage_class, {
          isCalibration: Boolean(item.is_calibration),
        });
      }
      for (const item of items.filter((i) => i.type === 'dataset')) {
        throwIfAborted(signal, 'importDatasets');
        const dt = await butler.registry.getDatasetType(item.dataset_type);
        const refs: DatasetRef[] = [];
        const files = new Map<string, { path: string | null; formatter: string | null }>();
        for (const rec of item.records) {
          (rec.dataset_id as string[]).forEach((id, i) => {
            const values = rec.data_id[i] as Record<string, DataIdValue>;
            refs.push({
              id,
              datasetType: dt,
              dataId: new DataCoordinate(dt.dimensions, values, false),
              run: item.run,
            });
            files.set(id, { path: rec.path ?? null, formatter: rec.formatter ?? null });
          });
        }
        const inserted = await butler.registry.importDatasets(refs, { skipExisting: true });
        skipped += refs.length - inserted.length;
        imported += inserted.length;
        const infos: StoredFileInfo[] = [];
        for (const ref of inserted) {
          throwIfAborted(signal, 'importDatasets');
          const f = files.get(ref.id);
          if (f?.path === null || f?.path === undefined) continue;
          const src = sourcePaths.get(f.path)!;
          const info = await butler.datastore.ingest(
            src,
            await butler.datastoreRef(ref),
            options.transfer ?? 'copy',
            {
              formatter: f.formatter ?? undefined,
              deferSourceRemoval: true,
            },
          );
          placed.push(info);
          infos.push(info);
        }
        await butler.registry.stored.insert(infos);
      }
      for (const item of items.filter((i) => i.type === 'collection' && i.collection_type === 'CHAINED')) {
        await butler.registry.registerCollection(item.name, 'CHAINED', item.doc ?? undefined);
        await butler.registry.setCollectionChain(item.name, item.children ?? []);
      }
      throwIfAborted(signal, 'importDatasets');
      for (const item of items.filter((i) => i.type === 'associations')) {
        if (item.collection_type === 'TAGGED') {
          const refs = [...(await butler.registry.getDatasets(item.dataset_ids)).values()];
          await butler.registry.associate(item.collection, refs);
        } else if (item.collection_type === 'CALIBRATION') {
          for (const range of item.validity_ranges ?? []) {
            const refs = [...(await butler.registry.getDatasets(range.dataset_ids)).values()];
            const ts = range.timespan ? Timespan.fromJSON(range.timespan) : Timespan.unbounded();
            const existing = await butler.registry
              .queryDatasetAssociations(refs[0]?.datasetType.name ?? '', [item.collection])
              .catch(() => []);
            const fresh = refs.filter(
              (r) => !existing.some((e) => e.ref.id === r.id && e.timespan?.equals(ts)),
            );
            if (fresh.length > 0) await butler.registry.certify(item.collection, fresh, ts);
          }
        }
      }
      throwIfAborted(signal, 'importDatasets');
    });
  } catch (err) {
    for (const info of placed.reverse())
      await butler.datastore.undoIngestOrPut(info, options.transfer ?? 'copy').catch(() => {});
    throw err;
  }
  // After the commit: a 'move' removes its sources only now, so an interruption never loses a file.
  for (const info of placed) await butler.datastore.finishIngest(info);
  return { datasets: imported, skipped };
}

/**
 * The absolute source path of every file an export file names, keyed by the path as written. Relative paths are
 * relative to `directory`; unless `allowOutside`, each must stay inside it (PATH_TRAVERSAL), and absolute paths
 * count as outside unless they lie inside it.
 */
function exportFilePaths(
  items: readonly any[],
  directory: string,
  filename: string,
  allowOutside: boolean,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of items) {
    if (item?.type !== 'dataset') continue;
    if (!Array.isArray(item.records)) {
      throw meridianError(
        'EXPORT_FORMAT',
        `${filename}: a dataset entry of '${item.dataset_type}' has no records`,
      );
    }
    for (const rec of item.records) {
      const path: unknown = rec?.path;
      if (path === null || path === undefined || out.has(path as string)) continue;
      if (typeof path !== 'string' || path === '') {
        throw meridianError('EXPORT_FORMAT', `${filename}: a file path is not a non-empty string`, { path });
      }
      out.set(
        path,
        allowOutside
          ? resolve(directory, path)
          : resolveInside(directory, path, {
              baseName: 'export directory',
              source: `export file ${filename}`,
              override: '--allow-outside-export-dir (allowOutsideExportDirectory)',
            }),
      );
    }
  }
  return out;
}

export interface TransferOptions {
  readonly transfer?: 'copy' | 'link' | 'hardlink' | 'symlink' | 'move';
  /** Register dataset types missing in the destination (otherwise they must exist already). */
  readonly registerDatasetTypes?: boolean;
  /** Copy the dimension records the datasets need (default true). */
  readonly transferDimensions?: boolean;
  readonly dryRun?: boolean;
  /**
   * Transfer files whose source record points outside the source datastore root: absolute paths (datasets the
   * source ingested with 'direct') or a directory that is a symbolic link out of the root. Off by default
   * (PATH_TRAVERSAL before anything is written): a source registry is data from elsewhere, and its records could
   * otherwise name any file this process can read.
   */
  readonly allowOutsideSourceRoot?: boolean;
  /** Cancels the transfer (ABORTED): its transaction rolls back and files already placed are removed. */
  readonly signal?: AbortSignal;
}

/**
 * Copy datasets with their dimension records, dataset types and runs from another repository, keeping their
 * UUIDs. Datasets the destination already has are skipped, so an interrupted transfer can simply be re-run.
 */
export async function transferFrom(
  target: Butler,
  source: Butler,
  refs: readonly DatasetRef[],
  options: TransferOptions = {},
): Promise<{ transferred: DatasetRef[]; skipped: number }> {
  target.assertWriteable('transfer datasets');
  const signal = options.signal;
  throwIfAborted(signal, 'transferFrom');
  const existing = await target.registry.getDatasets(refs.map((r) => r.id));
  const todo = refs.filter((r) => !existing.has(r.id));
  if (options.dryRun) return { transferred: [...todo], skipped: refs.length - todo.length };
  const records =
    options.transferDimensions === false ? [] : await collectRecords(source, todo, signal, 'transferFrom');
  throwIfAborted(signal, 'transferFrom');
  const sourceStored = await source.registry.stored.get(todo.map((r) => r.id));
  const sourcePaths = sourceRecordPaths(source, sourceStored, options.allowOutsideSourceRoot ?? false);
  const placed: StoredFileInfo[] = [];
  const transfer = options.transfer ?? 'copy';
  try {
    const transferred = await target.registry.transaction(async () => {
      for (const set of records) {
        throwIfAborted(signal, 'transferFrom');
        await target.registry.insertDimensionData(set.element, set.records, { skipExisting: true });
      }
      for (const name of new Set(todo.map((r) => r.datasetType.parentName))) {
        const dt = await source.registry.getDatasetType(name);
        const have = await target.registry.datasetTypes.find(name);
        if (have === null) {
          if (!options.registerDatasetTypes) {
            throw meridianError(
              'DATASET_TYPE_UNKNOWN',
              `dataset type '${name}' is not registered in the destination; register it or pass registerDatasetTypes`,
            );
          }
          await target.registerDatasetType(name, dt.dimensions.required, dt.storageClass, {
            isCalibration: dt.isCalibration,
          });
        } else if (
          !have.datasetType.equals(
            new DatasetType(name, target.universe.group(dt.dimensions.names), dt.storageClass, {
              isCalibration: dt.isCalibration,
            }),
          )
        ) {
          throw meridianError(
            'DATASET_TYPE_CONFLICT',
            `dataset type '${name}' differs between source and destination`,
          );
        }
      }
      for (const run of new Set(todo.map((r) => r.run))) await target.registry.registerRun(run);
      const inserted = await target.registry.importDatasets(
        todo.map((r) => ({ ...r, datasetType: r.datasetType })),
        { skipExisting: true },
      );
      const infos: StoredFileInfo[] = [];
      for (const ref of inserted) {
        throwIfAborted(signal, 'transferFrom');
        for (const srcInfo of sourceStored.get(ref.id) ?? []) {
          const info = await target.datastore.ingest(
            sourcePaths.get(srcInfo)!,
            await target.datastoreRef(ref),
            transfer === 'move' ? 'copy' : transfer,
            {
              formatter: srcInfo.formatter,
            },
          );
          placed.push(info);
          infos.push(info);
        }
      }
      throwIfAborted(signal, 'transferFrom');
      await target.registry.stored.insert(infos);
      return inserted;
    });
    return { transferred, skipped: refs.length - todo.length };
  } catch (err) {
    for (const info of placed.reverse()) await target.datastore.undoIngestOrPut(info, 'copy').catch(() => {});
    throw err;
  }
}

/**
 * The absolute path of every source record, checked to stay inside the source datastore root (after `..` and
 * symbolic links in its directories are resolved) unless `allowOutside`.
 */
function sourceRecordPaths(
  source: Butler,
  stored: ReadonlyMap<string, readonly StoredFileInfo[]>,
  allowOutside: boolean,
): Map<StoredFileInfo, string> {
  const out = new Map<StoredFileInfo, string>();
  for (const infos of stored.values()) {
    for (const info of infos) {
      // absolutePath refuses a relative record that leaves the root lexically (PATH_TRAVERSAL) in any case.
      const path = source.datastore.absolutePath(info);
      out.set(
        info,
        allowOutside
          ? path
          : resolveInside(source.root, path, {
              baseName: 'source datastore root',
              source: `the source registry record of dataset ${info.datasetId}`,
              override: '--allow-outside-source-root (allowOutsideSourceRoot)',
            }),
      );
    }
  }
  return out;
}
