/**
 * The persisted store of TAP async jobs (UWS 1.1): one row per job in a `src/db` database (SQLite next to the catalog
 * by default, PostgreSQL when configured) and the result files in a directory beside it. Times are ISO 8601 UTC
 * strings with milliseconds (`Date.toISOString()`), which sort as text on both back ends.
 *
 * The store only records; `JobRunner` decides phases and writes results.
 */

import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type DatabaseConfigInput,
  databaseOrDefaultFile,
  defineSchemaComponent,
  migrate,
  openDatabase,
  type SqlDatabase,
  toNumber,
} from '../../db/index.js';
import { meridianError } from '../../errors.js';

/** UWS 1.1 execution phases (UWS.xsd ExecutionPhase). */
export const UWS_PHASES = [
  'PENDING',
  'QUEUED',
  'EXECUTING',
  'COMPLETED',
  'ERROR',
  'ABORTED',
  'UNKNOWN',
  'HELD',
  'SUSPENDED',
  'ARCHIVED',
] as const;
export type UwsPhase = (typeof UWS_PHASES)[number];

/** Phases a job never leaves by itself. */
export const FINAL_PHASES: ReadonlySet<UwsPhase> = new Set(['COMPLETED', 'ERROR', 'ABORTED', 'ARCHIVED']);

export interface JobResult {
  /** File name inside the results directory. */
  readonly file: string;
  readonly mime: string;
  readonly rows: number;
  readonly overflow: boolean;
}

export interface JobError {
  readonly code: string;
  readonly message: string;
}

export interface Job {
  readonly jobId: string;
  readonly runId: string | null;
  readonly ownerId: string | null;
  readonly phase: UwsPhase;
  readonly creationTime: string;
  readonly startTime: string | null;
  readonly endTime: string | null;
  /** Seconds; 0 means unlimited (UWS), which this service never grants. */
  readonly executionDuration: number;
  readonly destruction: string;
  /** TAP parameters as given (lower-case names). */
  readonly parameters: Readonly<Record<string, string>>;
  readonly result: JobResult | null;
  readonly error: JobError | null;
}

export interface JobListFilter {
  readonly phases?: readonly UwsPhase[];
  /** Only jobs created after this ISO time. */
  readonly after?: string;
  /** Only the most recent `last` jobs, newest first. */
  readonly last?: number;
  /** Only this owner's jobs (null: anonymous jobs). */
  readonly ownerId?: string | null;
}

const TABLE = 'tap_async_job';

export const jobStoreSchema = defineSchemaComponent<void>({
  name: 'tap_async_jobs',
  label: 'TAP job store',
  migrations: [
    {
      version: 1,
      description: 'TAP async jobs (UWS 1.1)',
      async up(db) {
        await db.schema
          .createTable(TABLE)
          .addColumn('job_id', 'varchar(64)', (c) => c.primaryKey())
          .addColumn('run_id', 'text')
          .addColumn('owner_id', 'text')
          .addColumn('phase', 'varchar(16)', (c) => c.notNull())
          .addColumn('creation_time', 'varchar(32)', (c) => c.notNull())
          .addColumn('start_time', 'varchar(32)')
          .addColumn('end_time', 'varchar(32)')
          .addColumn('execution_duration', 'integer', (c) => c.notNull())
          .addColumn('destruction', 'varchar(32)', (c) => c.notNull())
          .addColumn('parameters', 'text', (c) => c.notNull())
          .addColumn('result_file', 'text')
          .addColumn('result_mime', 'text')
          .addColumn('result_rows', 'bigint')
          .addColumn('result_overflow', 'integer')
          .addColumn('error_code', 'text')
          .addColumn('error_message', 'text')
          .execute();
        await db.schema.createIndex(`${TABLE}_creation_idx`).on(TABLE).column('creation_time').execute();
        await db.schema.createIndex(`${TABLE}_destruction_idx`).on(TABLE).column('destruction').execute();
      },
    },
    {
      version: 2,
      description:
        'job owners: an index for per-user lists and counts; jobs made before auth belong to anonymous',
      async up(db) {
        await db.schema.createIndex(`${TABLE}_owner_idx`).on(TABLE).columns(['owner_id', 'phase']).execute();
        await db.updateTable(TABLE).set({ owner_id: 'anonymous' }).where('owner_id', 'is', null).execute();
      },
    },
  ],
});

