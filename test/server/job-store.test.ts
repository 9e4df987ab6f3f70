/** The TAP async job store's contract, on SQLite and (with MERIDIAN_TEST_POSTGRES) PostgreSQL. */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Job, JobStore } from '../../src/server/jobs/store.js';
import { describePostgres, requirePostgresUrl, uniqueName } from '../support/postgres.js';

function job(id: string, creationTime: string, extra: Partial<Job> = {}): Job {
  return {
    jobId: id,
    runId: null,
    ownerId: null,
    phase: 'PENDING',
    creationTime,
    startTime: null,
    endTime: null,
    executionDuration: 60,
    destruction: '2099-01-01T00:00:00.000Z',
    parameters: { lang: 'ADQL', query: 'SELECT 1' },
    result: null,
    error: null,
    ...extra,
  };
}

function jobStoreContract(open: (dir: string) => Promise<JobStore>): void {
  let dir: string;
  let store: JobStore;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meridian-job-store-'));
    store = await open(dir);
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates, reads and updates a job, guarding updates by phase', async () => {
    await store.create(job('a1', '2026-01-01T00:00:00.000Z', { runId: 'r', ownerId: 'ann' }));
    const read = await store.require('a1');
    expect(read).toMatchObject({
      jobId: 'a1',
      runId: 'r',
      ownerId: 'ann',
      phase: 'PENDING',
      executionDuration: 60,
    });
    expect(read.parameters).toEqual({ lang: 'ADQL', query: 'SELECT 1' });
    expect(await store.update('a1', { phase: 'EXECUTING' }, ['QUEUED'])).toBeNull();
    const updated = await store.update(
      'a1',
      {
        phase: 'COMPLETED',
        endTime: '2026-01-01T00:00:01.000Z',
        result: { file: 'a1.csv', mime: 'text/csv', rows: 3, overflow: true },
      },
      ['PENDING'],
    );
    expect(updated?.phase).toBe('COMPLETED');
    expect(updated?.result).toEqual({ file: 'a1.csv', mime: 'text/csv', rows: 3, overflow: true });
    await store.update('a1', { error: { code: 'X', message: 'boom' } });
    expect((await store.require('a1')).error).toEqual({ code: 'X', message: 'boom' });
    expect(await store.get('missing')).toBeNull();
    await expect(store.require('missing')).rejects.toMatchObject({ code: 'UWS_JOB_NOT_FOUND' });
  });

  it('lists by phase, creation time and LAST; finds expired jobs; deletes a job with its result file', async () => {
    await store.create(job('b1', '2026-02-01T00:00:00.000Z', { destruction: '2026-02-02T00:00:00.000Z' }));
    await store.create(job('b2', '2026-03-01T00:00:00.000Z', { phase: 'ABORTED' }));
    await store.create(job('b3', '2026-04-01T00:00:00.000Z', { phase: 'ARCHIVED' }));
    expect((await store.list()).map((j) => j.jobId)).toEqual(['a1', 'b1', 'b2']);
    expect((await store.list({ phases: ['ABORTED', 'ARCHIVED'] })).map((j) => j.jobId)).toEqual(['b2', 'b3']);
    expect((await store.list({ after: '2026-01-15T00:00:00.000Z' })).map((j) => j.jobId)).toEqual([
      'b1',
      'b2',
    ]);
    expect((await store.list({ last: 2 })).map((j) => j.jobId)).toEqual(['b2', 'b1']);
    expect((await store.list({ ownerId: 'ann' })).map((j) => j.jobId)).toEqual(['a1']);
    expect((await store.expired('2026-06-01T00:00:00.000Z')).map((j) => j.jobId)).toEqual(['b1']);

    const a1 = await store.require('a1');
    writeFileSync(join(store.resultsDir, 'a1.csv'), 'x\n', { flag: 'w' });
    await store.delete(a1);
    expect(await store.get('a1')).toBeNull();
  });
}

describe('job store on SQLite', () => {
  jobStoreContract(async (dir) => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'tap-results'), { recursive: true });
    return JobStore.open({ defaultDir: dir });
  });
});

describePostgres('job store on PostgreSQL', () => {
  jobStoreContract(async (dir) => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'results'), { recursive: true });
    const url = new URL(requirePostgresUrl());
    url.searchParams.set('schema', uniqueName('uws_jobs'));
    return JobStore.open({ defaultDir: dir, database: url.toString(), resultsDir: join(dir, 'results') });
  });
});
