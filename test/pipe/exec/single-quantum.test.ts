import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openFileDatastore, toDatastoreRef } from '../../../src/butler/index.js';
import {
  memoryGraphSource,
  type ProvenanceRecord,
  predictedFileInfo,
  type QuantumGraph,
  ReceiptStore,
} from '../../../src/pipe/index.js';
import {
  buildGraph,
  buildSource,
  chainEntries,
  MISBEHAVING_TASKS,
  makeRepo,
  runInProcess,
  TESTING_TASKS,
  type TestRepo,
} from './fixture.js';

let repo: TestRepo | undefined;
afterEach(async () => {
  await repo?.cleanup();
  repo = undefined;
});

/** Reads a dataset a quantum wrote, through its receipt (no registry). */
async function readOutput(root: string, graph: QuantumGraph, label: string, attr: string, detector?: number) {
  const q = graph.quanta.find(
    (x) => x.label === label && (detector === undefined || x.dataId.values.detector === detector),
  )!;
  const receipt = await new ReceiptStore(root, graph.header.outputRun).readQuantum(q.id);
  const ref = q.outputs[attr]![0]!;
  const info = receipt?.outputs.find((o) => o.datasetId === ref.id);
  if (info === undefined) return undefined;
  return openFileDatastore(root).get(info, toDatastoreRef(ref));
}

function withTaskConfig(graph: QuantumGraph, label: string, config: Record<string, unknown>): QuantumGraph {
  const tasks = graph.pipeline.tasks.map((t) =>
    t.label === label ? { ...t, config: { ...t.config, ...config } } : t,
  );
  return { ...graph, pipeline: { ...graph.pipeline, tasks } };
}

