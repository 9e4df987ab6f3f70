/**
 * Ingest in transactions (qserv_tap.md §3.1): begin, contribute CSV or Parquet files, commit or abort.
 *
 * A contribution is read by the czar's DuckDB, partitioned (directors: chunk and sub-chunk from the position, plus
 * the overlap rows; dependents: the chunk of their director row from the director index) and kept in staging
 * tables that no query reads. Commit publishes the staged rows through the engine and records the director index
 * and per-chunk row counts in one czar transaction; abort drops the staging tables. A crash before commit leaves
 * only staging tables of an open transaction, which `abortTransaction` removes. Re-contributing a file whose
 * content (SHA-256) was already contributed to the same table is refused.
 */

import { isMeridianError, type MeridianError, meridianError } from '../errors.js';
import type { Chunker } from '../sphere/index.js';
import { type CzarStore, directorIndexName, quoteDuck as q, type TransactionOwner } from './czar.js';
import type { CatalogEngine, StagedTable } from './engine.js';
import { engineError } from './engines/classify.js';
import {
  checkContributionFile,
  checkStringLengths,
  fileSha256,
  readerFor,
  refuseEarlierContribution,
  requireTable,
} from './ingest-checks.js';
import { locateDirectorRows } from './locate.js';
import {
  CHUNK_COLUMN,
  MATCH_CANONICAL,
  MATCH_FLAG_COLUMN,
  MATCH_IN_FIRST,
  MATCH_IN_SECOND,
  MATCH_ONE_SIDED,
  SUB_CHUNK_COLUMN,
  sqlType,
  TRANSACTION_COLUMN,
} from './physical.js';
import { type CatalogSchema, type CatalogTable, findColumn, findTable } from './schema.js';

export interface IngestContext {
  readonly store: CzarStore;
  readonly engine: CatalogEngine;
  readonly schema: CatalogSchema;
  readonly chunker: Chunker;
}

export interface ContributionResult {
  readonly table: string;
  readonly path: string;
  readonly rows: number;
  readonly overlapRows: number;
}

/**
 * Begins a transaction. `owner` marks a one-shot ingest's own transaction: when that process dies before finishing
 * it, the next open of the catalog aborts it (`recoverAbandonedTransactions`).
 */
export async function beginTransaction(ctx: IngestContext, owner?: TransactionOwner): Promise<number> {
  const rows = await ctx.store.rows('SELECT COALESCE(MAX(id), 0) + 1 AS id FROM _transactions');
  const id = Number(rows[0].id);
  await ctx.store.connection.run(
    `INSERT INTO _transactions (id, state, started, ended, ownerHost, ownerPid, ownerToken)
     VALUES (?, 'started', current_timestamp::TIMESTAMP, NULL, ?, ?, ?)`,
    [id, owner?.host ?? null, owner?.pid ?? null, owner?.token ?? null],
  );
  return id;
}

async function requireOpen(ctx: IngestContext, transactionId: number): Promise<void> {
  const info = await ctx.store.transaction(transactionId);
  if (info?.state !== 'started') {
    throw meridianError(
      'INVALID_ARGUMENT',
      `transaction ${transactionId} is ${info ? info.state : 'unknown'}; contributions need a started transaction`,
      { transactionId },
    );
  }
}

/** Staging tables of a table's earlier contributions to the same transaction. */
async function stagedTablesOf(ctx: IngestContext, transactionId: number, table: string): Promise<string[]> {
  const rows = await ctx.store.rows(
    'SELECT stagingTable FROM _contributions WHERE transactionId = ? AND tableName = ?',
    [transactionId, table],
  );
  return rows.map((r) => String(r.stagingTable));
}

/** What a long catalog ingest reports: `done` of `total` units (files) in a named phase. */
export interface IngestProgress {
  readonly phase: string;
  readonly done: number;
  readonly total?: number;
  readonly unit?: string;
}

export interface ContributeOptions {
  /**
   * Cancels the contribution: the running DuckDB statement is interrupted, staging stops at its next step, and the
   * transaction is aborted (as when a contribution fails); the promise rejects with ABORTED.
   */
  readonly signal?: AbortSignal;
}

