import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { meridianError } from '../../errors.js';

/**
 * Dataset IDs. New datasets get time-ordered UUIDv7s (they index well). Ingest can use the deterministic
 * UUIDv5 recipe of daf_butler so that the same file ingested into two repositories gets the same ID and
 * re-ingest is idempotent.
 */

export type IdGenerationMode = 'UNIQUE' | 'DATAID_TYPE' | 'DATAID_TYPE_RUN';

/** uuid5(NAMESPACE_DNS, "lsst.org"), the namespace daf_butler's DatasetIdFactory uses. */
export const DATASET_ID_NAMESPACE = '840b31d9-05cd-5161-b2c8-00d32b280d0f';

let lastMs = 0;
let seq = 0;

/**
 * Random bytes for IDs, drawn from the CSPRNG 16 KiB at a time: one `randomBytes` call per ID cost more than the
 * registry's whole insert of that ID.
 */
const randomPool = Buffer.alloc(16 * 1024);
let randomOffset = randomPool.length;

function nextRandom(target: Buffer): void {
  if (randomOffset + 16 > randomPool.length) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  randomPool.copy(target, 0, randomOffset, randomOffset + 16);
  randomOffset += 16;
}

/** RFC 9562 UUIDv7: 48-bit Unix ms timestamp, then a 12-bit counter (monotonic within a ms), then random bits. */
export function uuidv7(): string {
  let ms = Date.now();
  if (ms <= lastMs) {
    seq++;
    if (seq > 0xfff) {
      lastMs++;
      seq = 0;
    }
    ms = lastMs;
  } else {
    lastMs = ms;
    seq = randomBytes(2).readUInt16BE(0) & 0x3ff;
  }
  const b = Buffer.allocUnsafe(16);
  nextRandom(b);
  b.writeUIntBE(ms, 0, 6);
  b[6] = 0x70 | ((seq >> 8) & 0x0f);
  b[7] = seq & 0xff;
  b[8] = 0x80 | (b[8]! & 0x3f);
  return formatUuid(b);
}

/** The last namespace's bytes: callers use one namespace for millions of IDs (a quantum graph's outputs). */
let lastNamespace: { text: string; bytes: Buffer } | null = null;

/** RFC 9562 UUIDv5 (SHA-1, name-based). */
export function uuidv5(name: string, namespace: string): string {
  if (lastNamespace?.text !== namespace) lastNamespace = { text: namespace, bytes: parseUuid(namespace) };
  const ns = lastNamespace.bytes;
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  const b = hash.subarray(0, 16);
  b[6] = 0x50 | (b[6]! & 0x0f);
  b[8] = 0x80 | (b[8]! & 0x3f);
  return formatUuid(b);
}

/**
 * Deterministic dataset ID, the recipe of daf_butler's DatasetIdFactory: items ("dataset_type", name),
 * optionally ("run", run), then the required data ID items sorted by key; joined as "k=v" with commas.
 */
export function deterministicDatasetId(
  datasetTypeName: string,
  requiredDataId: Readonly<Record<string, string | number>>,
  run: string,
  mode: 'DATAID_TYPE' | 'DATAID_TYPE_RUN',
): string {
  const items: [string, string | number][] = [['dataset_type', datasetTypeName]];
  if (mode === 'DATAID_TYPE_RUN') items.push(['run', run]);
  const sorted = Object.entries(requiredDataId).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  items.push(...sorted);
  return uuidv5(items.map(([k, v]) => `${k}=${v}`).join(','), DATASET_ID_NAMESPACE);
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}

export function normalizeUuid(s: string): string {
  if (!isUuid(s)) throw meridianError('INVALID_ARGUMENT', `'${s}' is not a UUID`);
  return s.toLowerCase();
}

function parseUuid(s: string): Buffer {
  return Buffer.from(normalizeUuid(s).replaceAll('-', ''), 'hex');
}

function formatUuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
