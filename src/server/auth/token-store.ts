/**
 * The token store: one row per token in a `src/db` database (SQLite `tokens.sqlite3` in the catalog directory by
 * default, PostgreSQL when configured), schema component `auth`.
 *
 * Decisions, and why:
 * - A token reads `mrd_<id>_<secret>`: the prefix makes a leaked token recognisable (secret scanners, logs), the id
 *   names the row (listing and revoking never need the secret), the secret is 256 random bits.
 * - Only the SHA-256 of the secret is stored. A fast hash is enough for 256 random bits (no dictionary to try); the
 *   comparison is constant-time so the response time says nothing about how much of a guess was right.
 * - `last_used` is written at most once a minute per token, so a busy client does not turn every read into a write.
 * - Nothing is cached: a revocation, also by `meridian token revoke` in another process, holds at the next request.
 */

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { resolve } from 'node:path';
import {
  type DatabaseConfigInput,
  databaseOrDefaultFile,
  defineSchemaComponent,
  migrate,
  openDatabase,
  type SqlDatabase,
} from '../../db/index.js';
import { meridianError } from '../../errors.js';
import { ANONYMOUS_USER, parseScopes, type Scope } from './scopes.js';

export const TOKEN_PREFIX = 'mrd_';
const TOKEN_PATTERN = /^mrd_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const USER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const LAST_USED_RESOLUTION_MS = 60_000;
const TABLE = 'auth_token';

/** What is known about a token; never its secret. */
export interface TokenInfo {
  /** 16 hex digits, the part of the token after `mrd_`. */
  readonly id: string;
  readonly user: string;
  readonly label: string;
  readonly scopes: readonly Scope[];
  /** ISO 8601 UTC times. */
  readonly created: string;
  readonly expires: string | null;
  readonly revoked: string | null;
  readonly lastUsed: string | null;
}

/** A new token: its text, shown once, and its record. */
export interface NewToken {
  readonly token: string;
  readonly info: TokenInfo;
}

export interface NewTokenRequest {
  readonly user: string;
  /** Scope names; unknown ones are AUTH_UNKNOWN_SCOPE. */
  readonly scopes: readonly string[];
  readonly label?: string;
  /** When the token stops working: an ISO time, or a duration from now such as `30d`, `12h` (see `parseExpiry`). */
  readonly expires?: string | Date | null;
}

export type TokenCheck =
  | { readonly ok: true; readonly token: TokenInfo }
  | { readonly ok: false; readonly reason: 'malformed' | 'unknown' | 'revoked' | 'expired' };

export const tokenStoreSchema = defineSchemaComponent<void>({
  name: 'auth',
  label: 'token store',
  migrations: [
    {
      version: 1,
      description: 'API tokens with scopes (hashed secrets)',
      async up(db) {
        await db.schema
          .createTable(TABLE)
          .addColumn('token_id', 'varchar(16)', (c) => c.primaryKey())
          .addColumn('user_name', 'varchar(64)', (c) => c.notNull())
          .addColumn('label', 'text', (c) => c.notNull())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('secret_sha256', 'varchar(64)', (c) => c.notNull())
          .addColumn('created', 'varchar(32)', (c) => c.notNull())
          .addColumn('expires', 'varchar(32)')
          .addColumn('revoked', 'varchar(32)')
          .addColumn('last_used', 'varchar(32)')
          .execute();
        await db.schema.createIndex(`${TABLE}_user_idx`).on(TABLE).column('user_name').execute();
      },
    },
  ],
});

const DURATION_UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/**
 * An expiry as an ISO time: a duration from `now` (`90s`, `45m`, `12h`, `30d`, `2w`) or an ISO 8601 date or time
 * (a date alone means its midnight UTC). A time in the past is refused.
 */
export function parseExpiry(spec: string | Date, now = new Date()): string {
  let time: number;
  if (spec instanceof Date) {
    time = spec.getTime();
  } else {
    const duration = /^\s*(\d{1,6})\s*([smhdw])\s*$/i.exec(spec);
    time = duration
      ? now.getTime() + Number(duration[1]) * (DURATION_UNITS[duration[2].toLowerCase()] as number) * 1000
      : /^\d{4}-\d\d-\d\d/.test(spec.trim())
        ? Date.parse(spec.trim())
        : Number.NaN;
  }
  if (Number.isNaN(time)) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `expiry ${JSON.stringify(String(spec).slice(0, 40))} is neither a duration (30d, 12h, 45m, 90s, 2w) nor an ISO 8601 time`,
      { expires: String(spec).slice(0, 40) },
    );
  }
  if (time <= now.getTime()) {
    throw meridianError('INVALID_ARGUMENT', `expiry ${new Date(time).toISOString()} is not in the future`);
  }
  return new Date(time).toISOString();
}

function sha256(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

type Row = Record<string, any>;

function infoFromRow(row: Row): TokenInfo {
  return Object.freeze({
    id: row.token_id,
    user: row.user_name,
    label: row.label,
    scopes: Object.freeze(String(row.scopes).split(' ').filter(Boolean) as Scope[]),
    created: row.created,
    expires: row.expires ?? null,
    revoked: row.revoked ?? null,
    lastUsed: row.last_used ?? null,
  });
}

function checkUser(user: string): void {
  if (!USER_PATTERN.test(user)) {
    throw meridianError(
      'INVALID_ARGUMENT',
      'a user name is 1 to 64 characters: letters, digits and . _ @ - (starting with a letter or digit)',
      { user: user.slice(0, 64) },
    );
  }
  if (user === ANONYMOUS_USER) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `"${ANONYMOUS_USER}" is the user of requests without a token; choose another user name`,
    );
  }
}