/** The ABORTED error of a contribution, after aborting its transaction (nothing of it stays visible). */
async function abortedContribution(
  ctx: IngestContext,
  transactionId: number,
  path: string,
  table: string,
  signal: AbortSignal,
): Promise<Error> {
  const info = await ctx.store.transaction(transactionId);
  if (info?.state === 'started') await abortTransaction(ctx, transactionId);
  return meridianError(
    'ABORTED',
    `ingest of ${path} into ${table} was cancelled, transaction ${transactionId} aborted`,
    { path, table, transactionId },
    signal.reason,
  );
}

/**
 * Stages one file in an open transaction. Checks that fail before staging (unknown table, missing file, a duplicate)
 * leave the transaction as it was; a failure while staging aborts it. `knownSha256` is the content hash when the
 * caller has computed it already (`checkContributions`).
 */
export async function contribute(
  ctx: IngestContext,
  transactionId: number,
  tableName: string,
  path: string,
  options: ContributeOptions = {},
  knownSha256?: string,
): Promise<ContributionResult> {
  const { signal } = options;
  const table = requireTable(ctx.schema, tableName);
  await requireOpen(ctx, transactionId);
  checkContributionFile(path);
  if (signal?.aborted) throw await abortedContribution(ctx, transactionId, path, table.name, signal);
  let sha256: string;
  try {
    sha256 = knownSha256 ?? (await fileSha256(path, signal));
  } catch (err) {
    if (signal?.aborted) throw await abortedContribution(ctx, transactionId, path, table.name, signal);
    throw err;
  }
  await refuseEarlierContribution(ctx.store, table.name, path, sha256, transactionId);
  const sequence = Number(
    (
      await ctx.store.rows('SELECT COUNT(*) AS n FROM _contributions WHERE transactionId = ?', [
        transactionId,
      ])
    )[0].n,
  );
  const base = `_stage_${transactionId}_${sequence + 1}`;
  const names = {
    file: `${base}_file`,
    raw: `${base}_raw`,
    loc: `${base}_loc`,
    ovl: `${base}_ovl`,
    stage: base,
    overlap: `${base}_overlap`,
  };
  // An abort interrupts the czar statement running for this contribution; `checkpoint` stops it between statements.
  const interrupt = () => ctx.store.connection.interrupt();
  signal?.addEventListener('abort', interrupt, { once: true });
  const checkpoint = () => {
    if (signal?.aborted) throw meridianError('ABORTED', 'contribution cancelled', {}, signal.reason);
  };
  try {
    const result = await stageContribution(ctx, transactionId, table, path, names, checkpoint);
    signal?.removeEventListener('abort', interrupt);
    checkpoint();
    await ctx.store.connection.run('INSERT INTO _contributions VALUES (?, ?, ?, ?, ?, ?, ?)', [
      transactionId,
      table.name,
      path,
      sha256,
      result.rows,
      names.stage,
      table.partitioning.role === 'director' ? names.overlap : null,
    ]);
    return result;
  } catch (err) {
    signal?.removeEventListener('abort', interrupt);
    if (signal?.aborted) throw await abortedContribution(ctx, transactionId, path, table.name, signal);
    // Aborting drops every staging table and view of the transaction, this contribution's included.
    await abortTransaction(ctx, transactionId);
    throw ingestFailure(err, `ingest of ${path} into ${table.name}`, transactionId, {
      path,
      table: table.name,
    });
  } finally {
    await ctx.store.connection.run(`DROP VIEW IF EXISTS ${q(names.raw)}`);
    for (const name of [names.file, names.loc, names.ovl]) {
      await ctx.store.connection.run(`DROP TABLE IF EXISTS ${q(name)}`);
    }
  }
}

/**
 * The error of a failed contribution or commit, after its transaction was aborted: a Meridian error as it is; a
 * failure of the input (the engine could not convert or place its values) as CATALOG_INGEST; a failure of the engine
 * (I/O, memory, locks, an unreachable worker) under its own code. The cause is the original error.
 */
function ingestFailure(
  err: unknown,
  what: string,
  transactionId: number,
  details: Record<string, unknown>,
): MeridianError {
  if (isMeridianError(err)) return err;
  const classified = engineError(err, { what: `${what} (transaction ${transactionId}, aborted)`, details });
  if (classified.code !== 'ADQL_SEMANTIC' && classified.code !== 'ADQL_UNSUPPORTED') return classified;
  return meridianError(
    'CATALOG_INGEST',
    `${what} failed, transaction ${transactionId} aborted: ${(err as Error).message}`,
    { ...details, transactionId },
    err,
  );
}

