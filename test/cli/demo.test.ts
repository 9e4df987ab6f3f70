/**
 * `meridian demo` as a new user runs it (the real bin/meridian.js on the dist/ build): it finishes the
 * demonstration, then serves the repository and catalog it made until SIGINT; `--no-serve` exits after the demo.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const work = mkdtempSync(join(tmpdir(), 'meridian-demo-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface RunningDemo {
  readonly child: ChildProcess;
  readonly done: Promise<Finished>;
  /** Everything printed on stdout so far. */
  output(): string;
}

function startDemo(args: readonly string[], env: Record<string, string> = {}, cwd = root): RunningDemo {
  const child = spawn(process.execPath, [join(root, 'bin/meridian.js'), 'demo', ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (b: Buffer) => {
    stdout += b.toString();
  });
  child.stderr?.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const done = new Promise<Finished>((resolveDone) =>
    child.on('close', (code) => resolveDone({ code, stdout, stderr })),
  );
  return { child, done, output: () => stdout };
}

async function waitForLine(demo: RunningDemo, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = demo.output();
    const match = pattern.exec(text);
    if (match) return match;
    if (demo.child.exitCode !== null)
      throw new Error(`demo exited (${demo.child.exitCode}) before printing ${pattern}:\n${text}`);
    if (Date.now() > deadline) throw new Error(`demo did not print ${pattern} in time:\n${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('meridian demo', () => {
  it('--no-serve runs the demonstration and exits 0', async () => {
    const { done } = startDemo(['--workdir', join(work, 'once'), '--no-serve']);
    const result = await done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Demo finished in [\d.]+ s/);
    expect(result.stdout).not.toMatch(/TAP service:/);
    // The pipeline part: 24 raws and 6 exposures, all run, merged and reported.
    expect(result.stdout).toContain('Executed 30 quanta successfully, 0 failed and 0 blocked out of 30');
    expect(result.stdout).toMatch(/rawStatistics +24 +24 +0 +0 +0 +0 +0/);
    expect(result.stdout).toMatch(/exposureSummary +6 +6 +0/);
    expect(result.stdout).toMatch(/merged into demo\/stats\/run1: 92 datasets inserted/);
    // The DRP part: step1 over 24 detector-visits, step2 per visit, tract and instrument, then QA and the catalog.
    expect(result.stdout).toContain('Executed 120 quanta successfully, 0 failed and 0 blocked out of 120');
    expect(result.stdout).toContain('Executed 18 quanta successfully, 0 failed and 0 blocked out of 18');
    expect(result.stdout).toMatch(/PA1 +[\d.]+ mmag/);
    expect(result.stdout).toMatch(/AM1 +[\d.]+ mas/);
    expect(result.stdout).toMatch(/depth +50% completeness at [\d.]+ mag/);
    expect(result.stdout).toMatch(/Source: \d{4,} rows from 6 sourceTable_visit datasets/);
  });

  it('ends serving the catalog it made, until SIGINT', async () => {
    // A relative --workdir, as `npm run demo` uses by default: every store must resolve it once, not twice.
    const demo = startDemo(['--workdir', 'served', '--port', '0'], { MERIDIAN_ALLOW_ANONYMOUS: '' }, work);
    try {
      const tap = (await waitForLine(demo, /TAP service: (\S+)/, 110_000))[1];
      const health = (await waitForLine(demo, /health: +(\S+)/, 5_000))[1];
      const token = (await waitForLine(demo, /token: +(mrd_\S+)/, 5_000))[1];
      const butlerApi = (await waitForLine(demo, /Butler API: +(\S+)/, 5_000))[1];
      expect(((await (await fetch(health)).json()) as { status: string }).status).toBe('ok');
      const query = new URLSearchParams({
        LANG: 'ADQL',
        QUERY: 'SELECT COUNT(*) AS n FROM dp02_dc2_catalogs.Object',
        FORMAT: 'csv',
      });
      expect((await fetch(`${tap}/sync?${query}`)).status).toBe(401);
      const answer = await fetch(`${tap}/sync?${query}`, { headers: { authorization: `Bearer ${token}` } });
      const types = await fetch(`${butlerApi}/dataset-types`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(types.status).toBe(200);
      expect(JSON.stringify(await types.json())).toMatch(/raw/);
      expect(answer.status).toBe(200);
      const [header, count] = (await answer.text()).trim().split(/\r?\n/);
      expect(header).toBe('n');
      expect(Number(count)).toBeGreaterThan(0);
    } finally {
      demo.child.kill('SIGINT');
    }
    const result = await demo.done;
    expect(result.code, result.stderr).toBe(0);
  });

  it('with MERIDIAN_ALLOW_ANONYMOUS=1 serves without a token and prints none', async () => {
    const demo = startDemo(['--workdir', join(work, 'anonymous'), '--port', '0'], {
      MERIDIAN_ALLOW_ANONYMOUS: '1',
    });
    try {
      const tap = (await waitForLine(demo, /TAP service: (\S+)/, 110_000))[1];
      await waitForLine(demo, /Serving until Ctrl-C/, 5_000);
      expect(demo.output()).not.toMatch(/mrd_/);
      const answer = await fetch(
        `${tap}/sync?LANG=ADQL&QUERY=${encodeURIComponent('SELECT TOP 1 objectId FROM dp02_dc2_catalogs.Object')}`,
      );
      expect(answer.status).toBe(200);
    } finally {
      demo.child.kill('SIGINT');
    }
    expect((await demo.done).code).toBe(0);
  });
});
