/**
 * A catalog database: a directory with `catalog.json`, the czar store and (embedded engine) the data. This is the
 * library surface the CLI and the TAP service use: create/open, ingest in transactions, plan and run ADQL, stats.
 */

import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isMeridianError, meridianError } from '../errors.js';
import type { Chunker } from '../sphere/index.js';
import { parseAdql, type Query } from './adql/index.js';
import {
  CATALOG_FORMAT_VERSION,
  type CatalogConfig,
  chunkerFor,
  type EngineConfig,
  type PartitioningParams,
  readCatalogConfig,
  testPartitioning,
  writeCatalogConfig,
} from './catalog-config.js';
import { QueryComposer } from './compose.js';
import { type ChunkCount, CzarStore, type TransactionInfo, type TransactionOwner } from './czar.js';
import type { CatalogEngine, CellValue, ResultColumn, RowStream } from './engine.js';
import { createEngine } from './engines/factory.js';
import { fragmentsFor, type QueryLimits, type QueryResult, QueryRunner } from './execute.js';
import { publishCommit } from './generations.js';
import {
  abortTransaction,
  beginTransaction,
  type ContributeOptions,
  type ContributionResult,
  commitTransaction,
  contribute,
  type IngestContext,
  type IngestProgress,
  recoverAbandonedTransactions,
  recoverInterruptedCommits,
} from './ingest.js';
import { allCommitted, checkContributions } from './ingest-checks.js';
import { CHUNK_COLUMN } from './physical.js';
import { planQuery, type QueryPlan } from './planner/plan.js';
import { type CatalogSchema, type CatalogTable, parseCatalogSchema } from './schema.js';
import type { TapSchemaRows } from './tap-schema.js';
import { publishedTapSchemaRows, TapSchemaDatabase, tapSchemaUse } from './tap-schema-query.js';
import { prepareUploads, type QueryUpload, type UploadedTable } from './upload.js';

export interface CreateCatalogOptions {
  /** Schema YAML text (see config/catalog/dp02.yaml). */
  readonly schemaYaml: string;
  readonly engine?: EngineConfig;
  readonly partitioning?: PartitioningParams;
}

/** DuckDB's size syntax: a number and a unit (512MB, 1.5GB, 2GiB). */
const MEMORY_LIMIT = /^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i;

export interface OpenCatalogOptions {
  /**
   * Split single-worker queries into this many fragments, so the merge path runs on the embedded engine too
   * (used by the oracle tests; 1 by default).
   */
  readonly fragmentSplit?: number;
  /**
   * DuckDB's memory limit for the czar store and the embedded engine (DuckDB size syntax, e.g. '512MB'; default:
   * DuckDB's, 80% of RAM). `catalog compare` sets it so that a comparison stays within bounded memory.
   */
  readonly memoryLimit?: string;
  /**
   * Open without writing anything (no store upgrade, no recovery, no director index rebuild), so that several
   * processes (TAP servers) can have the catalog open at once. DuckDB admits any number of read-only processes to the
   * czar file but none beside a read-write one: ingest needs every reader closed (docs/catalog.md). Ingest and
   * transactions fail with CATALOG_READ_ONLY; so does the open itself when a crashed commit awaits recovery.
   */
  readonly readOnly?: boolean;
}

/**
 * A read-only open cannot recover a commit cut off by a crash: its rows may be partly on the workers, and a reader
 * would see them. (A store from an earlier version needs no upgrade to be read: only ingest reads what upgrades add.)
 */
async function refuseUnrecovered(dir: string, store: CzarStore): Promise<void> {
  const interrupted = (await store.transactions()).find((t) => t.state === 'publishing');
  if (interrupted) {
    throw meridianError(
      'CATALOG_READ_ONLY',
      `the catalog in ${dir} has an interrupted commit (transaction ${interrupted.id}) that only a read-write open recovers`,
      { dir, transactionId: interrupted.id },
    );
  }
}

export interface TableStats {
  readonly name: string;
  readonly role: CatalogTable['partitioning']['role'];
  readonly rows: number;
  readonly overlapRows: number;
  readonly chunks: number;
}

