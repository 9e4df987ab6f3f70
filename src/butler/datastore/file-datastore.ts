import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, opendir, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import { meridianError } from '../../errors.js';
import { assertWriteInside, fileSystemError } from '../paths.js';
import type { Formatter, FormatterRegistry } from '../storage/formatter.js';
import type { StorageClass, StorageClassRegistry } from '../storage/storage-class.js';
import type { Datastore, DatastoreGetOptions, RetrieveMode, VerifyResult } from './datastore.js';
import { FileTemplates } from './file-template.js';
import {
  isCode,
  type PlacementMode,
  pathPresent,
  placeFile,
  publishTemporary,
  stageFile,
  TEMPORARY_PREFIX,
  temporarySibling,
} from './transfers.js';
import {
  type DatastoreConfig,
  type DatastoreRef,
  type StoredFileInfo,
  TRANSFER_MODES,
  type TransferMode,
} from './types.js';

export type { RetrieveMode, VerifyResult } from './datastore.js';

/** What a datastore may ask of whoever keeps its records (the Butler: the registry), to tell orphans apart. */
export interface FileDatastoreHooks {
  /**
   * True if a record (live, or in the trash waiting for its file to be deleted) points to this root-relative path.
   * Without this hook every existing file counts as referenced and is never replaced (FILE_EXISTS).
   */
  readonly isPathReferenced?: (path: string) => Promise<boolean>;
}

/** Suffixes that belong to the extension of the name before them ('.fits.fz' is one extension). */
const COMPRESSION_SUFFIXES = new Set(['.gz', '.fz', '.bz2', '.xz', '.zst']);

const CHECKSUM_ALGORITHM = 'blake2b512';

/**
 * A datastore of files in one POSIX directory. It does file work only and returns `StoredFileInfo` records; the
 * Butler keeps those records in the registry (table `file_datastore_records`) and hands them back for reads,
 * removal and verification. Every path it touches stays inside `root`, except absolute paths recorded for files
 * ingested with 'direct', which it reads but never deletes.
 */
export class FileDatastore implements Datastore {
  readonly root: string;
  readonly templates: FileTemplates;
  readonly checksum: boolean;
  readonly #storageClasses: StorageClassRegistry;
  readonly #formatters: FormatterRegistry;
  /** Where each file ingested with 'move' came from (absolute target → source): an undo moves it back. */
  readonly #movedFrom = new Map<string, string>();
  /** Sources of deferred moves (absolute target → source), removed by `finishIngest` once the record is committed. */
  readonly #pendingSourceRemoval = new Map<string, string>();
  /**
   * Absolute paths this process placed and whose record may not be committed yet: never orphans, even though no
   * committed record points to them (two datasets of one batch given one path must collide, not replace).
   */
  readonly #inFlight = new Set<string>();
  readonly #hooks: FileDatastoreHooks;

  constructor(
    config: DatastoreConfig,
    storageClasses: StorageClassRegistry,
    formatters: FormatterRegistry,
    hooks: FileDatastoreHooks = {},
  ) {
    if (!isAbsolute(config.root)) {
      throw meridianError('CONFIG_INVALID', `Datastore root must be an absolute path, got '${config.root}'`, {
        root: config.root,
      });
    }
    this.root = normalize(config.root).replace(/(?<=.)\/+$/, '');
    this.templates = new FileTemplates(config.templates);
    this.checksum = config.checksum ?? false;
    this.#storageClasses = storageClasses;
    this.#formatters = formatters;
    this.#hooks = hooks;
  }

  /** The root-relative path a dataset would be written to: its template plus the formatter's extension. */
  predictPath(ref: DatastoreRef, formatter?: Formatter): string {
    const chosen = formatter ?? this.#formatterFor(ref);
    return this.templates.forRef(ref).format(ref) + chosen.extension;
  }

