/**
 * Loads a directory of catalog files laid out one sub-directory per table (`Object/Object-00000.parquet`, …, as
 * `meridian sim catalogs` writes them) or one file per table (`Object.parquet`, `Visit.csv`): regular tables first,
 * then directors, then dependents, one transaction per table. A directory with a manifest.json (written by
 * `sim catalogs` when it finishes) is loaded from the files the manifest lists; an incomplete one is refused. A
 * table whose files are all committed already is skipped, so the same load run again after an interruption ends it.
 */

import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { meridianError } from '../errors.js';
import type { Catalog } from './catalog.js';
import type { IngestProgress } from './ingest.js';
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

/** The part of `meridian sim catalogs`' manifest.json this loader reads (catalog does not import sim). */
const simManifest = z.object({
  kind: z.literal('sim-catalog-manifest'),
  tables: z.record(z.string(), z.object({ files: z.array(z.string()), rows: z.number() })),
});

export const SIM_MANIFEST_FILE = 'manifest.json';

/** A file the manifest lists, which must stay inside the directory (a manifest is input, not trusted). */
function insideDirectory(dir: string, file: string, manifestPath: string): string {
  const path = resolve(dir, file);
  const fromDir = relative(resolve(dir), path);
  if (isAbsolute(file) || fromDir === '..' || fromDir.startsWith(`..${sep}`) || isAbsolute(fromDir)) {
    throw meridianError(
      'PATH_TRAVERSAL',
      `${manifestPath} lists ${file}, which is outside ${dir}; nothing was ingested`,
      { dir, path: file },
    );
  }
  return join(dir, file);
}

/**
 * The files to load per table, checked before anything is loaded. With a manifest.json (what `meridian sim catalogs`
 * writes last, when it has finished) the files it lists, every one of which must exist; without one, the files
 * found — unless the directory has the per-table sub-directories of `sim catalogs`, whose missing manifest means
 * the simulation did not finish.
 */
export function directoryPlan(catalog: Catalog, dir: string): Map<string, string[]> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw meridianError('FILE_NOT_FOUND', `no directory ${dir}`, { path: dir });
  }
  const manifestPath = join(dir, SIM_MANIFEST_FILE);
  const plan = new Map<string, string[]>();
  if (existsSync(manifestPath)) {
    let manifest: z.infer<typeof simManifest>;
    try {
      manifest = simManifest.parse(JSON.parse(readFileSync(manifestPath, 'utf8')));
    } catch (err) {
      throw meridianError(
        'CATALOG_INPUT_INCOMPLETE',
        `${manifestPath} is not a manifest of \`meridian sim catalogs\`: ${(err as Error).message.slice(0, 300)}`,
        { dir, manifest: manifestPath },
        err,
      );
    }
    const missing: string[] = [];
    for (const table of catalog.schema.tables) {
      const listed = manifest.tables[table.name];
      if (!listed || listed.files.length === 0) continue;
      const files = listed.files.map((f) => insideDirectory(dir, f, manifestPath));
      const absent = files.filter((f) => !existsSync(f) || !statSync(f).isFile());
      if (absent.length > 0)
        missing.push(`${table.name} (${absent.length} of ${files.length} file(s), e.g. ${absent[0]})`);
      else plan.set(table.name, files);
    }
    if (missing.length > 0) {
      throw meridianError(
        'CATALOG_INPUT_INCOMPLETE',
        `${dir} lacks tables its manifest lists: ${missing.join('; ')}; nothing was ingested`,
        { dir, missing: missing.map((m) => m.split(' ')[0]) },
      );
    }
    return plan;
  }
  const simLayout = catalog.schema.tables.filter((t) => {
    const sub = join(dir, t.name);
    return existsSync(sub) && statSync(sub).isDirectory();
  });
  if (simLayout.length > 0) {
    throw meridianError(
      'CATALOG_INPUT_INCOMPLETE',
      `${dir} has the table directories of \`meridian sim catalogs\` (${simLayout.map((t) => t.name).join(', ')}) but no ${SIM_MANIFEST_FILE}, which it writes when it finishes: the simulation did not finish; nothing was ingested`,
      { dir, missing: [SIM_MANIFEST_FILE] },
    );
  }
  for (const table of catalog.schema.tables) {
    const files = tableFiles(dir, table.name);
    if (files.length > 0) plan.set(table.name, files);
  }
  return plan;
}

/**
 * Checks the whole directory first (`directoryPlan`): an incomplete one is refused with CATALOG_INPUT_INCOMPLETE
 * and nothing is ingested. `options.signal` cancels the load with ABORTED: the table being loaded is aborted (nothing of it is visible) and
 * tables already loaded stay committed, each having been its own transaction.
 */
export async function ingestDirectory(
  catalog: Catalog,
  dir: string,
  log: (line: string) => void = () => undefined,
  options: {
    readonly signal?: AbortSignal;
    /** Passed to each table's `ingestFiles`: files done of the table's files, then its commit. */
    readonly onProgress?: (progress: IngestProgress) => void;
  } = {},
): Promise<DirectoryIngest[]> {
  const { signal } = options;
  const tables = [...catalog.schema.tables].sort(
    (a, b) => roleOrder[a.partitioning.role] - roleOrder[b.partitioning.role],
  );
  const plan = directoryPlan(catalog, dir);
  const done: DirectoryIngest[] = [];
  for (const table of tables) {
    const files = plan.get(table.name) ?? [];
    if (files.length === 0) continue;
    if (signal?.aborted) {
      throw meridianError(
        'ABORTED',
        `loading ${dir} was cancelled before ${table.name}; ${done.length} table(s) were loaded`,
        { dir, loaded: done.map((d) => d.table) },
        signal.reason,
      );
    }
    // A table an interrupted earlier run committed is not loaded twice: running the same load again finishes it.
    if (await catalog.alreadyLoaded(table.name, files, { signal })) {
      log(`${table.name}: already loaded from these ${files.length} file(s), skipped`);
      continue;
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
