/** Shared benchmark helpers: timing, percentiles and a uniform result record printed as a table. */

export interface BenchResult {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The same work done by the reference (bare SQL, plain DuckDB, ...) in the same run. */
  readonly reference?: number;
  readonly referenceName?: string;
  /** Target from the issue, in the same unit. */
  readonly target?: number;
  /** For rates: bigger is better (ratio printed as reference/value either way so > 1 means slower). */
  readonly higherIsBetter?: boolean;
}

export async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

function fmt(v: number): string {
  if (v >= 1000) return Math.round(v).toLocaleString('en');
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** Overhead ratio: how many times slower Meridian is than the reference (1.0 = same). */
export function overhead(r: BenchResult): number | undefined {
  if (r.reference === undefined) return undefined;
  return r.higherIsBetter ? r.reference / r.value : r.value / r.reference;
}

export function formatResults(results: readonly BenchResult[]): string {
  const rows = results.map((r) => {
    const ratio = overhead(r);
    const meets =
      r.target === undefined
        ? ''
        : (r.higherIsBetter ? r.value >= r.target : r.value <= r.target)
          ? 'yes'
          : 'NO';
    return [
      r.name,
      `${fmt(r.value)} ${r.unit}`,
      r.reference === undefined ? '' : `${fmt(r.reference)} ${r.unit} (${r.referenceName})`,
      ratio === undefined ? '' : `${ratio.toFixed(2)}×`,
      r.target === undefined ? '' : `${r.higherIsBetter ? '≥' : '≤'} ${fmt(r.target)} ${r.unit}: ${meets}`,
    ];
  });
  const header = ['benchmark', 'Meridian', 'reference (same run)', 'overhead', 'target'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}