export interface CatalogStats {
  readonly kind: 'catalogStats';
  readonly schema: string;
  readonly engine: EngineConfig['kind'];
  readonly workers: number;
  readonly partitioning: PartitioningParams;
  readonly tables: readonly TableStats[];
  readonly chunkCounts: readonly ChunkCount[];
  readonly transactions: readonly TransactionInfo[];
}

export interface IngestFilesResult {
  readonly transactionId: number;
  readonly contributions: ContributionResult[];
  /**
   * True when every file's content was committed already (by an earlier run of the same one-shot ingest) and
   * nothing was done; `transactionId` is then the latest transaction holding them.
   */
  readonly alreadyCommitted?: boolean;
}

/** Tables sent with a query, referenced in ADQL as `TAP_UPLOAD.<name>` (see `upload.ts`). */
export interface QueryUploads {
  readonly uploads?: readonly QueryUpload[];
}

/** Owner tokens of the catalogs this process has open: their one-shot transactions are not abandoned. */
const liveOwnerTokens = new Set<string>();

export class Catalog {
  private readonly runner: QueryRunner;
  private layout: Promise<{ populated: number[]; placement: Map<number, number> }> | null = null;
  /** Schema column spellings by lower-case name. */
  private readonly spellings: ReadonlyMap<string, string>;
  /** The in-memory TAP_SCHEMA tables (`tap-schema-query.ts`), created by the first query that names them. */
  private tapSchemaDatabase: Promise<TapSchemaDatabase> | null = null;

  private constructor(
    readonly dir: string,
    readonly config: CatalogConfig,
    readonly chunker: Chunker,
    private readonly store: CzarStore,
    readonly engine: CatalogEngine,
    private readonly options: OpenCatalogOptions,
  ) {
    this.runner = new QueryRunner(engine);
    liveOwnerTokens.add(this.owner.token);
    this.spellings = new Map(
      config.schema.tables.flatMap((t) => t.columns.map((c) => [c.name.toLowerCase(), c.name])),
    );
  }

  get schema(): CatalogSchema {
    return this.config.schema;
  }

  /** Creates an empty catalog database in `dir` (which must be empty or absent). */
  static async create(dir: string, options: CreateCatalogOptions): Promise<Catalog> {
    if (existsSync(dir) && readdirSync(dir).length > 0) {
      throw meridianError(
        'INVALID_ARGUMENT',
        `${dir} is not empty; a catalog database needs its own directory`,
        {
          dir,
        },
      );
    }
    const schema = parseCatalogSchema(options.schemaYaml);
    const config: CatalogConfig = {
      kind: 'catalogConfig',
      version: CATALOG_FORMAT_VERSION,
      engine: options.engine ?? { kind: 'duckdb' },
      partitioning: options.partitioning ?? testPartitioning,
      schemaYaml: options.schemaYaml,
      schema,
    };
    const chunker = chunkerFor(config.partitioning);
    mkdirSync(dir, { recursive: true });
    const store = await CzarStore.open(dir);
    try {
      await store.initialize(schema);
      const engine = await createEngine(config, store);
      await engine.createTables(schema);
      writeCatalogConfig(dir, config);
      return new Catalog(dir, config, chunker, store, engine, {});
    } catch (err) {
      store.close();
      throw err;
    }
  }

  static async open(dir: string, options: OpenCatalogOptions = {}): Promise<Catalog> {
    const config = readCatalogConfig(dir);
    if (options.memoryLimit !== undefined && !MEMORY_LIMIT.test(options.memoryLimit)) {
      throw meridianError(
        'INVALID_ARGUMENT',
        `memory limit '${options.memoryLimit}' is not a size such as 512MB or 2GiB`,
        { memoryLimit: options.memoryLimit },
      );
    }
    const readOnly = options.readOnly ?? false;
    const store = await CzarStore.open(dir, { memoryLimit: options.memoryLimit, readOnly });
    try {
      if (readOnly) await refuseUnrecovered(dir, store);
      else await store.upgrade();
      const engine = await createEngine(config, store, { readOnly });
      const catalog = new Catalog(dir, config, chunkerFor(config.partitioning), store, engine, options);
      if (!readOnly) {
        await recoverInterruptedCommits(catalog.ingestContext);
        await recoverAbandonedTransactions(catalog.ingestContext, liveOwnerTokens);
      }
      return catalog;
    } catch (err) {
      store.close();
      throw err;
    }
  }

