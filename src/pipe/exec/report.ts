/**
 * `pipetask report`: the state of every quantum of a graph, from the receipts its runs left in the repository (no
 * registry needed). A quantum is succeeded or noWork (its `<label>_metadata` was written), failed (with its
 * message), blocked (it never ran, and a quantum it depends on, directly or not, failed or is blocked), or unknown
 * (it has not run yet). `skipped` is what an execution did, not a state on disk: it is counted only when the
 * summary of an execution is passed in.
 */
import type { QuantumGraphSource } from '../model.js';
import { formatDataId, type GraphExecutionSummary } from './graph-executor.js';
import { type QuantumReceipt, ReceiptStore } from './receipts.js';

export interface TaskReport {
  readonly label: string;
  readonly expected: number;
  readonly succeeded: number;
  readonly noWork: number;
  readonly skipped: number;
  readonly failed: number;
  readonly blocked: number;
  readonly unknown: number;
  readonly failures: readonly {
    readonly quantumId: string;
    readonly dataId: Readonly<Record<string, string | number>>;
    /** The error code that ended the quantum (from its provenance), null when the process died without one. */
    readonly code: string | null;
    readonly message: string;
  }[];
}

export interface GraphReport {
  readonly run: string;
  readonly tasks: readonly TaskReport[];
  /** Init quanta (per task label) that failed. */
  readonly initFailures: readonly { readonly label: string; readonly message: string }[];
}

const READ_CONCURRENCY = 32;

export async function reportGraph(
  source: QuantumGraphSource,
  repo: string,
  options: { execution?: GraphExecutionSummary } = {},
): Promise<GraphReport> {
  const run = source.header.outputRun;
  const receipts = new ReceiptStore(repo, run);
  const thin = source.thinQuanta();
  const found = new Map<string, QuantumReceipt | null>();
  for (let i = 0; i < thin.length; i += READ_CONCURRENCY) {
    const ids = thin.slice(i, i + READ_CONCURRENCY).map((q) => q.id);
    const read = await Promise.all(ids.map((id) => receipts.readQuantum(id)));
    for (let k = 0; k < ids.length; k++) found.set(ids[k]!, read[k]!);
  }
  const initFailures: { label: string; message: string }[] = [];
  const initFailed = new Set<string>();
  for (const init of source.initQuanta) {
    const r = await receipts.readInit(init.label);
    if (r?.status === 'failed') {
      initFailed.add(init.label);
      initFailures.push({ label: init.label, message: r.message ?? '' });
    }
  }
  const predecessors = new Map<string, string[]>();
  for (const [a, b] of source.edges()) {
    if (!predecessors.has(b)) predecessors.set(b, []);
    predecessors.get(b)!.push(a);
  }
  const skipped = new Set(
    (options.execution?.quanta ?? []).filter((q) => q.status === 'skipped').map((q) => q.id),
  );

  // thinQuanta is in topological order, so a quantum's predecessors are decided before it.
  const bad = new Set<string>();
  const byLabel = new Map<string, Mutable<TaskReport>>();
  for (const task of source.pipeline.tasks) byLabel.set(task.label, emptyReport(task.label));
  for (const q of thin) {
    const t = byLabel.get(q.label) ?? byLabel.set(q.label, emptyReport(q.label)).get(q.label)!;
    t.expected++;
    const r = found.get(q.id) ?? null;
    if (r?.status === 'succeeded' || r?.status === 'noWork') {
      if (skipped.has(q.id)) t.skipped++;
      else if (r.status === 'noWork') t.noWork++;
      else t.succeeded++;
      continue;
    }
    if (r?.status === 'failed') {
      t.failed++;
      (t.failures as TaskReport['failures'][number][]).push({
        quantumId: q.id,
        dataId: q.dataId,
        code: r.provenance?.exit.code ?? null,
        message: r.message ?? 'failed (no message)',
      });
      bad.add(q.id);
      continue;
    }
    if (initFailed.has(q.label) || (predecessors.get(q.id) ?? []).some((p) => bad.has(p))) {
      t.blocked++;
      bad.add(q.id);
      continue;
    }
    t.unknown++;
  }
  return Object.freeze({ run, tasks: [...byLabel.values()], initFailures });
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function emptyReport(label: string): Mutable<TaskReport> {
  return {
    label,
    expected: 0,
    succeeded: 0,
    noWork: 0,
    skipped: 0,
    failed: 0,
    blocked: 0,
    unknown: 0,
    failures: [],
  };
}

/** The report as a text table plus one line per failure, as `pipetask report` prints it. */
export function formatReport(report: GraphReport): string {
  const header = ['task', 'expected', 'succeeded', 'noWork', 'skipped', 'failed', 'blocked', 'unknown'];
  const rows = report.tasks.map((t) => [
    t.label,
    ...[t.expected, t.succeeded, t.noWork, t.skipped, t.failed, t.blocked, t.unknown].map(String),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(header), ...rows.map(line)];
  for (const f of report.initFailures) out.push(`FAILED init of ${f.label}: ${f.message}`);
  for (const t of report.tasks) {
    for (const f of t.failures) {
      const code = f.code === null ? '' : `${f.code}: `;
      out.push(`FAILED ${t.label} ${formatDataId(f.dataId)}: ${code}${f.message}`);
    }
  }
  return `${out.join('\n')}\n`;
}
