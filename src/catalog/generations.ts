/**
 * Published generations of a catalog: how a catalog is served while it is ingested (docs/catalog.md, *Serving while
 * ingesting*).
 *
 * DuckDB admits one read-write process or many read-only ones to a file, never both, so readers never open the
 * writer's `czar.duckdb`. After each commit the writer publishes a *generation*: a directory
 * `generations/<n>/` with a checkpointed copy of the czar file (a reflink where the file system has them), a copy of
 * the director index replica and `catalog.json`. It is written under a temporary name, renamed into place, and
 * made current by renaming a small `CURRENT` file over the old one: a reader sees the old generation or the new one,
 * never a part. Files of a published generation are never written again, so a reader may keep one open as long as
 * it likes; a generation no reader holds (DuckDB's file lock tells) is removed by the writer's next publish.
 *
 * Generations exist only for catalogs that are served live: the first live open (`LiveCatalog.open`) publishes
 * generation 1 itself, holding the czar file read-only (so no writer can be halfway through a commit), and from then
 * on every commit publishes the next.
 */

import { randomUUID } from 'node:crypto';
import {
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { meridianError } from '../errors.js';
import { CATALOG_CONFIG_FILE } from './catalog-config.js';
import { CZAR_FILE, type CzarStore } from './czar.js';
import { DIRECTOR_INDEX_FILE, snapshotReplicaFile } from './director-index.js';

export const GENERATIONS_DIR = 'generations';
export const CURRENT_FILE = 'CURRENT';

const generationName = (n: number) => String(n).padStart(8, '0');

/** The directory of generation `n` of the catalog in `dir`. */
export function generationDir(dir: string, n: number): string {
  return join(dir, GENERATIONS_DIR, generationName(n));
}

/** Whether the catalog in `dir` is served live (has published a generation), so that commits must publish. */
export function servedLive(dir: string): boolean {
  return existsSync(join(dir, GENERATIONS_DIR, CURRENT_FILE));
}

/** The current generation's number, or null when none was published. */
export function currentGeneration(dir: string): number | null {
  let text: string;
  try {
    text = readFileSync(join(dir, GENERATIONS_DIR, CURRENT_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const n = Number(text.trim());
  if (!Number.isInteger(n) || n < 1) {
    throw meridianError(
      'CONFIG_INVALID',
      `${join(dir, GENERATIONS_DIR, CURRENT_FILE)} does not name a generation`,
      {
        file: CURRENT_FILE,
      },
    );
  }
  return n;
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Copies a file, sharing its blocks (a reflink) where the file system can, so a big czar file costs no copy. */
function copyShared(from: string, to: string): void {
  copyFileSync(from, to, constants.COPYFILE_FICLONE);
}

/**
 * Writes generation `n` from the writer's files and makes it current. The czar file must be checkpointed (no
 * pending WAL) by the caller; `snapshotReplica` writes a consistent copy of the director index replica to a path.
 */
function publish(dir: string, n: number, snapshotReplica: (path: string) => void): void {
  const root = join(dir, GENERATIONS_DIR);
  mkdirSync(root, { recursive: true });
  // A name of its own: two readers may race to publish the first generation (both hold the czar file read-only).
  const staging = join(root, `${generationName(n)}.tmp-${process.pid}-${randomUUID().slice(0, 8)}`);
  mkdirSync(staging);
  copyShared(join(dir, CZAR_FILE), join(staging, CZAR_FILE));
  const wal = join(dir, `${CZAR_FILE}.wal`);
  if (existsSync(wal)) copyShared(wal, join(staging, `${CZAR_FILE}.wal`));
  copyFileSync(join(dir, CATALOG_CONFIG_FILE), join(staging, CATALOG_CONFIG_FILE));
  snapshotReplica(join(staging, DIRECTOR_INDEX_FILE));
  for (const name of readdirSync(staging)) fsyncPath(join(staging, name));
  try {
    renameSync(staging, generationDir(dir, n));
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    // Another reader published this first generation a moment ago: the same content, and it is current.
    if (['ENOTEMPTY', 'EEXIST'].includes((err as NodeJS.ErrnoException).code ?? '')) return;
    throw err;
  }
  const pointer = join(root, `${CURRENT_FILE}.tmp`);
  writeFileSync(pointer, `${n}\n`);
  fsyncPath(pointer);
  renameSync(pointer, join(root, CURRENT_FILE));
  fsyncPath(root);
}

/**
 * Publishes the next generation from a writer that holds the czar file open read-write (after a commit) and removes
 * the generations no reader holds. `checkpoint` flushes the czar's WAL into its file.
 */
export async function publishNextGeneration(
  dir: string,
  checkpoint: () => Promise<void>,
  snapshotReplica: (path: string) => void,
): Promise<number> {
  await checkpoint();
  const n = (currentGeneration(dir) ?? 0) + 1;
  publish(dir, n, snapshotReplica);
  await removeUnusedGenerations(dir, n);
  return n;
}

/**
 * After a commit: publishes the next generation when the catalog is served live (nothing otherwise). The commit itself
 * stands whatever happens here; a failure says so, and the commit reaches readers with the next publish.
 */
export async function publishCommit(dir: string, store: CzarStore, transactionId: number): Promise<void> {
  if (!servedLive(dir)) return;
  try {
    await publishNextGeneration(
      dir,
      () => store.connection.run('CHECKPOINT').then(() => undefined),
      (path) => store.replica.snapshotTo(path),
    );
  } catch (err) {
    throw meridianError(
      'CATALOG_ENGINE',
      `transaction ${transactionId} is committed, but publishing it to the catalog's live readers failed: ${(err as Error).message}`,
      { transactionId },
      err,
    );
  }
}

/**
 * Publishes the first generation of a catalog nobody writes: the czar file is held open read-only meanwhile, so no
 * writer can start (DuckDB's lock), and a read-only open refuses a catalog whose commit awaits recovery.
 */
export async function publishFirstGeneration(
  dir: string,
  holdReadOnly: () => Promise<{ close(): Promise<void> }>,
): Promise<void> {
  const held = await holdReadOnly();
  try {
    if (currentGeneration(dir) !== null) return; // another reader published it first
    const replica = join(dir, DIRECTOR_INDEX_FILE);
    publish(dir, 1, (path) => {
      if (existsSync(replica)) snapshotReplicaFile(replica, path);
    });
  } finally {
    await held.close();
  }
}

/** Generation directories the live catalogs of this process hold open, with how many hold each. */
const heldHere = new Map<string, number>();

/** Marks a generation held by a reader of this process (`release` undoes it), so that a writer here keeps it. */
export function holdGeneration(generation: string): () => void {
  heldHere.set(generation, (heldHere.get(generation) ?? 0) + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (heldHere.get(generation) ?? 1) - 1;
    if (left > 0) heldHere.set(generation, left);
    else heldHere.delete(generation);
  };
}

/**
 * Whether a generation's czar file is open in some process: DuckDB refuses a read-write open of a file that any
 * process holds. A generation whose file cannot be opened at all is not in use either.
 */
async function inUse(generation: string): Promise<boolean> {
  // File locks do not separate two opens in one process: this process's own readers are counted instead.
  if ((heldHere.get(generation) ?? 0) > 0) return true;
  const file = join(generation, CZAR_FILE);
  if (!existsSync(file)) return false;
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(file);
  } catch (err) {
    return /could not set lock|conflicting lock/i.test(err instanceof Error ? err.message : String(err));
  }
  instance.closeSync();
  return false;
}

/**
 * Removes every generation but `current` that no process holds open: older ones readers have left and, for the
 * writer (`leftovers`, the only process that publishes), what a publish cut off by a crash left. A reader passes
 * `leftovers: false` and removes only generations older than `current`: a newer one or a `.tmp-…` directory may be
 * a publish in progress.
 */
export async function removeUnusedGenerations(
  dir: string,
  current: number,
  options: { readonly leftovers?: boolean } = {},
): Promise<number[]> {
  const leftovers = options.leftovers ?? true;
  const root = join(dir, GENERATIONS_DIR);
  if (!existsSync(root)) return [];
  const removed: number[] = [];
  for (const name of readdirSync(root)) {
    const match = /^(\d{8})(\.tmp-.*)?$/.exec(name);
    if (!match) continue;
    const n = Number(match[1]);
    const temporary = match[2] !== undefined;
    if (leftovers ? n === current && !temporary : temporary || n >= current) continue;
    const path = join(root, name);
    if (!temporary && (await inUse(path))) continue;
    rmSync(path, { recursive: true, force: true });
    removed.push(n);
  }
  return removed;
}