type Row = Record<string, any>;

function jobFromRow(row: Row): Job {
  return Object.freeze({
    jobId: row.job_id,
    runId: row.run_id ?? null,
    ownerId: row.owner_id ?? null,
    phase: row.phase as UwsPhase,
    creationTime: row.creation_time,
    startTime: row.start_time ?? null,
    endTime: row.end_time ?? null,
    executionDuration: toNumber(row.execution_duration),
    destruction: row.destruction,
    parameters: Object.freeze(JSON.parse(row.parameters) as Record<string, string>),
    result:
      row.result_file == null
        ? null
        : Object.freeze({
            file: row.result_file,
            mime: row.result_mime,
            rows: toNumber(row.result_rows),
            overflow: toNumber(row.result_overflow) === 1,
          }),
    error:
      row.error_code == null ? null : Object.freeze({ code: row.error_code, message: row.error_message }),
  });
}

/** Column values of the fields of a job that change after creation. */
export interface JobUpdate {
  readonly phase?: UwsPhase;
  readonly startTime?: string | null;
  readonly endTime?: string | null;
  readonly executionDuration?: number;
  readonly destruction?: string;
  readonly parameters?: Readonly<Record<string, string>>;
  readonly result?: JobResult | null;
  readonly error?: JobError | null;
}

function updateColumns(update: JobUpdate): Row {
  const out: Row = {};
  if (update.phase !== undefined) out.phase = update.phase;
  if (update.startTime !== undefined) out.start_time = update.startTime;
  if (update.endTime !== undefined) out.end_time = update.endTime;
  if (update.executionDuration !== undefined) out.execution_duration = update.executionDuration;
  if (update.destruction !== undefined) out.destruction = update.destruction;
  if (update.parameters !== undefined) out.parameters = JSON.stringify(update.parameters);
  if (update.result !== undefined) {
    out.result_file = update.result?.file ?? null;
    out.result_mime = update.result?.mime ?? null;
    out.result_rows = update.result?.rows ?? null;
    out.result_overflow = update.result === null ? null : update.result.overflow ? 1 : 0;
  }
  if (update.error !== undefined) {
    out.error_code = update.error?.code ?? null;
    out.error_message = update.error?.message ?? null;
  }
  return out;
}

export interface JobStoreOptions {
  /**
   * The database: a `src/db` URL or config object, or a bare SQLite file path; default SQLite `tap-jobs.sqlite3`
   * in `defaultDir`.
   */
  readonly database?: DatabaseConfigInput | string;
  /** Where result files live; default `tap-results` in `defaultDir`. */
  readonly resultsDir?: string;
  /** The directory of the defaults (the catalog directory). */
  readonly defaultDir: string;
}

export class JobStore {
  private constructor(
    private readonly database: SqlDatabase,
    /** Absolute directory of the result files. */
    readonly resultsDir: string,
  ) {}

  static async open(options: JobStoreOptions): Promise<JobStore> {
    const dir = resolve(options.defaultDir);
    const config = databaseOrDefaultFile(options.database, dir, 'tap-jobs.sqlite3');
    const database = await openDatabase(config, {
      create: true,
      purpose: 'TAP job store',
      baseDir: dir,
    });
    try {
      await migrate(database, jobStoreSchema, undefined);
    } catch (err) {
      await database.close();
      throw err;
    }
    return new JobStore(database, resolve(options.resultsDir ?? join(dir, 'tap-results')));
  }

  async close(): Promise<void> {
    await this.database.close();
  }

  async create(job: Job): Promise<void> {
    await this.database.db
      .insertInto(TABLE)
      .values({
        job_id: job.jobId,
        run_id: job.runId,
        owner_id: job.ownerId,
        creation_time: job.creationTime,
        ...updateColumns({ ...job, result: job.result, error: job.error }),
      })
      .execute();
  }

