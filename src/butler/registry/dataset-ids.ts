import { type RawBuilder, sql } from 'kysely';
import type { DatabaseCapabilities } from '../../db/index.js';

/**
 * Dataset IDs at the SQL boundary, in one place. The public API (refs, JSON, export files) always uses the
 * canonical lowercase text form (`0192…-…`); the registry stores 16 bytes (`capabilities.binaryUuidType`): a BLOB on
 * SQLite, which is bound and read as a Buffer, or PostgreSQL's native `uuid`, which `pg` binds and reads as text.
 * Every column holding a dataset ID (dataset, tags, calibs, file_datastore_records, file_datastore_trash) goes
 * through `toDb` on the way in and `fromDb` on the way out.
 */
export interface DatasetIdCodec {
  /** The SQL type of a dataset-ID column. */
  readonly sqlType: 'blob' | 'uuid';
  /** The bind value for an ID; null when the text is not a UUID (it cannot match any stored dataset). */
  toDb(id: string): unknown;
  /** The canonical text form of a stored ID. */
  fromDb(value: unknown): string;
  /** SQL rendering a stored-ID column as canonical text (for comparisons with text in `where` expressions). */
  asText(column: RawBuilder<unknown>): RawBuilder<unknown>;
}

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The 16 bytes of a UUID in text form, or null if it is not one (either case is accepted). */
export function uuidToBytes(id: string): Buffer | null {
  const lower = id.toLowerCase();
  if (!UUID_TEXT.test(lower)) return null;
  return Buffer.from(lower.replaceAll('-', ''), 'hex');
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Canonical lowercase text of 16 UUID bytes. */
export function uuidFromBytes(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
    s += HEX[b[i]!];
  }
  return s;
}

const blobCodec: DatasetIdCodec = Object.freeze({
  sqlType: 'blob' as const,
  toDb: (id: string) => uuidToBytes(id),
  fromDb(value: unknown): string {
    if (value instanceof Uint8Array && value.length === 16) return uuidFromBytes(value);
    // A text ID can only come from a repository that was not migrated; show it rather than fail.
    return String(value).toLowerCase();
  },
  asText: (column: RawBuilder<unknown>) =>
    sql`lower(substr(hex(${column}), 1, 8) || '-' || substr(hex(${column}), 9, 4) || '-' || substr(hex(${column}), 13, 4) || '-' || substr(hex(${column}), 17, 4) || '-' || substr(hex(${column}), 21, 12))`,
});

const nativeCodec: DatasetIdCodec = Object.freeze({
  sqlType: 'uuid' as const,
  toDb: (id: string) => {
    const lower = id.toLowerCase();
    return UUID_TEXT.test(lower) ? lower : null;
  },
  fromDb: (value: unknown) => String(value).toLowerCase(),
  asText: (column: RawBuilder<unknown>) => sql`CAST(${column} AS TEXT)`,
});

export function datasetIdCodec(caps: DatabaseCapabilities): DatasetIdCodec {
  return caps.binaryUuidType === 'blob' ? blobCodec : nativeCodec;
}

/** The bind values of the IDs that are UUIDs (the others cannot match anything), without duplicates. */
export function idsToDb(codec: DatasetIdCodec, ids: readonly string[]): unknown[] {
  const seen = new Set<string>();
  const out: unknown[] = [];
  for (const id of ids) {
    const lower = id.toLowerCase();
    if (seen.has(lower)) continue;
    seen.add(lower);
    const v = codec.toDb(lower);
    if (v !== null) out.push(v);
  }
  return out;
}
