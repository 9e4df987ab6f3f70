import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Butler } from '../../src/butler/index.js';
import type { Exposure } from '../../src/formats/index.js';
import { ingestRaws, registerInstrument, writeCuratedCalibrations } from '../../src/obs/index.js';
import { simulateSurvey } from '../../src/sim/index.js';
import { clippedStatistics, measureRaw, parseFitsSection, robustStatistics } from '../../src/tasks/index.js';

describe('raw statistics', () => {
  let dir: string;
  let butler: Butler;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meridian-rawstats-'));
    const sim = await simulateSurvey({
      outDir: join(dir, 'sim'),
      visits: 1,
      nights: 1,
      bands: ['r'],
      detectors: 2,
      detectorSize: 128,
      radiusDeg: 0.05,
    });
    butler = await Butler.create(join(dir, 'repo'));
    await registerInstrument(butler, sim.manifest.instrument);
    await ingestRaws(butler, [join(dir, 'sim', 'raw')], { transfer: 'copy' });
    await writeCuratedCalibrations(butler, join(dir, 'sim'), { transfer: 'copy' });
  }, 60_000);

  afterAll(async () => {
    await butler?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('measures the read noise the header states, from the overscan', async () => {
    const [ref] = await butler.registry.queryDatasets('raw', { collections: ['*'], where: 'detector = 1' });
    const raw = (await butler.get(ref!)) as Exposure;
    const bias = (await butler.get('bias', ref!.dataId.values, {
      collections: ['MeridianCam/calib'],
    })) as Exposure;
    const stats = measureRaw(raw, bias, { exposure: 1, detector: 1 });
    expect(stats.biasSubtracted).toBe(true);
    // The overscan of a 128-row detector has 32 x 128 pixels: the clipped sigma is good to a few per cent (the MAD
    // of integer ADU is not: it read 4.30 e- for 4.75 e-).
    expect(Math.abs(stats.readNoise / stats.headerReadNoise - 1)).toBeLessThan(0.05);
    expect(stats.overscanLevel).toBeGreaterThan(100);
    expect(stats.skyLevel).toBeGreaterThan(0);
    expect(stats.skyNoise).toBeGreaterThan(stats.readNoise);
  });

  it('parses FITS sections and refuses bad ones', () => {
    expect(parseFitsSection('[257:288, 1:256]', 'BIASSEC')).toEqual({
      x0: 256,
      y0: 0,
      width: 32,
      height: 256,
    });
    expect(() => parseFitsSection('[5:1,1:2]', 'X')).toThrow(/empty section/);
    expect(() => parseFitsSection('257:288', 'X')).toThrow(/not a FITS section/);
  });

  it('clipped statistics give an unbiased sigma for integer data, ignoring outliers', () => {
    // Integer-rounded Gaussian deviates of sigma 2.8 (a deterministic LCG + Box-Muller).
    let seed = 12345;
    const uniform = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return (seed + 0.5) / 2147483648;
    };
    const v = new Float32Array(20000);
    for (let i = 0; i < v.length; i++) {
      const g = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
      v[i] = Math.round(1000 + 2.8 * g);
    }
    v[7] = 60000;
    const s = clippedStatistics(v);
    // Rounding adds 1/12 ADU² of variance: sqrt(2.8² + 1/12) = 2.815.
    expect(Math.abs(s.sigma / 2.815 - 1)).toBeLessThan(0.03);
    expect(Math.abs(s.mean - 1000)).toBeLessThan(0.1);
  });

  it('robust statistics ignore outliers and non-finite values', () => {
    const v = new Float32Array(1001);
    for (let i = 0; i < v.length; i++) v[i] = (i % 2 === 0 ? 1 : -1) * (i % 7);
    v[3] = 1e9;
    v[5] = Number.NaN;
    const s = robustStatistics(v);
    expect(s.n).toBe(1000);
    expect(Math.abs(s.median)).toBeLessThan(1);
    expect(s.sigma).toBeLessThan(10);
  });
});
