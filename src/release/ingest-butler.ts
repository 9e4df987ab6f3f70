/**
 * The processed release into the catalog (`meridian catalog ingest-butler DB --repo REPO --collections …`, and the
 * demo): loads the pipeline's catalog outputs from a butler
 * repository into the partitioned catalog database, so the TAP service serves the processed release.
 *
 * The catalog module may not import the butler, so the two meet in this module: the butler finds the datasets (find-first over
 * the ordered collections) and names their Parquet files; the catalog checks and ingests those files. Tables and
 * their dataset types (DP0.2 names, the DRP contract's outputs):
 *   Visit    ← visitTable                         (regular: replicated whole)
 *   CcdVisit ← ccdVisitTable                      (regular)
 *   Source   ← sourceTable_visit, else sourceTable (its own director by coord_ra/coord_dec until Objects exist)
 * Order of work: find every dataset; check every file's columns against its table (CATALOG_COLUMNS_MISMATCH) and
 * its rows against what the table holds (CATALOG_ROWS_EXIST) before anything is written; then one ingest
 * transaction per table, all-or-nothing. A file whose content the table already holds is skipped, so running the
 * same collections again loads nothing twice.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Butler, type DatasetRef } from '../butler/index.js';
import { Catalog, type CatalogTable, checkFileColumns, parseCatalogSchema } from '../catalog/index.js';
import { isMeridianError, meridianError } from '../errors.js';
import { readParquetRowCount, readParquetTable } from '../formats/index.js';

/** The schema a new catalog is made from: the DRP contract's Source, CcdVisit and Visit. */
export const DRP_SCHEMA_PATH = fileURLToPath(new URL('../../config/catalog/drp.yaml', import.meta.url));

interface TableSource {
  readonly table: string;
  /** Dataset types in order of preference: the first with datasets in the collections is loaded. */
  readonly datasetTypes: readonly string[];
  /** A column whose values say which rows a file holds (checked against the table before loading). */
  readonly rowKey: string;
  readonly required: boolean;
}

/** Loaded in this order: Visit and CcdVisit before the Source rows that refer to them. */
const TABLE_SOURCES: readonly TableSource[] = [
  { table: 'Visit', datasetTypes: ['visitTable'], rowKey: 'visit', required: false },
  { table: 'CcdVisit', datasetTypes: ['ccdVisitTable'], rowKey: 'ccdVisitId', required: false },
  {
    table: 'Source',
    datasetTypes: ['sourceTable_visit', 'sourceTable'],
    rowKey: 'ccdVisitId',
    required: true,
  },
];

/** Progress of an ingest, as the CLI's progress bar takes it. */
export interface IngestProgress {
  readonly phase: string;
  readonly done: number;
  readonly total?: number;
  readonly unit?: string;
}

export interface IngestButlerOptions {
  /** The catalog database directory; created from `schemaPath` when absent or empty. */
  readonly catalogDir: string;
  readonly repo: string;
  /** Searched in order; the first collection holding a data ID's dataset wins (find-first). */
  readonly collections: readonly string[];
  /** Schema YAML for a new catalog (default: config/catalog/drp.yaml). */
  readonly schemaPath?: string;
  /** Check and list what would be loaded; write nothing (not even a new catalog). */
  readonly dryRun?: boolean;
  /** Load files with columns the table lacks, dropping those columns (default: refuse them). */
  readonly dropExtraColumns?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: IngestProgress) => void;
}

export type TableLoadStatus = 'loaded' | 'already loaded' | 'would load' | 'no datasets';

export interface TableLoad {
  readonly table: string;
  /** The dataset type loaded (or, with no datasets, the ones looked for, joined by `|`). */
  readonly datasetType: string;
  readonly datasets: number;
  /** Rows in all the files (from their footers). */
  readonly rows: number;
  /** Files loaded now (or that would be, with dryRun). */
  readonly newFiles: readonly string[];
  /** Files whose content the table already held: skipped. */
  readonly alreadyLoadedFiles: readonly string[];
  readonly transactionId: number | null;
  readonly status: TableLoadStatus;
}

export interface IngestButlerReport {
  readonly kind: 'catalogIngestButler';
  readonly catalogDir: string;
  readonly created: boolean;
  readonly dryRun: boolean;
  readonly collections: readonly string[];
  readonly tables: readonly TableLoad[];
}

