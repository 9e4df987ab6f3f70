/**
 * `simulateCatalogs`: derive DP0.2-shaped Parquet catalogs from a simulated truth and cadence. Everything is
 * generated inside DuckDB (counter-based random numbers, so no row depends on another's generation) and written
 * with COPY … TO parquet; the per-object tables are produced in chunks of objects, one Parquet file per chunk and
 * table, so memory stays bounded and the catalog ingest can load the files in parallel.
 */

import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DuckDBConnection } from '@duckdb/node-api';
import { meridianError } from '../../errors.js';
import { copyToParquet, DuckDBSession } from '../../formats/index.js';
import { coaddStatement, matchesTruthSelect, objectSelect } from './coadd-sql.js';
import { OUTPUT_COLUMNS, type OutputColumn, TABLE_NAMES, type TableName } from './columns.js';
import {
  type CatalogSimulationInput,
  type CatalogSimulationOptions,
  resolveCatalogOptions,
} from './options.js';
import { forcedSourceSelect, sourceSelect, staticPhotometryStatement } from './photometry-sql.js';
import { randomMacros } from './random-sql.js';
import { DC2_SKYMAP_CONFIG, SKYMAP_NAME, skymapTableStatements, skymapTables } from './sky-sql.js';
import { ccdVisitSelect, surveyStatements, visitSelect } from './survey-sql.js';
import { transientStatements, transientTableSelects } from './transients-sql.js';
import { staticTruthSql, truthIdSql, truthSummarySelect } from './truth-sql.js';

export const CATALOG_MANIFEST_VERSION = 1;

export interface CatalogTableOutput {
  readonly kind: 'catalog-table-output';
  readonly name: TableName;
  /** Parquet files, relative to the output directory. */
  readonly files: readonly string[];
  readonly rows: number;
  readonly columns: readonly OutputColumn[];
}

export interface CatalogManifest {
  readonly kind: 'sim-catalog-manifest';
  readonly version: typeof CATALOG_MANIFEST_VERSION;
  readonly options: Omit<CatalogSimulationOptions, 'outDir' | 'kind'>;
  readonly skymap: { readonly name: string; readonly config: typeof DC2_SKYMAP_CONFIG };
  /** The files are the same for the same options and DuckDB version (its hash function makes the randoms). */
  readonly duckdbVersion: string;
  readonly tables: Readonly<Record<TableName, CatalogTableOutput>>;
  readonly seconds: number;
  readonly rowsPerSecond: number;
}

export const MANIFEST_FILE = 'manifest.json';

/** Creates the table directories; returns whether the output directory itself was created (to undo a failure). */
function prepareOutputDirectory(outDir: string): boolean {
  let entries: string[] | undefined;
  try {
    entries = readdirSync(outDir);
  } catch {
    entries = undefined;
  }
  if (entries !== undefined && entries.length > 0) {
    throw meridianError('INVALID_ARGUMENT', `output directory ${outDir} is not empty`, { outDir });
  }
  for (const table of TABLE_NAMES) mkdirSync(join(outDir, table), { recursive: true });
  return entries === undefined;
}

/** After a failure, leave the output directory as it was found: absent, or empty. */
function removeOutputs(outDir: string, created: boolean): void {
  if (created) {
    rmSync(outDir, { recursive: true, force: true });
    return;
  }
  for (const entry of [...TABLE_NAMES, MANIFEST_FILE])
    rmSync(join(outDir, entry), { recursive: true, force: true });
}

class TableWriter {
  private readonly files = new Map<TableName, string[]>();
  private readonly rows = new Map<TableName, number>();

  constructor(
    private readonly connection: DuckDBConnection,
    private readonly outDir: string,
    private readonly onWritten: (table: TableName) => void = () => undefined,
  ) {}

  /** COPY the rows of `select` to the next part file of `table`. */
  async write(table: TableName, select: string): Promise<void> {
    const files = this.files.get(table) ?? [];
    const relative = join(table, `${table}-${String(files.length).padStart(5, '0')}.parquet`);
    const count = await copyToParquet(this.connection, { query: select }, join(this.outDir, relative));
    files.push(relative);
    this.files.set(table, files);
    this.rows.set(table, (this.rows.get(table) ?? 0) + count);
    this.onWritten(table);
  }

