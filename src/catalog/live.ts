/**
 * A catalog served while it is ingested: `LiveCatalog` reads the published generations of a catalog
 * (`generations.ts`) and follows new ones without a restart.
 *
 * Before each query it looks at the `CURRENT` pointer (one `stat`, a few microseconds). When a commit has published
 * a new generation, the next query opens it read-only and runs there; queries already running keep the generation
 * they started on, which is closed when the last of them ends. A query therefore sees one generation from its start
 * to its end: all of a commit or none of it. The writer (`meridian catalog ingest`, any read-write open) never opens
 * a generation and readers never open the writer's file, so neither waits for the other.
 */

import { statSync } from 'node:fs';
import { join } from 'node:path';
import { meridianError } from '../errors.js';
import type { Query } from './adql/index.js';
import { Catalog, type CatalogStats, type OpenCatalogOptions, type QueryUploads } from './catalog.js';
import { readCatalogConfig } from './catalog-config.js';
import type { CellValue, RowStream } from './engine.js';
import type { QueryLimits, QueryResult } from './execute.js';
import {
  CURRENT_FILE,
  currentGeneration,
  GENERATIONS_DIR,
  generationDir,
  holdGeneration,
  publishFirstGeneration,
  removeUnusedGenerations,
} from './generations.js';
import type { QueryPlan } from './planner/plan.js';
import type { CatalogSchema } from './schema.js';
import type { TapSchemaRows } from './tap-schema.js';

/** What a server reads of a catalog: a `Catalog` opened read-only, or the live generations of one. */
export interface CatalogReader {
  /** The catalog directory (a server keeps its job store next to it). */
  readonly dir: string;
  readonly schema: CatalogSchema;
  query(adql: string, limits?: QueryLimits & QueryUploads): Promise<QueryResult>;
  /** `adql` may be a tree from `parseAdql` (a server parses once and plans that tree). */
  stream(
    adql: string | Query,
    options?: { readonly signal?: AbortSignal } & QueryUploads,
  ): Promise<RowStream>;
  plan(adql: string, options?: QueryUploads): Promise<QueryPlan>;
  stats(): Promise<CatalogStats>;
  tapSchema(): TapSchemaRows;
  close(): Promise<void>;
}

/** One open generation and the queries running on it. */
interface OpenGeneration {
  readonly number: number;
  readonly catalog: Catalog;
  users: number;
  /** A newer generation is current: close this one when its last query ends. */
  retired: boolean;
  readonly release: () => void;
}

/** Attempts at opening the current generation when a publish removes it between reading CURRENT and opening. */
const OPEN_ATTEMPTS = 5;

type ReaderOptions = Omit<OpenCatalogOptions, 'readOnly'>;

export class LiveCatalog implements CatalogReader {
  private switching: Promise<void> | null = null;
  private closed = false;

  private constructor(
    readonly dir: string,
    private current: OpenGeneration,
    private readonly options: ReaderOptions,
    /** `CURRENT` as last followed: a change of inode or time means a publish. */
    private pointer: { ino: number; mtimeMs: number } | null,
  ) {}

  /**
   * Opens the catalog in `dir` for serving: its current generation, publishing the first one when the catalog has
   * none (which needs the czar file free of writers, as a read-only open does: CATALOG_BUSY otherwise).
   */
  static async open(dir: string, options: ReaderOptions = {}): Promise<LiveCatalog> {
    readCatalogConfig(dir);
    if (currentGeneration(dir) === null) {
      await publishFirstGeneration(dir, async () => {
        const held = await Catalog.open(dir, { ...options, readOnly: true });
        return { close: () => held.close() };
      });
    }
    // Read before opening: a publish in between is then noticed by the first query.
    const pointer = pointerStat(dir);
    return new LiveCatalog(dir, await openCurrent(dir, options), options, pointer);
  }

  get schema(): CatalogSchema {
    return this.current.catalog.schema;
  }

  /** The generation new queries run on. */
  get generation(): number {
    return this.current.number;
  }

  tapSchema(): TapSchemaRows {
    return this.current.catalog.tapSchema();
  }

  async query(adql: string, limits: QueryLimits & QueryUploads = {}): Promise<QueryResult> {
    return this.using((catalog) => catalog.query(adql, limits));
  }

  async plan(adql: string, options: QueryUploads = {}): Promise<QueryPlan> {
    return this.using((catalog) => catalog.plan(adql, options));
  }

  async stats(): Promise<CatalogStats> {
    return this.using((catalog) => catalog.stats());
  }

