/**
 * What is checked before a contribution is staged, so that a bad input fails before any transaction starts and a
 * failed one-shot ingest leaves nothing behind: the table is in the schema, every file exists, is a regular file of
 * a readable kind and is named once, no two files have the same content, and no file's content is already in the
 * table (committed: CATALOG_DUPLICATE_CONTRIBUTION) or staged in another open transaction
 * (CATALOG_CONTRIBUTION_PENDING, naming it). String lengths are checked while staging (`checkStringLengths`).
 */

import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { meridianError } from '../errors.js';
import { duckdbStringLiteral, parquetScan } from '../formats/index.js';
import { type CzarStore, quoteDuck as q } from './czar.js';
import { type CatalogSchema, type CatalogTable, findTable } from './schema.js';

export async function fileSha256(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const block of createReadStream(path, signal ? { signal } : {})) hash.update(block as Buffer);
  return hash.digest('hex');
}

/** The DuckDB table function that reads a contribution file, chosen by its extension. */
export function readerFor(path: string): string {
  const extension = extname(path).toLowerCase();
  const literal = duckdbStringLiteral(path);
  if (extension === '.parquet') return parquetScan(path);
  if (extension === '.csv') return `read_csv(${literal}, header = true)`;
  if (extension === '.tsv') return `read_csv(${literal}, header = true, delim = '\t')`;
  throw meridianError(
    'CATALOG_INGEST',
    `cannot ingest ${path}: only .csv, .tsv and .parquet files are read`,
    {
      path,
    },
  );
}

export function requireTable(schema: CatalogSchema, tableName: string): CatalogTable {
  const table = findTable(schema, tableName);
  if (!table) {
    throw meridianError('INVALID_ARGUMENT', `table ${tableName} is not in schema ${schema.name}`, {
      table: tableName,
    });
  }
  return table;
}

/** A contribution file: exists, is a regular file, has a readable extension. */
export function checkContributionFile(path: string): void {
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch {
    throw meridianError('FILE_NOT_FOUND', `no file ${path}`, { path });
  }
  if (!stats.isFile()) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `${path} is ${stats.isDirectory() ? 'a directory' : 'not a regular file'}; name the files to contribute (e.g. ${path}/*.parquet)`,
      { path },
    );
  }
  readerFor(path);
}

/**
 * Refuses a contribution whose content is already in the table (a committed transaction), already in
 * `transactionId` itself, or staged in another open transaction, which the message names with what to do.
 */
export async function refuseEarlierContribution(
  store: CzarStore,
  table: string,
  path: string,
  sha256: string,
  transactionId: number | null,
): Promise<void> {
  const earlier = await store.rows(
    `SELECT c.transactionId, c.path, t.state FROM _contributions c JOIN _transactions t ON t.id = c.transactionId
     WHERE c.tableName = ? AND c.sha256 = ? AND t.state IN ('started', 'publishing', 'committed')
     ORDER BY t.state = 'committed' DESC, c.transactionId`,
    [table, sha256],
  );
  if (earlier.length === 0) return;
  const id = Number(earlier[0].transactionId);
  const earlierPath = String(earlier[0].path);
  if (earlier[0].state === 'committed' || id === transactionId) {
    throw meridianError(
      'CATALOG_DUPLICATE_CONTRIBUTION',
      `${path} has the same content as ${earlierPath}, already contributed to ${table} in ${id === transactionId ? 'this transaction' : 'transaction'} ${id}${earlier[0].state === 'committed' ? '' : ' (not yet committed)'}`,
      { path, table, transactionId: id },
    );
  }
  const open = (await store.openTransactions()).find((t) => t.id === id);
  const by = open?.owner
    ? `begun ${open.started} by process ${open.owner.pid} on ${open.owner.host}`
    : `begun ${open?.started ?? 'earlier'} with \`catalog transaction begin\``;
  throw meridianError(
    'CATALOG_CONTRIBUTION_PENDING',
    `${path} has the same content as ${earlierPath}, staged for ${table} in transaction ${id}, which is still open (${by}) and holds no committed rows; commit it (\`meridian catalog transaction commit DIR ${id}\`) or abort it (\`meridian catalog transaction abort DIR ${id}\`) and ingest again`,
    { path, table, transactionId: id, owner: open?.owner ?? null },
  );
}

export interface CheckedFile {
  readonly path: string;
  readonly sha256: string;
}

/**
 * Every check that can be made before a transaction starts, for all files of an ingest at once; returns the files
 * with their content hashes (so they are read once). `transactionId` is the open transaction contributed to, if any.
 */
