import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { meridianError } from '../errors.js';

/**
 * Containment checks for paths that come from a file or a user (export files, ingest tables, manifests, registry
 * records). A path is inside a base directory when, after resolving `..` lexically AND resolving symbolic links in
 * its parent directories, it is still below the base. The last component itself is not resolved: a dataset file may
 * legitimately be a symbolic link (an export made with `-t symlink`, a datastore file ingested with `symlink`), and
 * whether its target is read is then decided by the transfer mode the user chose. docs/reliability-security.md lists
 * where each check is made.
 */

/** True if `absolute` is `base` itself or below it (both already resolved). */
function below(base: string, absolute: string, allowBase: boolean): boolean {
  if (absolute === base) return allowBase;
  const rel = relative(base, absolute);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/**
 * The real path of `path`'s longest existing prefix, with the rest appended: parents that do not exist yet (a
 * datastore directory about to be created) cannot be links, so they resolve to themselves.
 */
export function realPathOfExistingPrefix(path: string): string {
  const missing: string[] = [];
  let current = resolve(path);
  for (;;) {
    try {
      const real = realpathSync(current);
      return missing.length === 0 ? real : resolve(real, ...missing.reverse());
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      const parent = dirname(current);
      if (parent === current) return resolve(path);
      missing.push(current.slice(parent.length).replace(/^[/\\]+/, ''));
      current = parent;
    }
  }
}

export interface ContainmentOptions {
  /** What the base directory is, for messages ('export directory', 'datastore root', …). */
  readonly baseName: string;
  /** Where the path came from, for messages ('export file x.yaml', 'registry record of dataset …'). */
  readonly source?: string;
  /** The option that would let the path through, named in the message (e.g. '--allow-outside-export-dir'). */
  readonly override?: string;
}

/**
 * Resolves `path` (relative to `base`, or absolute) and checks that it stays inside `base` after `..` and symbolic
 * links in its parent directories are resolved; PATH_TRAVERSAL otherwise. Returns the lexically resolved absolute
 * path (not the real path: callers keep the user's spelling for records and messages). Absolute paths are
 * accepted only when they lie inside `base`; NUL bytes are refused outright.
 */
export function resolveInside(base: string, path: string, options: ContainmentOptions): string {
  const root = resolve(base);
  const absolute = resolve(root, path);
  if (path.includes('\0') || !isContained(root, absolute)) {
    const via = options.source === undefined ? '' : ` (from ${options.source})`;
    const how = options.override === undefined ? '' : `; use ${options.override} if reading it is intended`;
    throw meridianError(
      'PATH_TRAVERSAL',
      `path '${path}'${via} leaves the ${options.baseName} ${root}${how}`,
      { path, base: root, ...(options.source === undefined ? {} : { source: options.source }) },
    );
  }
  return absolute;
}

/**
 * True if the absolute path `absolute` is below `base` both lexically and once symbolic links in the parent
 * directories of each are resolved (a base that is itself a link is fine: both sides are resolved).
 */
export function isContained(base: string, absolute: string): boolean {
  const root = resolve(base);
  const target = resolve(absolute);
  if (!below(root, target, false)) return false;
  const realRoot = realPathOfExistingPrefix(root);
  const realParent = realPathOfExistingPrefix(dirname(target));
  return below(realRoot, realParent, true);
}

/**
 * The final check before the datastore creates or deletes `target`: its parent directory, with symbolic links
 * resolved, must be inside the root (PATH_TRAVERSAL otherwise). Templates and record paths are checked lexically
 * first; this catches a directory inside the root that is a link to somewhere else.
 */
export function assertWriteInside(root: string, target: string): void {
  if (!isContained(root, target)) {
    throw meridianError(
      'PATH_TRAVERSAL',
      `${target} resolves outside ${root}: a directory on its way is a symbolic link that leads out of it`,
      { path: target, root },
    );
  }
}

/** Node system error codes that describe the environment (permissions, space, file types), not a bug. */
const FILE_SYSTEM_CODES: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a path component is not a directory',
  EISDIR: 'is a directory',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EIO: 'input/output error',
};

/**
 * A FILESYSTEM_ERROR for a Node system error of the environment (EACCES, ENOSPC, EROFS, ENOTDIR, …), naming the
 * action and the path; any other error is returned unchanged. The original error is the `cause`.
 */
export function fileSystemError(err: unknown, action: string, path?: string): unknown {
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string' || !(code in FILE_SYSTEM_CODES)) return err;
  const where = path ?? (err as { path?: string }).path;
  return meridianError(
    'FILESYSTEM_ERROR',
    `cannot ${action}${where === undefined ? '' : ` (${where})`}: ${FILE_SYSTEM_CODES[code]} [${code}]`,
    { errno: code, ...(where === undefined ? {} : { path: where }), action },
    err,
  );
}
