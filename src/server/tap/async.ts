/**
 * TAP-async (TAP 1.1 §2.2.2) as a UWS 1.1 job list under `/api/tap/async`: create (303 to the job), the job document
 * with blocking WAIT, PHASE=RUN|ABORT, DELETE and ACTION=DELETE (303 to the list), the job's small resources
 * (phase, quote, executionduration, destruction, owner, parameters, results, error) and `results/result`.
 * Jobs live in a `JobStore` opened when the app starts and closed with it; `JobRunner` executes them.
 * Each job belongs to the user who created it (`anonymous` without a token): lists show the caller's jobs only, and
 * another user's job is 404 like a job that does not exist, so job ids cannot be probed.
 */

import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DatabaseConfigInput } from '../../db/index.js';
import { meridianError } from '../../errors.js';
import { writeVOTableError } from '../../formats/index.js';
import type { UserLimits } from '../auth/limits.js';
import { principalOf } from '../auth/plugin.js';
import { votableErrorHandler } from '../http-errors.js';
import { JOB_PARAMETERS, JobRunner } from '../jobs/runner.js';
import { type Job, JobStore, jobNotFound, UWS_PHASES, type UwsPhase } from '../jobs/store.js';
import { jobDocument, jobListDocument, parametersDocument, resultsDocument } from '../jobs/uws-xml.js';
import type { TapContext } from './context.js';
import { caseInsensitive, type RawParameters } from './params.js';
import { readTapRequest, saveJobUploads } from './upload.js';

const XML = 'text/xml; charset=utf-8';
const TEXT = 'text/plain; charset=utf-8';
const VOTABLE = 'application/x-votable+xml';

export interface AsyncJobOptions {
  /** The job database: a `src/db` URL or config; default SQLite `tap-jobs.sqlite3` in the catalog directory. */
  readonly database?: DatabaseConfigInput | string;
  /** Directory of result files; default `tap-results` in the catalog directory. */
  readonly resultsDir?: string;
  /** Milliseconds between sweeps for jobs past their destruction time (default 60,000). */
  readonly sweepIntervalMs?: number;
}

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

function parametersOf(request: FastifyRequest): Map<string, string> {
  return caseInsensitive(request.body as RawParameters | undefined, request.query as RawParameters);
}

function uwsError(message: string, details: Record<string, unknown> = {}): Error {
  return meridianError('UWS_PHASE', message, details);
}

/** ISO 8601 in UTC with milliseconds; a time given without a zone is UTC (UWS uses UTC throughout). */
function isoTime(value: string, parameter: string): string {
  const trimmed = value.trim();
  const zoned = /([zZ]|[+-]\d\d:?\d\d)$/.test(trimmed) ? trimmed : `${trimmed}Z`;
  const time = /^\d{4}-\d\d-\d\d(T[\d:.]+)?/.test(trimmed) ? Date.parse(zoned) : Number.NaN;
  if (Number.isNaN(time)) {
    throw meridianError(
      'TAP_PARAMETER',
      `${parameter} must be an ISO 8601 time such as 2026-01-31T12:00:00Z`,
      {
        parameter,
      },
    );
  }
  return new Date(time).toISOString();
}

function wantedPhase(value: string | undefined): UwsPhase | undefined {
  if (value === undefined) return undefined;
  const phase = value.trim().toUpperCase();
  if (!(UWS_PHASES as readonly string[]).includes(phase)) {
    throw uwsError(`PHASE=${value.slice(0, 30)} is not a UWS phase; use one of ${UWS_PHASES.join(', ')}`);
  }
  return phase as UwsPhase;
}

function jobParameters(params: ReadonlyMap<string, string>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of JOB_PARAMETERS) {
    const value = params.get(name);
    if (value !== undefined) kept[name] = value;
  }
  return kept;
}

/**
 * `shutdown` aborts when the server starts closing: jobs stop and blocked WAITs answer before responses are awaited.
 * `userLimits` bounds each user's kept jobs and running queries.
 */