  outputs(): Record<TableName, CatalogTableOutput> {
    return Object.fromEntries(
      TABLE_NAMES.map((name) => [
        name,
        Object.freeze({
          kind: 'catalog-table-output',
          name,
          files: Object.freeze([...(this.files.get(name) ?? [])]),
          rows: this.rows.get(name) ?? 0,
          columns: OUTPUT_COLUMNS[name],
        }),
      ]),
    ) as Record<TableName, CatalogTableOutput>;
  }
}

async function runAll(connection: DuckDBConnection, statements: readonly string[]): Promise<void> {
  for (const statement of statements) await connection.run(statement);
}

export async function simulateCatalogs(input: CatalogSimulationInput): Promise<CatalogManifest> {
  const started = performance.now();
  const o = resolveCatalogOptions(input);
  const createdOutDir = prepareOutputDirectory(o.outDir);
  const spillDirectory = join(o.outDir, '.duckdb-tmp');
  const session = await DuckDBSession.open({ threads: o.workers, tempDirectory: spillDirectory });
  const { connection } = session;
  try {
    // Files to write: Visit and CcdVisit, five per-object tables per chunk of objects, then the transient tables.
    const totalFiles = 2 + 5 * Math.ceil(o.objects / o.objectsPerFile) + transientTableSelects().length;
    let filesWritten = 0;
    const report = (phase: string) =>
      input.onProgress?.({ phase, done: filesWritten, total: totalFiles, unit: 'files' });
    const writer = new TableWriter(connection, o.outDir, (table) => {
      filesWritten++;
      report(table);
    });
    const sky = skymapTables(o.dec - o.radiusDeg - 2, o.dec + o.radiusDeg + 2);
    await runAll(connection, [
      ...randomMacros(o.seed),
      ...skymapTableStatements(sky),
      ...surveyStatements(o),
    ]);
    await writer.write('Visit', visitSelect());
    await writer.write('CcdVisit', ccdVisitSelect());
    for (let lo = 0; lo < o.objects; lo += o.objectsPerFile) {
      const hi = Math.min(o.objects, lo + o.objectsPerFile);
      report(`objects ${lo}–${hi}`);
      await runAll(connection, [
        `CREATE OR REPLACE TEMP TABLE truth_chunk AS
         ${staticTruthSql(o, sky, `range(${lo}, ${hi}) r(idx)`)} ORDER BY idx`,
        staticPhotometryStatement('phot_chunk', 'truth_chunk'),
        coaddStatement('objects_chunk', 'truth_chunk', 'phot_chunk'),
      ]);
      await writer.write('Object', objectSelect('objects_chunk'));
      await writer.write('ForcedSource', forcedSourceSelect('phot_chunk', 'objects_chunk'));
      await writer.write('Source', sourceSelect('phot_chunk'));
      await writer.write(
        'TruthSummary',
        truthSummarySelect(
          `(SELECT *, ${truthIdSql('idx')} AS truth_id, -1 AS host_galaxy FROM truth_chunk ORDER BY idx)`,
          'truth_id',
        ),
      );
      await writer.write('MatchesTruth', matchesTruthSelect('objects_chunk'));
    }
    await runAll(connection, ['DROP TABLE IF EXISTS phot_chunk', 'DROP TABLE IF EXISTS objects_chunk']);
    report('supernovae');
    await runAll(connection, transientStatements(o, sky));
    for (const [table, select] of transientTableSelects()) await writer.write(table, select);
    const versionRows = (await connection.runAndReadAll('SELECT version()')).getRows();
    const tables = writer.outputs();
    const seconds = (performance.now() - started) / 1000;
    const totalRows = TABLE_NAMES.reduce((sum, name) => sum + tables[name].rows, 0);
    const { outDir: _outDir, kind: _kind, ...options } = o;
    const manifest: CatalogManifest = {
      kind: 'sim-catalog-manifest',
      version: CATALOG_MANIFEST_VERSION,
      options,
      skymap: { name: SKYMAP_NAME, config: DC2_SKYMAP_CONFIG },
      duckdbVersion: String(versionRows[0]?.[0] ?? 'unknown'),
      tables,
      seconds,
      rowsPerSecond: totalRows / seconds,
    };
    writeFileSync(join(o.outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    return manifest;
  } catch (err) {
    removeOutputs(o.outDir, createdOutDir);
    throw err;
  } finally {
    session.close();
    rmSync(spillDirectory, { recursive: true, force: true });
  }
}