  async get(jobId: string): Promise<Job | null> {
    const row = await this.database.db
      .selectFrom(TABLE)
      .selectAll()
      .where('job_id', '=', jobId)
      .executeTakeFirst();
    return row ? jobFromRow(row) : null;
  }

  /** The job, or UWS_JOB_NOT_FOUND (404). */
  async require(jobId: string): Promise<Job> {
    const job = await this.get(jobId);
    if (job === null) throw jobNotFound(jobId);
    return job;
  }

  /**
   * Applies `update` when the job is in one of `fromPhases` (all phases when omitted); returns the updated job, or
   * null when the job is gone or in another phase (a concurrent change won).
   */
  async update(jobId: string, update: JobUpdate, fromPhases?: readonly UwsPhase[]): Promise<Job | null> {
    let query = this.database.db.updateTable(TABLE).set(updateColumns(update)).where('job_id', '=', jobId);
    if (fromPhases !== undefined) query = query.where('phase', 'in', fromPhases);
    const result = await query.executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return null;
    return this.get(jobId);
  }

  async list(filter: JobListFilter = {}): Promise<Job[]> {
    let query = this.database.db.selectFrom(TABLE).selectAll();
    if (filter.phases !== undefined && filter.phases.length > 0)
      query = query.where('phase', 'in', filter.phases);
    // UWS 1.1 §2.2.1.1: ARCHIVED jobs are listed only when asked for by PHASE.
    else query = query.where('phase', '<>', 'ARCHIVED');
    if (filter.after !== undefined) query = query.where('creation_time', '>', filter.after);
    if (filter.ownerId !== undefined) {
      query =
        filter.ownerId === null
          ? query.where('owner_id', 'is', null)
          : query.where('owner_id', '=', filter.ownerId);
    }
    if (filter.last !== undefined) {
      query = query.orderBy('creation_time', 'desc').orderBy('job_id').limit(filter.last);
    } else {
      query = query.orderBy('creation_time', 'asc').orderBy('job_id');
    }
    return (await query.execute()).map(jobFromRow);
  }

  /** How many jobs match (ARCHIVED ones only when asked for by phase), e.g. one owner's jobs for the per-user limit. */
  async count(filter: Pick<JobListFilter, 'phases' | 'ownerId'> = {}): Promise<number> {
    let query = this.database.db.selectFrom(TABLE).select((eb) => eb.fn.countAll().as('n'));
    if (filter.phases !== undefined && filter.phases.length > 0)
      query = query.where('phase', 'in', filter.phases);
    else query = query.where('phase', '<>', 'ARCHIVED');
    if (filter.ownerId !== undefined) {
      query =
        filter.ownerId === null
          ? query.where('owner_id', 'is', null)
          : query.where('owner_id', '=', filter.ownerId);
    }
    const row = await query.executeTakeFirstOrThrow();
    return toNumber(row.n);
  }

  async inPhases(phases: readonly UwsPhase[]): Promise<Job[]> {
    return this.list({ phases });
  }

  /** Jobs whose destruction time is at or before `now`. */
  async expired(now: string): Promise<Job[]> {
    const rows = await this.database.db
      .selectFrom(TABLE)
      .selectAll()
      .where('destruction', '<=', now)
      .execute();
    return rows.map(jobFromRow);
  }

  /** Deletes the job's row and its result file (the row first: a listed job always has its file). */
  async delete(job: Job): Promise<void> {
    await this.database.db.deleteFrom(TABLE).where('job_id', '=', job.jobId).execute();
    if (job.result !== null) rmSync(join(this.resultsDir, job.result.file), { force: true });
  }
}

export function jobNotFound(jobId: string): Error {
  return meridianError(
    'UWS_JOB_NOT_FOUND',
    `no async job ${JSON.stringify(jobId.slice(0, 64))}; it may have passed its destruction time or been deleted`,
    { jobId: jobId.slice(0, 64) },
  );
}