interface StageNames {
  readonly file: string;
  readonly raw: string;
  readonly loc: string;
  readonly ovl: string;
  readonly stage: string;
  readonly overlap: string;
}

async function stageContribution(
  ctx: IngestContext,
  transactionId: number,
  table: CatalogTable,
  path: string,
  names: StageNames,
  checkpoint: () => void,
): Promise<ContributionResult> {
  const c = ctx.store.connection;
  const reader = readerFor(path);
  // Read once (CSV sniffing is the slow part), then type and order the columns from the schema.
  await c.run(`CREATE TABLE ${q(names.file)} AS SELECT * FROM ${reader}`);
  checkpoint();
  const described = await ctx.store.rows(`DESCRIBE ${q(names.file)}`);
  const present = new Map(described.map((r) => [String(r.column_name).toLowerCase(), String(r.column_name)]));
  const selectList = table.columns.map((column) => {
    const type = sqlType(column.datatype, 'duckdb');
    const source = present.get(column.name.toLowerCase());
    if (source !== undefined) return `CAST(${q(source)} AS ${type}) AS ${q(column.name)}`;
    if (column.nullable) return `CAST(NULL AS ${type}) AS ${q(column.name)}`;
    throw meridianError(
      'CATALOG_INGEST',
      `${path} has no column ${column.name}, which ${table.name} requires`,
      {
        path,
        table: table.name,
        column: column.name,
      },
    );
  });
  // A view, not a copy: the staging steps below read it once or twice, and usually only a few of its columns.
  // `rowid` of a table just created by CREATE TABLE AS numbers its rows 0…n−1 in file order.
  await c.run(
    `CREATE VIEW ${q(names.raw)} AS SELECT rowid + 1 AS __rid, ${selectList.join(', ')} FROM ${q(names.file)}`,
  );
  await checkStringLengths(ctx.store, table, path, names.raw, '__rid');
  checkpoint();
  const columns = table.columns.map((col) => `r.${q(col.name)}`).join(', ');
  const partitioning = table.partitioning;
  let overlapRows = 0;
  if (partitioning.role === 'director') {
    overlapRows = await locateRows(ctx, table, names);
    checkpoint();
    const key = q(partitioning.key);
    await c.run(
      `CREATE TABLE ${q(names.stage)} AS SELECT ${columns}, l.chunkId AS ${q(CHUNK_COLUMN)}, l.subChunkId AS ${q(SUB_CHUNK_COLUMN)}, ${transactionId} AS ${q(TRANSACTION_COLUMN)}
       FROM ${q(names.raw)} r JOIN ${q(names.loc)} l ON r.__rid = l.rid ORDER BY l.chunkId, l.subChunkId`,
    );
    checkpoint();
    await c.run(
      `CREATE TABLE ${q(names.overlap)} AS SELECT ${columns}, o.chunkId AS ${q(CHUNK_COLUMN)}, o.subChunkId AS ${q(SUB_CHUNK_COLUMN)}, ${transactionId} AS ${q(TRANSACTION_COLUMN)}
       FROM ${q(names.raw)} r JOIN ${q(names.ovl)} o ON r.__rid = o.rid ORDER BY o.chunkId, o.subChunkId`,
    );
    const others = await stagedTablesOf(ctx, transactionId, table.name);
    const existing = [directorIndexName(table), ...others]
      .map((t) => `SELECT ${key} FROM ${q(t)}`)
      .join(' UNION ALL ');
    const duplicates = await ctx.store.rows(
      `SELECT ${key} AS k FROM ${q(names.stage)} GROUP BY ${key} HAVING COUNT(*) > 1
       UNION ALL SELECT s.${key} FROM ${q(names.stage)} s WHERE s.${key} IN (${existing}) LIMIT 5`,
    );
    if (duplicates.length > 0) {
      throw meridianError(
        'CATALOG_INGEST',
        `${path}: director key ${partitioning.key} of ${table.name} is not unique (e.g. ${duplicates.map((d) => String(d.k)).join(', ')})`,
        { path, table: table.name, keys: duplicates.map((d) => String(d.k)) },
      );
    }
  } else if (partitioning.role === 'match') {
    await stageMatchRows(ctx, transactionId, table, path, names, columns);
  } else if (partitioning.role === 'dependent') {
    const director = findTable(ctx.schema, partitioning.director) as CatalogTable;
    const fk = findColumn(table, partitioning.key)?.name ?? partitioning.key;
    const index = await directorLocations(ctx, transactionId, director);
    await c.run(
      `CREATE TABLE ${q(names.stage)} AS SELECT ${columns}, d.chunkId AS ${q(CHUNK_COLUMN)}, d.subChunkId AS ${q(SUB_CHUNK_COLUMN)}, ${transactionId} AS ${q(TRANSACTION_COLUMN)}
       FROM ${q(names.raw)} r LEFT JOIN (${index}) d ON r.${q(fk)} = d.k ORDER BY d.chunkId, d.subChunkId`,
    );
    const orphans = await ctx.store.rows(
      `SELECT ${q(fk)} AS k FROM ${q(names.stage)} WHERE ${q(CHUNK_COLUMN)} IS NULL LIMIT 5`,
    );
    if (orphans.length > 0) {
      throw meridianError(
        'CATALOG_INGEST',
        `${path}: ${table.name} rows reference ${director.name} rows that are not loaded (${fk} = ${orphans.map((o) => String(o.k)).join(', ')}); ingest ${director.name} first`,
        { path, table: table.name, keys: orphans.map((o) => String(o.k)) },
      );
    }
  } else {
    await c.run(
      `CREATE TABLE ${q(names.stage)} AS SELECT ${columns}, ${transactionId} AS ${q(TRANSACTION_COLUMN)} FROM ${q(names.raw)} r`,
    );
  }
  checkpoint();
  // A match row may be staged twice (once per chunk of its two sides); its canonical copies count once.
  const canonical =
    partitioning.role === 'match' ? ` WHERE (${q(MATCH_FLAG_COLUMN)} & ${MATCH_CANONICAL}) <> 0` : '';
  const counted = await ctx.store.rows(
    `SELECT (SELECT COUNT(*) FROM ${q(names.stage)}${canonical}) AS staged, (SELECT COUNT(*) FROM ${q(names.raw)}) AS read`,
  );
  if (Number(counted[0].staged) !== Number(counted[0].read)) {
    throw meridianError(
      'CATALOG_INGEST',
      `${path}: read ${Number(counted[0].read)} rows but partitioned ${Number(counted[0].staged)}`,
      { path, table: table.name },
    );
  }
  return { table: table.name, path, rows: Number(counted[0].staged), overlapRows };
}

