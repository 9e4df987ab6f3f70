import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { registerSimCommands } from '../../src/cli/sim.js';
import { removeTemporaryDirectories, temporaryDirectory } from './helpers.js';

afterAll(removeTemporaryDirectories);

function program(): Command {
  const p = new Command('meridian').exitOverride();
  p.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerSimCommands(p);
  return p;
}

function captureLog(): string[] {
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.join(' '));
  });
  return lines;
}

afterEach(() => vi.restoreAllMocks());

describe('meridian sim', () => {
  it('survey OUTDIR --json runs the simulator with the flags and prints the manifest summary', async () => {
    const lines = captureLog();
    const outDir = join(temporaryDirectory('cli'), 'out');
    await program().parseAsync(
      [
        'sim',
        'survey',
        outDir,
        '--seed',
        '3',
        '--visits',
        '2',
        '--bands',
        'z,y',
        '--detectors',
        '1',
        '--detector-size',
        '128',
        '--radius',
        '0.02',
        '--nights',
        '1',
        '--workers',
        '1',
        '--json',
      ],
      { from: 'user' },
    );
    const summary = JSON.parse(lines.join('\n'));
    const manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8'));
    expect(summary.seed).toBe(3);
    expect(summary.raws).toBe(2);
    expect(summary.exposures.map((e: { band: string }) => e.band)).toEqual(
      manifest.exposures.map((e: { band: string }) => e.band),
    );
    expect(new Set(summary.exposures.map((e: { band: string }) => e.band))).toEqual(new Set(['z', 'y']));
    expect(manifest.options.detectorSize).toBe(128);
    expect(manifest.options.radiusDeg).toBe(0.02);
    expect(summary.calibrations).toBe(1 + 2);
  });

  it('rejects an unknown band before simulating anything', async () => {
    await expect(
      program().parseAsync(['sim', 'survey', temporaryDirectory('bad'), '--bands', 'g,q'], { from: 'user' }),
    ).rejects.toThrow(/unknown band "q"/);
  });

  it('refuses a non-empty output directory with INVALID_ARGUMENT', async () => {
    const outDir = temporaryDirectory('full');
    writeFileSync(join(outDir, 'something'), 'x');
    await expect(
      program().parseAsync(['sim', 'survey', outDir, '--visits', '1'], { from: 'user' }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('bench --json reports the size and a time', async () => {
    const lines = captureLog();
    await program().parseAsync(['sim', 'bench', '--detector-size', '128', '--sources', '20', '--json'], {
      from: 'user',
    });
    const result = JSON.parse(lines[0]);
    expect(result.detectorSize).toBe(128);
    expect(result.sources).toBe(20);
    expect(result.seconds).toBeGreaterThan(0);
  });
});