  /** Streams on the generation current when it starts, which stays open until the stream ends or fails. */
  async stream(
    adql: string | Query,
    options: { readonly signal?: AbortSignal } & QueryUploads = {},
  ): Promise<RowStream> {
    const generation = await this.acquire();
    let stream: RowStream;
    try {
      stream = await generation.catalog.stream(adql, options);
    } catch (err) {
      this.release(generation);
      throw err;
    }
    // Released when the rows end, fail or are given up (`return`), even before the first batch was asked for (a
    // generator's `finally` would not run then).
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.release(generation);
    };
    const inner = stream.rows[Symbol.asyncIterator]();
    const iterator: AsyncIterator<CellValue[][]> = {
      async next() {
        try {
          const result = await inner.next();
          if (result.done) release();
          return result as IteratorResult<CellValue[][]>;
        } catch (err) {
          release();
          throw err;
        }
      },
      async return(value?: unknown) {
        try {
          return ((await inner.return?.(value)) ?? { done: true, value }) as IteratorResult<CellValue[][]>;
        } finally {
          release();
        }
      },
    };
    const rows: AsyncIterable<CellValue[][]> = { [Symbol.asyncIterator]: () => iterator };
    return { columns: stream.columns, rows };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.switching;
    await closeGeneration(this.current);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async using<T>(run: (catalog: Catalog) => Promise<T>): Promise<T> {
    const generation = await this.acquire();
    try {
      return await run(generation.catalog);
    } finally {
      this.release(generation);
    }
  }

  private async acquire(): Promise<OpenGeneration> {
    if (this.closed) {
      throw meridianError('INVALID_ARGUMENT', `the catalog in ${this.dir} is closed`, { dir: this.dir });
    }
    await this.follow();
    const generation = this.current;
    generation.users++;
    return generation;
  }

  private release(generation: OpenGeneration): void {
    generation.users--;
    if (generation.retired && generation.users === 0) void this.retire(generation);
  }

  /**
   * Closes a generation no query uses any more and removes the generations older than the current one that no
   * process holds, so that a server idle after the last commit does not keep a copy of the catalog on disk.
   */
  private async retire(generation: OpenGeneration): Promise<void> {
    try {
      await closeGeneration(generation);
      await removeUnusedGenerations(this.dir, this.current.number, { leftovers: false });
    } catch {
      // Left for the writer's next publish to remove.
    }
  }

  /** Switches new queries to a newly published generation, once for all the queries that notice it together. */
  private async follow(): Promise<void> {
    const seen = pointerStat(this.dir);
    if (seen === null || (seen.ino === this.pointer?.ino && seen.mtimeMs === this.pointer.mtimeMs)) return;
    this.switching ??= (async () => {
      try {
        const next = await openCurrent(this.dir, this.options);
        if (this.closed || next.number === this.current.number) {
          await closeGeneration(next);
        } else {
          const old = this.current;
          this.current = next;
          old.retired = true;
          if (old.users === 0) await this.retire(old);
        }
        this.pointer = seen;
      } catch {
        // The generation being served stays consistent; the next query tries the new one again.
      } finally {
        this.switching = null;
      }
    })();
    await this.switching;
  }
}

function pointerStat(dir: string): { ino: number; mtimeMs: number } | null {
  try {
    const stat = statSync(join(dir, GENERATIONS_DIR, CURRENT_FILE));
    return { ino: stat.ino, mtimeMs: stat.mtimeMs };
  } catch {
    return null;
  }
}

/** Opens the generation CURRENT names; a publish may remove an old one in between, so it reads CURRENT again. */
async function openCurrent(dir: string, options: ReaderOptions): Promise<OpenGeneration> {
  let lastError: unknown = null;
  for (let attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
    const number = currentGeneration(dir);
    if (number === null) break;
    const path = generationDir(dir, number);
    const release = holdGeneration(path);
    try {
      const catalog = await Catalog.open(path, { ...options, readOnly: true });
      return { number, catalog, users: 0, retired: false, release };
    } catch (err) {
      release();
      lastError = err;
      if (currentGeneration(dir) === number) throw err;
    }
  }
  throw meridianError(
    'CATALOG_NOT_FOUND',
    `the catalog in ${dir} has no generation that could be opened`,
    { dir },
    lastError ?? undefined,
  );
}

async function closeGeneration(generation: OpenGeneration): Promise<void> {
  try {
    await generation.catalog.close();
  } finally {
    generation.release();
  }
}

/**
 * Opens a catalog for a server: live (following commits) when the catalog directory can hold generations, else a
 * plain read-only open (a catalog on a read-only file system is served as it is).
 */
export async function openCatalogForServing(
  dir: string,
  options: ReaderOptions = {},
): Promise<CatalogReader> {
  try {
    return await LiveCatalog.open(dir, options);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EROFS' || code === 'EPERM') {
      return Catalog.open(dir, { ...options, readOnly: true });
    }
    throw err;
  }
}
