/**
 * Plain JSON forms of quanta (for the graph file's blocks, for messages to worker processes and for provenance),
 * built on the butler's ref and data-ID JSON, which carry dimension records, so a reader needs no registry.
 */
import {
  type DataIdJSON,
  type DatasetRefJSON,
  type DimensionUniverse,
  dataIdFromJSON,
  dataIdToJSON,
  refFromJSON,
  refToJSON,
  type StoredFileInfo,
} from '../butler/index.js';
import type { PredictedInitQuantum, PredictedQuantum, QuantumGraph, QuantumGraphSource } from './model.js';

export interface PredictedQuantumJSON {
  readonly id: string;
  readonly label: string;
  readonly dataId: DataIdJSON;
  readonly inputs: Readonly<Record<string, readonly DatasetRefJSON[]>>;
  readonly outputs: Readonly<Record<string, readonly DatasetRefJSON[]>>;
  readonly datastoreRecords: readonly StoredFileInfo[];
}

export interface PredictedInitQuantumJSON {
  readonly label: string;
  readonly initInputs: Readonly<Record<string, readonly DatasetRefJSON[]>>;
  readonly initOutputs: Readonly<Record<string, readonly DatasetRefJSON[]>>;
  readonly datastoreRecords: readonly StoredFileInfo[];
}

const mapRefs = <A, B>(byAttr: Readonly<Record<string, readonly A[]>>, f: (a: A) => B): Record<string, B[]> =>
  Object.fromEntries(Object.entries(byAttr).map(([k, v]) => [k, v.map(f)]));

export function quantumToJSON(q: PredictedQuantum): PredictedQuantumJSON {
  return {
    id: q.id,
    label: q.label,
    dataId: dataIdToJSON(q.dataId),
    inputs: mapRefs(q.inputs, refToJSON),
    outputs: mapRefs(q.outputs, refToJSON),
    datastoreRecords: q.datastoreRecords,
  };
}

export function quantumFromJSON(json: PredictedQuantumJSON, universe: DimensionUniverse): PredictedQuantum {
  return Object.freeze({
    id: json.id,
    label: json.label,
    dataId: dataIdFromJSON(json.dataId, universe),
    inputs: mapRefs(json.inputs, (r) => refFromJSON(r, universe)),
    outputs: mapRefs(json.outputs, (r) => refFromJSON(r, universe)),
    datastoreRecords: json.datastoreRecords,
  });
}

export function initQuantumToJSON(q: PredictedInitQuantum): PredictedInitQuantumJSON {
  return {
    label: q.label,
    initInputs: mapRefs(q.initInputs, refToJSON),
    initOutputs: mapRefs(q.initOutputs, refToJSON),
    datastoreRecords: q.datastoreRecords,
  };
}

export function initQuantumFromJSON(
  json: PredictedInitQuantumJSON,
  universe: DimensionUniverse,
): PredictedInitQuantum {
  return Object.freeze({
    label: json.label,
    initInputs: mapRefs(json.initInputs, (r) => refFromJSON(r, universe)),
    initOutputs: mapRefs(json.initOutputs, (r) => refFromJSON(r, universe)),
    datastoreRecords: json.datastoreRecords,
  });
}

/** The (predecessor, successor) pairs of a set of quanta: A precedes B when B reads a dataset A writes. */
export function quantumEdges(quanta: readonly PredictedQuantum[]): [string, string][] {
  const producerOf = new Map<string, string>();
  for (const q of quanta)
    for (const refs of Object.values(q.outputs)) for (const r of refs) producerOf.set(r.id, q.id);
  const edges: [string, string][] = [];
  for (const q of quanta) {
    const preds = new Set<string>();
    for (const refs of Object.values(q.inputs)) {
      for (const r of refs) {
        const p = producerOf.get(r.id);
        if (p !== undefined && p !== q.id) preds.add(p);
      }
    }
    for (const p of preds) edges.push([p, q.id]);
  }
  return edges;
}

/** A QuantumGraphSource over a graph held in memory (tests, and `pipetask run` straight after building). */
export function memoryGraphSource(graph: QuantumGraph): QuantumGraphSource {
  const byId = new Map(graph.quanta.map((q) => [q.id, q]));
  const order = new Map(graph.pipeline.tasks.map((t, i) => [t.label, i]));
  const thin = [...graph.quanta]
    .sort((a, b) => order.get(a.label)! - order.get(b.label)!)
    .map((q) => Object.freeze({ id: q.id, label: q.label, dataId: q.dataId.values }));
  let edges: [string, string][] | null = null;
  const get = (id: string): PredictedQuantum => {
    const q = byId.get(id);
    if (q === undefined) throw new RangeError(`no quantum ${id} in the graph`);
    return q;
  };
  return {
    header: graph.header,
    pipeline: graph.pipeline,
    initQuanta: graph.initQuanta,
    thinQuanta: () => thin,
    edges: () => (edges ??= quantumEdges(graph.quanta)),
    readQuantum: async (id) => get(id),
    readQuanta: async (ids) => ids.map(get),
    close: async () => {},
  };
}
