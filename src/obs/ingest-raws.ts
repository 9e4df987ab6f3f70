/**
 * `ingestRaws`: camera raws into the butler, as obs_base's RawIngestTask. Every header is read and translated
 * first; with `onError: 'fail'` one bad file stops the batch before anything is written, with 'skip' bad files are
 * reported and left out. Then the day_obs, group and exposure records are synced (idempotent) and all good files
 * go into ONE `Butler.ingest` call (one transaction) with deterministic dataset IDs, so re-ingesting is a no-op.
 */

import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Butler, DatasetRef, FileDataset, TransferMode } from '../butler/index.js';
import { isMeridianError, meridianError } from '../errors.js';
import { RAW_DATASET_TYPE, rawRun } from './instrument.js';
import { verifyRawChecksums } from './raw-checksum.js';
import { INSTRUMENT_NAME, type RawTranslation, translateRawFile } from './translator.js';

export interface IngestRawsOptions {
  readonly instrument?: string;
  /** How files get into the datastore (butler transfer modes; default 'auto': files outside the repo stay put). */
  readonly transfer?: TransferMode;
  /** 'fail' (default): any malformed raw aborts the batch before anything is written; 'skip': report and go on. */
  readonly onError?: 'skip' | 'fail';
  /** Output RUN, default `<instrument>/raw/all`. */
  readonly run?: string;
  /** Called as headers are read (`done` of `total` files) and around the one butler ingest that follows. */
  readonly onProgress?: (progress: { phase: string; done: number; total?: number; unit?: string }) => void;
  /**
   * Check each raw's DATASUM/CHECKSUM keywords against its bytes (default true; reads every file whole). A
   * mismatch is RAW_CHECKSUM_MISMATCH, handled by `onError` like any malformed raw.
   */
  readonly verifyChecksums?: boolean;
  /** Cancels the ingest (ABORTED): nothing is registered and every file already placed is removed. */
  readonly signal?: AbortSignal;
}

export interface SkippedRaw {
  readonly file: string;
  readonly code: string;
  readonly message: string;
}

export interface IngestRawsResult {
  /** Every raw of the batch now in the run (new and already present). */
  readonly refs: readonly DatasetRef[];
  /**
   * How many of them this call inserted: decided inside the ingest transaction, so that of several processes
   * ingesting the same raws at once each counts only what it wrote.
   */
  readonly ingested: number;
  /** How many were already in the run when this call's transaction began (by an earlier or concurrent ingest). */
  readonly alreadyPresent: number;
  readonly skipped: readonly SkippedRaw[];
  readonly exposures: readonly number[];
  /** How many raw files the paths held (0: nothing to do, e.g. a `move` that already finished). */
  readonly files: number;
}

/** Files named directly, plus every `*.fits` / `*.fit` / `*.fits.fz` under each directory (recursively), sorted. */
export async function expandRawPaths(paths: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) await walk(p);
      else if (/\.(fits|fit|fits\.fz)$/i.test(entry.name)) out.add(p);
    }
  };
  for (const path of paths) {
    const abs = resolve(path);
    const info = await stat(abs).catch(() => null);
    if (info === null) throw meridianError('FILE_NOT_FOUND', `no such file or directory: ${path}`, { path });
    if (info.isDirectory()) await walk(abs);
    else out.add(abs);
  }
  return [...out].sort();
}

/** Translate every file; malformed ones become SkippedRaw entries (duplicated data IDs too). */
async function translateAll(
  files: readonly string[],
  instrument: string,
  verifyChecksums: boolean,
  onTranslated: (done: number) => void,
): Promise<{ good: RawTranslation[]; bad: SkippedRaw[] }> {
  const good: RawTranslation[] = [];
  const bad: SkippedRaw[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    try {
      const t = await translateRawFile(file, instrument);
      if (verifyChecksums) await verifyRawChecksums(file);
      const key = `${t.dataId.exposure}/${t.dataId.detector}`;
      const first = seen.get(key);
      if (first !== undefined) {
        throw meridianError(
          'RAW_INVALID',
          `${file}: exposure ${t.dataId.exposure} detector ${t.dataId.detector} is also in ${first}`,
          { file, duplicateOf: first },
        );
      }
      seen.set(key, file);
      good.push(t);
    } catch (err) {
      if (!isMeridianError(err)) throw err;
      bad.push({ file, code: err.code, message: err.message });
    }
    onTranslated(good.length + bad.length);
  }
  return { good, bad };
}

