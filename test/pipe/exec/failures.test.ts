import { afterEach, describe, expect, it } from 'vitest';
import { verifyRepository } from '../../../src/butler/index.js';
import { aggregateGraph, executeGraph, reportGraph, type TaskEntry } from '../../../src/pipe/index.js';
import { buildSource, makeRepo, TESTING_TASKS, type TestRepo } from './fixture.js';

let repo: TestRepo | undefined;
afterEach(async () => {
  await repo?.cleanup();
  repo = undefined;
});

/** For each failure mode: a per-detector task failing on detector 1 and a downstream sum over all detectors. */
function failingPipeline(modes: readonly string[]): TaskEntry[] {
  return modes.flatMap((mode) => [
    {
      label: `${mode}_add`,
      taskName: 'meridian.pipe.testing.AddTask',
      config: {
        failure: { mode, where: { detector: 1 } },
        connections: { outputName: `${mode}_out` },
      },
    },
    {
      label: `${mode}_sum`,
      taskName: 'meridian.pipe.testing.AddTask',
      config: {
        dimensions: ['instrument'],
        inputDimensions: ['instrument', 'detector'],
        inputMultiple: true,
        connections: { inputName: `${mode}_out`, outputName: `${mode}_total` },
      },
    },
  ]);
}

describe('failed quanta in worker processes', () => {
  it('a task that throws, exits, exceeds its memory or hangs fails with its message; descendants are blocked; the rest run and merge', async () => {
    repo = await makeRepo({ detectors: 2 });
    const source = await buildSource(repo.butler, failingPipeline(['throw', 'exit', 'memory', 'hang']));
    const summary = await executeGraph(source, {
      repo: repo.root,
      taskModules: [TESTING_TASKS],
      processes: 2,
      timeoutSeconds: 8,
      memoryPerQuantumBytes: 768 * 1024 ** 2,
    });
    expect(summary).toMatchObject({ total: 12, succeeded: 4, failed: 4, blocked: 4, notRun: 0 });
    const failed = Object.fromEntries(
      summary.quanta.filter((q) => q.status === 'failed').map((q) => [q.label, q.message]),
    );
    expect(failed.throw_add).toMatch(/test failure requested/);
    expect(failed.exit_add).toMatch(/exited with status 3/);
    expect(failed.memory_add).toMatch(/exceeded its memory limit: resident size .* > 768\.0 MiB/);
    expect(failed.hang_add).toMatch(/timed out after 8 s/);
    const blocked = summary.quanta.filter((q) => q.status === 'blocked');
    expect(blocked.map((q) => q.label).sort()).toEqual(['exit_sum', 'hang_sum', 'memory_sum', 'throw_sum']);
    expect(blocked.find((q) => q.label === 'exit_sum')!.message).toMatch(
      /blocked by failed exit_add \{instrument: 'Cam', detector: 1\}/,
    );

    const report = await reportGraph(source, repo.root);
    for (const t of report.tasks) {
      if (t.label.endsWith('_add'))
        expect([t.expected, t.succeeded, t.failed, t.blocked]).toEqual([2, 1, 1, 0]);
      else expect([t.expected, t.succeeded, t.failed, t.blocked]).toEqual([1, 0, 0, 1]);
    }
    expect(report.tasks.find((t) => t.label === 'memory_add')!.failures[0]!.message).toMatch(/memory limit/);

    // Failed quanta are not merged: 4 succeeded × 3 datasets + 8 configs.
    const merged = await aggregateGraph(repo.butler, source);
    expect(merged).toMatchObject({ datasetsInserted: 20, quantaNotMerged: 8 });
    // Nothing the failed quanta wrote is left as a dataset file (they failed before writing).
    expect((await verifyRepository(repo.butler)).problems).toEqual([]);
  }, 180_000);

  it('--fail-fast starts nothing after the first failure', async () => {
    repo = await makeRepo({ detectors: 3 });
    const source = await buildSource(repo.butler, failingPipeline(['throw']));
    const summary = await executeGraph(source, {
      repo: repo.root,
      taskModules: [TESTING_TASKS],
      processes: 1,
      failFast: true,
    });
    expect(summary.failed).toBe(1);
    expect(summary.blocked).toBe(1);
    expect(summary.notRun).toBe(2);
    const report = await reportGraph(source, repo.root);
    expect(report.tasks.map((t) => [t.label, t.failed, t.blocked, t.unknown])).toEqual([
      ['throw_add', 1, 0, 2],
      ['throw_sum', 0, 1, 0],
    ]);
  }, 120_000);

  it('a changed config for a task already in the run fails its init quantum and blocks all its quanta', async () => {
    repo = await makeRepo({ detectors: 2 });
    const first = await buildSource(repo.butler, failingPipeline(['none']));
    const opts = { repo: repo.root, taskModules: [TESTING_TASKS], processes: 1 };
    expect((await executeGraph(first, opts)).succeeded).toBe(3);
    const changed = await buildSource(
      repo.butler,
      failingPipeline(['none']).map((e) =>
        e.label === 'none_add' ? { ...e, config: { ...e.config, addend: 7 } } : e,
      ),
      { run: first.header.outputRun },
    );
    const summary = await executeGraph(changed, { ...opts, skipExisting: true });
    expect(summary.initFailures).toEqual([
      { label: 'none_add', message: expect.stringMatching(/another config/) },
    ]);
    expect(summary).toMatchObject({ blocked: 3, skipped: 0, failed: 0 }); // the sum depends on the blocked adds
    // The refusal leaves the run's recorded init (the first config) untouched: on disk the new quanta never ran.
    const report = await reportGraph(changed, repo.root);
    expect(report.initFailures).toEqual([]);
    expect(report.tasks.find((t) => t.label === 'none_add')).toMatchObject({ expected: 2, unknown: 2 });
  }, 120_000);
});
