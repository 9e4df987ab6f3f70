import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASET_ID_NAMESPACE, deterministicDatasetId, Timespan, uuidv5 } from '../../../src/butler/index.js';
import {
  AddTask,
  buildQuantumGraph,
  buildQuantumGraphFile,
  CalibrateTask,
  openQuantumGraph,
  type PredictedQuantum,
  quantumEdges,
  quantumToJSON,
} from '../../../src/pipe/index.js';
import { HtmPixelization } from '../../../src/sphere/index.js';
import { expectCode } from '../../butler/api/helpers.js';
import { postgresEnabled } from '../../support/postgres.js';
import {
  calibrateThenVisit,
  DETECTORS,
  EXPOSURES,
  type PipelineRepo,
  pipeline,
  pipelineRepo,
  putFinishedCalibrate,
  tasks,
} from './fixtures.js';

const base = { tasks, inputCollections: ['inputs'], outputRun: 'out/run' } as const;
const byLabel = (quanta: readonly PredictedQuantum[], label: string) =>
  quanta.filter((q) => q.label === label);
const find = (quanta: readonly PredictedQuantum[], label: string, values: Record<string, unknown>) =>
  quanta.find(
    (q) => q.label === label && Object.entries(values).every(([k, v]) => q.dataId.values[k] === v),
  )!;

