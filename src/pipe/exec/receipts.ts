/**
 * Quantum receipts: what a job leaves in the repository instead of writing the registry. Every quantum (and every
 * task's init quantum) that ends writes one small JSON file, atomically (temporary file + rename) and as its very
 * last step, in a run-scoped directory of the repository:
 *
 *   <repo>/.meridian/qbb/<run, URI-encoded>/<last two hex digits of the ID>/<quantumId>.json
 *   <repo>/.meridian/qbb/<run, URI-encoded>/init/<label>.json
 *
 * A receipt holds the status, the datastore records (StoredFileInfo) of the files the quantum wrote, and its
 * provenance. It is how a later quantum finds the files of inputs produced earlier in the same graph, how
 * `--skip-existing` knows the `<label>_metadata` dataset exists, how `pipetask report` counts, and what the merge
 * (`aggregateGraph`) imports into the registry. A `.started` marker written before a quantum touches the datastore
 * tells an attempt that was killed outright (marker, no receipt: its files are orphans to replace) from files
 * nobody accounts for (no marker: OUTPUT_EXISTS unless clobbering).
 *
 * `butler verify` and `butler cleanup` treat `.meridian/` as bookkeeping, never as datasets.
 *
 * The files are tiny and a job process does one quantum at a time, so they are read and written with synchronous
 * calls: a round trip through libuv's thread pool costs more than the read itself, and on a busy machine the
 * dozen round trips per quantum were most of a no-op quantum's time.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import type { StoredFileInfo } from '../../butler/index.js';
import { meridianError } from '../../errors.js';
import type { ProvenanceRecord } from '../model.js';

/** Version history: 1 — first version. */
export const RECEIPT_FORMAT_VERSION = 1;

export type ReceiptStatus = 'succeeded' | 'noWork' | 'failed';

export interface QuantumReceipt {
  readonly version: number;
  readonly kind: 'quantum' | 'init';
  /** Null for an init quantum (one per task label and run). */
  readonly quantumId: string | null;
  readonly label: string;
  readonly status: ReceiptStatus;
  readonly configHash: string;
  /** Records of every file the attempt wrote (on failure: the partial outputs left for clobbering or cleanup). */
  readonly outputs: readonly StoredFileInfo[];
  /** Null when the process died before it could say more (the executor records the failure for it). */
  readonly provenance: ProvenanceRecord | null;
  /** The failure's message (also in provenance.exit), for reports. */
  readonly message: string | null;
  /** The task's last log lines on failure (a success stores its log as the `<label>_log` dataset). */
  readonly log: readonly string[];
}

const storedFileSchema = z.object({
  datasetId: z.string(),
  path: z.string(),
  formatter: z.string(),
  storageClass: z.string(),
  component: z.string().nullable(),
  checksum: z.string().nullable(),
  fileSize: z.number(),
});

const receiptSchema = z.object({
  version: z.number().int().positive(),
  kind: z.enum(['quantum', 'init']),
  quantumId: z.string().nullable(),
  label: z.string(),
  status: z.enum(['succeeded', 'noWork', 'failed']),
  configHash: z.string(),
  outputs: z.array(storedFileSchema),
  // Written by this module from a typed ProvenanceRecord; checked loosely so that added fields stay readable.
  provenance: z.record(z.string(), z.unknown()).nullable(),
  message: z.string().nullable(),
  log: z.array(z.string()),
});

/** The receipt directory of one RUN inside a repository. */
export function receiptDirectory(repo: string, run: string): string {
  return join(resolve(repo), '.meridian', 'qbb', encodeURIComponent(run));
}

export class ReceiptStore {
  readonly directory: string;

  constructor(repo: string, run: string) {
    this.directory = receiptDirectory(repo, run);
  }

  quantumPath(quantumId: string): string {
    return join(this.directory, quantumId.slice(-2), `${quantumId}.json`);
  }

  initPath(label: string): string {
    return join(this.directory, 'init', `${label}.json`);
  }

  private startedPath(key: string): string {
    return `${key}.started`;
  }

  read(path: string): Promise<QuantumReceipt | null> {
    return readReceipt(path);
  }

  readQuantum(quantumId: string): Promise<QuantumReceipt | null> {
    return readReceipt(this.quantumPath(quantumId));
  }

  readInit(label: string): Promise<QuantumReceipt | null> {
    return readReceipt(this.initPath(label));
  }

  /** Atomically replaces the receipt at `path` (a reader sees the old one or the new one, never a torn file). */
  async write(path: string, receipt: Omit<QuantumReceipt, 'version'>): Promise<void> {
    const text = JSON.stringify({ version: RECEIPT_FORMAT_VERSION, ...receipt });
    const temporary = join(dirname(path), `.tmp-${process.pid}-${randomBytes(4).toString('hex')}.json`);
    try {
      writeCreatingDirectory(temporary, text);
      renameSync(temporary, path);
    } catch (err) {
      rmSync(temporary, { force: true });
      throw receiptIoError(err, 'write', path);
    }
  }

  /** Marks an attempt as begun before it writes any dataset file. */
  async markStarted(receiptPath: string): Promise<void> {
    const marker = this.startedPath(receiptPath);
    try {
      writeCreatingDirectory(marker, String(process.pid));
    } catch (err) {
      throw receiptIoError(err, 'write', marker);
    }
  }

  async wasStarted(receiptPath: string): Promise<boolean> {
    return existsSync(this.startedPath(receiptPath));
  }

  async clearStarted(receiptPath: string): Promise<void> {
    rmSync(this.startedPath(receiptPath), { force: true });
  }

  /** Removes an earlier failure receipt when a new attempt begins (its partial outputs have been dealt with). */
  async remove(path: string): Promise<void> {
    try {
      unlinkSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw receiptIoError(err, 'remove', path);
    }
  }
}

function writeCreatingDirectory(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
}

export async function readReceipt(path: string): Promise<QuantumReceipt | null> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw receiptIoError(err, 'read', path);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw meridianError(
      'QGRAPH_INVALID',
      `the quantum receipt ${path} is not JSON; remove it and rerun the quantum`,
      {},
      err,
    );
  }
  const version = (json as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version > RECEIPT_FORMAT_VERSION) {
    throw meridianError(
      'SCHEMA_VERSION',
      `the quantum receipt ${path} has format version ${version}; this Meridian reads up to ${RECEIPT_FORMAT_VERSION}`,
      { version },
    );
  }
  const parsed = receiptSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw meridianError(
      'QGRAPH_INVALID',
      `the quantum receipt ${path} is invalid at ${issue.path.join('.') || '(top level)'}: ${issue.message}`,
    );
  }
  return parsed.data as unknown as QuantumReceipt;
}

function receiptIoError(err: unknown, action: string, path: string) {
  const errno = (err as NodeJS.ErrnoException).code ?? 'EIO';
  return meridianError(
    'FILESYSTEM_ERROR',
    `cannot ${action} the quantum receipt ${path}: ${errno}`,
    { errno },
    err,
  );
}

/** Whether a receipt marks its quantum as done (the `<label>_metadata` dataset was written). */
export function isSuccess(receipt: QuantumReceipt | null): boolean {
  return receipt !== null && (receipt.status === 'succeeded' || receipt.status === 'noWork');
}