export async function ingestRaws(
  butler: Butler,
  paths: readonly string[],
  options: IngestRawsOptions = {},
): Promise<IngestRawsResult> {
  butler.assertWriteable('ingest raws');
  const instrument = options.instrument ?? INSTRUMENT_NAME;
  const run = options.run ?? rawRun(instrument);
  const files = await expandRawPaths(paths);
  // Nothing to do is not an error: the same command run again after a finished `-t move` finds no sources.
  if (files.length === 0)
    return { refs: [], ingested: 0, alreadyPresent: 0, skipped: [], exposures: [], files: 0 };
  const progress = options.onProgress ?? (() => undefined);
  const { good, bad } = await translateAll(files, instrument, options.verifyChecksums ?? true, (done) =>
    progress({ phase: 'reading headers', done, total: files.length, unit: 'files' }),
  );
  if (bad.length > 0 && (options.onError ?? 'fail') === 'fail') {
    throw meridianError(
      'RAW_INVALID',
      `${bad.length} of ${files.length} raw file(s) cannot be ingested; nothing was ingested. First: ${bad[0]!.message}`,
      { files: bad },
    );
  }
  if (good.length === 0)
    return { refs: [], ingested: 0, alreadyPresent: 0, skipped: bad, exposures: [], files: files.length };

  await butler.registry.expandDataId({ instrument }).catch((err: unknown) => {
    throw meridianError(
      'DATA_ID_INVALID',
      `instrument ${instrument} is not registered in this repository; run \`butler register-instrument\` first`,
      { instrument },
      err,
    );
  });
  await butler.registerDatasetType(
    RAW_DATASET_TYPE.name,
    RAW_DATASET_TYPE.dimensions,
    RAW_DATASET_TYPE.storageClass,
  );
  const exposures = new Map<number, RawTranslation>();
  for (const t of good) if (!exposures.has(t.dataId.exposure)) exposures.set(t.dataId.exposure, t);
  // Records first (each sync is idempotent); a failed ingest below leaves only records, which a retry reuses.
  await butler.registry.transaction(async () => {
    for (const t of exposures.values()) {
      await butler.registry.syncDimensionData('day_obs', t.dayObs as Record<string, unknown>);
      await butler.registry.syncDimensionData('group', t.group as Record<string, unknown>);
      await butler.registry.syncDimensionData('exposure', t.exposure as Record<string, unknown>);
    }
  });
  await butler.registry.registerRun(run);
  const datasets: FileDataset[] = good.map((t) => ({
    path: t.file,
    refs: [{ datasetType: RAW_DATASET_TYPE.name, dataId: t.dataId }],
    formatter: 'meridian.RawFormatter',
  }));
  progress({ phase: 'ingesting', done: 0, total: datasets.length, unit: 'files' });
  // Butler.ingest decides inside its own transaction which raws were already stored: a concurrent ingest of the
  // same raws either committed first (its raws count as already present here) or waits for this one, so each
  // process reports exactly what it inserted. No outer transaction: a 'move' must keep its sources until the
  // ingest's own commit.
  const before = new Set<string>();
  const refs = await butler.ingest(datasets, {
    run,
    transfer: options.transfer ?? 'auto',
    idGenerationMode: 'DATAID_TYPE_RUN',
    skipExisting: true,
    signal: options.signal,
    onAlreadyPresent: (ref) => before.add(ref.id),
  });
  progress({ phase: 'ingesting', done: datasets.length, total: datasets.length, unit: 'files' });
  const alreadyPresent = refs.filter((r) => before.has(r.id)).length;
  return {
    refs,
    ingested: refs.length - alreadyPresent,
    alreadyPresent,
    skipped: bad,
    exposures: [...exposures.keys()].sort((a, b) => a - b),
    files: files.length,
  };
}
