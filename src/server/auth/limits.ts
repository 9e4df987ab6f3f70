/**
 * Per-user limits (issue 10, "Auth and limits"): a request rate (token bucket), concurrent queries (sync queries in
 * flight plus async jobs QUEUED or EXECUTING) and async jobs kept. Exceeding one is HTTP 429 with Retry-After, as
 * Gafaelfawr's quotas answer. State is in memory per server process: a restart forgives, which is what a rate limit
 * should do anyway.
 */

import { meridianError } from '../../errors.js';
import type { ServerLimits } from '../config.js';

/** How long a client refused for too many running queries is told to wait, in seconds. */
const QUERY_RETRY_AFTER_SECONDS = 2;
/** A user at their async job limit must delete jobs; a minute is a polite pause before trying again. */
const JOBS_RETRY_AFTER_SECONDS = 60;
/** Buckets of users idle this long are full again and are forgotten. */
const IDLE_BUCKET_MS = 10 * 60_000;

interface Bucket {
  tokens: number;
  at: number;
}

/** Counts of a user's queries running elsewhere (async jobs), asked when a query wants to start. */
export type QueryCounter = (user: string) => Promise<number>;

export class UserLimits {
  private readonly buckets = new Map<string, Bucket>();
  private readonly syncRunning = new Map<string, number>();
  private readonly counters: QueryCounter[] = [];
  private lastPrune = Date.now();

  constructor(readonly limits: ServerLimits) {}

  /** Another source of running queries (the async job store registers one). */
  addQueryCounter(counter: QueryCounter): void {
    this.counters.push(counter);
  }

  /** Takes one request from `user`'s bucket, or throws RATE_LIMITED with the seconds until one is there. */
  takeRequest(user: string, now = Date.now()): void {
    const rate = this.limits.userRequestsPerSecond;
    if (rate === 0) return;
    const burst = this.limits.userRequestBurst;
    this.prune(now);
    const bucket = this.buckets.get(user) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    this.buckets.set(user, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return;
    }
    const wait = Math.max(1, Math.ceil((1 - bucket.tokens) / rate));
    throw meridianError(
      'RATE_LIMITED',
      `user ${user} is over the request rate of ${rate} per second (bursts of ${burst}); retry in ${wait} s`,
      { retryAfterSeconds: wait, user },
    );
  }

  /** Queries `user` is running: sync ones in flight here plus the counters' (async jobs queued or executing). */
  async runningQueries(user: string): Promise<number> {
    let total = this.syncRunning.get(user) ?? 0;
    for (const counter of this.counters) total += await counter(user);
    return total;
  }

  /** Throws USER_QUOTA when `user` already runs as many queries as allowed (before an async job starts). */
  async checkQuerySlot(user: string): Promise<void> {
    const limit = this.limits.userMaxConcurrentQueries;
    // The in-memory count alone may already decide, without asking the job store.
    if ((this.syncRunning.get(user) ?? 0) >= limit || (await this.runningQueries(user)) >= limit) {
      throw this.tooManyQueries(user);
    }
  }

  /**
   * Takes a sync query slot for `user`, or throws USER_QUOTA; the returned function releases it, once. The slot is
   * taken before the job store is asked, so concurrent requests of one user see each other.
   */
  async acquireQuerySlot(user: string): Promise<() => void> {
    this.syncRunning.set(user, (this.syncRunning.get(user) ?? 0) + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const left = (this.syncRunning.get(user) ?? 1) - 1;
      if (left === 0) this.syncRunning.delete(user);
      else this.syncRunning.set(user, left);
    };
    const limit = this.limits.userMaxConcurrentQueries;
    try {
      if ((this.syncRunning.get(user) ?? 0) > limit || (await this.runningQueries(user)) > limit) {
        throw this.tooManyQueries(user);
      }
    } catch (err) {
      release();
      throw err;
    }
    return release;
  }

  private tooManyQueries(user: string): Error {
    const limit = this.limits.userMaxConcurrentQueries;
    return meridianError(
      'USER_QUOTA',
      `user ${user} is already running ${limit} queries (sync and async), the per-user limit; retry when one ends`,
      { retryAfterSeconds: QUERY_RETRY_AFTER_SECONDS, user },
    );
  }

  /** Throws USER_QUOTA when `user` keeps `kept` async jobs, the limit, and wants another. */
  checkJobsKept(user: string, kept: number): void {
    const limit = this.limits.userMaxAsyncJobs;
    if (kept < limit) return;
    throw meridianError(
      'USER_QUOTA',
      `user ${user} keeps ${kept} async jobs, the per-user limit of ${limit}; delete finished jobs first`,
      { retryAfterSeconds: JOBS_RETRY_AFTER_SECONDS, user },
    );
  }

  private prune(now: number): void {
    if (now - this.lastPrune < IDLE_BUCKET_MS) return;
    this.lastPrune = now;
    for (const [user, bucket] of this.buckets)
      if (now - bucket.at > IDLE_BUCKET_MS) this.buckets.delete(user);
  }
}