interface FoundDatasets {
  readonly source: TableSource;
  readonly datasetType: string | null;
  readonly paths: readonly string[];
}

/** Datasets of a type in the collections; none when the repository does not know the type at all. */
async function datasetsOf(butler: Butler, datasetType: string, collections: readonly string[]) {
  try {
    return await butler.queryDatasets(datasetType, { collections, findFirst: true });
  } catch (err) {
    if (isMeridianError(err, 'DATASET_TYPE_UNKNOWN')) return [] as DatasetRef[];
    throw err;
  }
}

/** For each table, the Parquet files of the first of its dataset types with datasets in the collections. */
async function findDatasets(
  repo: string,
  collections: readonly string[],
  signal?: AbortSignal,
): Promise<FoundDatasets[]> {
  const butler = await Butler.open(repo);
  try {
    const found: FoundDatasets[] = [];
    for (const source of TABLE_SOURCES) {
      let hit: FoundDatasets = { source, datasetType: null, paths: [] };
      for (const datasetType of source.datasetTypes) {
        signal?.throwIfAborted();
        const refs = await datasetsOf(butler, datasetType, collections);
        if (refs.length === 0) continue;
        // Data ID order, so that a re-run names (and contributes) the same files in the same order.
        const ordered = [...refs].sort((a, b) => String(a.dataId).localeCompare(String(b.dataId)));
        const paths: string[] = [];
        for (const ref of ordered) paths.push(await butler.getURI(ref));
        hit = { source, datasetType, paths };
        break;
      }
      if (hit.datasetType === null && source.required) {
        throw meridianError(
          'DATASET_NOT_FOUND',
          `no ${source.datasetTypes.join(' or ')} datasets in collection(s) ${collections.join(', ')} of ${repo}: nothing to load into ${source.table}`,
          { datasetTypes: source.datasetTypes, collections },
        );
      }
      found.push(hit);
    }
    return found;
  } finally {
    await butler.close();
  }
}

function requireTable(tables: readonly CatalogTable[], name: string, datasetType: string): CatalogTable {
  const table = tables.find((t) => t.name.toLowerCase() === name.toLowerCase());
  if (table === undefined) {
    throw meridianError(
      'CATALOG_COLUMNS_MISMATCH',
      `the catalog has no table ${name} to load ${datasetType} into`,
      { table: name, datasetType },
    );
  }
  return table;
}

