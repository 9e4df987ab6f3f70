import { readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Butler } from '../../../src/butler/index.js';
import { dataIdToJSON, refToJSON } from '../../../src/butler/index.js';
import {
  AddTask,
  openQuantumGraph,
  QuantumGraphWriter,
  quantumToJSON,
  readQuantumGraph,
  resolvePipeline,
  TaskRegistry,
  writeQuantumGraph,
} from '../../../src/pipe/index.js';
import { expectCode, makeRepo, tempDir } from '../../butler/api/helpers.js';
import { handBuiltGraph } from './file-fixtures.js';

let dir: { path: string; cleanup(): void };
let butler: Butler;

beforeEach(async () => {
  dir = tempDir('meridian-qgfile-');
  butler = await makeRepo(join(dir.path, 'repo'));
});
afterEach(async () => {
  await butler.close();
  dir.cleanup();
});

describe('quantum graph file', () => {
  it('round-trips a whole graph with expanded refs, datastore records and init quanta', async () => {
    const graph = await handBuiltGraph(butler, [1, 2, 3, 4]);
    const path = join(dir.path, 'g.mqg');
    const header = await writeQuantumGraph(path, graph);
    expect(header.nQuanta).toBe(4);
    expect(header.taskQuanta).toEqual({ add: 4 });
    // 4 inputs + 12 outputs + 1 config init-output
    expect(header.nDatasets).toBe(17);
    const back = await readQuantumGraph(path, butler.universe);
    expect(back.header).toEqual(header);
    expect(back.pipeline).toEqual(JSON.parse(JSON.stringify(graph.pipeline)));
    expect(back.quanta.map(quantumToJSON)).toEqual(graph.quanta.map(quantumToJSON));
    const input = back.quanta[0]!.inputs.input![0]!;
    expect(input.dataId.records?.detector?.full_name).toBe('Aa');
    expect(input.dataId.records?.instrument?.class_name).toBe('test.Cam1');
    expect(back.quanta[0]!.datastoreRecords[0]!.datasetId).toBe(input.id);
    expect(refToJSON(back.initQuanta[0]!.initOutputs._config![0]!)).toEqual(
      refToJSON(graph.initQuanta[0]!.initOutputs._config![0]!),
    );
    expect(readdirSync(dir.path).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('reads one quantum at a time and lists the thin graph and edges without reading quanta', async () => {
    const graph = await handBuiltGraph(butler, [1, 2, 3]);
    const path = join(dir.path, 'g.mqg');
    await writeQuantumGraph(path, graph);
    await using source = await openQuantumGraph(path, butler.universe);
    expect(source.thinQuanta().map((q) => q.id)).toEqual(graph.quanta.map((q) => q.id));
    expect(source.thinQuanta()[1]!.dataId).toEqual({ instrument: 'Cam1', detector: 2 });
    expect(source.edges()).toEqual([]);
    const q = await source.readQuantum(graph.quanta[2]!.id);
    expect(quantumToJSON(q)).toEqual(quantumToJSON(graph.quanta[2]!));
    expect(dataIdToJSON(q.dataId).records?.detector).toBeDefined();
    await expectCode(
      source.readQuantum('00000000-0000-4000-8000-000000000000'),
      'INVALID_ARGUMENT',
      /no quantum/,
    );
  });

  it('streams many quanta over several pages and records edges between tasks', async () => {
    const graph = await handBuiltGraph(butler, [1]);
    const path = join(dir.path, 'big.mqg');
    const base = graph.quanta[0]!;
    const { formatVersion, nQuanta, nDatasets, taskQuanta, ...header } = graph.header;
    // A pipeline in which add_output is read (by addMore), so reading it makes edges.
    const chain = resolvePipeline(
      [
        { label: 'add', taskName: AddTask.name },
        {
          label: 'addMore',
          taskName: AddTask.name,
          config: { connections: { inputName: 'add_output', outputName: 'more' } },
        },
      ],
      new TaskRegistry().register(AddTask),
    );
    const writer = await QuantumGraphWriter.create(path, {
      universe: butler.universe,
      header,
      pipeline: chain,
    });
    const ids: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const id = `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
      ids.push(id);
      const output = {
        ...base.outputs.output![0]!,
        id: `10000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
      };
      // Quantum i reads the output of quantum i - 1: a chain of edges.
      const input =
        i === 0
          ? base.inputs.input!
          : [{ ...output, id: `10000000-0000-4000-8000-${(i - 1).toString(16).padStart(12, '0')}` }];
      await writer.add({ ...base, id, inputs: { input }, outputs: { output: [output] } });
    }
    const written = await writer.finish();
    expect(written.nQuanta).toBe(2000);
    await using source = await openQuantumGraph(path, butler.universe);
    expect(source.edges()).toHaveLength(1999);
    expect(source.edges()[0]).toEqual([ids[0], ids[1]]);
    const picked = await source.readQuanta([ids[1999]!, ids[5]!, ids[1000]!]);
    expect(picked.map((q) => q.id)).toEqual([ids[1999], ids[5], ids[1000]]);
    expect(picked[0]!.inputs.input![0]!.id).toBe(
      `10000000-0000-4000-8000-${(1998).toString(16).padStart(12, '0')}`,
    );
  });

  it('leaves no file when the writer is aborted', async () => {
    const graph = await handBuiltGraph(butler, [1]);
    const path = join(dir.path, 'gone.mqg');
    const { formatVersion, nQuanta, nDatasets, taskQuanta, ...header } = graph.header;
    {
      await using writer = await QuantumGraphWriter.create(path, {
        universe: butler.universe,
        header,
        pipeline: graph.pipeline,
      });
      await writer.add(graph.quanta[0]!);
    }
    expect(readdirSync(dir.path).filter((f) => f.includes('gone'))).toEqual([]);
  });
});

describe('unreadable quantum graph files are QGRAPH_INVALID saying what', () => {
  let path: string;
  let bytes: Buffer;
  beforeEach(async () => {
    path = join(dir.path, 'g.mqg');
    await writeQuantumGraph(path, await handBuiltGraph(butler, [1, 2]));
    bytes = readFileSync(path);
  });

  it('wrong magic', async () => {
    writeFileSync(path, Buffer.concat([Buffer.from('NOTAQG!!'), bytes.subarray(8)]));
    await expectCode(openQuantumGraph(path, butler.universe), 'QGRAPH_INVALID', /wrong magic/);
  });

  it('a newer format version', async () => {
    const b = Buffer.from(bytes);
    b.writeUInt32BE(99, 8);
    writeFileSync(path, b);
    await expectCode(openQuantumGraph(path, butler.universe), 'QGRAPH_INVALID', /format version 99.*up to 1/);
  });

  it('truncated', async () => {
    truncateSync(path, statSync(path).size - 5);
    await expectCode(openQuantumGraph(path, butler.universe), 'QGRAPH_INVALID', /truncated/);
    truncateSync(path, 10);
    await expectCode(openQuantumGraph(path, butler.universe), 'QGRAPH_INVALID', /only 10 bytes/);
  });

  it('a corrupt page is found when the quantum is read', async () => {
    const b = Buffer.from(bytes);
    b[20] = b[20]! ^ 0xff; // inside the first page, just after the preamble
    writeFileSync(path, b);
    await using source = await openQuantumGraph(path, butler.universe);
    const id = source.thinQuanta()[0]!.id;
    await expectCode(source.readQuantum(id), 'QGRAPH_INVALID', /page 0 fails its CRC-32 check/);
  });

  it('a corrupt section', async () => {
    const b = Buffer.from(bytes);
    const at = b.length - 16 - 7 * 16; // the first section entry: the header
    const headerOffset = b.readUInt32BE(at + 4);
    b[headerOffset + 1] = b[headerOffset + 1]! ^ 0xff;
    writeFileSync(path, b);
    await expectCode(
      openQuantumGraph(path, butler.universe),
      'QGRAPH_INVALID',
      /header section fails its CRC-32/,
    );
  });

  it('not a graph at all, and a missing file', async () => {
    writeFileSync(path, 'hello world, this is text');
    await expectCode(openQuantumGraph(path, butler.universe), 'QGRAPH_INVALID', /wrong magic/);
    await expectCode(openQuantumGraph(join(dir.path, 'nope.mqg'), butler.universe), 'FILE_NOT_FOUND');
  });
});