export function asyncRoutes(
  context: TapContext,
  options: AsyncJobOptions,
  shutdown: AbortSignal | undefined,
  userLimits: UserLimits,
) {
  return async function registerAsync(app: FastifyInstance): Promise<void> {
    const store = await JobStore.open({
      database: options.database,
      resultsDir: options.resultsDir,
      defaultDir: context.catalog.dir,
    });
    const runner = new JobRunner(store, context, { sweepIntervalMs: options.sweepIntervalMs, log: app.log });
    try {
      await runner.start();
    } catch (err) {
      await store.close();
      throw err;
    }
    shutdown?.addEventListener('abort', () => void runner.close(), { once: true });
    app.addHook('preClose', async () => runner.close());
    app.addHook('onClose', async () => store.close());

    app.setErrorHandler(votableErrorHandler('UWS request'));
    userLimits.addQueryCounter((user) => store.count({ ownerId: user, phases: ['QUEUED', 'EXECUTING'] }));

    const scoped = { config: { scope: 'read:tap' } } as const;
    const owner = (request: FastifyRequest) => principalOf(request).user;
    /** PHASE=RUN of a PENDING job starts a query: it needs one of the owner's query slots. */
    const run = async (request: FastifyRequest, found: Job) => {
      if (found.phase === 'PENDING') await userLimits.checkQuerySlot(owner(request));
      await runner.run(found);
    };

    const listUrl = (request: FastifyRequest) => `${context.serviceUrl(request)}/async`;
    const jobUrl = (request: FastifyRequest, id: string) => `${listUrl(request)}/${id}`;
    const job = async (request: IdRequest) => {
      const found = await store.require(request.params.id);
      if (found.ownerId !== owner(request)) throw jobNotFound(request.params.id);
      return found;
    };
    const toJob = (request: IdRequest, reply: FastifyReply) =>
      reply.redirect(jobUrl(request, request.params.id), 303);
    const text = (reply: FastifyReply, value: string) => reply.header('content-type', TEXT).send(value);
    const pendingOnly = (found: Job, what: string) => {
      if (found.phase !== 'PENDING') {
        throw uwsError(
          `${what} can be changed only while the job is PENDING; job ${found.jobId} is ${found.phase}`,
          {
            phase: found.phase,
          },
        );
      }
    };

    app.get('/', scoped, async (request, reply) => {
      const query = request.query as RawParameters;
      const phases = (
        Array.isArray(query.PHASE) ? query.PHASE : query.PHASE === undefined ? [] : [query.PHASE]
      )
        .concat(Array.isArray(query.phase) ? query.phase : query.phase === undefined ? [] : [query.phase])
        .map((p) => wantedPhase(p as string) as UwsPhase);
      const params = caseInsensitive(query);
      const after = params.get('after');
      const last = params.get('last');
      if (last !== undefined && !/^\s*\d{1,9}\s*$/.test(last)) {
        throw meridianError('TAP_PARAMETER', 'LAST must be a non-negative integer', { parameter: 'LAST' });
      }
      const jobs = await store.list({
        ownerId: owner(request),
        phases,
        ...(after === undefined ? {} : { after: isoTime(after, 'AFTER') }),
        ...(last === undefined ? {} : { last: Number(last) }),
      });
      return reply.header('content-type', XML).send(jobListDocument(jobs, listUrl(request)));
    });

    app.post('/', scoped, async (request, reply) => {
      const { params, parts } = await readTapRequest(request, context.limits);
      const user = owner(request);
      const runNow = params.get('phase')?.trim().toUpperCase() === 'RUN';
      // Both limits before the job exists: a refused request leaves nothing behind.
      userLimits.checkJobsKept(user, await store.count({ ownerId: user }));
      if (runNow) await userLimits.checkQuerySlot(user);
      const created = await runner.create(jobParameters(params), user);
      await saveJobUploads(store.resultsDir, created.jobId, parts);
      if (runNow) await runner.run(created);
      return reply.redirect(jobUrl(request, created.jobId), 303);
    });

    app.get('/:id', scoped, async (request: IdRequest, reply) => {
      const params = caseInsensitive(request.query as RawParameters);
      const wait = params.get('wait');
      let found: Job;
      if (wait === undefined) {
        found = await job(request);
      } else {
        if (!/^\s*-?\d{1,9}\s*$/.test(wait)) {
          throw meridianError('TAP_PARAMETER', 'WAIT must be a whole number of seconds', {
            parameter: 'WAIT',
          });
        }
        // The owner check first: WAIT on another user's job is 404 at once, like any other request for it.
        await job(request);
        found = await runner.waitFor(request.params.id, Number(wait), wantedPhase(params.get('phase')));
      }
      return reply.header('content-type', XML).send(jobDocument(found, jobUrl(request, found.jobId)));
    });

    app.delete('/:id', scoped, async (request: IdRequest, reply) => {
      await runner.delete(await job(request));
      return reply.redirect(listUrl(request), 303);
    });

    app.post('/:id', scoped, async (request: IdRequest, reply) => {
      const found = await job(request);
      const params = parametersOf(request);
      const action = params.get('action');
      if (action !== undefined) {
        if (action.trim().toUpperCase() !== 'DELETE') {
          throw uwsError(`ACTION=${action.slice(0, 30)} is not supported; the only ACTION is DELETE`);
        }
        await runner.delete(found);
        return reply.redirect(listUrl(request), 303);
      }
      const updated = jobParameters(params);
      if (Object.keys(updated).length === 0) {
        throw uwsError('POST to a job takes ACTION=DELETE or TAP parameters (while PENDING)');
      }
      pendingOnly(found, 'parameters');
      await store.update(found.jobId, { parameters: { ...found.parameters, ...updated } }, ['PENDING']);
      return toJob(request, reply);
    });

    app.get('/:id/phase', scoped, async (request: IdRequest, reply) =>
      text(reply, (await job(request)).phase),
    );
    app.post('/:id/phase', scoped, async (request: IdRequest, reply) => {
      const found = await job(request);
      const phase = parametersOf(request).get('phase')?.trim().toUpperCase();
      if (phase === 'RUN') await run(request, found);
      else if (phase === 'ABORT') await runner.abort(found);
      else throw uwsError('PHASE must be RUN or ABORT', { phase: phase?.slice(0, 30) ?? null });
      return toJob(request, reply);
    });

    app.get('/:id/quote', scoped, async (request: IdRequest, reply) => {
      await job(request);
      // UWS 1.1: an empty quote means the service cannot estimate when the job will finish.
      return text(reply, '');
    });

    app.get('/:id/executionduration', scoped, async (request: IdRequest, reply) =>
      text(reply, String((await job(request)).executionDuration)),
    );
    app.post('/:id/executionduration', scoped, async (request: IdRequest, reply) => {
      const found = await job(request);
      const value = parametersOf(request).get('executionduration');
      if (value === undefined || !/^\s*\d{1,9}\s*$/.test(value)) {
        throw meridianError('TAP_PARAMETER', 'EXECUTIONDURATION must be a whole number of seconds', {
          parameter: 'EXECUTIONDURATION',
        });
      }
      pendingOnly(found, 'the execution duration');
      const hard = context.limits.asyncExecutionDurationSeconds;
      // 0 asks for "unlimited", which this service never grants: it gets the limit.
      const seconds = Number(value) === 0 ? hard : Math.min(Number(value), hard);
      await store.update(found.jobId, { executionDuration: seconds }, ['PENDING']);
      return toJob(request, reply);
    });

    app.get('/:id/destruction', scoped, async (request: IdRequest, reply) =>
      text(reply, (await job(request)).destruction),
    );
    app.post('/:id/destruction', scoped, async (request: IdRequest, reply) => {
      const found = await job(request);
      const value = parametersOf(request).get('destruction');
      if (value === undefined) {
        throw meridianError('TAP_PARAMETER', 'DESTRUCTION is required: an ISO 8601 time', {
          parameter: 'DESTRUCTION',
        });
      }
      const latest = Date.parse(found.creationTime) + context.limits.asyncRetentionHardSeconds * 1000;
      const wanted = Math.min(Date.parse(isoTime(value, 'DESTRUCTION')), latest);
      await store.update(found.jobId, { destruction: new Date(wanted).toISOString() });
      return toJob(request, reply);
    });

    app.get('/:id/owner', scoped, async (request: IdRequest, reply) =>
      text(reply, (await job(request)).ownerId ?? ''),
    );

    app.get('/:id/parameters', scoped, async (request: IdRequest, reply) =>
      reply.header('content-type', XML).send(parametersDocument(await job(request))),
    );
    app.post('/:id/parameters', scoped, async (request: IdRequest, reply) => {
      const found = await job(request);
      pendingOnly(found, 'parameters');
      const updated = jobParameters(parametersOf(request));
      await store.update(found.jobId, { parameters: { ...found.parameters, ...updated } }, ['PENDING']);
      return toJob(request, reply);
    });

    app.get('/:id/results', scoped, async (request: IdRequest, reply) => {
      const found = await job(request);
      return reply.header('content-type', XML).send(resultsDocument(found, jobUrl(request, found.jobId)));
    });

    app.get('/:id/results/result', scoped, async (request: IdRequest, reply) => {
      const found = await job(request);
      if (found.result === null) {
        throw meridianError(
          'UWS_JOB_NOT_FOUND',
          `job ${found.jobId} has no result: it is ${found.phase}${found.phase === 'ERROR' ? ' (see its error resource)' : ''}`,
          { jobId: found.jobId, phase: found.phase },
        );
      }
      const extension = found.result.file.slice(found.result.file.lastIndexOf('.') + 1);
      return reply
        .header('content-type', found.result.mime)
        .header('content-disposition', `inline; filename="result.${extension}"`)
        .send(createReadStream(join(store.resultsDir, found.result.file)));
    });

    app.get('/:id/error', scoped, async (request: IdRequest, reply) => {
      const found = await job(request);
      if (found.error === null) {
        throw uwsError(`job ${found.jobId} has no error: it is ${found.phase}`, { phase: found.phase });
      }
      // TAP 1.1 §2.2.2: the error document of an async job is served with status 200.
      return reply
        .header('content-type', VOTABLE)
        .send(writeVOTableError(found.error.message, [{ name: 'ERROR_CODE', value: found.error.code }]));
    });

    // Unknown sub-resources of a job are 404 like unknown jobs.
    app.get('/:id/*', scoped, async (request: IdRequest) => {
      await job(request);
      throw jobNotFound(`${request.params.id}/${(request.params as Record<string, string>)['*']}`);
    });
  };
}
