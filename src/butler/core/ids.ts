import { hash, randomBytes, randomFillSync } from 'node:crypto';
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

/**
 * Namespace bytes followed by the name, hashed in one call: a graph build names millions of IDs, and a `Hash`
 * object per ID (createHash, update, update, digest) cost three times the SHA-1 itself. The namespace part is
 * rewritten only when it changes (callers use one namespace for millions of IDs).
 */
let scratch = Buffer.alloc(512);
let scratchNamespace = '';

/** RFC 9562 UUIDv5 (SHA-1, name-based). */
export function uuidv5(name: string, namespace: string): string {
  if (scratchNamespace !== namespace) {
    parseUuid(namespace).copy(scratch, 0);
    scratchNamespace = namespace;
  }
  // A UTF-8 character is at most 3 bytes per UTF-16 code unit.
  if (16 + name.length * 3 > scratch.length) {
    const bigger = Buffer.alloc(Math.max(scratch.length * 2, 16 + name.length * 3));
    scratch.copy(bigger, 0, 0, 16);
    scratch = bigger;
  }
  const n = scratch.write(name, 16, 'utf8');
  const b = hash('sha1', scratch.subarray(0, 16 + n), 'buffer');
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
  return deterministicDatasetIdMaker(datasetTypeName, Object.keys(requiredDataId), run, mode)(requiredDataId);
}

/**
 * The same recipe for many data IDs with the same keys (a graph's outputs of one dataset type): the prefix and
 * the key order are worked out once, then each ID costs one string and one hash.
 */
export function deterministicDatasetIdMaker(
  datasetTypeName: string,
  keys: readonly string[],
  run: string,
  mode: 'DATAID_TYPE' | 'DATAID_TYPE_RUN',
): (requiredDataId: Readonly<Record<string, string | number>>) => string {
  const prefix =
    mode === 'DATAID_TYPE_RUN'
      ? `dataset_type=${datasetTypeName},run=${run}`
      : `dataset_type=${datasetTypeName}`;
  return uuidv5Maker(prefix, keys, DATASET_ID_NAMESPACE);
}

/**
 * UUIDv5 of `prefix` followed by `,k=v` for each key in sorted (code unit) order, for many value sets with the
 * same keys.
 */
export function uuidv5Maker(
  prefix: string,
  keys: readonly string[],
  namespace: string,
): (values: Readonly<Record<string, string | number>>) => string {
  const sorted = [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const labels = sorted.map((k) => `,${k}=`);
  return (values) => {
    let name = prefix;
    for (let i = 0; i < sorted.length; i++) name += labels[i]! + values[sorted[i]!];
    return uuidv5(name, namespace);
  };
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

/** Character codes of the lowercase hex digits. */
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const uuidText = Buffer.from('00000000-0000-0000-0000-000000000000', 'latin1');
/** Where each byte's two digits go in the 36-character form (dashes after bytes 4, 6, 8 and 10). */
const UUID_TEXT_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/** The canonical text form, built in one buffer so the result is one flat string (it becomes a map key). */
function formatUuid(b: Uint8Array): string {
  for (let i = 0; i < 16; i++) {
    const at = UUID_TEXT_AT[i]!;
    uuidText[at] = HEX_DIGITS[b[i]! >> 4]!;
    uuidText[at + 1] = HEX_DIGITS[b[i]! & 15]!;
  }
  return uuidText.toString('latin1');
}
