import { randomBytes } from 'node:crypto';
import { constants, copyFile, link, lstat, rename, rm, symlink, unlink } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { meridianError } from '../../errors.js';

/**
 * File placement primitives shared by put, ingest and retrieve. None of them ever overwrites an existing file:
 * they create the target with an operation that fails if it exists (link, symlink, exclusive copy), so two writers
 * racing for one path cannot silently replace each other's file.
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

/** Moves a finished temporary file to its final name, refusing to replace an existing file. */
export async function publishTemporary(temporary: string, target: string): Promise<void> {
  try {
    await linkThenUnlink(temporary, target);
  } catch (err) {
    throw translateFsError(err, temporary, target);
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
