import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMeridianError } from '../../../src/errors.js';
import { box2i, Exposure, ImageF, readExposure, writeExposure } from '../../../src/formats/index.js';
import { Random } from '../../../src/sim/random.js';
import {
  fitZeroPoint,
  instFluxToMagnitude,
  instFluxToNanojansky,
  type PhotometricPair,
  photoCalibFromZeroPoint,
} from '../../../src/tasks/index.js';

const TRUE_ZERO_POINT = 28.37;

/** Stars with 0.02 mag of scatter, a fraction of them mismatched (1 to 3 mag off) and a few with no flux. */
function stars(seed: number, count: number, options: { mismatched?: number; colorSlope?: number } = {}) {
  const random = new Random([seed, 77]);
  const pairs: PhotometricPair[] = [];
  for (let i = 0; i < count; i++) {
    const refMag = random.between(16, 21);
    const refColor = random.between(-0.2, 1.6);
    const noise = 0.02 * random.normal();
    const wrong =
      random.uniform() < (options.mismatched ?? 0)
        ? random.between(1, 3) * (random.uniform() < 0.5 ? -1 : 1)
        : 0;
    // mag = ZP + slope (colour - 0.7) - 2.5 log10(counts)
    const zp = TRUE_ZERO_POINT + (options.colorSlope ?? 0) * (refColor - 0.7);
    const instFlux = 10 ** (-0.4 * (refMag + noise + wrong - zp));
    pairs.push({ instFlux, refMag, refMagErr: 0.02, refColor });
  }
  return pairs;
}

describe('fitZeroPoint', () => {
  it('finds the zero point within its error, clipping mismatched stars', () => {
    let within = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const pairs = stars(seed, 120, { mismatched: 0.15 });
      const fit = fitZeroPoint(pairs);
      expect(fit.clipped).toBeGreaterThan(5);
      expect(fit.zeroPointErr).toBeGreaterThan(0.0015);
      expect(fit.zeroPointErr).toBeLessThan(0.0035);
      if (Math.abs(fit.zeroPoint - TRUE_ZERO_POINT) < fit.zeroPointErr) within++;
      expect(Math.abs(fit.zeroPoint - TRUE_ZERO_POINT)).toBeLessThan(4 * fit.zeroPointErr);
      expect(fit.scatterMag).toBeGreaterThan(0.014);
      expect(fit.scatterMag).toBeLessThan(0.026);
    }
    // A 1-sigma error bar holds the truth about 68% of the time.
    expect(within).toBeGreaterThanOrEqual(9);
    expect(within).toBeLessThanOrEqual(19);
  });

  it('fits a colour term when asked, and is biased without it', () => {
    const pairs = stars(30, 200, { colorSlope: 0.08 });
    const fit = fitZeroPoint(pairs, { colorTerm: true });
    expect(fit.colorTerm?.slope).toBeCloseTo(0.08, 2);
    expect(Math.abs((fit.colorTerm?.slope ?? 0) - 0.08)).toBeLessThan(4 * (fit.colorTerm?.slopeErr ?? 0));
    // At the pivot colour the zero point is the one of colour 0.7 give or take the pivot's offset.
    const atTruthPivot = fit.zeroPoint + (fit.colorTerm?.slope ?? 0) * (0.7 - (fit.colorTerm?.pivot ?? 0));
    expect(Math.abs(atTruthPivot - TRUE_ZERO_POINT)).toBeLessThan(4 * fit.zeroPointErr);
    const plain = fitZeroPoint(pairs);
    expect(plain.scatterMag).toBeGreaterThan(fit.scatterMag);
  });

  it('leaves out stars without a positive flux or a magnitude, and says how many', () => {
    const pairs = [...stars(31, 40), { instFlux: -5, refMag: 18 }, { instFlux: 1000, refMag: Number.NaN }];
    const fit = fitZeroPoint(pairs);
    expect(fit.unusable).toBe(2);
    expect(fit.usedMask.slice(-2)).toEqual([false, false]);
  });

  it('fails with PHOTOMETRY_FAILED on too few stars', () => {
    try {
      fitZeroPoint(stars(32, 2));
      throw new Error('expected a failure');
    } catch (err) {
      expect(isMeridianError(err, 'PHOTOMETRY_FAILED')).toBe(true);
      expect((err as Error).message).toMatch(/at least 3 matched stars .* got 2 of 2/);
    }
  });
});

describe('PhotoCalib', () => {
  it('turns counts into nJy and back into the reference magnitude', () => {
    const calib = photoCalibFromZeroPoint(TRUE_ZERO_POINT, 0.002);
    expect(calib.kind).toBe('photoCalib');
    // A source of 1 count has magnitude ZP; a 31.4 mag source is 1 nJy.
    expect(instFluxToMagnitude(calib, 1)).toBeCloseTo(TRUE_ZERO_POINT, 12);
    expect(instFluxToNanojansky(calib, 10 ** (-0.4 * (31.4 - TRUE_ZERO_POINT)))).toBeCloseTo(1, 12);
    // 0.002 mag is 0.184% in flux.
    expect(calib.calibrationErr / calib.calibrationMean).toBeCloseTo(0.002 / 1.0857362, 8);
    for (const pair of stars(33, 10)) {
      expect(Math.abs(instFluxToMagnitude(calib, pair.instFlux) - pair.refMag)).toBeLessThan(0.1);
    }
    expect(Number.isNaN(instFluxToMagnitude(calib, 0))).toBe(true);
  });

  it('survives being written with an exposure and read back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'astrom-photocalib-'));
    try {
      const fit = fitZeroPoint(stars(34, 80));
      const path = join(dir, 'calexp.fits');
      await writeExposure(
        path,
        new Exposure({ image: ImageF.zeros(box2i(0, 0, 8, 8)), photoCalib: fit.photoCalib }),
      );
      const back = await readExposure(path);
      expect(back.photoCalib?.calibrationMean).toBeCloseTo(fit.photoCalib.calibrationMean, 12);
      expect(back.photoCalib?.calibrationErr).toBeCloseTo(fit.photoCalib.calibrationErr, 12);
      expect(instFluxToMagnitude(back.photoCalib!, 1)).toBeCloseTo(fit.zeroPoint, 10);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
