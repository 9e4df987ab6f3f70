/**
 * calibrate puts the PSF fluxes on the calibFlux aperture's scale with icExp's aperture correction before the zero
 * point is fitted to that aperture: the PSF magnitudes then carry no aperture-loss error (on the QA survey, 9 mmag
 * in a visit of 1.26" seeing without it; docs/qa.md).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { box2i, Exposure, ImageF, Mask, readParquetTable, type Table } from '../../../src/formats/index.js';
import {
  type ApertureCorrection,
  apertureCorrectionAt,
  apertureCorrectionCards,
  applyApertureCorrection,
  type CalibrateInputs,
  calibrateExposure,
  detectAndMeasure,
  measureApertureCorrection,
  type SourceMeasurements,
  zeroPointOf,
} from '../../../src/tasks/index.js';
import { type CalibrateSurvey, calibrateSurvey, IC_RUN, INSTRUMENT } from './task-fixture.js';

const WIDTH = 200;
const HEIGHT = 160;
const BBOX = box2i(0, 0, WIDTH, HEIGHT);

/** Three noise-free Gaussian stars (σ 2 px) on a flat unit-variance image, measured by detectAndMeasure. */
function threeStars(): SourceMeasurements {
  const image = ImageF.zeros(BBOX);
  for (const [cx, cy] of [
    [30, 20],
    [100, 80],
    [170, 140],
  ] as const) {
    for (let y = 0; y < HEIGHT; y++) {
      for (let x = 0; x < WIDTH; x++) {
        const r2 = (x - cx) ** 2 + (y - cy) ** 2;
        image.array[y * WIDTH + x]! += (1e5 / (2 * Math.PI * 4)) * Math.exp(-r2 / 8);
      }
    }
  }
  const variance = new ImageF(new Float32Array(WIDTH * HEIGHT).fill(1), BBOX);
  const exposure = new Exposure({
    image,
    mask: Mask.zeros(BBOX),
    variance,
    psf: { kind: 'gaussian', sigma: 2 },
  });
  return detectAndMeasure(exposure, { doCosmicRays: false }).sources;
}

/** A correction fitted to stars whose aperture/PSF ratio is 0.97 + 0.02 x / WIDTH exactly. */
function linearCorrection(): ApertureCorrection {
  const x = Array.from({ length: 40 }, (_, i) => (i * 97) % WIDTH);
  const y = Array.from({ length: 40 }, (_, i) => (i * 61) % HEIGHT);
  const psfFlux = x.map((_, i) => 1000 + 37 * i);
  const apertureFlux = psfFlux.map((f, i) => f * (0.97 + (0.02 * x[i]!) / WIDTH));
  return measureApertureCorrection({ x, y, psfFlux, apertureFlux }, BBOX, 12, {
    radius: 12,
    order: 1,
    clipSigma: 3,
    minStars: 5,
  });
}

describe('applyApertureCorrection', () => {
  it('multiplies each PSF flux and its error by the correction at its position, nothing else', () => {
    const m = threeStars();
    expect(m.count).toBe(3);
    const correction = linearCorrection();
    const { measurements, factors } = applyApertureCorrection(m, correction, 12, 'test');
    for (let i = 0; i < 3; i++) {
      expect(factors[i]).toBeCloseTo(0.97 + (0.02 * m.x[i]!) / WIDTH, 6);
      expect(factors[i]).toBe(apertureCorrectionAt(correction, m.x[i]!, m.y[i]!));
      expect(measurements.psfFlux[i]).toBe(m.psfFlux[i]! * factors[i]!);
      expect(measurements.psfFluxErr[i]).toBe(m.psfFluxErr[i]! * factors[i]!);
    }
    expect(measurements.apFlux).toBe(m.apFlux);
    expect(measurements.x).toBe(m.x);
    // A source without a finite position keeps its flux.
    const lost = { ...m, x: Float64Array.from([Number.NaN, m.x[1]!, m.x[2]!]) };
    const kept = applyApertureCorrection(lost, correction, 12, 'test');
    expect(kept.factors[0]).toBe(1);
    expect(kept.measurements.psfFlux[0]).toBe(m.psfFlux[0]);
  });

  it('refuses a correction to another aperture than the one the zero point is fitted to', () => {
    const m = threeStars();
    expect(() => applyApertureCorrection(m, linearCorrection(), 17, 'calibrate visit 1 detector 2')).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(
          /12-pixel aperture but the zero point is fitted to the 17-pixel calibFlux/,
        ),
      }),
    );
    // A zero point fitted to the (corrected) PSF fluxes themselves takes any aperture.
    expect(applyApertureCorrection(m, linearCorrection(), null, 'test').factors).toHaveLength(3);
  });
});

