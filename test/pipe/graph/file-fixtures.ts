import { randomUUID } from 'node:crypto';
import type { Butler, DatasetRef } from '../../../src/butler/index.js';
import {
  AddTask,
  type PredictedQuantum,
  QGRAPH_FORMAT_VERSION,
  type QuantumGraph,
  resolvePipeline,
  TaskRegistry,
} from '../../../src/pipe/index.js';

/**
 * A small graph built by hand against a real repository (the builder is tested elsewhere): `add` quanta per
 * {instrument, detector} reading a stored input, with expanded refs and the input's datastore records.
 */
export async function handBuiltGraph(butler: Butler, detectors: readonly number[]): Promise<QuantumGraph> {
  const registry = new TaskRegistry().register(AddTask);
  const pipeline = resolvePipeline([{ label: 'add', taskName: AddTask.name }], registry, {
    universe: butler.universe,
  });
  await butler.registerDatasetType('add_input', ['instrument', 'detector'], 'StructuredDataDict');
  await butler.registerDatasetType('add_output', ['instrument', 'detector'], 'StructuredDataDict');
  const quanta: PredictedQuantum[] = [];
  for (const detector of detectors) {
    const input = await butler.put(
      { value: detector },
      'add_input',
      { instrument: 'Cam1', detector },
      { run: 'in' },
    );
    const dataId = await butler.registry.expandDataId({ instrument: 'Cam1', detector }, [
      'instrument',
      'detector',
    ]);
    const out = (name: string): DatasetRef => ({
      id: randomUUID(),
      datasetType: butler.registry.makeDatasetType(name, ['instrument', 'detector'], 'StructuredDataDict'),
      dataId,
      run: 'out/run',
    });
    const stored = (await butler.registry.stored.get([input.id])).get(input.id) ?? [];
    quanta.push({
      id: randomUUID(),
      label: 'add',
      dataId,
      inputs: { input: [input] },
      outputs: { output: [out('add_output')], _metadata: [out('add_metadata')], _log: [out('add_log')] },
      datastoreRecords: stored,
    });
  }
  return {
    header: {
      formatVersion: QGRAPH_FORMAT_VERSION,
      graphId: randomUUID(),
      created: new Date().toISOString(),
      user: 'tester',
      command: 'test',
      inputCollections: ['in'],
      outputRun: 'out/run',
      output: 'out',
      dataQuery: '',
      universe: `${butler.universe.namespace}:${butler.universe.version}`,
      nQuanta: quanta.length,
      nDatasets: quanta.length * 4,
      taskQuanta: { add: quanta.length },
    },
    pipeline,
    initQuanta: [
      {
        label: 'add',
        initInputs: {},
        initOutputs: {
          _config: [
            {
              id: randomUUID(),
              datasetType: butler.registry.makeDatasetType('add_config', [], 'Config'),
              dataId: await butler.registry.expandDataId({}, []),
              run: 'out/run',
            },
          ],
        },
        datastoreRecords: [],
      },
    ],
    quanta,
  };
}