/** Distinct values of `column` in the files (small: visits or detector-visits). */
async function distinctValues(paths: readonly string[], column: string): Promise<bigint[]> {
  const values = new Set<bigint>();
  for (const path of paths) {
    const table = await readParquetTable(path, { columns: [column] });
    for (const value of table.columns[column] ?? []) {
      if (value !== null && value !== undefined) values.add(BigInt(value as number | bigint));
    }
  }
  return [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Refuses new files whose rows the table holds already (from files of other content, say a ccdVisitTable remade
 * after more visits): loading them would duplicate rows, since only a director's key is checked for uniqueness.
 */
async function refuseExistingRows(
  catalog: Catalog,
  table: CatalogTable,
  key: string,
  paths: readonly string[],
): Promise<void> {
  const values = await distinctValues(paths, key);
  for (let start = 0; start < values.length; start += 1000) {
    const batch = values.slice(start, start + 1000);
    const result = await catalog.query(
      `SELECT TOP 5 ${key} FROM ${table.name} WHERE ${key} IN (${batch.join(', ')})`,
    );
    if (result.rows.length > 0) {
      const keys = result.rows.map((r) => String(r[0]));
      throw meridianError(
        'CATALOG_ROWS_EXIST',
        `${table.name} already holds rows with ${key} ${keys.join(', ')} from an earlier load, and these files have rows with the same ${key}: ${paths.slice(0, 3).join(', ')}${paths.length > 3 ? ', …' : ''}`,
        { table: table.name, key, values: keys },
      );
    }
  }
}

async function totalRows(paths: readonly string[]): Promise<number> {
  let rows = 0;
  for (const path of paths) rows += await readParquetRowCount(path);
  return rows;
}

function catalogExists(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir).length > 0;
}

/** What each table would get: the files not loaded yet, after every check that needs no write. */
async function planLoads(
  found: readonly FoundDatasets[],
  tables: readonly CatalogTable[],
  catalog: Catalog | null,
  options: IngestButlerOptions,
): Promise<{ found: FoundDatasets; table: CatalogTable | null; newFiles: string[]; loaded: string[] }[]> {
  const plans = [];
  for (const f of found) {
    if (f.datasetType === null) {
      plans.push({ found: f, table: null, newFiles: [], loaded: [] });
      continue;
    }
    const table = requireTable(tables, f.source.table, f.datasetType);
    await checkFileColumns(table, f.paths, { dropExtraColumns: options.dropExtraColumns });
    const newFiles: string[] = [];
    const loaded: string[] = [];
    for (const path of f.paths) {
      const done =
        catalog !== null && (await catalog.alreadyLoaded(table.name, [path], { signal: options.signal }));
      (done ? loaded : newFiles).push(path);
    }
    if (catalog !== null && newFiles.length > 0) {
      await refuseExistingRows(catalog, table, f.source.rowKey, newFiles);
    }
    plans.push({ found: f, table, newFiles, loaded });
  }
  return plans;
}

/**
 * Loads the catalog outputs of `collections` into the catalog (see the header comment); returns what each table got.
 * Errors: COLLECTION_UNKNOWN, DATASET_NOT_FOUND (no sourceTable datasets), CATALOG_COLUMNS_MISMATCH,
 * CATALOG_ROWS_EXIST (before any write), CATALOG_INGEST (a table's transaction failed and was aborted).
 */
export async function ingestButlerCatalogs(options: IngestButlerOptions): Promise<IngestButlerReport> {
  const { catalogDir, collections, signal } = options;
  if (collections.length === 0) {
    throw meridianError('INVALID_ARGUMENT', 'name the collections to load from (--collections)');
  }
  const found = await findDatasets(options.repo, collections, signal);
  const dryRun = options.dryRun ?? false;
  const report = (created: boolean, tables: TableLoad[]): IngestButlerReport => ({
    kind: 'catalogIngestButler',
    catalogDir,
    created,
    dryRun,
    collections,
    tables,
  });
  const exists = catalogExists(catalogDir);
  // A new catalog is created only once its files passed every check, so a refused load leaves no empty catalog.
  const schemaYaml = exists ? null : readFileSync(options.schemaPath ?? DRP_SCHEMA_PATH, 'utf8');
  const existing = exists ? await Catalog.open(catalogDir, { readOnly: dryRun }) : null;
  try {
    const tables = existing?.schema.tables ?? parseCatalogSchema(schemaYaml ?? '').tables;
    const plans = await planLoads(found, tables, existing, options);
    if (dryRun) {
      const loads: TableLoad[] = [];
      for (const p of plans) {
        loads.push(await tableLoad(p, p.newFiles.length > 0 ? 'would load' : 'already loaded', null));
      }
      return report(false, loads);
    }
    const catalog = existing ?? (await Catalog.create(catalogDir, { schemaYaml: schemaYaml ?? '' }));
    try {
      const loads: TableLoad[] = [];
      for (const p of plans) {
        if (p.table === null || p.newFiles.length === 0) {
          loads.push(await tableLoad(p, 'already loaded', null));
          continue;
        }
        const result = await catalog.ingestFiles(p.table.name, p.newFiles, {
          signal,
          onProgress: options.onProgress,
        });
        loads.push(await tableLoad(p, 'loaded', result.transactionId));
      }
      return report(!exists, loads);
    } finally {
      if (existing === null) await catalog.close();
    }
  } finally {
    await existing?.close();
  }
}

async function tableLoad(
  plan: { found: FoundDatasets; newFiles: string[]; loaded: string[] },
  status: TableLoadStatus,
  transactionId: number | null,
): Promise<TableLoad> {
  const { found } = plan;
  return {
    table: found.source.table,
    datasetType: found.datasetType ?? found.source.datasetTypes.join('|'),
    datasets: found.paths.length,
    rows: await totalRows(found.paths),
    newFiles: plan.newFiles,
    alreadyLoadedFiles: plan.loaded,
    transactionId,
    status: found.datasetType === null ? 'no datasets' : status,
  };
}