  /**
   * Checks, before any dataset is written, that the template chosen for a dataset type can be filled from its
   * required dimensions and gives each data ID its own path (CONFIG_INVALID otherwise).
   */
  validateTemplate(datasetType: DatastoreRef['datasetType'], requiredDimensions: readonly string[]): void {
    this.templates.forDatasetType(datasetType).validate([...requiredDimensions]);
  }

  /**
   * Writes `obj` to its template path: the formatter writes a temporary sibling, which is then linked into place.
   * An existing file there is kept (FILE_EXISTS) unless it is an orphan (see `FileDatastoreHooks`), which is
   * replaced. On any failure nothing is left.
   */
  async put(obj: unknown, ref: DatastoreRef): Promise<StoredFileInfo> {
    const storageClass = this.#storageClasses.get(ref.datasetType.storageClass);
    const formatter = this.#formatters.forDataset(ref.datasetType.name, storageClass);
    storageClass.checkValue(obj);
    const path = this.predictPath(ref, formatter);
    const target = this.#resolveInsideRoot(path);
    assertWriteInside(this.root, target);
    const firstCreated = await mkdir(dirname(target), { recursive: true }).catch((err: unknown) => {
      throw fileSystemError(err, 'create a datastore directory', dirname(target));
    });
    try {
      // Checked first as well so that a real conflict costs no write.
      if ((await pathPresent(target)) && !(await this.#isOrphan(target))) {
        throw meridianError('FILE_EXISTS', `Dataset ${ref.id}: ${path} already exists in the datastore`, {
          path,
        });
      }
      const temporary = temporarySibling(target);
      try {
        await formatter.write(obj, temporary, storageClass);
      } catch (err) {
        await unlinkIfPresent(temporary);
        throw err;
      }
      await publishTemporary(temporary, target, (t) => this.#isOrphan(t));
    } catch (err) {
      if (firstCreated !== undefined)
        await this.#pruneEmptyDirectories(dirname(target), dirname(firstCreated));
      throw fileSystemError(err, 'write a dataset into the datastore', target);
    }
    this.#inFlight.add(target);
    return this.#recordOrUndo(ref, path, target, formatter, storageClass, undefined);
  }

  /**
   * Reads a stored dataset. `component` defaults to the ref's (`ref.component`, or the part after the dot of a
   * component dataset type name such as 'calexp.wcs'); `verify` recomputes the checksum first (when one
   * was recorded) and fails with DATASET_CHECKSUM_MISMATCH if the file changed.
   */
  async get(info: StoredFileInfo, ref: DatastoreRef, opts: DatastoreGetOptions = {}): Promise<unknown> {
    const path = this.absolutePath(info);
    if (!(await this.exists(info))) throw missingFile(info, path);
    if (opts.verify === true && info.checksum !== null) {
      const actual = await FileDatastore.computeChecksum(path);
      if (actual !== info.checksum) {
        throw meridianError(
          'DATASET_CHECKSUM_MISMATCH',
          `Dataset ${info.datasetId}: ${info.path} has checksum ${actual}, expected ${info.checksum}`,
          { datasetId: info.datasetId, path: info.path, expected: info.checksum, actual },
        );
      }
    }
    const formatter = this.#formatters.byName(info.formatter);
    const storageClass = this.#storageClasses.get(info.storageClass);
    const requested = opts.component !== undefined ? opts.component : refComponent(ref);
    // A file that holds one component already is that component: read it whole.
    const component = requested === info.component ? null : requested;
    try {
      return await formatter.read(path, { component, parameters: opts.parameters, storageClass });
    } catch (err) {
      if (isCode(err, 'ENOENT')) throw missingFile(info, path);
      throw err;
    }
  }

  /**
   * Makes an existing file a dataset of this datastore.
   * - 'auto': use the file where it is (inside the root: recorded relative; outside: as 'direct');
   * - 'direct': record the absolute path; the datastore never deletes such a file;
   * - copy, move, link (hard, else symbolic), hardlink, symlink, relsymlink: place it at the template path, keeping
   *   the source's extension (so '.fits.fz' stays '.fits.fz'). The file is staged under a temporary name and
   *   published as `put` does: an orphan at the path is replaced, any other file is kept (FILE_EXISTS).
   * With `deferSourceRemoval`, 'move' keeps the source until `finishIngest` (call it after the record is committed).
   */
  async ingest(
    sourcePath: string,
    ref: DatastoreRef,
    transfer: TransferMode,
    opts: { formatter?: string; deferSourceRemoval?: boolean } = {},
  ): Promise<StoredFileInfo> {
    if (!(TRANSFER_MODES as readonly string[]).includes(transfer)) {
      throw meridianError('TRANSFER_MODE_INVALID', `Unknown transfer mode '${transfer}'`, { transfer });
    }
    const source = resolve(sourcePath);
    await this.#requireRegularFile(source);
    const storageClass = this.#storageClasses.get(ref.datasetType.storageClass);
    const formatter =
      opts.formatter === undefined
        ? this.#formatters.forDataset(ref.datasetType.name, storageClass)
        : this.#formatters.byName(opts.formatter);

    if (transfer === 'auto' || transfer === 'direct') {
      const path = this.#isInsideRoot(source) ? toPosix(relative(this.root, source)) : source;
      return this.#describe(ref, path, source, formatter, storageClass);
    }

    const path = this.templates.forRef(ref).format(ref) + (fileExtension(source) || formatter.extension);
    const target = this.#resolveInsideRoot(path);
    assertWriteInside(this.root, target);
    const firstCreated = await mkdir(dirname(target), { recursive: true }).catch((err: unknown) => {
      throw fileSystemError(err, 'create a datastore directory', dirname(target));
    });
    try {
      const temporary = temporarySibling(target);
      try {
        await stageFile(transfer, source, temporary);
      } catch (err) {
        await unlinkIfPresent(temporary);
        throw err;
      }
      await publishTemporary(temporary, target, (t) => this.#isOrphan(t));
    } catch (err) {
      if (firstCreated !== undefined)
        await this.#pruneEmptyDirectories(dirname(target), dirname(firstCreated));
      throw fileSystemError(err, `${transfer} a file into the datastore`, target);
    }
    this.#inFlight.add(target);
    if (transfer === 'move') {
      if (opts.deferSourceRemoval === true) {
        this.#pendingSourceRemoval.set(target, source);
      } else {
        await unlinkIfPresent(source);
        this.#movedFrom.set(target, source);
      }
    }
    return this.#recordOrUndo(ref, path, target, formatter, storageClass, transfer);
  }

  /**
   * Completes a put or ingest whose record is now committed: a deferred 'move' removes its source (a crash before
   * this leaves the source in place, never lost), and the path stops being "in flight" for this process.
   */
  async finishIngest(info: StoredFileInfo): Promise<void> {
    if (isAbsolute(info.path)) return;
    const target = this.absolutePath(info);
    this.#inFlight.delete(target);
    this.#movedFrom.delete(target);
    const source = this.#pendingSourceRemoval.get(target);
    if (source === undefined) return;
    this.#pendingSourceRemoval.delete(target);
    await unlinkIfPresent(source);
  }

  /**
   * Reverses a put or ingest whose registry insert failed: removes what was created, moves a moved file back, and
   * leaves files used in place ('auto', 'direct') alone.
   */
  async undoIngestOrPut(info: StoredFileInfo, transfer?: TransferMode): Promise<void> {
    if (transfer === 'auto' || transfer === 'direct' || isAbsolute(info.path)) return;
    await this.#undoPlacement(this.absolutePath(info), transfer);
  }

  /** True if the file is there (a symbolic link counts only if its target exists). */
  async exists(info: StoredFileInfo): Promise<boolean> {
    try {
      return (await stat(this.absolutePath(info))).isFile();
    } catch (err) {
      if (isCode(err, 'ENOENT', 'ENOTDIR')) return false;
      throw err;
    }
  }

  /** Deletes a dataset's file (idempotent) and the directories it leaves empty; 'direct' files are never deleted. */
  async removeArtifact(info: StoredFileInfo): Promise<void> {
    if (isAbsolute(info.path)) return;
    const path = this.absolutePath(info);
    assertWriteInside(this.root, path);
    await unlinkIfPresent(path);
    this.#forget(path);
    await this.#pruneEmptyDirectories(dirname(path));
  }

  /** Compares a file with its record: presence, size, and (unless `checksum: false`) the recorded checksum. */
  async verify(info: StoredFileInfo, opts: { checksum?: boolean } = {}): Promise<VerifyResult> {
    const path = this.absolutePath(info);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (err) {
      if (!isCode(err, 'ENOENT', 'ENOTDIR')) throw err;
      return { ok: false, problem: 'missing', detail: `${info.path} does not exist` };
    }
    if (size !== info.fileSize) {
      return {
        ok: false,
        problem: 'size',
        detail: `${info.path} has ${size} bytes, expected ${info.fileSize}`,
      };
    }
    if ((opts.checksum ?? true) && info.checksum !== null) {
      const actual = await FileDatastore.computeChecksum(path);
      if (actual !== info.checksum) {
        return {
          ok: false,
          problem: 'checksum',
          detail: `${info.path} has ${actual}, expected ${info.checksum}`,
        };
      }
    }
    return { ok: true };
  }

  /**
   * Every file and link under the root as a relative POSIX path, for orphan detection. In-progress temporary
   * files of this datastore are skipped; directories are not followed through symbolic links.
   */
  async *walkArtifacts(): AsyncIterable<string> {
    for await (const path of this.#walk()) if (!isTemporaryName(path)) yield path;
  }

  /** Every temporary file (an unfinished or interrupted write), as a root-relative path. */
  async *walkTemporaryFiles(): AsyncIterable<string> {
    for await (const path of this.#walk()) if (isTemporaryName(path)) yield path;
  }

  /**
   * Deletes a file under the root that no record points to (the caller has checked that), and the directories it
   * leaves empty. With `changedBefore` (ms since the epoch) a file whose status changed later is left alone (it may
   * be another writer's, not yet committed). Returns whether the file was deleted.
   */
  async removeOrphan(path: string, opts: { changedBefore?: number } = {}): Promise<boolean> {
    if (isAbsolute(path)) return false;
    const absolute = this.#resolveInsideRoot(path);
    let changedAt: number;
    try {
      changedAt = (await lstat(absolute)).ctimeMs;
    } catch (err) {
      if (isCode(err, 'ENOENT', 'ENOTDIR')) return false;
      throw err;
    }
    if (opts.changedBefore !== undefined && changedAt >= opts.changedBefore) return false;
    await unlinkIfPresent(absolute);
    this.#forget(absolute);
    await this.#pruneEmptyDirectories(dirname(absolute));
    return true;
  }

  async *#walk(): AsyncIterable<string> {
    const pending = [this.root];
    while (pending.length > 0) {
      const dir = pending.pop()!;
      let handle: Awaited<ReturnType<typeof opendir>>;
      try {
        handle = await opendir(dir);
      } catch (err) {
        if (dir === this.root && isCode(err, 'ENOENT')) return;
        // A directory pruned by a concurrent removal since it was listed.
        if (dir !== this.root && isCode(err, 'ENOENT')) continue;
        throw err;
      }
      for await (const entry of handle) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) pending.push(full);
        else yield toPosix(relative(this.root, full));
      }
    }
  }

  /** The absolute path of a record: a 'direct' absolute path as is, else resolved inside the root (PATH_TRAVERSAL). */
  absolutePath(info: StoredFileInfo): string {
    return isAbsolute(info.path) ? normalize(info.path) : this.#resolveInsideRoot(info.path);
  }

  /**
   * Puts a copy (or link, or the file itself with 'move') of a dataset's file in `destDir`, under its datastore path
   * when `preservePath` (the file name alone for 'direct' files), else under its file name. Returns the new path.
   */
  async retrieve(
    info: StoredFileInfo,
    destDir: string,
    opts: { transfer: RetrieveMode; preservePath: boolean; clobber: boolean },
  ): Promise<string> {
    if (!['copy', 'link', 'hardlink', 'symlink', 'move'].includes(opts.transfer)) {
      throw meridianError('TRANSFER_MODE_INVALID', `Cannot retrieve with transfer mode '${opts.transfer}'`, {
        transfer: opts.transfer,
      });
    }
    const direct = isAbsolute(info.path);
    if (direct && opts.transfer === 'move') {
      throw meridianError(
        'TRANSFER_MODE_INVALID',
        `Refusing to move ${info.path}: the datastore does not own it`,
        {
          path: info.path,
        },
      );
    }
    const source = this.absolutePath(info);
    if (!(await this.exists(info))) throw missingFile(info, source);
    const destRoot = resolve(destDir);
    const target = resolve(destRoot, opts.preservePath && !direct ? info.path : basename(info.path));
    if (!target.startsWith(destRoot + sep)) {
      throw meridianError('PATH_TRAVERSAL', `${info.path} would be retrieved outside ${destRoot}`, {
        path: info.path,
        destination: destRoot,
      });
    }
    assertWriteInside(destRoot, target);
    if (await pathPresent(target)) {
      if (!opts.clobber) {
        throw meridianError('FILE_EXISTS', `${target} exists; pass clobber to replace it`, { path: target });
      }
      await rm(target, { force: true });
    }
    await mkdir(dirname(target), { recursive: true });
    await placeFile(opts.transfer as PlacementMode, source, target);
    if (opts.transfer === 'move') await this.#pruneEmptyDirectories(dirname(source));
    return target;
  }

  /** 'blake2b512:<hex>' of a file's bytes, read as a stream (daf_butler's checksum algorithm is blake2b). */
  static async computeChecksum(path: string): Promise<string> {
    const hash = createHash(CHECKSUM_ALGORITHM);
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }))
      hash.update(chunk as Buffer);
    return `${CHECKSUM_ALGORITHM}:${hash.digest('hex')}`;
  }

  #formatterFor(ref: DatastoreRef): Formatter {
    return this.#formatters.forDataset(
      ref.datasetType.name,
      this.#storageClasses.get(ref.datasetType.storageClass),
    );
  }

  async #describe(
    ref: DatastoreRef,
    path: string,
    file: string,
    formatter: Formatter,
    storageClass: StorageClass,
  ): Promise<StoredFileInfo> {
    const { size } = await stat(file);
    return Object.freeze({
      datasetId: ref.id,
      path,
      formatter: formatter.name,
      storageClass: storageClass.name,
      component: ref.component ?? null,
      checksum: this.checksum ? await FileDatastore.computeChecksum(file) : null,
      fileSize: size,
    });
  }

  /** Describes a file just placed; if that fails (e.g. the checksum read errors), the placement is undone. */
  async #recordOrUndo(
    ref: DatastoreRef,
    path: string,
    file: string,
    formatter: Formatter,
    storageClass: StorageClass,
    transfer: PlacementMode | undefined,
  ): Promise<StoredFileInfo> {
    try {
      return await this.#describe(ref, path, file, formatter, storageClass);
    } catch (err) {
      await this.#undoPlacement(file, transfer);
      throw err;
    }
  }

  /** Removes a file this datastore placed at `target` (a put when `transfer` is undefined), or moves it back. */
  async #undoPlacement(target: string, transfer: TransferMode | undefined): Promise<void> {
    if (transfer === 'move' && !this.#pendingSourceRemoval.has(target)) {
      const origin = this.#movedFrom.get(target);
      if (origin === undefined) {
        throw meridianError('INTERNAL', `No record of where ${target} was moved from; it was left in place`, {
          path: target,
        });
      }
      await placeFile('move', target, origin);
    } else {
      // A deferred move staged a link or copy: the source is still there, so removing the target undoes it.
      await unlinkIfPresent(target);
    }
    this.#forget(target);
    await this.#pruneEmptyDirectories(dirname(target));
  }

  #forget(target: string): void {
    this.#movedFrom.delete(target);
    this.#pendingSourceRemoval.delete(target);
    this.#inFlight.delete(target);
  }

  /** An existing file at `target` may be replaced only if no record points to it and this process is not placing it. */
  async #isOrphan(target: string): Promise<boolean> {
    const check = this.#hooks.isPathReferenced;
    if (check === undefined || this.#inFlight.has(target)) return false;
    return !(await check(toPosix(relative(this.root, target))));
  }

  async #requireRegularFile(path: string): Promise<void> {
    try {
      if ((await stat(path)).isFile()) return;
    } catch (err) {
      if (!isCode(err, 'ENOENT', 'ENOTDIR')) throw err;
      throw meridianError('FILE_NOT_FOUND', `Cannot ingest ${path}: no such file`, { path }, err);
    }
    throw meridianError('INVALID_ARGUMENT', `Cannot ingest ${path}: not a regular file`, { path });
  }

  #isInsideRoot(absolute: string): boolean {
    return absolute.startsWith(this.root + sep);
  }

  #resolveInsideRoot(relativePath: string): string {
    const absolute = resolve(this.root, relativePath);
    if (relativePath.includes('\0') || !this.#isInsideRoot(absolute)) {
      throw meridianError(
        'PATH_TRAVERSAL',
        `Path '${relativePath}' escapes the datastore root ${this.root}`,
        {
          path: relativePath,
          root: this.root,
        },
      );
    }
    return absolute;
  }

  /**
   * Removes `dir` and its parents while they are empty, up to but not including `limit` (the root by default).
   * After a failed write the limit is the parent of the first directory that write created, so directories
   * that already existed, which other writers may be about to use, are left alone.
   */
  async #pruneEmptyDirectories(dir: string, limit: string = this.root): Promise<void> {
    for (let current = dir; this.#isInsideRoot(current) && current !== limit; current = dirname(current)) {
      try {
        await rmdir(current);
      } catch (err) {
        if (isCode(err, 'ENOTEMPTY', 'EEXIST', 'ENOENT')) return;
        throw err;
      }
    }
  }
}

/** The component a ref asks for: its `component`, else the part after the first dot of 'calexp.wcs'. */
function refComponent(ref: DatastoreRef): string | null {
  if (ref.component !== undefined && ref.component !== null) return ref.component;
  const dot = ref.datasetType.name.indexOf('.');
  return dot < 0 ? null : ref.datasetType.name.slice(dot + 1);
}

function missingFile(info: StoredFileInfo, path: string): Error {
  return meridianError('DATASET_FILE_MISSING', `Dataset ${info.datasetId}: file ${path} is missing`, {
    datasetId: info.datasetId,
    path: info.path,
  });
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (!isCode(err, 'ENOENT')) throw err;
  }
}

/** '.fits', or '.fits.fz' for a compressed file; '' when the name has no extension. */
function fileExtension(path: string): string {
  const name = basename(path);
  const last = extname(name);
  const extension = COMPRESSION_SUFFIXES.has(last) ? extname(name.slice(0, -last.length)) + last : last;
  return extension.replace(/[^A-Za-z0-9._-]/g, '_');
}

function isTemporaryName(path: string): boolean {
  return path.slice(path.lastIndexOf('/') + 1).startsWith(TEMPORARY_PREFIX);
}

function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}
