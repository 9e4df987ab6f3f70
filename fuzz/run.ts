/**
 * `npm run fuzz [-- --only adql|where] [--inputs N] [--seed S]`: the nightly-size parser fuzzers (1,000,000 inputs
 * each by default). Prints one line per target and exits 1 if any input ended in an uncoded error or took over a
 * second. The test suite runs the same fuzzers on 5,000 inputs each (test/fuzz/parsers.test.ts).
 */

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
  (t) => only === 'all' || (only === 'adql' ? t === ADQL_TARGET : t === WHERE_TARGET),
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
process.exit(failed ? 1 : 0);
