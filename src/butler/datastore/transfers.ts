import { randomBytes } from 'node:crypto';
import { constants, copyFile, link, lstat, rename, rm, symlink, unlink } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { meridianError } from '../../errors.js';

/**
 * File placement primitives shared by put, ingest and retrieve. Writes into the datastore are staged under a
 * temporary sibling name and then published to the final name with link(2), which fails if the name exists; only
 * a file the caller proves to be an orphan (no record points to it) is ever replaced. Retrieval out of the datastore
 * uses `placeFile`, which never replaces anything. See docs/datastore.md, "Crash safety".
 */

/** Name prefix of in-progress files; they live next to their target and are renamed into place when complete. */
export const TEMPORARY_PREFIX = '.mdtmp-';

/** A fresh temporary path in the target's directory (so publishing it is a same-file-system link). */
export function temporarySibling(target: string): string {
  // File names are limited to 255 bytes; keep the end of the name, which carries the extension.
  return join(
    dirname(target),
    `${TEMPORARY_PREFIX}${randomBytes(6).toString('hex')}-${basename(target).slice(-200)}`,
  );
}

export type PlacementMode = 'copy' | 'move' | 'link' | 'hardlink' | 'symlink' | 'relsymlink';

/** Places `source` at `target` by the given mode; FILE_EXISTS if `target` exists (even as a dangling link). */
export async function placeFile(mode: PlacementMode, source: string, target: string): Promise<void> {
  try {
    switch (mode) {
      case 'copy':
        return await copyExclusive(source, target);
      case 'move':
        return await moveExclusive(source, target);
      case 'hardlink':
        return await link(source, target);
      case 'link':
        // daf_butler's 'link': a hard link where the file system allows it, else a symbolic link.
        try {
          return await link(source, target);
        } catch (err) {
          if (!isCode(err, 'EXDEV', 'EPERM', 'ENOTSUP')) throw err;
          return await symlink(source, target);
        }
      case 'symlink':
        return await symlink(source, target);
      case 'relsymlink':
        return await symlink(relative(dirname(target), source), target);
    }
  } catch (err) {
    throw translateFsError(err, source, target);
  }
}

/**
 * Decides whether an existing file at a target path may be replaced: true only for an orphan, a file that no
 * record points to (left by a writer killed between placing it and committing its record).
 */
export type OrphanCheck = (target: string) => Promise<boolean>;

/**
 * Creates `temporary` (a fresh sibling of the final path) from `source` by the given mode, without touching the
 * final path. 'move' stages a hard link (or a copy across file systems): the source is removed only once the
 * dataset's record is committed, so an interruption before that never loses it.
 */
export async function stageFile(mode: PlacementMode, source: string, temporary: string): Promise<void> {
  try {
    switch (mode) {
      case 'copy':
        return await copyFile(source, temporary, constants.COPYFILE_EXCL);
      case 'move':
        try {
          return await link(source, temporary);
        } catch (err) {
          if (!isCode(err, 'EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK')) throw err;
          return await copyFile(source, temporary, constants.COPYFILE_EXCL);
        }
      case 'hardlink':
        return await link(source, temporary);
      case 'link':
        try {
          return await link(source, temporary);
        } catch (err) {
          if (!isCode(err, 'EXDEV', 'EPERM', 'ENOTSUP')) throw err;
          return await symlink(source, temporary);
        }
      case 'symlink':
        return await symlink(source, temporary);
      case 'relsymlink':
        // The temporary file is a sibling of the target, so the relative path is the same from both.
        return await symlink(relative(dirname(temporary), source), temporary);
    }
  } catch (err) {
    throw translateFsError(err, source, temporary);
  }
}

/**
 * Gives a finished temporary file its final name and removes the temporary name. An existing file at the final
 * name is kept (FILE_EXISTS) unless `isOrphan` says no record points to it; then it is replaced by an atomic
 * rename, so a reader sees the old file or the new one, never a partial one.
 */
export async function publishTemporary(
  temporary: string,
  target: string,
  isOrphan?: OrphanCheck,
): Promise<void> {
  try {
    try {
      await linkThenUnlink(temporary, target);
    } catch (err) {
      if (!isCode(err, 'EEXIST') || isOrphan === undefined || !(await isOrphan(target))) throw err;
      await rename(temporary, target);
    }
  } catch (err) {
    throw translateFsError(err, temporary, target);
  } finally {
    await rm(temporary, { force: true });
  }
}

async function copyExclusive(source: string, target: string): Promise<void> {
  // Copy under a temporary name first so that a failed or interrupted copy never leaves a partial target.
  const temporary = temporarySibling(target);
  try {
    await copyFile(source, temporary, constants.COPYFILE_EXCL);
    await linkThenUnlink(temporary, target);
  } finally {
    await rm(temporary, { force: true });
  }
}

async function moveExclusive(source: string, target: string): Promise<void> {
  try {
    await linkThenUnlink(source, target);
  } catch (err) {
    if (!isCode(err, 'EXDEV')) throw err;
    await copyExclusive(source, target);
    await unlink(source);
  }
}

/**
 * link(2) fails when the target exists, which makes it an atomic "rename unless present". File systems without
 * hard links get a rename guarded by an existence check instead (a narrow race, documented in docs/datastore.md).
 */
async function linkThenUnlink(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (err) {
    if (!isCode(err, 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK')) throw err;
    if (await pathPresent(to)) throw Object.assign(new Error(`${to} exists`), { code: 'EEXIST' });
    await rename(from, to);
    return;
  }
  await unlink(from);
}

/** True if anything (file, directory, or link, even a dangling one) is at `path`. */
export async function pathPresent(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if (isCode(err, 'ENOENT', 'ENOTDIR')) return false;
    throw err;
  }
}

export function isCode(err: unknown, ...codes: string[]): boolean {
  return typeof err === 'object' && err !== null && codes.includes((err as { code?: string }).code ?? '');
}

function translateFsError(err: unknown, source: string, target: string): unknown {
  if (isCode(err, 'EEXIST')) {
    return meridianError(
      'FILE_EXISTS',
      `Refusing to overwrite existing file ${target}`,
      { path: target },
      err,
    );
  }
  if (isCode(err, 'ENOENT')) {
    return meridianError('FILE_NOT_FOUND', `Cannot transfer ${source}: no such file`, { path: source }, err);
  }
  return err;
}
