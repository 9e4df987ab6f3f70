/** A quantum graph as Graphviz DOT: one node per quantum (task label and data ID), one edge per dependency. */
import type { QuantumGraphSource } from '../model.js';

const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export function quantumGraphDot(source: QuantumGraphSource): string {
  const lines = ['digraph QuantumGraph {', '  node [shape=box, fontname="Helvetica", fontsize=10];'];
  const labels = source.pipeline.tasks.map((t) => t.label);
  for (const q of source.thinQuanta()) {
    const dataId = Object.entries(q.dataId)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    const colour = (labels.indexOf(q.label) % 8) + 1;
    lines.push(
      `  ${quote(q.id)} [label=${quote(`${q.label}\n${dataId}`)}, style=filled, fillcolor="/pastel28/${colour}"];`,
    );
  }
  for (const [a, b] of source.edges()) lines.push(`  ${quote(a)} -> ${quote(b)};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