/** A director's key → chunk, sub-chunk rows: the committed index plus the transaction's staged rows, as SQL. */
async function directorLocations(
  ctx: IngestContext,
  transactionId: number,
  director: CatalogTable,
): Promise<string> {
  const directorKey = q(director.partitioning.role === 'director' ? director.partitioning.key : '');
  const sources = [directorIndexName(director), ...(await stagedTablesOf(ctx, transactionId, director.name))];
  return sources
    .map(
      (t) =>
        `SELECT ${directorKey} AS k, ${q(CHUNK_COLUMN)} AS chunkId, ${q(SUB_CHUNK_COLUMN)} AS subChunkId FROM ${q(t)}`,
    )
    .join(' UNION ALL ');
}

/**
 * Stages a match table's rows (Qserv's sph-partition-matches, from the director indexes instead of positions): a row
 * goes to the chunk of its first director row and, when that differs, to the chunk of its second, flagged as in
 * `physical.ts`. A side whose key is not loaded (DP0.2 writes −1 for "no match") is absent; a row with neither side
 * loaded cannot be placed and fails the contribution. Rows without a first side take the sub-chunk of the second.
 */
async function stageMatchRows(
  ctx: IngestContext,
  transactionId: number,
  table: CatalogTable,
  path: string,
  names: StageNames,
  columns: string,
): Promise<void> {
  const p = table.partitioning;
  if (p.role !== 'match') return;
  const first = findTable(ctx.schema, p.director) as CatalogTable;
  const second = findTable(ctx.schema, p.director2) as CatalogTable;
  const key1 = q(findColumn(table, p.key)?.name ?? p.key);
  const key2 = q(findColumn(table, p.key2)?.name ?? p.key2);
  const c = ctx.store.connection;
  const located = `${names.loc}_match`;
  await c.run(
    `CREATE TEMP TABLE ${q(located)} AS SELECT r.*, d1.chunkId AS c1, d1.subChunkId AS s1, d2.chunkId AS c2, d2.subChunkId AS s2
     FROM ${q(names.raw)} r
     LEFT JOIN (${await directorLocations(ctx, transactionId, first)}) d1 ON r.${key1} = d1.k
     LEFT JOIN (${await directorLocations(ctx, transactionId, second)}) d2 ON r.${key2} = d2.k`,
  );
  try {
    const unplaced = await ctx.store.rows(
      `SELECT ${key1} AS k1, ${key2} AS k2 FROM ${q(located)} WHERE c1 IS NULL AND c2 IS NULL LIMIT 5`,
    );
    if (unplaced.length > 0) {
      throw meridianError(
        'CATALOG_INGEST',
        `${path}: ${table.name} rows match neither a loaded ${first.name} nor a loaded ${second.name} row (${unplaced.map((u) => `${p.key} = ${String(u.k1)}, ${p.key2} = ${String(u.k2)}`).join('; ')}); ingest the director tables first`,
        { path, table: table.name, keys: unplaced.map((u) => [String(u.k1), String(u.k2)]) },
      );
    }
    const firstCopy = `CASE WHEN r.c1 = r.c2 THEN ${MATCH_IN_FIRST | MATCH_IN_SECOND | MATCH_CANONICAL}
      WHEN r.c2 IS NULL THEN ${MATCH_IN_FIRST | MATCH_CANONICAL | MATCH_ONE_SIDED} ELSE ${MATCH_IN_FIRST | MATCH_CANONICAL} END`;
    const secondCopy = `CASE WHEN r.c1 IS NULL THEN ${MATCH_IN_SECOND | MATCH_CANONICAL | MATCH_ONE_SIDED} ELSE ${MATCH_IN_SECOND} END`;
    await c.run(
      `CREATE TABLE ${q(names.stage)} AS
       SELECT ${columns}, r.c1 AS ${q(CHUNK_COLUMN)}, r.s1 AS ${q(SUB_CHUNK_COLUMN)}, ${firstCopy} AS ${q(MATCH_FLAG_COLUMN)},
              ${transactionId} AS ${q(TRANSACTION_COLUMN)}
         FROM ${q(located)} r WHERE r.c1 IS NOT NULL
       UNION ALL
       SELECT ${columns}, r.c2, r.s2, ${secondCopy}, ${transactionId}
         FROM ${q(located)} r WHERE r.c2 IS NOT NULL AND r.c2 IS DISTINCT FROM r.c1
       ORDER BY ${q(CHUNK_COLUMN)}, ${q(SUB_CHUNK_COLUMN)}`,
    );
  } finally {
    await c.run(`DROP TABLE IF EXISTS ${q(located)}`);
  }
}