export async function checkContributions(
  store: CzarStore,
  schema: CatalogSchema,
  tableName: string,
  paths: readonly string[],
  options: {
    readonly signal?: AbortSignal;
    readonly transactionId?: number;
    /** When every file is committed already, say so (`committed`) instead of refusing them as duplicates. */
    readonly acceptAllCommitted?: boolean;
  } = {},
): Promise<{ table: CatalogTable; files: CheckedFile[]; committed: CommittedFile[] | null }> {
  const table = requireTable(schema, tableName);
  const named = new Map<string, string>();
  for (const path of paths) {
    checkContributionFile(path);
    const absolute = resolve(path);
    const first = named.get(absolute);
    if (first !== undefined) {
      throw meridianError(
        'INVALID_ARGUMENT',
        `${path} is named twice${first === path ? '' : ` (also as ${first})`}; name each file once`,
        { path },
      );
    }
    named.set(absolute, path);
  }
  const files: CheckedFile[] = [];
  const byContent = new Map<string, string>();
  for (const path of paths) {
    const sha256 = await fileSha256(path, options.signal);
    const twin = byContent.get(sha256);
    if (twin !== undefined) {
      throw meridianError(
        'INVALID_ARGUMENT',
        `${path} and ${twin} have the same content; contributing both would load their rows twice, name one of them`,
        { path, sameAs: twin },
      );
    }
    byContent.set(sha256, path);
    files.push({ path, sha256 });
  }
  if (options.acceptAllCommitted && files.length > 0) {
    const committed: CommittedFile[] = [];
    for (const file of files) {
      const rows = await store.rows(
        `SELECT c.transactionId, c.rows FROM _contributions c JOIN _transactions t ON t.id = c.transactionId
         WHERE c.tableName = ? AND c.sha256 = ? AND t.state = 'committed' ORDER BY c.transactionId LIMIT 1`,
        [table.name, file.sha256],
      );
      if (rows.length === 0) break;
      committed.push({
        path: file.path,
        transactionId: Number(rows[0].transactionId),
        rows: Number(rows[0].rows),
      });
    }
    if (committed.length === files.length) return { table, files, committed };
  }
  for (const file of files) {
    await refuseEarlierContribution(store, table.name, file.path, file.sha256, options.transactionId ?? null);
  }
  return { table, files, committed: null };
}

/** A file whose content a committed transaction already holds. */
export interface CommittedFile {
  readonly path: string;
  readonly transactionId: number;
  readonly rows: number;
}

/**
 * Refuses the first value longer than its column's schema length (`length` of char and string columns): in file
 * order, naming the table, column, file, row (1 for the first data row) and the value's length in characters.
 */
export async function checkStringLengths(
  store: CzarStore,
  table: CatalogTable,
  path: string,
  view: string,
  rowColumn: string,
): Promise<void> {
  const bounded = table.columns.filter(
    (c) => c.length !== null && (c.datatype === 'char' || c.datatype === 'string' || c.datatype === 'text'),
  );
  if (bounded.length === 0) return;
  const lengths = bounded.map((c, i) => `length(${q(c.name)}) AS l${i}`).join(', ');
  const tooLong = bounded.map((c) => `length(${q(c.name)}) > ${c.length}`).join(' OR ');
  const found = await store.rows(
    `SELECT ${q(rowColumn)} AS row, ${lengths} FROM ${q(view)} WHERE ${tooLong} ORDER BY ${q(rowColumn)} LIMIT 1`,
  );
  if (found.length === 0) return;
  const index = bounded.findIndex((c, i) => Number(found[0][`l${i}`]) > (c.length as number));
  const column = bounded[index];
  const row = Number(found[0].row);
  const length = Number(found[0][`l${index}`]);
  throw meridianError(
    'CATALOG_INGEST',
    `${path}, row ${row}: column ${column.name} of ${table.name} holds a value of ${length} characters; the schema allows at most ${column.length}`,
    { path, table: table.name, column: column.name, row, length, maxLength: column.length },
  );
}

/** Whether every file's content is already in `table` through a committed transaction. */
export async function allCommitted(
  store: CzarStore,
  table: string,
  paths: readonly string[],
  signal?: AbortSignal,
): Promise<boolean> {
  for (const path of paths) {
    const sha256 = await fileSha256(path, signal);
    const rows = await store.rows(
      `SELECT 1 FROM _contributions c JOIN _transactions t ON t.id = c.transactionId
       WHERE c.tableName = ? AND c.sha256 = ? AND t.state = 'committed' LIMIT 1`,
      [table, sha256],
    );
    if (rows.length === 0) return false;
  }
  return true;
}
