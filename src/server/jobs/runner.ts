/**
 * Runs TAP async jobs: phase changes (UWS 1.1 §2.1.3), a bounded queue of executing queries, result files, blocking
 * WAIT, the destruction sweep and recovery after a restart.
 *
 * Decisions, and why:
 * - A result is written to `<id>.part` and renamed to its final name only when complete, then recorded: a result file
 *   that a job document points to is always whole, whatever stops the server.
 * - A graceful shutdown aborts the executing queries and puts their jobs back to QUEUED; the next server start runs
 *   every QUEUED job again (the jobs stay resumable, as issue 10 asks). A job found EXECUTING at start-up was running
 *   when the server died without a shutdown; it is marked ERROR with a message saying so rather than retried, because
 *   the query itself may be what brought the server down.
 * - Parameter errors are found when the job runs, not when it is created (TAP 1.1 §2.3), and end in ERROR.
 */

import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { CellValue } from '../../catalog/index.js';
import { isMeridianError, meridianError } from '../../errors.js';
import { publicError } from '../http-errors.js';
import type { TapContext } from '../tap/context.js';
import { resultFormatFor } from '../tap/formats.js';
import { syncQueryParameters } from '../tap/params.js';
import { resultShape } from '../tap/result-fields.js';
import { loadJobUploads, removeJobUploads, requestUploads } from '../tap/upload.js';
import { type ResultWriter, writeChunk } from '../tap/writers/result-writer.js';
import type { Job, JobStore, UwsPhase } from './store.js';

/** TAP parameters a job keeps (lower-case); others are ignored, as TAP requires. */
export const JOB_PARAMETERS: readonly string[] = [
  'request',
  'lang',
  'query',
  'responseformat',
  'format',
  'maxrec',
  'runid',
  'upload',
];

const ACTIVE_PHASES: ReadonlySet<UwsPhase> = new Set(['PENDING', 'QUEUED', 'EXECUTING']);

type StopReason = 'abort' | 'timeout' | 'shutdown' | 'deleted';

interface Execution {
  readonly controller: AbortController;
  reason: StopReason | null;
  readonly done: Promise<void>;
}

export interface JobRunnerOptions {
  /** How often expired jobs are swept, in milliseconds (default one minute). */
  readonly sweepIntervalMs?: number;
  readonly log: FastifyBaseLogger;
}

function now(): string {
  return new Date().toISOString();
}

/** An unguessable job id: 128 random bits, hex. */
export function newJobId(): string {
  return randomBytes(16).toString('hex');
}

export class JobRunner {
  private readonly queue: string[] = [];
  private readonly executions = new Map<string, Execution>();
  private readonly changes = new EventEmitter();
  private sweeper: NodeJS.Timeout | undefined;
  private closing = false;
  private closed: Promise<void> | undefined;

  constructor(
    readonly store: JobStore,
    private readonly context: TapContext,
    private readonly options: JobRunnerOptions,
  ) {
    this.changes.setMaxListeners(0);
  }

  get runningCount(): number {
    return this.executions.size;
  }

  /** Recovery after a restart (see the file comment), a first sweep, then the periodic sweep. */
  async start(): Promise<void> {
    mkdirSync(this.store.resultsDir, { recursive: true });
    for (const job of await this.store.inPhases(['EXECUTING'])) {
      await this.store.update(
        job.jobId,
        {
          phase: 'ERROR',
          endTime: now(),
          error: {
            code: 'INTERNAL',
            message:
              'the server stopped while this job was executing and did not shut down cleanly; submit the query again',
          },
        },
        ['EXECUTING'],
      );
    }
    await this.sweep();
    for (const job of await this.store.inPhases(['QUEUED'])) this.queue.push(job.jobId);
    this.pump();
    this.sweeper = setInterval(() => {
      this.sweep().catch((err) => this.options.log.error({ err }, 'async job sweep failed'));
    }, this.options.sweepIntervalMs ?? 60_000);
    this.sweeper.unref();
  }

  /** Stops the sweep, aborts executing jobs (they go back to QUEUED) and waits for them to settle. */
  close(): Promise<void> {
    this.closed ??= this.stopAll();
    return this.closed;
  }

  private async stopAll(): Promise<void> {
    this.closing = true;
    clearInterval(this.sweeper);
    this.queue.length = 0;
    for (const execution of this.executions.values()) {
      execution.reason ??= 'shutdown';
      execution.controller.abort(new Error('the server is shutting down'));
    }
    await Promise.all([...this.executions.values()].map((e) => e.done));
    this.changes.emit('closed');
  }