/** Computes chunk, sub-chunk and overlap sub-chunks of every staged director row (vectorised: `locate.ts`). */
async function locateRows(ctx: IngestContext, table: CatalogTable, names: StageNames): Promise<number> {
  const p = table.partitioning;
  if (p.role !== 'director') return 0;
  const located = await locateDirectorRows(
    ctx.store.connection,
    ctx.store.instance,
    ctx.chunker,
    { table: names.raw, ra: p.ra, dec: p.dec, rid: '__rid', name: table.name },
    { loc: names.loc, ovl: names.ovl },
  );
  return located.overlapRows;
}

/** Assigns chunks without a worker to the worker holding the fewest chunks (ties: lowest worker number). */
async function placeNewChunks(
  ctx: IngestContext,
  staged: readonly StagedTable[],
): Promise<Map<number, number>> {
  const placement = await ctx.store.placement();
  const counts = new Array<number>(ctx.engine.workerCount).fill(0);
  for (const worker of placement.values()) counts[worker]++;
  const partitioned = staged.flatMap((s) =>
    findTable(ctx.schema, s.table)?.partitioning.role === 'regular'
      ? []
      : [s.stagingTable, ...(s.stagingOverlapTable ? [s.stagingOverlapTable] : [])],
  );
  if (partitioned.length === 0) return placement;
  const chunks = await ctx.store.rows(
    `SELECT DISTINCT ${q(CHUNK_COLUMN)} AS chunkId FROM (${partitioned.map((t) => `SELECT ${q(CHUNK_COLUMN)} FROM ${q(t)}`).join(' UNION ALL ')}) ORDER BY 1`,
  );
  for (const row of chunks) {
    const chunkId = Number(row.chunkId);
    if (placement.has(chunkId)) continue;
    const worker = counts.indexOf(Math.min(...counts));
    counts[worker]++;
    placement.set(chunkId, worker);
    await ctx.store.connection.run('INSERT INTO _chunk_placement VALUES (?, ?)', [chunkId, worker]);
  }
  return placement;
}

