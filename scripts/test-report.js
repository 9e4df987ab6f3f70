#!/usr/bin/env node
// Says, before the tests run, which server- or tool-backed suites will run and which are skipped and why.
// In CI (.ci/run) the MERIDIAN_REQUIRE_* variables make a missing server a failure instead of a skip.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

function has(cmd, args = ['--version']) {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const suites = [
  {
    // The suites decide the same way, in one place: test/support/postgres.ts.
    name: 'PostgreSQL suites (src/db, registry, butler, CLI, obs, catalog)',
    on: Boolean(process.env.MERIDIAN_TEST_POSTGRES || process.env.MERIDIAN_TEST_POSTGRES_URL),
    why: 'MERIDIAN_TEST_POSTGRES is not set (e.g. postgresql://user:pass@127.0.0.1:5432/db)',
    required: process.env.MERIDIAN_REQUIRE_POSTGRES === '1',
  },
  {
    name: 'reference-tool checks (fitsverify, astropy)',
    on: has('fitsverify', ['-h']) && has('/usr/bin/python3', ['-c', 'import astropy']),
    why: 'fitsverify or /usr/bin/python3 with astropy is not installed (apt-get install fitsverify python3-astropy)',
    required: process.env.MERIDIAN_TEST_TOOLS === '1',
  },
  {
    name: 'TAP reference clients (STILTS taplint, pyvo)',
    on: has('stilts', ['-version']) && has('/usr/bin/python3', ['-c', 'import pyvo']),
    why: 'stilts or /usr/bin/python3 with pyvo is not installed (apt-get install stilts python3-pyvo)',
    required: process.env.MERIDIAN_TEST_TOOLS === '1',
  },
  {
    // Decided the same way in test/portal/browser-support.ts.
    name: 'Portal browser tests (headless Chromium)',
    on: existsSync('/usr/bin/chromium'),
    why: 'Chromium is not installed (apt-get install chromium)',
    required: process.env.MERIDIAN_TEST_BROWSER === '1',
  },
];
let failed = false;
console.log('Meridian test suites:');
for (const s of suites) {
  if (s.on) console.log(`  run      ${s.name}`);
  else if (s.required) {
    console.log(`  MISSING  ${s.name}: ${s.why} (required in this environment)`);
    failed = true;
  } else console.log(`  SKIPPED  ${s.name}: ${s.why}`);
}
if (failed) process.exit(1);
