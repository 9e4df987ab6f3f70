/**
 * Quantum graphs: the graph file (layout.ts, encoding.ts, writer.ts, reader.ts) and the builder that makes a
 * graph from a resolved pipeline and a data query (builder files, added next to these).
 */

export {
  type BuildProgress,
  type BuildQuantumGraphOptions,
  type BuildSummary,
  type BuiltQuantumGraph,
  buildQuantumGraph,
  buildQuantumGraphFile,
  type QuantumGraphFileResult,
} from './builder.js';
export { quantumGraphDot } from './dot.js';
export { QGRAPH_FORMAT_VERSION } from './layout.js';
export { openQuantumGraph, readQuantumGraph } from './reader.js';
export {
  type QuantumGraphHeaderInput,
  QuantumGraphWriter,
  type QuantumGraphWriterOptions,
  writeQuantumGraph,
} from './writer.js';