  async create(parameters: Record<string, string>, ownerId: string | null): Promise<Job> {
    const created = new Date();
    const limits = this.context.limits;
    const job: Job = {
      jobId: newJobId(),
      runId: parameters.runid ?? null,
      ownerId,
      phase: 'PENDING',
      creationTime: created.toISOString(),
      startTime: null,
      endTime: null,
      executionDuration: limits.asyncExecutionDurationSeconds,
      destruction: new Date(created.getTime() + limits.asyncRetentionSeconds * 1000).toISOString(),
      parameters,
      result: null,
      error: null,
    };
    await this.store.create(job);
    return job;
  }

  /** PHASE=RUN: a PENDING job is queued; a job already queued or executing is left alone. */
  async run(job: Job): Promise<void> {
    if (job.phase === 'QUEUED' || job.phase === 'EXECUTING') return;
    if (job.phase !== 'PENDING') {
      throw meridianError('UWS_PHASE', `job ${job.jobId} is ${job.phase}; only a PENDING job can be run`, {
        phase: job.phase,
      });
    }
    if ((await this.store.update(job.jobId, { phase: 'QUEUED' }, ['PENDING'])) === null) return;
    this.changed(job.jobId);
    this.queue.push(job.jobId);
    this.pump();
  }

  /** PHASE=ABORT: an active job becomes ABORTED and its query is cancelled; a finished job is left alone. */
  async abort(job: Job): Promise<void> {
    if (!ACTIVE_PHASES.has(job.phase)) return;
    const updated = await this.store.update(job.jobId, { phase: 'ABORTED', endTime: now() }, [
      'PENDING',
      'QUEUED',
      'EXECUTING',
    ]);
    this.stop(job.jobId, 'abort');
    if (updated !== null) this.changed(job.jobId);
  }

  async delete(job: Job): Promise<void> {
    this.stop(job.jobId, 'deleted');
    await this.store.delete(job);
    await removeJobUploads(this.store.resultsDir, job.jobId);
    this.changed(job.jobId);
  }

