import { throwIfAborted } from './abort.js';
import type { Butler } from './butler.js';
import { isBookkeeping } from './verify.js';

/**
 * `cleanupRepository` (`Butler.cleanup`, `butler cleanup`): repairs what interrupted commands leave behind, so that
 * `verify` is clean again. Three kinds of leftovers exist (docs/datastore.md, "Crash safety"):
 * - trash rows: a removal whose records were committed but whose files were not all deleted yet;
 * - orphan files: a file under the datastore root that no record (live or trashed) points to, placed by a writer
 *   killed before its transaction committed;
 * - temporary files (`.mdtmp-*`): a write killed before its file got its final name.
 * None of them is ever a committed dataset's only copy, so removing them loses nothing.
 */

export interface CleanupOptions {
  /** Report what would be removed and change nothing. */
  readonly dryRun?: boolean;
  /**
   * Leave orphan and temporary files changed less than this many seconds ago (default 0: remove all). Another
   * writer's files are orphans until its transaction commits; with other writers running against a shared
   * PostgreSQL registry (or pipeline jobs writing into the datastore without a registry), pass a margin.
   */
  readonly minAgeSeconds?: number;
  /** Cancels the cleanup (ABORTED) between files; what was removed so far stays removed. */
  readonly signal?: AbortSignal;
}

export interface CleanupReport {
  /** Root-relative paths of orphan files removed (or, in a dry run, to be removed). */
  readonly orphans: readonly string[];
  /** Root-relative paths of temporary files removed (or to be removed). */
  readonly temporaryFiles: readonly string[];
  /** Files deleted by emptying the trash (in a dry run: trash rows waiting). */
  readonly trashedFiles: number;
  /** Orphan or temporary files left because they changed within `minAgeSeconds`. */
  readonly tooRecent: readonly string[];
  readonly dryRun: boolean;
}

export async function cleanupRepository(
  butler: Butler,
  options: CleanupOptions = {},
): Promise<CleanupReport> {
  const dryRun = options.dryRun ?? false;
  const signal = options.signal;
  throwIfAborted(signal, 'cleanup');
  if (!dryRun) butler.assertWriteable('clean up the repository');
  const trashedFiles = dryRun
    ? await butler.registry.stored.trashCount()
    : await butler.emptyTrash({ signal });
  const minAgeMs = (options.minAgeSeconds ?? 0) * 1000;
  const changedBefore = minAgeMs > 0 ? Date.now() - minAgeMs : undefined;
  const orphans: string[] = [];
  const temporaryFiles: string[] = [];
  const tooRecent: string[] = [];
  const scan = async (): Promise<void> => {
    const referenced = await butler.registry.stored.referencedPaths();
    const candidates: { path: string; list: string[] }[] = [];
    for await (const path of butler.datastore.walkArtifacts()) {
      if (!referenced.has(path) && !isBookkeeping(path)) candidates.push({ path, list: orphans });
    }
    for await (const path of butler.datastore.walkTemporaryFiles()) {
      candidates.push({ path, list: temporaryFiles });
    }
    for (const { path, list } of candidates) {
      throwIfAborted(signal, 'cleanup');
      if (dryRun) list.push(path);
      else if (await butler.datastore.removeOrphan(path, { changedBefore })) list.push(path);
      else tooRecent.push(path);
    }
  };
  // In a write transaction: on SQLite no writer can be between placing a file and committing its record meanwhile,
  // so every file found without a record really is an orphan.
  if (dryRun) await scan();
  else await butler.registry.transaction(scan);
  return { orphans, temporaryFiles, trashedFiles, tooRecent, dryRun };
}
