import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeMeridianProgram } from '../../src/cli/meridian.js';
import { type CliResult, runInProcess } from '../cli/in-process.js';
import { removeTemporaryDirectories, temporaryDirectory } from './helpers.js';

afterAll(removeTemporaryDirectories);

/** The whole `meridian` program, run in process (see test/cli/in-process.ts). */
function meridian(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runInProcess(makeMeridianProgram(), args, { env });
}

async function stdoutOf(args: string[]): Promise<string> {
  const r = await meridian(args);
  if (r.code !== 0) throw new Error(`meridian ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return r.stdout;
}

describe('meridian sim', () => {
  it('survey OUTDIR --json runs the simulator with the flags and prints the manifest summary', async () => {
    const outDir = join(temporaryDirectory('cli'), 'out');
    const printed = await stdoutOf([
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
    ]);
    const summary = JSON.parse(printed);
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

  it('survey passes the honest-raw knobs through, and names the flag of one out of range', async () => {
    const outDir = join(temporaryDirectory('cli-knobs'), 'out');
    const common = ['--visits', '1', '--detectors', '1', '--detector-size', '64', '--workers', '1', '--json'];
    const printed = await stdoutOf([
      'sim',
      'survey',
      outDir,
      ...common,
      '--pointing-error-arcsec',
      '0',
      '--distortion',
      '0',
      '--psf-variation',
      '0',
      '--max-cloud-mag',
      '0.2',
    ]);
    const manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8'));
    expect(manifest.options).toMatchObject({
      pointingErrorArcsec: 0,
      distortion: 0,
      psfVariation: 0,
      maxCloudMag: 0.2,
    });
    expect(manifest.exposures[0].truth.pointingError.eastArcsec).toBe(0);
    expect(JSON.parse(printed).exposures[0].cloudExtinctionMag).toBeLessThanOrEqual(0.2);
    const bad = await meridian([
      'sim',
      'survey',
      join(temporaryDirectory('cli-knobs-bad'), 'out'),
      ...common,
      '--psf-variation',
      '2',
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--psf-variation');
  });

  it('rejects an unknown band before simulating anything', async () => {
    const outDir = temporaryDirectory('bad');
    const r = await meridian(['sim', 'survey', outDir, '--bands', 'g,q']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown band "q"/);
    expect(readdirSync(outDir)).toEqual([]);
  });

  it('refuses a non-empty output directory with INVALID_ARGUMENT', async () => {
    const outDir = temporaryDirectory('full');
    writeFileSync(join(outDir, 'something'), 'x');
    const r = await meridian(['sim', 'survey', outDir, '--visits', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^meridian: error \[INVALID_ARGUMENT\]: /);
    const json = await meridian(['sim', 'survey', outDir, '--visits', '1', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).error.code).toBe('INVALID_ARGUMENT');
  });

  it('bench --json reports the size and a time', async () => {
    const printed = await stdoutOf(['sim', 'bench', '--detector-size', '128', '--sources', '20', '--json']);
    const result = JSON.parse(printed);
    expect(result.detectorSize).toBe(128);
    expect(result.sources).toBe(20);
    expect(result.seconds).toBeGreaterThan(0);
  });

  it('reports an output path under a regular file as FILESYSTEM_ERROR with its hint', async () => {
    const notADirectory = join(temporaryDirectory('file'), 'a-file');
    writeFileSync(notADirectory, 'x');
    const plain = await meridian(['sim', 'survey', join(notADirectory, 'out')]);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/^meridian: error \[FILESYSTEM_ERROR\]: .*ENOTDIR/);
    expect(plain.stderr).toContain('\n  hint: ');
  });

  it('reports an unexpected failure as INTERNAL, with the stack only under MERIDIAN_DEBUG=1', async () => {
    // A command whose action fails with an uncoded error: what a bug in any command looks like to the error path.
    const withBug = () => {
      const program = makeMeridianProgram();
      program.command('explode').action(() => {
        throw new TypeError('cannot read properties of undefined');
      });
      return program;
    };
    const plain = await runInProcess(withBug(), ['explode']);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/^meridian: error \[INTERNAL\]: /);
    expect(plain.stderr).toContain('\n  hint: ');
    expect(plain.stderr).toContain('MERIDIAN_DEBUG=1');
    expect(plain.stderr).not.toMatch(/\n\s+at /);
    const debug = await runInProcess(withBug(), ['explode'], { env: { MERIDIAN_DEBUG: '1' } });
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/^meridian: error \[INTERNAL\]: /);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });
});