describe('calibrate with an aperture correction in icExp', () => {
  let survey: CalibrateSurvey;
  beforeAll(async () => {
    survey = await calibrateSurvey({ visits: 1, detectors: 1 });
  }, 600_000);
  afterAll(async () => {
    await survey?.cleanup();
  });

  it('writes PSF fluxes multiplied by the correction and leaves the zero point (fitted to calibFlux) unchanged', async () => {
    const { butler, manifest, simDir } = survey;
    const exposure = manifest.exposures[0]!;
    const dataId = { instrument: INSTRUMENT, visit: exposure.id, detector: 0 };
    const icExp = (await butler.get('icExp', dataId, { collections: [IC_RUN] })) as Exposure;
    const refcatShards: Table[] = [];
    for (const shard of manifest.refcat.shards)
      refcatShards.push(await readParquetTable(join(simDir, shard.path)));
    const inputs: CalibrateInputs = {
      icExp,
      icExpBackground: null,
      icSrc: null,
      refcatShards,
      band: exposure.band,
      visit: exposure.id,
      detector: 0,
      ccdVisitId: exposure.id * 1000,
    };
    const correction: ApertureCorrection = Object.freeze({
      kind: 'apertureCorrection',
      apertureRadius: 12,
      order: 0,
      bbox: icExp.bbox,
      coefficients: [0.98],
      starCount: 30,
      rms: 0.002,
    });
    const withCards = new Exposure({
      image: icExp.image,
      mask: icExp.mask,
      variance: icExp.variance,
      wcs: icExp.wcs,
      psf: icExp.psf,
      visitInfo: icExp.visitInfo,
      metadata: [...icExp.metadata, ...apertureCorrectionCards(correction)],
    });
    const plain = calibrateExposure(inputs);
    const corrected = calibrateExposure({ ...inputs, icExp: withCards });
    const before = plain.src.columns.base_PsfFlux_instFlux as Float64Array;
    const after = corrected.src.columns.base_PsfFlux_instFlux as Float64Array;
    const afterErr = corrected.src.columns.base_PsfFlux_instFluxErr as Float64Array;
    const beforeErr = plain.src.columns.base_PsfFlux_instFluxErr as Float64Array;
    expect(after.length).toBe(before.length);
    expect(before.length).toBeGreaterThan(100);
    for (let i = 0; i < before.length; i++) {
      if (!Number.isFinite(before[i]!)) continue;
      expect(after[i]! / before[i]!).toBeCloseTo(0.98, 10);
      expect(afterErr[i]! / beforeErr[i]!).toBeCloseTo(0.98, 10);
    }
    expect(corrected.summary.zeroPoint).toBe(plain.summary.zeroPoint);
    expect(zeroPointOf(corrected.calexp.photoCalib!)).toBeCloseTo(plain.summary.zeroPoint, 10);
    // The calexp keeps the correction's cards, so a reader of the calexp knows what the PSF fluxes carry.
    expect(corrected.calexp.metadata.some((c) => c.kind === 'value' && c.keyword === 'APCORR')).toBe(true);
  }, 300_000);
});