  /** The owner recorded on this catalog's one-shot ingest transactions (see `recoverAbandonedTransactions`). */
  private readonly owner: TransactionOwner = Object.freeze({
    host: hostname(),
    pid: process.pid,
    token: randomUUID(),
  });

  /** What ingest and recovery write through; refused on a read-only catalog. */
  private get ingestContext(): IngestContext {
    if (this.options.readOnly) {
      throw meridianError(
        'CATALOG_READ_ONLY',
        `the catalog in ${this.dir} is open read-only; ingest and transactions need a read-write open`,
        { dir: this.dir },
      );
    }
    return { store: this.store, engine: this.engine, schema: this.schema, chunker: this.chunker };
  }

  async beginTransaction(): Promise<number> {
    return beginTransaction(this.ingestContext);
  }

  /** Adds a file to an open transaction; a failed or aborted (`options.signal`) contribution aborts it. */
  async contribute(
    transactionId: number,
    table: string,
    path: string,
    options: ContributeOptions = {},
  ): Promise<ContributionResult> {
    return contribute(this.ingestContext, transactionId, table, path, options);
  }

  async commitTransaction(transactionId: number): Promise<void> {
    this.layout = null;
    try {
      await commitTransaction(this.ingestContext, transactionId);
    } finally {
      this.layout = null;
    }
    await publishCommit(this.dir, this.store, transactionId);
  }

  async abortTransaction(transactionId: number): Promise<void> {
    return abortTransaction(this.ingestContext, transactionId);
  }

  /**
   * Contributes files to a table: in a new transaction that is committed at the end (aborted on failure), or in
   * the open transaction `transactionId`, which the caller commits. `signal` cancels the ingest with ABORTED and
   * aborts the transaction, up to the start of the commit (a commit publishes all or nothing, and is not cut short).
   */
  async ingestFiles(
    table: string,
    paths: readonly string[],
    options: {
      transactionId?: number;
      signal?: AbortSignal;
      /** Called after each file (`done` of `total` files) and before the commit (phase `commit <table>`). */
      onProgress?: (progress: IngestProgress) => void;
    } = {},
  ): Promise<IngestFilesResult> {
    const { signal } = options;
    const ctx = this.ingestContext;
    // Every input is checked before a transaction starts: a bad one fails the ingest with nothing to clean up.
    if (options.transactionId !== undefined) await this.requireStarted(options.transactionId);
    let checked: Awaited<ReturnType<typeof checkContributions>>;
    try {
      checked = await checkContributions(this.store, this.schema, table, paths, {
        signal,
        transactionId: options.transactionId,
        acceptAllCommitted: options.transactionId === undefined,
      });
    } catch (err) {
      if (!signal?.aborted) throw err;
      throw meridianError(
        'ABORTED',
        `ingest into ${table} was cancelled before it started`,
        { table },
        signal.reason,
      );
    }
    if (checked.committed !== null) {
      // The same one-shot ingest run again after it committed (say, killed before it could report): nothing to do.
      return {
        transactionId: Math.max(...checked.committed.map((c) => c.transactionId)),
        contributions: checked.committed.map((c) => ({ table, path: c.path, rows: c.rows, overlapRows: 0 })),
        alreadyCommitted: true,
      };
    }
    const contributions: ContributionResult[] = [];
    const report = (phase: string) =>
      options.onProgress?.({ phase, done: contributions.length, total: checked.files.length, unit: 'files' });
    if (options.transactionId !== undefined) {
      report(table);
      for (const file of checked.files) {
        contributions.push(
          await contribute(ctx, options.transactionId, table, file.path, { signal }, file.sha256),
        );
        report(table);
      }
      return { transactionId: options.transactionId, contributions };
    }
    const transactionId = await beginTransaction(ctx, this.owner);
    try {
      report(table);
      for (const file of checked.files) {
        contributions.push(await contribute(ctx, transactionId, table, file.path, { signal }, file.sha256));
        report(table);
      }
      if (signal?.aborted) {
        throw meridianError(
          'ABORTED',
          `ingest into ${table} was cancelled before its commit, transaction ${transactionId} aborted`,
          { table, transactionId },
          signal.reason,
        );
      }
      report(`commit ${table}`);
      await this.commitTransaction(transactionId);
      return { transactionId, contributions };
    } catch (err) {
      await this.abortOwnTransaction(transactionId);
      throw err;
    }
  }

