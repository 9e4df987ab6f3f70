#!/usr/bin/env node
// Runs the Vitest suites and ends with one plain summary line ("N passed, N failed, N skipped") that CI reads.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';

mkdirSync('.test-work', { recursive: true });
const out = '.test-work/vitest-results.json';
const args = [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${out}`,
  ...process.argv.slice(2),
];
const res = spawnSync('npx', args, { stdio: 'inherit' });
let summary = null;
try {
  const r = JSON.parse(readFileSync(out, 'utf8'));
  summary = {
    passed: r.numPassedTests,
    failed: r.numFailedTests,
    skipped: r.numPendingTests + r.numTodoTests,
  };
} catch {}
if (summary) {
  console.log(
    `\nMeridian tests: ${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped`,
  );
}
process.exit(res.status ?? 1);
