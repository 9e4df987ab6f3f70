/**
 * `npm run fuzz [-- --only adql|where|crash] [--inputs N] [--seed S] [--attempts N]`: the nightly-size parser
 * fuzzers (1,000,000 inputs each by default) and crash matrix (25 kills per writer by default). Prints a summary
 * per target and exits 1 if any input ended in an uncoded error or took over a second, or any killed writer's retry
 * left a problem. The test suite runs the same code at a smaller size (test/fuzz, test/reliability).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCrashMatrix } from './crash.js';
import { ADQL_TARGET, type FuzzReport, fuzz, WHERE_TARGET } from './parsers.js';

function option(args: readonly string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
}

function summary(r: FuzzReport): string {
  const refused = Object.entries(r.refused)
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => `${code} ${n.toLocaleString('en')}`)
    .join(', ');
  return [
    `${r.target}: ${r.inputs.toLocaleString('en')} inputs (seed ${r.seed}) in ${r.seconds.toFixed(1)} s`,
    `  accepted ${r.accepted.toLocaleString('en')}; refused with a code: ${refused}`,
    `  uncoded or INTERNAL: ${r.uncodedCount}; over 1 s: ${r.slowCount}; slowest ${r.slowestMs.toFixed(1)} ms`,
  ].join('\n');
}

const args = process.argv.slice(2);
const only = option(args, 'only', 'all');
const inputs = Number(option(args, 'inputs', '1000000'));
const seed = Number(option(args, 'seed', '1'));
const targets = [ADQL_TARGET, WHERE_TARGET].filter(
  (t) => only === 'all' || (only === 'adql' && t === ADQL_TARGET) || (only === 'where' && t === WHERE_TARGET),
);
let failed = false;
for (const target of targets) {
  const report = fuzz(target, {
    inputs,
    seed,
    onProgress: process.stderr.isTTY
      ? (done) =>
          process.stderr.write(
            `\r${target.name}: ${done.toLocaleString('en')} / ${inputs.toLocaleString('en')}`,
          )
      : undefined,
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  console.log(summary(report));
  for (const f of [...report.uncoded, ...report.slow]) {
    console.log(
      `  input #${f.index} (${JSON.stringify(f.input.slice(0, 200))}): ${f.error.split('\n').slice(0, 3).join(' | ')}`,
    );
  }
  failed ||= report.uncodedCount > 0 || report.slowCount > 0;
}
if (only === 'all' || only === 'crash') {
  const attempts = Number(option(args, 'attempts', '25'));
  const root = mkdtempSync(join(tmpdir(), 'meridian-crash-'));
  const tally = new Map<string, { runs: number; failed: number; killed: number }>();
  const t0 = performance.now();
  const outcomes = await runCrashMatrix({
    root,
    checkout: process.cwd(),
    attempts,
    seed,
    onOutcome: (o) => {
      const t = tally.get(o.scenario) ?? { runs: 0, failed: 0, killed: 0 };
      t.runs++;
      if (o.killedAtMs !== null) t.killed++;
      if (o.problems.length > 0) {
        t.failed++;
        console.log(
          `  ${o.scenario} attempt ${o.attempt} (killed at ${o.killedAtMs?.toFixed(0)} ms): ${o.problems.join('; ')}`,
        );
      }
      tally.set(o.scenario, t);
    },
  });
  console.log(
    `crash matrix: ${outcomes.length} runs (seed ${seed}) in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
  for (const [scenario, t] of tally) {
    console.log(
      `  ${scenario}: ${t.runs} runs, ${t.killed} killed mid-run, ${t.failed} with a problem after the retry`,
    );
  }
  failed ||= outcomes.some((o) => o.problems.length > 0);
  if (!failed) rmSync(root, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
