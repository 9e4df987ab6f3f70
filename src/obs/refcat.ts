/**
 * Reference catalogues into the butler, as LSST's sharded refcats: each HTM level-7 shard (a Parquet file named
 * `<htm7>.parquet`, as the simulator writes them) becomes one dataset of type NAME with dimensions {htm7}, storage
 * class ArrowTable, read through the Parquet formatter.
 */

import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Butler, DatasetRef, FileDataset, TransferMode } from '../butler/index.js';
import { meridianError } from '../errors.js';

export const DEFAULT_REFCAT_NAME = 'the_monster_refcat';

export interface IngestRefcatOptions {
  readonly name?: string;
  /** Output RUN, default `refcats/<name>`. */
  readonly run?: string;
  readonly transfer?: TransferMode;
}

export interface IngestRefcatResult {
  readonly name: string;
  readonly run: string;
  readonly refs: readonly DatasetRef[];
}

export async function ingestRefcat(
  butler: Butler,
  directory: string,
  options: IngestRefcatOptions = {},
): Promise<IngestRefcatResult> {
  butler.assertWriteable('ingest a reference catalogue');
  const name = options.name ?? DEFAULT_REFCAT_NAME;
  const run = options.run ?? `refcats/${name}`;
  const dir = resolve(directory);
  const entries = await readdir(dir).catch((err: unknown) => {
    throw meridianError('FILE_NOT_FOUND', `cannot list the refcat directory ${dir}`, { path: dir }, err);
  });
  const shards = entries.filter((f) => /^\d+\.parquet$/.test(f)).sort();
  if (shards.length === 0) {
    throw meridianError('INVALID_ARGUMENT', `${dir} holds no HTM shard files named <htm7>.parquet`, {
      path: dir,
    });
  }
  await butler.registerDatasetType(name, ['htm7'], 'ArrowTable');
  const files: FileDataset[] = shards.map((f) => ({
    path: join(dir, f),
    refs: [{ datasetType: name, dataId: { htm7: Number(f.slice(0, -'.parquet'.length)) } }],
    formatter: 'meridian.ParquetFormatter',
  }));
  const refs = await butler.ingest(files, {
    run,
    transfer: options.transfer ?? 'auto',
    idGenerationMode: 'DATAID_TYPE_RUN',
    skipExisting: true,
  });
  return { name, run, refs };
}
