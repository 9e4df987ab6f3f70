import { afterEach, describe, expect, it } from 'vitest';
import { verifyRepository } from '../../../src/butler/index.js';
import {
  aggregateGraph,
  executeGraph,
  executionSummaryLine,
  type ProvenanceRecord,
  reportGraph,
} from '../../../src/pipe/index.js';
import { postgresEnabled, requirePostgresUrl } from '../../support/postgres.js';
import { buildSource, chainEntries, makeRepo, TESTING_TASKS, type TestRepo } from './fixture.js';

let repo: TestRepo | undefined;
afterEach(async () => {
  await repo?.cleanup();
  repo = undefined;
});

const backends: { name: string; postgresUrl: string | null }[] = [{ name: 'SQLite', postgresUrl: null }];
if (postgresEnabled('pipe execution on PostgreSQL'))
  backends.push({ name: 'PostgreSQL', postgresUrl: requirePostgresUrl() });

describe.each(backends)('executeGraph + aggregateGraph ($name)', ({ postgresUrl }) => {
  it('runs a two-task graph on two worker processes, merges it, and the registry holds outputs and provenance', async () => {
    repo = await makeRepo({ detectors: 3, postgresUrl });
    const source = await buildSource(repo.butler, chainEntries(), { output: 'u/test/chain' });
    const progress: number[] = [];
    const summary = await executeGraph(source, {
      repo: repo.root,
      taskModules: [TESTING_TASKS],
      processes: 2,
      onProgress: (p) => progress.push(p.done),
    });
    expect(summary).toMatchObject({ total: 4, succeeded: 4, failed: 0, blocked: 0, skipped: 0 });
    expect(executionSummaryLine(summary)).toBe(
      'Executed 4 quanta successfully, 0 failed and 0 blocked out of 4',
    );
    expect(progress.at(-1)).toBe(4);

    // Nothing is in the registry before the merge: jobs never write it.
    const run = source.header.outputRun;
    await expect(repo.butler.registry.getCollectionType(run)).rejects.toMatchObject({
      code: 'COLLECTION_UNKNOWN',
    });

    const merged = await aggregateGraph(repo.butler, source);
    // 4 quanta × (output, metadata, log) + 2 configs.
    expect(merged).toMatchObject({
      quantaMerged: 6,
      quantaNotMerged: 0,
      datasetsInserted: 14,
      datasetsAlreadyPresent: 0,
    });
    const b = repo.butler;
    for (let d = 1; d <= 3; d++) {
      expect(await b.get('add_output', { instrument: 'Cam', detector: d }, { collections: [run] })).toEqual({
        value: d + 1,
      });
    }
    // sum = (2 + 3 + 4) + addend 0.
    expect(await b.get('sum_output', { instrument: 'Cam' }, { collections: ['u/test/chain'] })).toEqual({
      value: 9,
    });
    expect(await b.registry.getCollectionChain('u/test/chain')).toEqual([run, 'inputs/run']);
    const config = await b.get('add_config', {}, { collections: [run] });
    expect(config).toMatchObject({ addend: 1, dimensions: ['instrument', 'detector'] });

    const md = (await b.get(
      'sum_metadata',
      { instrument: 'Cam' },
      { collections: [run] },
    )) as ProvenanceRecord;
    expect(md).toMatchObject({
      label: 'sum',
      taskName: 'meridian.pipe.testing.AddTask',
      status: 'succeeded',
    });
    expect(md.inputsUsed).toHaveLength(3);
    expect(md.outputsWritten).toHaveLength(3);
    expect(md.metadata).toEqual({ inputCount: 3 });
    expect(md.peakRssBytes).toBeGreaterThan(1e6);
    expect(md.configHash).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(md.end)).toBeGreaterThanOrEqual(Date.parse(md.start));
    const log = (await b.get('sum_log', { instrument: 'Cam' }, { collections: [run] })) as {
      message: string;
    }[];
    expect(log[0]!.message).toMatch(/^running sum/);

    const verify = await verifyRepository(b);
    expect(verify.problems).toEqual([]);

    // The merge is idempotent.
    const again = await aggregateGraph(b, source);
    expect(again).toMatchObject({ datasetsInserted: 0, datasetsAlreadyPresent: 14 });
    expect((await verifyRepository(b)).problems).toEqual([]);

    const report = await reportGraph(source, repo.root);
    expect(
      report.tasks.map((t) => [t.label, t.expected, t.succeeded, t.failed, t.blocked, t.unknown]),
    ).toEqual([
      ['add', 3, 3, 0, 0, 0],
      ['sum', 1, 1, 0, 0, 0],
    ]);
  }, 60_000);

  it('refuses to run again into the same run without --skip-existing, and skips everything with it', async () => {
    repo = await makeRepo({ detectors: 2, postgresUrl });
    const source = await buildSource(repo.butler, chainEntries());
    const opts = { repo: repo.root, taskModules: [TESTING_TASKS] };
    await executeGraph(source, opts);
    await expect(executeGraph(source, opts)).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
    const again = await executeGraph(source, { ...opts, skipExisting: true });
    expect(again).toMatchObject({ total: 3, skipped: 3, succeeded: 0 });
    const report = await reportGraph(source, repo.root, { execution: again });
    expect(report.tasks.map((t) => t.skipped)).toEqual([2, 1]);
    const extended = await executeGraph(source, { ...opts, extendRun: true });
    expect(extended.skipped).toBe(3);
  }, 60_000);
});