for (const backend of ['sqlite', 'postgresql'] as const) {
  if (backend === 'postgresql' && !postgresEnabled('quantum graph builder on PostgreSQL')) continue;
  describe(`quantum graph builder (${backend})`, () => {
    let repo: PipelineRepo;
    beforeAll(async () => {
      repo = await pipelineRepo(backend);
    }, 120_000);
    afterAll(async () => {
      await repo?.cleanup();
    });

    it('builds quanta for every task with inputs, multiple inputs, prerequisites, outputs, edges and init quanta', async () => {
      const { butler } = repo;
      const graph = await buildQuantumGraph(butler, calibrateThenVisit(butler), base);
      expect(graph.header.taskQuanta).toEqual({ calibrate: 16, perVisit: 2 });
      expect(graph.summary.calibrate).toEqual({ quanta: 16, noWork: 0, skipped: 0 });
      const q = find(graph.quanta, 'calibrate', { exposure: 110, detector: 3 });
      // Input: the raw of that exposure and detector, expanded with its records.
      expect(q.inputs.input!.map((r) => r.dataId.values)).toMatchObject([{ exposure: 110, detector: 3 }]);
      expect(q.inputs.input![0]!.dataId.records?.exposure?.obs_id).toBe('ex110');
      expect(q.dataId.records?.detector?.full_name).toBe('Ba');
      // Calibration valid at 21:00 is the one certified from 20:30 (run calib/b); at 20:00 the earlier one.
      expect(q.inputs.calib!.map((r) => r.run)).toEqual(['calib/b']);
      expect(
        find(graph.quanta, 'calibrate', { exposure: 100, detector: 3 }).inputs.calib!.map((r) => r.run),
      ).toEqual(['calib/a']);
      // Reference-catalog shards: exactly the HTM7 trixels overlapping the detector's region in the visit.
      const region = (await butler.registry.dimensions.fetchMany('visit_detector_region', [['Cam1', 2, 3]]))
        .values()
        .next().value!.region!;
      const expected: number[] = [];
      for (const r of new HtmPixelization(7).envelope(region))
        for (let p = r.begin; p < r.end; p++) expected.push(p);
      expect(q.inputs.refcat!.map((r) => r.dataId.values.htm7).sort()).toEqual(expected.sort());
      expect(expected.length).toBeGreaterThan(0);
      // Datastore records of every existing input (raw, bias, refcat) travel with the quantum.
      const inputIds = Object.values(q.inputs)
        .flat()
        .map((r) => r.id);
      expect(q.datastoreRecords.map((s) => s.datasetId).sort()).toEqual([...inputIds].sort());
      // Outputs with predicted IDs in the output run, incl. metadata and log.
      expect(Object.keys(q.outputs).sort()).toEqual(['_log', '_metadata', 'output']);
      expect(q.outputs.output![0]!.run).toBe('out/run');
      // perVisit reads all 8 calibrated of its visit (2 exposures × 4 detectors), produced in the graph.
      const v2 = find(graph.quanta, 'perVisit', { visit: 2 });
      expect(v2.inputs.input).toHaveLength(8);
      const producedIds = new Set(byLabel(graph.quanta, 'calibrate').map((c) => c.outputs.output![0]!.id));
      expect(v2.inputs.input!.every((r) => producedIds.has(r.id))).toBe(true);
      expect(v2.datastoreRecords).toEqual([]);
      const edges = quantumEdges(graph.quanta);
      expect(edges.filter(([, b]) => b === v2.id)).toHaveLength(8);
      // Init quanta: each task's config, predicted in the output run.
      expect(graph.initQuanta.map((i) => [i.label, Object.keys(i.initOutputs)])).toEqual([
        ['calibrate', ['_config']],
        ['perVisit', ['_config']],
      ]);
    });

    it('init-outputs are predicted in the output run and feed init-inputs; a missing init-input is PREREQUISITE_MISSING', async () => {
      const { butler } = repo;
      const p = pipeline(butler, [
        {
          label: 'first',
          taskName: AddTask.name,
          config: {
            connections: { inputName: 'raw_value', outputName: 'first_out' },
            writeSchema: true,
            dimensions: ['instrument', 'exposure', 'detector'],
          },
        },
        {
          label: 'second',
          taskName: AddTask.name,
          config: {
            dimensions: ['instrument', 'exposure', 'detector'],
            initInputName: 'first_out_schema',
            connections: { inputName: 'first_out', outputName: 'second_out' },
          },
        },
      ]);
      const graph = await buildQuantumGraph(butler, p, { ...base, where: 'exposure = 100' });
      const [first, second] = graph.initQuanta;
      const schema = first!.initOutputs.schema![0]!;
      expect(schema.datasetType.name).toBe('first_out_schema');
      expect(schema.run).toBe('out/run');
      expect(second!.initInputs.initInput![0]!.id).toBe(schema.id);
      expect(Object.keys(first!.initOutputs).sort()).toEqual(['_config', 'schema']);
      const orphan = pipeline(butler, [
        {
          label: 'lonely',
          taskName: AddTask.name,
          config: {
            connections: { inputName: 'raw_value' },
            dimensions: ['instrument', 'exposure', 'detector'],
            initInputName: 'nowhere_schema',
          },
        },
      ]);
      await expectCode(
        buildQuantumGraph(butler, orphan, base),
        'PREREQUISITE_MISSING',
        /lonely: the init-input nowhere_schema is neither written by a task of the pipeline nor found in the collections inputs/,
      );
    });

    it('assigns the same dataset and quantum IDs when the same graph is built again', async () => {
      const { butler } = repo;
      const a = await buildQuantumGraph(butler, calibrateThenVisit(butler), base);
      const b = await buildQuantumGraph(butler, calibrateThenVisit(butler), base);
      const ids = (g: typeof a) =>
        g.quanta
          .map((q) => [
            q.id,
            ...Object.values(q.outputs)
              .flat()
              .map((r) => r.id),
          ])
          .sort();
      expect(ids(b)).toEqual(ids(a));
      expect(a.header.graphId).not.toBe(b.header.graphId);
      const other = await buildQuantumGraph(butler, calibrateThenVisit(butler), {
        ...base,
        outputRun: 'out/other',
      });
      expect(other.quanta[0]!.outputs.output![0]!.id).not.toBe(a.quanta[0]!.outputs.output![0]!.id);
      // The recipes themselves (graph files and registries hold these IDs): quantum IDs are UUIDv5 of
      // `quantum=<label>,run=<run>` and the sorted required items, outputs the butler's DATAID_TYPE_RUN recipe.
      const q = find(a.quanta, 'calibrate', { exposure: 110, detector: 3 });
      expect(q.id).toBe(
        uuidv5('quantum=calibrate,run=out/run,detector=3,exposure=110,instrument=Cam1', DATASET_ID_NAMESPACE),
      );
      for (const ref of Object.values(q.outputs).flat()) {
        expect(ref.id).toBe(
          deterministicDatasetId(ref.datasetType.name, ref.dataId.required, 'out/run', 'DATAID_TYPE_RUN'),
        );
      }
    });

    it('applies the data query and bind values to every data ID', async () => {
      const { butler } = repo;
      const graph = await buildQuantumGraph(butler, calibrateThenVisit(butler), {
        ...base,
        where: 'visit = :v AND detector IN (1, 2)',
        bind: { v: 1 },
      });
      expect(graph.header.taskQuanta).toEqual({ calibrate: 4, perVisit: 1 });
      expect(find(graph.quanta, 'perVisit', { visit: 1 }).inputs.input).toHaveLength(4);
      expect(graph.header.dataQuery).toBe('visit = :v AND detector IN (1, 2)');
    });

    it('drops quanta below a minimum or refused by adjustQuantum, and downstream quanta lose those inputs', async () => {
      const { butler } = repo;
      const p = pipeline(butler, [
        { label: 'calibrate', taskName: CalibrateTask.name, config: { useRefcat: false } },
        {
          label: 'perExposure',
          taskName: AddTask.name,
          config: {
            dimensions: ['instrument', 'exposure', 'detector'],
            connections: { inputName: 'calibrated', outputName: 'plus_one' },
            noWorkAtBuild: [{ exposure: 100, detector: 2 }],
          },
        },
        {
          label: 'perVisit',
          taskName: AddTask.name,
          config: {
            dimensions: ['instrument', 'visit'],
            inputDimensions: ['instrument', 'exposure', 'detector'],
            inputMultiple: true,
            minimum: 8,
            connections: { inputName: 'plus_one', outputName: 'visit_total' },
          },
        },
      ]);
      const graph = await buildQuantumGraph(butler, p, base);
      expect(graph.summary).toEqual({
        calibrate: { quanta: 16, noWork: 0, skipped: 0 },
        perExposure: { quanta: 15, noWork: 1, skipped: 0 },
        perVisit: { quanta: 1, noWork: 1, skipped: 0 },
      });
      expect(byLabel(graph.quanta, 'perVisit')[0]!.dataId.values.visit).toBe(2);
      expect(graph.quanta.some((q) => q.label === 'calibrate' && 'refcat' in q.inputs)).toBe(false);
    });

    it('leaves deferGraphConstraint inputs out of the data-ID query (the minimum then drops quanta)', async () => {
      const { butler } = repo;
      await butler.registerDatasetType(
        'sparse_value',
        ['instrument', 'exposure', 'detector'],
        'StructuredDataDict',
      );
      await butler.put(
        { value: 5 },
        'sparse_value',
        { instrument: 'Cam1', exposure: 101, detector: 4 },
        { run: 'sparse' },
      );
      const entries = (defer: boolean) => [
        {
          label: 'sparse',
          taskName: AddTask.name,
          config: {
            dimensions: ['instrument', 'exposure', 'detector'],
            deferGraphConstraint: defer,
            connections: { inputName: 'sparse_value', outputName: 'sparse_out' },
          },
        },
      ];
      const opts = { ...base, inputCollections: ['sparse'] };
      const constrained = await buildQuantumGraph(butler, pipeline(butler, entries(false)), opts);
      expect(constrained.summary.sparse).toEqual({ quanta: 1, noWork: 0, skipped: 0 });
      const deferred = await buildQuantumGraph(butler, pipeline(butler, entries(true)), opts);
      expect(deferred.summary.sparse).toEqual({
        quanta: 1,
        noWork: EXPOSURES.length * DETECTORS.length - 1,
        skipped: 0,
      });
      const off = await buildQuantumGraph(butler, pipeline(butler, entries(false)), {
        ...opts,
        datasetQueryConstraint: 'off',
      });
      expect(off.summary.sparse!.noWork).toBe(15);
    });

    it('PREREQUISITE_MISSING names the type, data ID and collections when no calibration is valid', async () => {
      const { butler } = repo;
      const p = pipeline(butler, [
        { label: 'calibrate', taskName: CalibrateTask.name, config: { useRefcat: false } },
      ]);
      const err = await expectCode(
        buildQuantumGraph(butler, p, { ...base, inputCollections: ['raw/run', 'refcats'] }),
        'PREREQUISITE_MISSING',
        /calibrate: no bias_value dataset valid at .* for \{instrument: 'Cam1', detector: \d\} in the collections raw\/run, refcats/,
      );
      expect((err as unknown as { details: unknown }).details).toMatchObject({
        datasetType: 'bias_value',
        collections: ['raw/run', 'refcats'],
      });
      // A calibration certified only for a window that misses the 21:00 exposures.
      await butler.registry.registerCollection('calib_short', 'CALIBRATION');
      const refs = [];
      for (const detector of DETECTORS)
        refs.push(
          await butler.put(
            { value: 9 },
            'bias_value',
            { instrument: 'Cam1', detector },
            { run: 'calib/short' },
          ),
        );
      await butler.registry.certify(
        'calib_short',
        refs,
        Timespan.fromIso('2021-09-09T19:00:00', '2021-09-09T20:30:00'),
      );
      await expectCode(
        buildQuantumGraph(butler, p, { ...base, inputCollections: ['raw/run', 'calib_short'] }),
        'PREREQUISITE_MISSING',
        /exposure|bias_value/,
      );
      const early = await buildQuantumGraph(butler, p, {
        ...base,
        inputCollections: ['raw/run', 'calib_short'],
        where: 'exposure IN (100, 101)',
      });
      expect(early.quanta.every((q) => q.inputs.calib![0]!.run === 'calib/short')).toBe(true);
    });

    it('skips quanta whose metadata exists in skipExistingIn; their existing outputs feed downstream', async () => {
      const { butler } = repo;
      const dataId = { instrument: 'Cam1', exposure: 110, detector: 1 };
      const old = await putFinishedCalibrate(butler, dataId, 'prev', 7);
      const graph = await buildQuantumGraph(butler, calibrateThenVisit(butler), {
        ...base,
        skipExistingIn: ['prev'],
      });
      expect(graph.summary.calibrate).toEqual({ quanta: 15, noWork: 0, skipped: 1 });
      const v2 = find(graph.quanta, 'perVisit', { visit: 2 });
      expect(v2.inputs.input).toHaveLength(8);
      const reused = v2.inputs.input!.find((r) => r.id === old.id)!;
      expect(reused.run).toBe('prev');
      expect(v2.datastoreRecords.map((s) => s.datasetId)).toEqual([old.id]);
    });

    it('OUTPUT_EXISTS when outputs are already in the output run, unless clobber', async () => {
      const { butler } = repo;
      await butler.registerDatasetType(
        'calibrated',
        ['instrument', 'exposure', 'detector'],
        'StructuredDataDict',
      );
      await butler.put(
        { value: 1 },
        'calibrated',
        { instrument: 'Cam1', exposure: 101, detector: 2 },
        { run: 'out/partial' },
      );
      const opts = { ...base, outputRun: 'out/partial' };
      await expectCode(
        buildQuantumGraph(butler, calibrateThenVisit(butler), opts),
        'OUTPUT_EXISTS',
        /1 quantum has outputs already in the output run out\/partial, e\.g\. calibrate \{instrument: 'Cam1', detector: 2, exposure: 101\}: calibrated/,
      );
      const clobbered = await buildQuantumGraph(butler, calibrateThenVisit(butler), {
        ...opts,
        clobber: true,
      });
      expect(clobbered.summary.calibrate!.quanta).toBe(16);
    });

    it('explains an empty graph: the input type or the data query that gives no rows', async () => {
      const { butler } = repo;
      const missingType = pipeline(butler, [
        { label: 'a', taskName: AddTask.name, config: { connections: { inputName: 'never_registered' } } },
      ]);
      await expectCode(
        buildQuantumGraph(butler, missingType, base),
        'QGRAPH_EMPTY',
        /never_registered is not registered/,
      );
      await butler.registerDatasetType('empty_value', ['instrument', 'detector'], 'StructuredDataDict');
      const emptyType = pipeline(butler, [
        { label: 'a', taskName: AddTask.name, config: { connections: { inputName: 'empty_value' } } },
      ]);
      await expectCode(
        buildQuantumGraph(butler, emptyType, base),
        'QGRAPH_EMPTY',
        /no empty_value datasets in the input collections inputs/,
      );
      const err = await expectCode(
        buildQuantumGraph(butler, calibrateThenVisit(butler), { ...base, where: 'detector = 99' }),
        'QGRAPH_EMPTY',
        /the data query 'detector = 99' matches no data IDs/,
      );
      expect(err.message).not.toMatch(/no raw_value datasets in the input/);
      await expectCode(
        buildQuantumGraph(butler, calibrateThenVisit(butler), {
          ...base,
          where: 'exposure = 100 AND visit = 2',
        }),
        'QGRAPH_EMPTY',
        /data query 'exposure = 100 AND visit = 2' matches no data IDs/,
      );
    });

    it('streams a build into a graph file that reads back quantum by quantum', async () => {
      const { butler, root } = repo;
      const path = join(root, '..', `g-${backend}.mqg`);
      const progress: string[] = [];
      const result = await buildQuantumGraphFile(butler, calibrateThenVisit(butler), path, {
        ...base,
        onProgress: (p) => progress.push(p.phase),
      });
      expect(result.header.taskQuanta).toEqual({ calibrate: 16, perVisit: 2 });
      expect(progress).toContain('task');
      const inMemory = await buildQuantumGraph(butler, calibrateThenVisit(butler), base);
      await using source = await openQuantumGraph(path, butler.universe);
      expect(source.thinQuanta()).toHaveLength(18);
      expect(source.edges()).toHaveLength(16);
      for (const q of inMemory.quanta.slice(0, 3).concat(inMemory.quanta.slice(-1))) {
        expect(quantumToJSON(await source.readQuantum(q.id))).toEqual(quantumToJSON(q));
      }
    });
  });
}
