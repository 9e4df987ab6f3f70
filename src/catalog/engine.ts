/**
 * The catalog engine interface: where chunk tables live and how a fragment of a query runs there. The czar
 * (planner, ingest bookkeeping, director index, merge) is shared; an engine stores rows and runs SQL in its dialect.
 *
 * Physical layout, the same on every engine (docs/catalog.md): one table per logical table with `chunkId` and
 * `subChunkId` columns for partitioned tables and `qserv_trans_id` on every table, rows sorted by chunk; a
 * `<Director>FullOverlap` table holding, per sub-chunk, the rows of other sub-chunks within the overlap radius.
 */

import type { SqlDialect } from './adql/index.js';
import type { CatalogSchema, CatalogTable } from './schema.js';
import type { UploadedTable } from './upload.js';

/** Column types of query results, as VOTable and JSON writers need them. */
export type ResultDatatype =
  | 'boolean'
  | 'short'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | 'string'
  | 'timestamp';

export interface ResultColumn {
  readonly name: string;
  readonly datatype: ResultDatatype;
}

/** A result cell: integers of 64 bits arrive as bigint so 19-digit ids stay exact. */
export type CellValue = null | boolean | number | bigint | string;

export interface RowStream {
  readonly columns: readonly ResultColumn[];
  readonly rows: AsyncIterable<readonly CellValue[][]>;
}

/** One worker with the chunks of it that a query touches; null chunks means every chunk the worker holds. */
export interface Fragment {
  readonly kind: 'fragment';
  readonly worker: number;
  readonly chunks: readonly number[] | null;
  /**
   * The fragment reads at most a couple of chunks, so its result is small enough to read whole rather than
   * stream (streaming costs DuckDB a few round trips to its worker threads, a tenth of a millisecond each).
   */
  readonly bounded?: boolean;
}

export interface EngineCapabilities {
  /** Rows are spread over several workers, so a query with more than one fragment needs a merge step. */
  readonly multipleWorkers: boolean;
  /** A spatial index (q3c) answers cone and polygon predicates; otherwise zone maps on sorted chunks do. */
  readonly spatialIndex: boolean;
}

/** The rows of one committed ingest transaction, staged in the czar's DuckDB store, ready to publish. */
export interface StagedTable {
  readonly table: string;
  /** True for director and dependent tables (rows carry chunkId and subChunkId). */
  readonly partitioned: boolean;
  /** Name of the staging table in the czar store (schema columns + partition columns + qserv_trans_id). */
  readonly stagingTable: string;
  /** Staged overlap rows for a director table, else null. */
  readonly stagingOverlapTable: string | null;
}

/**
 * Row count and content digest of one chunk of a table on one worker, computed inside the engine
 * (engines/row-digest.ts defines the canonical row text and the hash, the same on every engine).
 */
export interface ChunkDigest {
  readonly worker: number;
  /** −1 for a regular table, or for a whole table digested without regard to chunks. */
  readonly chunkId: number;
  readonly rows: number;
  /** Sum modulo 2⁶⁴ of the 64-bit hashes of the rows' canonical texts: independent of row order. */
  readonly digest: bigint;
}

/** One stored row as the canonical text of each schema column (schema order), with the value rows are ordered by. */
export interface CanonicalRow {
  /** The single integer key, or a 60-bit hash of the key (of the whole row without a key); null sorts first. */
  readonly order: bigint | null;
  readonly cells: readonly string[];
}

export interface CatalogEngine {
  readonly capabilities: EngineCapabilities;
  readonly dialect: SqlDialect;
  readonly workerCount: number;
  /** Creates the empty physical tables of a schema on every worker. */
  createTables(schema: CatalogSchema): Promise<void>;
  /**
   * Makes a transaction's staged rows visible. `placement` maps each chunk to its worker. Must leave no rows of
   * the transaction behind if it fails (or `discard` must remove them).
   */
  publish(
    transactionId: number,
    staged: readonly StagedTable[],
    placement: ReadonlyMap<number, number>,
  ): Promise<void>;
  /** Removes every row written with `qserv_trans_id = transactionId` (recovery after a failed publish). */
  discard(transactionId: number, schema: CatalogSchema): Promise<void>;
  /**
   * Runs one fragment's SQL; the signal interrupts it. `uploads` are loaded first into temporary tables of the
   * connection that runs it (named by their `physicalName`, values bound, never spliced into SQL), and nothing of
   * them is left once the fragment ends, whether it succeeds, fails or is cancelled.
   */
  runFragment(
    fragment: Fragment,
    sql: string,
    params: readonly unknown[],
    signal: AbortSignal,
    uploads?: readonly UploadedTable[],
  ): Promise<RowStream>;
  /**
   * Per chunk of `table` (every chunk as −1 when `byChunk` is false) and per worker that holds rows of it: the row
   * count and digest, one query per worker, computed where the rows are. Regular tables are read from worker 0 (the
   * others hold copies).
   */
  chunkDigests(
    table: CatalogTable,
    options: { readonly byChunk: boolean; readonly signal: AbortSignal },
  ): Promise<ChunkDigest[]>;
  /**
   * Streams the canonical rows of one chunk (null: every row of the table) on one worker in `order` order, in
   * batches, without holding the chunk in memory.
   */
  canonicalRows(
    table: CatalogTable,
    worker: number,
    chunkId: number | null,
    signal: AbortSignal,
  ): AsyncIterable<readonly CanonicalRow[]>;
  close(): Promise<void>;
}
