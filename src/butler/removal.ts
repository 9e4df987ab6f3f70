import { meridianError } from '../errors.js';
import { throwIfAborted } from './abort.js';
import type { Butler } from './butler.js';

/**
 * Removal of datasets' files, in steps that an interruption cannot leave stuck. Records move to the trash inside the
 * removal's transaction; `emptyTrash` then deletes the files and the trash rows in batches, each batch one write
 * transaction: no writer can reuse a path while its old file is being deleted (on SQLite the transaction excludes
 * every other writer; a trashed path also counts as referenced, so no write replaces it), and a kill loses at most
 * one batch of work, which the next `emptyTrash` (from `removeRuns`, `pruneDatasets` or `cleanup`) redoes.
 */

/** Trash rows handled per transaction. */
const TRASH_BATCH = 500;

/** Deletes the files of trashed records, then the trash rows. Returns the number of files deleted. */
export async function emptyTrash(butler: Butler, options: { signal?: AbortSignal } = {}): Promise<number> {
  butler.assertWriteable('empty the trash');
  let deleted = 0;
  for (;;) {
    throwIfAborted(options.signal, 'emptyTrash');
    const batch = await butler.registry.transaction(async () => {
      const trash = await butler.registry.stored.trash({ limit: TRASH_BATCH });
      for (const t of trash) {
        if (t.shared) continue;
        await butler.datastore.removeArtifact(t.info);
        deleted += 1;
      }
      await butler.registry.stored.deleteTrash(trash.map((t) => t.id));
      return trash.length;
    });
    if (batch < TRASH_BATCH) return deleted;
  }
}

/**
 * Removes RUN collections, their datasets and (with `unstore`, the default) their files. Every name is checked
 * first (unknown RUN, or in a chain without `unlinkFromChains`: nothing is removed); then the trash an earlier,
 * interrupted removal left is emptied; then each RUN is removed in its own transaction and its files deleted before
 * the next, so a kill loses at most one RUN's work. Returns the number of datasets removed.
 */
export async function removeRuns(
  butler: Butler,
  names: readonly string[],
  options: { unstore?: boolean; unlinkFromChains?: boolean; signal?: AbortSignal } = {},
): Promise<number> {
  butler.assertWriteable('remove runs');
  const signal = options.signal;
  throwIfAborted(signal, 'removeRuns');
  for (const name of names) {
    await butler.registry.collections.getRun(name);
    const parents = options.unlinkFromChains ? [] : await butler.registry.collections.parentChains(name);
    if (parents.length > 0) {
      throw meridianError(
        'COLLECTION_IN_USE',
        `collection '${name}' is a child of chained collection(s) ${parents.join(', ')}; remove it from them first`,
        { name, parents },
      );
    }
  }
  if (options.unstore !== false) await emptyTrash(butler, { signal });
  let removed = 0;
  for (const name of names) {
    throwIfAborted(signal, 'removeRuns');
    await butler.registry.transaction(async () => {
      const rec = await butler.registry.collections.getRun(name);
      if (options.unlinkFromChains) await butler.registry.collections.unlinkFromChains(name);
      const refs = await butler.registry.queryDatasets('*', { collections: [rec.name] });
      if (options.unstore !== false) await butler.registry.stored.moveToTrash(refs.map((r) => r.id));
      else await butler.registry.stored.forget(refs.map((r) => r.id));
      await butler.registry.removeCollection(name);
      removed += refs.length;
    });
    // Not cancelled once the run is gone: the files are deleted now rather than left for the next command.
    if (options.unstore !== false) await emptyTrash(butler);
  }
  return removed;
}
