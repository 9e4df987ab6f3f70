/**
 * The server's options, validated once at the boundary (zod) and then trusted. Defaults live here and nowhere else;
 * the CLI maps its flags onto these names (flag > environment > default; a config file comes with `--config` later).
 */

import { z } from 'zod';
import { meridianError } from '../errors.js';

export const serverLimitsSchema = z
  .object({
    /** MAXREC when the request gives none (TAPRegExt outputLimit default). */
    maxrecDefault: z.number().int().nonnegative().default(100_000),
    /** The largest MAXREC honoured; larger requests are cut to it (TAPRegExt outputLimit hard). */
    maxrecHard: z.number().int().positive().default(10_000_000),
    /** A sync query running longer is cancelled (TAPRegExt executionDuration hard), in seconds. */
    syncTimeoutSeconds: z.number().positive().default(600),
    /** Sync queries running at once; one more is refused with SERVER_BUSY (503) and Retry-After. */
    maxConcurrentQueries: z.number().int().positive().default(64),
    /** Async (UWS) jobs executing at once; more wait QUEUED. They count towards maxConcurrentQueries too. */
    asyncMaxRunning: z.number().int().positive().default(4),
    /** An async job's execution duration (TAPRegExt executionDuration for async), in seconds; also its maximum. */
    asyncExecutionDurationSeconds: z.number().int().positive().default(3600),
    /** How long an async job and its result are kept by default (TAPRegExt retentionPeriod default), in seconds. */
    asyncRetentionSeconds: z
      .number()
      .int()
      .positive()
      .default(7 * 86_400),
    /** The longest destruction time a client may ask for (TAPRegExt retentionPeriod hard), in seconds. */
    asyncRetentionHardSeconds: z
      .number()
      .int()
      .positive()
      .default(30 * 86_400),
    /** The longest blocking WAIT honoured, in seconds (UWS 1.1 lets the service cap it). */
    asyncMaxWaitSeconds: z.number().int().positive().default(60),
    /** Largest request body accepted (form-encoded TAP parameters), in bytes. */
    bodyLimitBytes: z.number().int().positive().default(1_048_576),
    /**
     * Per-user limits (docs/auth.md); anonymous requests are one user. Queries one user runs at once (sync in flight
     * plus async QUEUED or EXECUTING); one more is refused with USER_QUOTA (429).
     */
    userMaxConcurrentQueries: z.number().int().positive().default(32),
    /** Async jobs one user keeps (any phase); creating one more is refused with USER_QUOTA (429). */
    userMaxAsyncJobs: z.number().int().positive().default(200),
    /** Requests per second one user may sustain (token bucket refill); 0 turns the rate limit off. */
    userRequestsPerSecond: z.number().nonnegative().default(200),
    /** Requests one user may send in a burst above the rate (token bucket size). */
    userRequestBurst: z.number().int().positive().default(400),
    /** Largest uploaded VOTable (TAP_UPLOAD), in bytes (TAPRegExt uploadLimit hard). */
    uploadMaxBytes: z
      .number()
      .int()
      .positive()
      .default(16 * 1_048_576),
    /** Most rows of one uploaded table. */
    uploadMaxRows: z.number().int().positive().default(100_000),
    /**
     * Whether uploads by URL may name private, loopback or link-local hosts (off: only public hosts are fetched, so a
     * client cannot make the server reach into its own network).
     */
    uploadUrlPrivateHosts: z.boolean().default(false),
  })
  .strict()
  .refine((l) => l.maxrecDefault <= l.maxrecHard, { message: 'maxrecDefault must not exceed maxrecHard' });

export type ServerLimits = z.output<typeof serverLimitsSchema>;
export type ServerLimitsInput = z.input<typeof serverLimitsSchema>;

export const serverListenSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65_535).default(8080),
    /** The public URL of the server root (behind a proxy); else each request's own host is used. */
    baseUrl: z.url().optional(),
  })
  .strict();

export type ServerListen = z.output<typeof serverListenSchema>;
export type ServerListenInput = z.input<typeof serverListenSchema>;

/** Parses with `schema`, turning zod's issues into CONFIG_INVALID naming the key. */
export function validated<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = issue.path.join('.') || what;
  throw meridianError('CONFIG_INVALID', `${what}: ${key}: ${issue.message}`, { key });
}

/** MERIDIAN_ALLOW_ANONYMOUS: `1`/`true`/`yes` on, `0`/`false`/`no`/empty off, anything else CONFIG_INVALID. */
export function allowAnonymousFromEnv(env: NodeJS.ProcessEnv = process.env): boolean | undefined {
  const value = env.MERIDIAN_ALLOW_ANONYMOUS?.trim().toLowerCase();
  if (value === undefined) return undefined;
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['', '0', 'false', 'no', 'off'].includes(value)) return false;
  throw meridianError('CONFIG_INVALID', 'MERIDIAN_ALLOW_ANONYMOUS must be 1 or 0', {
    key: 'MERIDIAN_ALLOW_ANONYMOUS',
  });
}