export async function commitTransaction(ctx: IngestContext, transactionId: number): Promise<void> {
  await requireOpen(ctx, transactionId);
  const contributions = await ctx.store.rows(
    'SELECT tableName, stagingTable, stagingOverlapTable FROM _contributions WHERE transactionId = ?',
    [transactionId],
  );
  const staged: StagedTable[] = contributions.map((r) => ({
    table: String(r.tableName),
    partitioned: findTable(ctx.schema, String(r.tableName))?.partitioning.role !== 'regular',
    stagingTable: String(r.stagingTable),
    stagingOverlapTable: r.stagingOverlapTable === null ? null : String(r.stagingOverlapTable),
  }));
  const c = ctx.store.connection;
  // Marked before publishing: engines that publish outside the czar's own transaction (PostgreSQL workers) may hold
  // rows of a commit the czar never finished; `recoverInterruptedCommits` removes them after a crash.
  await c.run("UPDATE _transactions SET state = 'publishing' WHERE id = ?", [transactionId]);
  await c.run('BEGIN TRANSACTION');
  try {
    const placement = await placeNewChunks(ctx, staged);
    await ctx.engine.publish(transactionId, staged, placement);
    for (const s of staged) {
      const table = findTable(ctx.schema, s.table) as CatalogTable;
      const p = table.partitioning;
      if (p.role === 'director') {
        await c.run(
          `INSERT INTO ${q(directorIndexName(table))} SELECT ${q(p.key)}, ${q(CHUNK_COLUMN)}, ${q(SUB_CHUNK_COLUMN)} FROM ${q(s.stagingTable)}`,
        );
      }
      const chunkExpression = p.role === 'regular' ? '-1' : q(CHUNK_COLUMN);
      // A match table's second copies are counted like overlap rows, so its row count is that of its rows.
      const copyExpression =
        p.role === 'match' ? `(${q(MATCH_FLAG_COLUMN)} & ${MATCH_CANONICAL}) = 0` : 'false';
      await c.run(
        `INSERT INTO _chunk_counts SELECT ?, ${chunkExpression}, ${copyExpression}, ?, COUNT(*) FROM ${q(s.stagingTable)} GROUP BY ALL`,
        [table.name, transactionId],
      );
      if (s.stagingOverlapTable) {
        await c.run(
          `INSERT INTO _chunk_counts SELECT ?, ${q(CHUNK_COLUMN)}, true, ?, COUNT(*) FROM ${q(s.stagingOverlapTable)} GROUP BY ALL`,
          [table.name, transactionId],
        );
      }
    }
    await c.run(
      "UPDATE _transactions SET state = 'committed', ended = current_timestamp::TIMESTAMP WHERE id = ?",
      [transactionId],
    );
    await c.run('COMMIT');
  } catch (err) {
    await c.run('ROLLBACK');
    await ctx.engine.discard(transactionId, ctx.schema);
    await abortTransaction(ctx, transactionId);
    throw ingestFailure(err, `commit of transaction ${transactionId}`, transactionId, {});
  }
  // The lookup replica follows the committed index; if this fails, the next lookup rebuilds it from the czar.
  for (const s of staged) {
    const table = findTable(ctx.schema, s.table) as CatalogTable;
    if (table.partitioning.role !== 'director') continue;
    try {
      await ctx.store.replica.append(c, table, s.stagingTable, q);
    } catch {
      ctx.store.replica.invalidate(table);
    }
  }
  await dropStaging(ctx, staged);
}