  /**
   * Blocking WAIT (UWS 1.1 §2.2.1.2): returns at once when the job is not active or not in `phase`, else when its
   * phase changes or after `seconds` (capped by the server's limit; negative means the longest wait).
   */
  async waitFor(jobId: string, seconds: number, phase: UwsPhase | undefined): Promise<Job> {
    const cap = this.context.limits.asyncMaxWaitSeconds;
    const deadline = Date.now() + (seconds < 0 ? cap : Math.min(seconds, cap)) * 1000;
    let job = await this.store.require(jobId);
    const from = phase ?? job.phase;
    while (ACTIVE_PHASES.has(job.phase) && job.phase === from && Date.now() < deadline && !this.closing) {
      // The event covers this process; the poll covers another server process sharing a PostgreSQL store.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(1000, Math.max(0, deadline - Date.now())));
        const onChange = (id: string) => {
          if (id === jobId) done();
        };
        function done() {
          clearTimeout(timer);
          changes.off('change', onChange);
          changes.off('closed', done);
          resolve();
        }
        const changes = this.changes;
        changes.on('change', onChange);
        changes.on('closed', done);
      });
      job = await this.store.require(jobId);
    }
    return job;
  }

  /** Deletes the jobs past their destruction time, with their results. */
  async sweep(): Promise<number> {
    const expired = await this.store.expired(now());
    for (const job of expired) await this.delete(job);
    if (expired.length > 0)
      this.options.log.info({ deleted: expired.length }, 'async jobs past destruction deleted');
    return expired.length;
  }

  private changed(jobId: string): void {
    this.changes.emit('change', jobId);
  }

  private stop(jobId: string, reason: StopReason): void {
    const execution = this.executions.get(jobId);
    if (execution === undefined) {
      const queued = this.queue.indexOf(jobId);
      if (queued >= 0) this.queue.splice(queued, 1);
      return;
    }
    execution.reason ??= reason;
    execution.controller.abort(new Error(`async job stopped: ${reason}`));
  }

  private pump(): void {
    while (
      !this.closing &&
      this.executions.size < this.context.limits.asyncMaxRunning &&
      this.queue.length > 0
    ) {
      const jobId = this.queue.shift() as string;
      const controller = new AbortController();
      let settle!: () => void;
      const execution: Execution = { controller, reason: null, done: new Promise((r) => (settle = r)) };
      this.executions.set(jobId, execution);
      this.execute(jobId, execution)
        .catch((err) => this.options.log.error({ err, jobId }, 'async job bookkeeping failed'))
        .finally(() => {
          this.executions.delete(jobId);
          settle();
          this.changed(jobId);
          this.pump();
        });
    }
  }

  private async execute(jobId: string, execution: Execution): Promise<void> {
    const job = await this.store.update(jobId, { phase: 'EXECUTING', startTime: now() }, ['QUEUED']);
    if (job === null) return; // aborted or deleted while queued
    this.changed(jobId);
    const { signal } = execution.controller;
    // Counted with the sync queries: /health shows it, and the server's shutdown aborts it.
    this.context.running.add(execution.controller);
    const timer = setTimeout(() => {
      execution.reason ??= 'timeout';
      execution.controller.abort(new Error('execution duration exceeded'));
    }, job.executionDuration * 1000);
    timer.unref();
    const partPath = join(this.store.resultsDir, `${jobId}.part`);
    try {
      const outcome = await this.writeResult(job, partPath, signal);
      const finalName = `${jobId}.${outcome.extension}`;
      await rename(partPath, join(this.store.resultsDir, finalName));
      const done = await this.store.update(
        jobId,
        {
          phase: 'COMPLETED',
          endTime: now(),
          result: { file: finalName, mime: outcome.mime, rows: outcome.rows, overflow: outcome.overflow },
        },
        ['EXECUTING'],
      );
      // Aborted or deleted at the last moment: the result belongs to nobody.
      if (done === null) await rm(join(this.store.resultsDir, finalName), { force: true });
    } catch (err) {
      await rm(partPath, { force: true });
      // Aborted without a reason of ours: the server's shutdown hook stopped every running query.
      await this.recordFailure(job, execution.reason ?? (signal.aborted ? 'shutdown' : null), err);
    } finally {
      clearTimeout(timer);
      this.context.running.delete(execution.controller);
    }
  }

  private async recordFailure(job: Job, reason: StopReason | null, err: unknown): Promise<void> {
    if (reason === 'abort' || reason === 'deleted') return; // the phase is already ABORTED, or the job is gone
    if (reason === 'shutdown') {
      await this.store.update(job.jobId, { phase: 'QUEUED', startTime: null }, ['EXECUTING']);
      return;
    }
    const error =
      reason === 'timeout'
        ? meridianError(
            'QUERY_TIMEOUT',
            `the query ran longer than the job's execution duration of ${job.executionDuration} s and was cancelled`,
            { timeoutSeconds: job.executionDuration },
          )
        : err;
    const shown = publicError(error, `async job ${job.jobId}`);
    if (shown.status >= 500 && !isMeridianError(error)) {
      this.options.log.error({ err: error, jobId: job.jobId }, 'async job failed');
    }
    await this.store.update(
      job.jobId,
      { phase: 'ERROR', endTime: now(), error: { code: shown.code, message: shown.message } },
      ['EXECUTING'],
    );
  }

  /** Runs the query and writes its result in the requested format, as sync does (MAXREC, OVERFLOW). */
  private async writeResult(
    job: Job,
    path: string,
    signal: AbortSignal,
  ): Promise<{ extension: string; mime: string; rows: number; overflow: boolean }> {
    const params = new Map(Object.entries(job.parameters));
    const { query, responseFormat, maxrec } = syncQueryParameters(params, this.context.limits);
    const format = resultFormatFor(responseFormat);
    const uploads = await requestUploads(
      params,
      await loadJobUploads(this.store.resultsDir, job.jobId),
      this.context.limits,
      signal,
    );
    const stream = await this.context.catalog.stream(query, { signal, uploads });
    const iterator = stream.rows[Symbol.asyncIterator]();
    const file = await open(path, 'w');
    let writer: ResultWriter | null = null;
    try {
      const { fields, normalize } = resultShape(
        stream.columns,
        this.context.publishedColumns,
        this.context.publishedColumns.tablesOf(query),
      );
      writer = format.create(fields, { scratchDir: dirname(path) });
      await writeChunk(file, await writer.start());
      let sent = 0;
      let overflow = false;
      while (maxrec > 0) {
        const batch = await iterator.next();
        if (batch.done) break;
        const rows = batch.value as CellValue[][];
        normalize?.(rows);
        const room = maxrec - sent;
        if (rows.length > room) {
          if (room > 0) await writeChunk(file, await writer.rows(rows.slice(0, room)));
          sent = maxrec;
          overflow = true;
          break;
        }
        if (rows.length > 0) await writeChunk(file, await writer.rows(rows));
        sent += rows.length;
        if (sent === maxrec) {
          let next = await iterator.next();
          while (!next.done && next.value.length === 0) next = await iterator.next();
          overflow = !next.done;
          break;
        }
      }
      await writeChunk(file, (await writer.end({ overflow })) ?? '');
      await file.datasync();
      return {
        extension: format.id.startsWith('votable') ? 'xml' : format.id,
        mime: format.mime,
        rows: sent,
        overflow,
      };
    } finally {
      await file.close();
      await writer?.close?.();
      try {
        await iterator.return?.();
      } catch {
        // The stream already failed or was cancelled; nothing is left to release.
      }
    }
  }
}
