/**
 * Loads a directory of catalog files laid out one sub-directory per table (`Object/Object-00000.parquet`, …, as
 * `meridian sim catalogs` writes them) or one file per table (`Object.parquet`, `Visit.csv`): regular tables first,
 * then directors, then dependents, one transaction per table.
 */

import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { meridianError } from '../errors.js';
import type { Catalog } from './catalog.js';
import type { CatalogTable } from './schema.js';

const readable = /\.(parquet|csv|tsv)$/i;
const roleOrder: Readonly<Record<CatalogTable['partitioning']['role'], number>> = {
  regular: 0,
  director: 1,
  dependent: 2,
  match: 3,
};

export interface DirectoryIngest {
  readonly table: string;
  readonly files: number;
  readonly rows: number;
  readonly transactionId: number;
}

/**
 * `path` (relative to `dir`, or absolute) as an absolute path, refused with PATH_TRAVERSAL when it leaves `dir`
 * lexically or through a symbolic link in its directories (the file itself may be a link). For every path a
 * directory listing or a manifest in `dir` names, so that loading a directory reads only that directory.
 */
export function resolveInsideDirectory(dir: string, path: string): string {
  const base = resolve(dir);
  const absolute = resolve(base, path);
  const inside = (root: string, p: string) => {
    const rel = relative(root, p);
    return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
  };
  const realParent = existsSync(dirname(absolute)) ? realpathSync(dirname(absolute)) : dirname(absolute);
  const realBase = existsSync(base) ? realpathSync(base) : base;
  if (path.includes('\0') || absolute === base || !inside(base, absolute) || !inside(realBase, realParent)) {
    throw meridianError('PATH_TRAVERSAL', `${path} leaves the catalog input directory ${base}`, {
      path,
      directory: base,
    });
  }
  return absolute;
}

/** The files of a table in `dir`, sorted; empty when the directory has none. */
export function tableFiles(dir: string, table: string): string[] {
  const sub = join(dir, table);
  if (existsSync(sub) && statSync(sub).isDirectory()) {
    return readdirSync(sub)
      .filter((f) => readable.test(f))
      .sort()
      .map((f) => resolveInsideDirectory(dir, join(table, f)));
  }
  return readdirSync(dir)
    .filter((f) => readable.test(f) && f.slice(0, f.lastIndexOf('.')) === table)
    .map((f) => join(dir, f));
}

/**
 * `options.signal` cancels the load with ABORTED: the table being loaded is aborted (nothing of it is visible) and
 * tables already loaded stay committed, each having been its own transaction.
 */
export async function ingestDirectory(
  catalog: Catalog,
  dir: string,
  log: (line: string) => void = () => undefined,
  options: {
    readonly signal?: AbortSignal;
    /** Passed to each table's `ingestFiles`: files done of the table's files, then its commit. */
    readonly onProgress?: (progress: { phase: string; done: number; total?: number; unit?: string }) => void;
  } = {},
): Promise<DirectoryIngest[]> {
  const { signal } = options;
  const tables = [...catalog.schema.tables].sort(
    (a, b) => roleOrder[a.partitioning.role] - roleOrder[b.partitioning.role],
  );
  const done: DirectoryIngest[] = [];
  for (const table of tables) {
    const files = tableFiles(dir, table.name);
    if (files.length === 0) continue;
    if (signal?.aborted) {
      throw meridianError(
        'ABORTED',
        `loading ${dir} was cancelled before ${table.name}; ${done.length} table(s) were loaded`,
        { dir, loaded: done.map((d) => d.table) },
        signal.reason,
      );
    }
    const { transactionId, contributions } = await catalog.ingestFiles(table.name, files, {
      signal,
      onProgress: options.onProgress,
    });
    const rows = contributions.reduce((n, c) => n + c.rows, 0);
    log(`${table.name}: ${rows} rows from ${files.length} file(s) in transaction ${transactionId}`);
    done.push({ table: table.name, files: files.length, rows, transactionId });
  }
  return done;
}