describe('single-quantum execution through the quantum-backed butler', () => {
  it('loads deferred and multiple inputs and init-inputs, and writes init-outputs and configs once per run', async () => {
    repo = await makeRepo({ detectors: 3 });
    const graph = await buildGraph(
      repo.butler,
      chainEntries({
        add: { writeSchema: true, addend: 5 },
        sum: { deferLoad: true, initInputName: 'add_output_schema' },
      }),
    );
    const outcomes = await runInProcess(repo.root, memoryGraphSource(graph));
    expect([...outcomes.values()].map((o) => o.status)).toEqual(Array(6).fill('succeeded'));
    expect(outcomes.get('init:add')!.outputs).toHaveLength(2); // add_output_schema and add_config
    // (1+5)+(2+5)+(3+5) + 0 + init-input value 5.
    expect(await readOutput(repo.root, graph, 'sum', 'output')).toEqual({ value: 26 });
    const md = (await readOutput(repo.root, graph, 'sum', '_metadata')) as ProvenanceRecord;
    expect(md.inputsUsed).toHaveLength(3); // each deferred handle was loaded
    // Init quanta are done once per run: a second pass skips them.
    const again = await runInProcess(repo.root, memoryGraphSource(graph), { skipExisting: true });
    expect(again.get('init:add')!.status).toBe('skipped');
    expect([...again.values()].every((o) => o.status === 'skipped')).toBe(true);
    // Another config for a label already in the run is refused.
    const changed = await runInProcess(repo.root, memoryGraphSource(withTaskConfig(graph, 'add', {})), {
      skipExisting: true,
    });
    expect(changed.get('init:add')!.status).toBe('skipped');
    const rehashed = { ...graph.pipeline.tasks[0]!, configHash: '0'.repeat(64) };
    const conflict = await runInProcess(
      repo.root,
      memoryGraphSource({
        ...graph,
        pipeline: { ...graph.pipeline, tasks: [rehashed, graph.pipeline.tasks[1]!] },
      }),
      {
        skipExisting: true,
      },
    );
    expect(conflict.get('init:add')).toMatchObject({ status: 'failed', code: 'OUTPUT_EXISTS' });
    expect(conflict.get('init:add')!.message).toMatch(/another config/);
  }, 60_000);

  it('reads prerequisites from the datastore records the quantum carries, and fails without them', async () => {
    repo = await makeRepo({ detectors: 2 });
    const graph = await buildGraph(repo.butler, [
      {
        label: 'calibrate',
        taskName: 'meridian.pipe.testing.CalibrateTask',
        config: {
          dimensions: ['instrument', 'detector'],
          useRefcat: false,
          connections: { inputName: 'add_input' },
        },
      },
    ]);
    const outcomes = await runInProcess(repo.root, memoryGraphSource(graph));
    expect([...outcomes.values()].map((o) => o.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(await readOutput(repo.root, graph, 'calibrate', 'output', 2)).toEqual({ value: 2 - 20 });

    const second = await buildGraph(repo.butler, [
      {
        label: 'calibrate',
        taskName: 'meridian.pipe.testing.CalibrateTask',
        config: {
          dimensions: ['instrument', 'detector'],
          useRefcat: false,
          connections: { inputName: 'add_input' },
        },
      },
    ]);
    const biasIds = new Set(second.quanta.flatMap((q) => q.inputs.calib!.map((r) => r.id)));
    const stripped: QuantumGraph = {
      ...second,
      quanta: second.quanta.map((q) => ({
        ...q,
        datastoreRecords: q.datastoreRecords.filter((r) => !biasIds.has(r.datasetId)),
      })),
    };
    const missing = await runInProcess(repo.root, memoryGraphSource(stripped));
    const failed = [...missing.values()].filter((o) => o.quantumId !== null);
    expect(failed.map((o) => o.code)).toEqual(['PREREQUISITE_MISSING', 'PREREQUISITE_MISSING']);
  }, 60_000);

  it('refuses a get or put of a dataset outside the quantum', async () => {
    repo = await makeRepo({ detectors: 1 });
    for (const action of ['get', 'put']) {
      const source = await buildSource(repo.butler, [
        { label: `bad_${action}`, taskName: 'test.exec.UndeclaredTask', config: { action } },
      ]);
      // buildGraph resolves with the testing tasks only; the misbehaving module must be loaded here too.
      const outcomes = await runInProcess(repo.root, source, {
        taskModules: [TESTING_TASKS, MISBEHAVING_TASKS],
      });
      const q = [...outcomes.values()].find((o) => o.quantumId !== null)!;
      expect(q).toMatchObject({ status: 'failed', code: 'QUANTUM_UNDECLARED_DATASET' });
      expect(q.message).toMatch(action === 'get' ? /tried to read add_input/ : /tried to write bad_output/);
      const receipt = await new ReceiptStore(repo.root, source.header.outputRun).readQuantum(q.quantumId!);
      expect(receipt).toMatchObject({ status: 'failed', provenance: { status: 'failed' } });
      expect(receipt!.log.at(-1)).toMatch(/QUANTUM_UNDECLARED_DATASET/);
    }
  }, 60_000);

  it('treats NoWorkFound at run time as success with a caveat, and downstream adjusts to what exists', async () => {
    repo = await makeRepo({ detectors: 3 });
    const graph = await buildGraph(
      repo.butler,
      chainEntries({ add: { failure: { mode: 'noWork', where: { detector: 2 } } } }),
    );
    const outcomes = await runInProcess(repo.root, memoryGraphSource(graph));
    const add2 = graph.quanta.find((q) => q.label === 'add' && q.dataId.values.detector === 2)!;
    expect(outcomes.get(add2.id)).toMatchObject({ status: 'noWork', code: 'NO_WORK_FOUND' });
    const md = (await readOutput(repo.root, graph, 'add', '_metadata', 2)) as ProvenanceRecord;
    expect(md).toMatchObject({ status: 'noWork', exit: { code: 'NO_WORK_FOUND' } });
    expect(await readOutput(repo.root, graph, 'add', 'output', 2)).toBeUndefined();
    // sum reads the two outputs that exist: (1+1) + (3+1).
    expect(await readOutput(repo.root, graph, 'sum', 'output')).toEqual({ value: 6 });

    // With minimum 3 the sum has no work at run time.
    const strict = await buildGraph(
      repo.butler,
      chainEntries({ add: { failure: { mode: 'noWork', where: { detector: 2 } } }, sum: { minimum: 3 } }),
    );
    const strictOutcomes = await runInProcess(repo.root, memoryGraphSource(strict));
    const sum = strict.quanta.find((q) => q.label === 'sum')!;
    expect(strictOutcomes.get(sum.id)).toMatchObject({ status: 'noWork' });
    expect(strictOutcomes.get(sum.id)!.message).toMatch(/2 of the at least 3 add_output/);
  }, 60_000);

  it('skips, refuses or clobbers existing outputs as pipetask does', async () => {
    repo = await makeRepo({ detectors: 2 });
    const failing = await buildGraph(
      repo.butler,
      chainEntries({ add: { failure: { mode: 'throw', where: { detector: 1 } } } }),
    );
    const first = await runInProcess(repo.root, memoryGraphSource(failing));
    const add1 = failing.quanta.find((q) => q.label === 'add' && q.dataId.values.detector === 1)!;
    const add2 = failing.quanta.find((q) => q.label === 'add' && q.dataId.values.detector === 2)!;
    expect(first.get(add1.id)).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/test failure requested/),
    });

    // A partial output of the failed attempt blocks the rerun unless clobbering.
    const datastore = openFileDatastore(repo.root);
    const partial = predictedFileInfo(datastore, add1.outputs.output![0]!);
    mkdirSync(dirname(datastore.absolutePath(partial)), { recursive: true });
    writeFileSync(datastore.absolutePath(partial), '{"value": -1}');
    // A succeeded quantum is refused without skipExisting (and its receipt is kept), skipped with it.
    const fixed = withTaskConfig(failing, 'add', { failure: { mode: 'none', where: {} } });
    const refused = await runInProcess(repo.root, memoryGraphSource(fixed));
    expect(refused.get(add2.id)).toMatchObject({ status: 'failed', code: 'OUTPUT_EXISTS' });
    expect(refused.get(add1.id)).toMatchObject({ status: 'failed', code: 'OUTPUT_EXISTS' });
    expect(refused.get(add1.id)!.message).toMatch(/output file\(s\) of an earlier attempt exist/);
    const receipts = new ReceiptStore(repo.root, failing.header.outputRun);
    expect((await receipts.readQuantum(add2.id))!.status).toBe('succeeded');

    const blocked = await runInProcess(repo.root, memoryGraphSource(fixed), { skipExisting: true });
    expect(blocked.get(add1.id)).toMatchObject({ status: 'failed', code: 'OUTPUT_EXISTS' });
    expect(blocked.get(add2.id)!.status).toBe('skipped');
    const clobbered = await runInProcess(repo.root, memoryGraphSource(fixed), {
      skipExisting: true,
      clobberOutputs: true,
    });
    expect(clobbered.get(add1.id)!.status).toBe('succeeded');
    expect(await readOutput(repo.root, fixed, 'add', 'output', 1)).toEqual({ value: 2 });
  }, 60_000);

  it('replaces the files of an attempt that was killed outright (started, no receipt), and only those', async () => {
    repo = await makeRepo({ detectors: 1 });
    const graph = await buildGraph(repo.butler, chainEntries());
    const add = graph.quanta.find((q) => q.label === 'add')!;
    const receipts = new ReceiptStore(repo.root, graph.header.outputRun);
    const datastore = openFileDatastore(repo.root);
    const stray = predictedFileInfo(datastore, add.outputs.output![0]!);
    mkdirSync(dirname(datastore.absolutePath(stray)), { recursive: true });
    writeFileSync(datastore.absolutePath(stray), '{"value": -1}');
    // No marker: nobody accounts for the file.
    const unexplained = await runInProcess(repo.root, memoryGraphSource(graph));
    expect(unexplained.get(add.id)).toMatchObject({ status: 'failed', code: 'OUTPUT_EXISTS' });
    // Marker and no receipt: a killed attempt's orphan, replaced without --clobber-outputs.
    await receipts.remove(receipts.quantumPath(add.id));
    await receipts.markStarted(receipts.quantumPath(add.id));
    const retried = await runInProcess(repo.root, memoryGraphSource(graph), { skipExisting: true });
    expect(retried.get(add.id)!.status).toBe('succeeded');
    expect(await readOutput(repo.root, graph, 'add', 'output')).toEqual({ value: 2 });
    expect(await receipts.wasStarted(receipts.quantumPath(add.id))).toBe(false);
  }, 60_000);
});
