import type { Kysely } from 'kysely';

/**
 * The one interface a registry back end implements. Everything above it (schema, managers, queries) is shared; a
 * back end only says how to connect, how transactions and errors behave, and which column types to use.
 */
export interface RegistryDatabase {
  readonly db: Kysely<any>;
  readonly readOnly: boolean;
  readonly capabilities: DatabaseCapabilities;
  /** Human-readable location, without credentials. */
  readonly displayUrl: string;
  /**
   * Run `fn` in a write transaction. SQLite takes the write lock up front (BEGIN IMMEDIATE) so that concurrent
   * writer processes wait for each other instead of failing on lock upgrade. Nested calls join the outer
   * transaction.
   */
  transaction<T>(fn: (trx: Kysely<any>) => Promise<T>): Promise<T>;
  /** The transaction of the current async context if there is one, else the plain connection (pool). */
  executor(): Kysely<any>;
  /** Translate a driver error to a coded Meridian error when it is one we understand. */
  translateError(err: unknown, context: string): unknown;
  isUniqueViolation(err: unknown): boolean;
  close(): Promise<void>;
}

export interface DatabaseCapabilities {
  /** SQL type for dataset UUID columns. */
  readonly uuidType: 'text' | 'uuid';
  /** Largest number of bind parameters in one statement. */
  readonly maxBindParameters: number;
  /** Whether `INSERT ... ON CONFLICT DO NOTHING` is available (both our back ends have it). */
  readonly onConflictDoNothing: boolean;
  /** How an auto-incrementing integer primary key is declared. */
  readonly serialPrimaryKey: 'autoincrement' | 'identity';
  /** Whether 64-bit integer columns come back as strings or bigints and need explicit conversion. */
  readonly bigintAsString: boolean;
}

export interface OpenOptions {
  readonly readOnly?: boolean;
  /** Create the database file or schema if it does not exist. */
  readonly create?: boolean;
}

/** Convert a 64-bit integer read from either back end (number, bigint or string) to a JS number. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint' || typeof v === 'string') return Number(v);
  throw new TypeError(`expected an integer column value, got ${typeof v}`);
}

/** Convert a nullable 64-bit integer read from either back end to a bigint. */
export function toBigIntOrNull(v: unknown): bigint | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  if (typeof v === 'string') return BigInt(v);
  throw new TypeError(`expected a bigint column value, got ${typeof v}`);
}