async function dropStaging(ctx: IngestContext, staged: readonly StagedTable[]): Promise<void> {
  for (const s of staged) {
    await ctx.store.connection.run(`DROP TABLE IF EXISTS ${q(s.stagingTable)}`);
    if (s.stagingOverlapTable)
      await ctx.store.connection.run(`DROP TABLE IF EXISTS ${q(s.stagingOverlapTable)}`);
  }
}

/**
 * After a crash during a commit, transactions left `publishing` may have rows on the workers: remove them and
 * abort those transactions. Returns their ids.
 */
export async function recoverInterruptedCommits(ctx: IngestContext): Promise<number[]> {
  const interrupted = (await ctx.store.transactions())
    .filter((t) => t.state === 'publishing')
    .map((t) => t.id);
  for (const id of interrupted) await abortTransaction(ctx, id);
  return interrupted;
}

/**
 * Aborts the one-shot ingest transactions whose owner is gone; returns their ids. A one-shot ingest holds the
 * catalog open from its begin to its commit, and the czar file admits one writing process at a time (DuckDB's file lock),
 * so a one-shot transaction still `started` when a catalog opens belongs to a process that was killed or crashed —
 * unless its owner is a catalog this very process still has open (`liveOwnerTokens`). Nothing of a `started`
 * transaction is on the workers (rows reach them only in a commit, under `publishing`), so only the czar's staging
 * tables are dropped and a worker that is down does not stop the recovery.
 */
export async function recoverAbandonedTransactions(
  ctx: IngestContext,
  liveOwnerTokens: ReadonlySet<string>,
): Promise<number[]> {
  const abandoned = (await ctx.store.openTransactions())
    .filter((t) => t.state === 'started' && t.owner !== null && !liveOwnerTokens.has(t.owner.token))
    .map((t) => t.id);
  for (const id of abandoned) await abortTransaction(ctx, id, { onWorkers: false });
  return abandoned;
}

/**
 * Aborts an open transaction: its staged rows are dropped and it can no longer be committed. `onWorkers: false`
 * skips removing its rows from the workers, for a transaction known never to have published any.
 */
export async function abortTransaction(
  ctx: IngestContext,
  transactionId: number,
  options: { readonly onWorkers?: boolean } = {},
): Promise<void> {
  const info = await ctx.store.transaction(transactionId);
  if (!info) throw meridianError('INVALID_ARGUMENT', `no transaction ${transactionId}`, { transactionId });
  if (info.state === 'committed') {
    throw meridianError(
      'INVALID_ARGUMENT',
      `transaction ${transactionId} is committed and cannot be aborted`,
      {
        transactionId,
      },
    );
  }
  const rows = await ctx.store.rows(
    'SELECT tableName, stagingTable, stagingOverlapTable FROM _contributions WHERE transactionId = ?',
    [transactionId],
  );
  await dropStaging(
    ctx,
    rows.map((r) => ({
      table: String(r.tableName),
      partitioned: true,
      stagingTable: String(r.stagingTable),
      stagingOverlapTable: r.stagingOverlapTable === null ? null : String(r.stagingOverlapTable),
    })),
  );
  // A contribution cut off by a crash leaves its scratch tables and view behind, unrecorded: drop them by name.
  const prefix = `_stage_${transactionId}_`;
  const leftovers = await ctx.store.rows(
    `SELECT 'TABLE' AS kind, table_name AS name FROM duckdb_tables() WHERE NOT temporary AND starts_with(table_name, ?)
     UNION ALL SELECT 'VIEW', view_name FROM duckdb_views() WHERE NOT temporary AND starts_with(view_name, ?)`,
    [prefix, prefix],
  );
  for (const leftover of leftovers) {
    const kind = leftover.kind === 'VIEW' ? 'VIEW' : 'TABLE';
    await ctx.store.connection.run(`DROP ${kind} IF EXISTS ${q(String(leftover.name))}`);
  }
  if (options.onWorkers !== false) await ctx.engine.discard(transactionId, ctx.schema);
  await ctx.store.connection.run(
    "UPDATE _transactions SET state = 'aborted', ended = current_timestamp::TIMESTAMP WHERE id = ?",
    [transactionId],
  );
}