export interface TokenStoreOptions {
  /** A `src/db` URL or config, or a bare SQLite file path; default SQLite `tokens.sqlite3` in `defaultDir`. */
  readonly database?: DatabaseConfigInput | string;
  /** The directory of the default file (the catalog directory). */
  readonly defaultDir: string;
}

export const DEFAULT_TOKEN_FILE = 'tokens.sqlite3';

export class TokenStore {
  /** Token id → when its `last_used` was last written by this process (ms). */
  private readonly lastUseWritten = new Map<string, number>();

  private constructor(private readonly database: SqlDatabase) {}

  static async open(options: TokenStoreOptions): Promise<TokenStore> {
    const dir = resolve(options.defaultDir);
    const config = databaseOrDefaultFile(options.database, dir, DEFAULT_TOKEN_FILE);
    const database = await openDatabase(config, {
      create: true,
      purpose: 'token store',
      baseDir: dir,
    });
    try {
      await migrate(database, tokenStoreSchema, undefined);
    } catch (err) {
      await database.close();
      throw err;
    }
    return new TokenStore(database);
  }

  /** Where the tokens are, without credentials (for messages). */
  get location(): string {
    return this.database.displayUrl;
  }

  async close(): Promise<void> {
    await this.database.close();
  }

  /** Makes a token; its text is in the result and nowhere else (only a hash of the secret is stored). */
  async create(request: NewTokenRequest, now = new Date()): Promise<NewToken> {
    checkUser(request.user);
    const scopes = parseScopes(request.scopes);
    const label = (request.label ?? '').trim();
    if (label.length > 200)
      throw meridianError('INVALID_ARGUMENT', 'a token label is at most 200 characters');
    const expires =
      request.expires === undefined || request.expires === null ? null : parseExpiry(request.expires, now);
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const row = {
      token_id: id,
      user_name: request.user,
      label,
      scopes: scopes.join(' '),
      secret_sha256: sha256(secret).toString('hex'),
      created: now.toISOString(),
      expires,
      revoked: null,
      last_used: null,
    };
    await this.database.transaction((trx) => trx.insertInto(TABLE).values(row).execute());
    return Object.freeze({ token: `${TOKEN_PREFIX}${id}_${secret}`, info: infoFromRow(row) });
  }

  async get(id: string): Promise<TokenInfo | null> {
    const row = await this.database.db
      .selectFrom(TABLE)
      .selectAll()
      .where('token_id', '=', id)
      .executeTakeFirst();
    return row ? infoFromRow(row) : null;
  }

  /** Tokens oldest first; revoked and expired ones only with `includeInactive`. */
  async list(
    filter: { user?: string; includeInactive?: boolean } = {},
    now = new Date(),
  ): Promise<TokenInfo[]> {
    let query = this.database.db.selectFrom(TABLE).selectAll();
    if (filter.user !== undefined) query = query.where('user_name', '=', filter.user);
    if (!filter.includeInactive) {
      query = query
        .where('revoked', 'is', null)
        .where((eb) => eb.or([eb('expires', 'is', null), eb('expires', '>', now.toISOString())]));
    }
    const rows = await query.orderBy('created').orderBy('token_id').execute();
    return rows.map(infoFromRow);
  }

  /** Revokes a token by id (or by its full text); revoking twice keeps the first time. TOKEN_NOT_FOUND if none. */
  async revoke(idOrToken: string, now = new Date()): Promise<TokenInfo> {
    const id = TOKEN_PATTERN.exec(idOrToken)?.[1] ?? idOrToken.trim();
    await this.database.transaction((trx) =>
      trx
        .updateTable(TABLE)
        .set({ revoked: now.toISOString() })
        .where('token_id', '=', id)
        .where('revoked', 'is', null)
        .execute(),
    );
    const info = await this.get(id);
    if (info === null) {
      throw meridianError('TOKEN_NOT_FOUND', `no token with id ${JSON.stringify(id.slice(0, 32))}`, {
        id: id.slice(0, 32),
      });
    }
    return info;
  }

  /** Checks a presented token: its form, its secret (constant-time), revocation and expiry. */
  async check(text: string, now = new Date()): Promise<TokenCheck> {
    const match = TOKEN_PATTERN.exec(text);
    if (match === null) return { ok: false, reason: 'malformed' };
    const [, id, secret] = match;
    const row = await this.database.db
      .selectFrom(TABLE)
      .selectAll()
      .where('token_id', '=', id)
      .executeTakeFirst();
    if (row === undefined) return { ok: false, reason: 'unknown' };
    const stored = Buffer.from(String(row.secret_sha256), 'hex');
    const presented = sha256(secret);
    if (stored.length !== presented.length || !timingSafeEqual(stored, presented)) {
      return { ok: false, reason: 'unknown' };
    }
    if (row.revoked != null) return { ok: false, reason: 'revoked' };
    if (row.expires != null && String(row.expires) <= now.toISOString())
      return { ok: false, reason: 'expired' };
    await this.noteUse(id, now);
    return { ok: true, token: infoFromRow(row) };
  }

  private async noteUse(id: string, now: Date): Promise<void> {
    const written = this.lastUseWritten.get(id);
    if (written !== undefined && now.getTime() - written < LAST_USED_RESOLUTION_MS) return;
    this.lastUseWritten.set(id, now.getTime());
    if (this.lastUseWritten.size > 10_000) this.lastUseWritten.clear();
    await this.database.transaction((trx) =>
      trx.updateTable(TABLE).set({ last_used: now.toISOString() }).where('token_id', '=', id).execute(),
    );
  }
}