  /**
   * Whether the content of every one of `paths` is already in `table` (committed), so that loading them again would
   * only be refused as duplicates: what lets `ingestDirectory` run again after an interruption.
   */
  async alreadyLoaded(
    table: string,
    paths: readonly string[],
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<boolean> {
    try {
      return paths.length > 0 && (await allCommitted(this.store, table, paths, options.signal));
    } catch (err) {
      if (!options.signal?.aborted) throw err;
      throw meridianError(
        'ABORTED',
        `checking the files of ${table} was cancelled`,
        { table },
        options.signal.reason,
      );
    }
  }

  private async requireStarted(transactionId: number): Promise<void> {
    const info = await this.store.transaction(transactionId);
    if (info?.state !== 'started') {
      throw meridianError(
        'INVALID_ARGUMENT',
        `transaction ${transactionId} is ${info ? info.state : 'unknown'}; contributions need a started transaction`,
        { transactionId },
      );
    }
  }

  /**
   * After a one-shot ingest failed: aborts its transaction if the failure left it open. If even that fails, the
   * transaction keeps its owner record and the next open of the catalog aborts it; the ingest's own error is the one
   * reported.
   */
  private async abortOwnTransaction(transactionId: number): Promise<void> {
    try {
      if ((await this.store.transaction(transactionId))?.state === 'started') {
        await abortTransaction(this.ingestContext, transactionId);
      }
    } catch {
      // Reported by the ingest's own error; recovered on the next open.
    }
  }

  /** The director-index lookup the planner uses: chunks holding director rows with these keys. */
  private async directorChunks(director: CatalogTable, values: readonly string[]): Promise<number[]> {
    return this.store.directorChunks(director, values);
  }

  /** The TAP_SCHEMA rows a TAP service publishes for this catalog: its tables, then TAP_SCHEMA's own. */
  tapSchema(): TapSchemaRows {
    return publishedTapSchemaRows(this.schema);
  }

  /**
   * A query that names only `tap_schema` tables runs on the TAP_SCHEMA database; null for every other query. A query
   * that joins `tap_schema` with catalog tables is refused with ADQL_UNSUPPORTED.
   */
  private tapSchemaQuery(tree: Query): ((signal: AbortSignal) => Promise<RowStream>) | null {
    const use = tapSchemaUse(tree);
    if (use === 'none') return null;
    if (use === 'mixed') {
      throw meridianError(
        'ADQL_UNSUPPORTED',
        'a query cannot join tap_schema tables with catalog tables; query them separately',
        { construct: 'tap_schema join' },
      );
    }
    return async (signal) => {
      this.tapSchemaDatabase ??= TapSchemaDatabase.create(this.schema);
      return (await this.tapSchemaDatabase).stream(tree, signal);
    };
  }

  async plan(adql: string, options: QueryUploads = {}): Promise<QueryPlan> {
    return this.planTree(parseAdql(adql), prepareUploads(options.uploads ?? []));
  }

  private planTree(tree: Query, uploads: readonly UploadedTable[] = []): Promise<QueryPlan> {
    return planQuery(tree, {
      schema: this.schema,
      chunker: this.chunker,
      directorChunks: (director, values) => this.directorChunks(director, values),
      uploads,
    });
  }

  /** A query over uploads that needs composing by the czar is refused: composed parts do not carry uploads. */
  private refuseComposedUploads(plan: QueryPlan): void {
    if (plan.uploads.length > 0 && this.needsComposing(plan)) {
      throw meridianError(
        'ADQL_UNSUPPORTED',
        `uploaded tables cannot be used in a query with ${plan.needsAllChunks} on a catalog spread over several workers`,
        { reason: plan.needsAllChunks },
      );
    }
  }

  /** Populated chunks and their workers, read once per commit (this czar is the only writer of its store). */
  private async chunkLayout(): Promise<{ populated: number[]; placement: Map<number, number> }> {
    this.layout ??= (async () => ({
      populated: await this.store.populatedChunks(),
      placement: await this.store.placement(),
    }))();
    return this.layout;
  }

  private async fragments(plan: QueryPlan) {
    const multiple = this.engine.capabilities.multipleWorkers || (this.options.fragmentSplit ?? 1) > 1;
    const { populated, placement } = multiple
      ? await this.chunkLayout()
      : { populated: [], placement: new Map() };
    return fragmentsFor(plan, placement, this.engine.workerCount, populated, this.options.fragmentSplit ?? 1);
  }

  /**
   * Parses, plans and runs an ADQL query, collecting the rows. `limits.signal` cancels it: running engine statements
   * are interrupted (DuckDB) or cancelled (PostgreSQL), connections are released, and it rejects with
   * QUERY_CANCELLED.
   */
  async query(adql: string, limits: QueryLimits & QueryUploads = {}): Promise<QueryResult> {
    if (limits.signal?.aborted) throw queryCancelled(limits.signal);
    const tree = parseAdql(adql);
    const uploads = prepareUploads(limits.uploads ?? []);
    const tapSchema = this.tapSchemaQuery(tree);
    if (tapSchema) return this.runner.collect(tapSchema, limits, { fragments: 0, chunks: null });
    const plan = await this.planTree(tree, uploads);
    this.refuseComposedUploads(plan);
    const result = this.needsComposing(plan)
      ? await this.runner.collect(
          (signal) => this.composed(plan.tree, signal, limits.concurrency ?? 4),
          limits,
          {
            fragments: 0,
            chunks: null,
          },
        )
      : await this.runner.run(plan, await this.fragments(plan), limits);
    return { ...result, columns: this.schemaSpelling(result.columns) };
  }

  /** Queries that need every chunk in one place, on a catalog that spreads chunks over workers. */
  private needsComposing(plan: QueryPlan): boolean {
    return plan.needsAllChunks !== null && this.engine.workerCount > 1;
  }

  /** Runs a query that needs every chunk in one place as distributed parts composed by the czar (`compose.ts`). */
  private composed(tree: Query, signal: AbortSignal, concurrency: number): Promise<RowStream> {
    const composer = new QueryComposer({
      schema: this.schema,
      plan: (part) => this.planTree(part),
      run: async (plan, partSignal) =>
        this.runner.stream(plan, await this.fragments(plan), partSignal, concurrency),
      connect: () => this.runner.mergeConnection(),
      signal,
    });
    return composer.run(tree);
  }

  /**
   * Column names in the schema's spelling: engines that fold identifiers to lower case (PostgreSQL) return `*`
   * columns as `objectid`; every other name is already as written.
   */
  private schemaSpelling(columns: readonly ResultColumn[]): ResultColumn[] {
    return columns.map((column) => {
      const spelling =
        column.name === column.name.toLowerCase() ? this.spellings.get(column.name) : undefined;
      return spelling ? { ...column, name: spelling } : column;
    });
  }

  /**
   * Parses, plans and streams an ADQL query (no row limit). `options.signal` cancels it as it does `query`: opening
   * the stream or reading its next batch rejects with QUERY_CANCELLED. A caller that needs the syntax tree itself
   * (the TAP server, for the tables a query reads) passes `parseAdql`'s tree, so the text is parsed once.
   */
  async stream(
    adql: string | Query,
    options: { readonly signal?: AbortSignal } & QueryUploads = {},
  ): Promise<RowStream> {
    const signal = options.signal ?? new AbortController().signal;
    if (signal.aborted) throw queryCancelled(signal);
    let stream: RowStream;
    try {
      const tree = typeof adql === 'string' ? parseAdql(adql) : adql;
      const uploads = prepareUploads(options.uploads ?? []);
      const tapSchema = this.tapSchemaQuery(tree);
      if (tapSchema) {
        const side = await tapSchema(signal);
        return { columns: side.columns, rows: cancellable(side.rows, signal) };
      }
      const plan = await this.planTree(tree, uploads);
      this.refuseComposedUploads(plan);
      stream = this.needsComposing(plan)
        ? await this.composed(plan.tree, signal, 4)
        : await this.runner.stream(plan, await this.fragments(plan), signal, 4);
    } catch (err) {
      throw signal.aborted ? queryCancelled(signal, err) : err;
    }
    return { columns: this.schemaSpelling(stream.columns), rows: cancellable(stream.rows, signal) };
  }

  /**
   * Every stored row of a table with its chunk (-1 for a regular table), read straight from the workers (not from
   * the bookkeeping), for consistency checks. Regular tables are read from worker 0.
   */
  async *scanTable(
    tableName: string,
    options: { readonly signal?: AbortSignal } = {},
  ): AsyncGenerator<{ chunkId: number; row: readonly CellValue[] }> {
    const signal = options.signal ?? new AbortController().signal;
    const table = this.schema.tables.find((t) => t.name === tableName);
    if (!table) throw meridianError('INVALID_ARGUMENT', `no table ${tableName}`, { table: tableName });
    const id = (name: string) => this.engine.dialect.regularIdentifier(name);
    const partitioned = table.partitioning.role !== 'regular';
    const columns = [...table.columns.map((c) => id(c.name)), partitioned ? id(CHUNK_COLUMN) : '-1'].join(
      ', ',
    );
    const workers = partitioned ? this.engine.workerCount : 1;
    for (let worker = 0; worker < workers; worker++) {
      const stream = await this.engine.runFragment(
        { kind: 'fragment', worker, chunks: null },
        `SELECT ${columns} FROM ${id(table.name)}`,
        [],
        signal,
      );
      for await (const batch of stream.rows) {
        if (signal.aborted) throw meridianError('ABORTED', `the scan of ${table.name} was cancelled`);
        for (const row of batch) yield { chunkId: Number(row[row.length - 1]), row: row.slice(0, -1) };
      }
    }
  }

  async stats(): Promise<CatalogStats> {
    const chunkCounts = await this.store.chunkCounts();
    const tables = this.schema.tables.map((t) => {
      const mine = chunkCounts.filter((c) => c.table === t.name);
      const own = mine.filter((c) => !c.overlap);
      return {
        name: t.name,
        role: t.partitioning.role,
        rows: own.reduce((n, c) => n + c.rows, 0),
        overlapRows: mine.filter((c) => c.overlap).reduce((n, c) => n + c.rows, 0),
        chunks: own.filter((c) => c.chunkId >= 0).length,
      };
    });
    return {
      kind: 'catalogStats',
      schema: this.schema.name,
      engine: this.config.engine.kind,
      workers: this.engine.workerCount,
      partitioning: this.config.partitioning,
      tables,
      chunkCounts,
      transactions: await this.store.transactions(),
    };
  }

  async close(): Promise<void> {
    liveOwnerTokens.delete(this.owner.token);
    const tapSchemaDatabase = this.tapSchemaDatabase;
    this.tapSchemaDatabase = null;
    if (tapSchemaDatabase) (await tapSchemaDatabase.catch(() => null))?.close();
    this.runner.close();
    await this.engine.close();
    this.store.close();
  }

  /** `await using catalog = await Catalog.open(dir)` closes it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function queryCancelled(signal: AbortSignal, cause?: unknown): Error {
  return meridianError('QUERY_CANCELLED', 'the query was cancelled', {}, cause ?? signal.reason);
}

/** The batches of a query stream, failing with QUERY_CANCELLED (not an engine's error) once the signal fired. */
async function* cancellable<T>(rows: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  try {
    for await (const batch of rows) {
      if (signal.aborted) throw queryCancelled(signal);
      yield batch;
    }
  } catch (err) {
    throw signal.aborted && !isMeridianError(err, 'QUERY_CANCELLED') ? queryCancelled(signal, err) : err;
  }
}

/** Reads a schema file and creates a catalog database from it. */
export async function createCatalog(
  dir: string,
  schemaPath: string,
  options: Omit<CreateCatalogOptions, 'schemaYaml'> = {},
): Promise<Catalog> {
  return Catalog.create(dir, { ...options, schemaYaml: readFileSync(schemaPath, 'utf8') });
}
