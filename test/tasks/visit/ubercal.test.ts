import { describe, expect, it } from 'vitest';
import { makeTable, type Table } from '../../../src/formats/index.js';
import {
  DEFAULT_UBERCAL_CONFIG,
  GlobalPhotoCalibConfig,
  globalPhotoCalib,
  solveUbercal,
  type UbercalObservations,
} from '../../../src/tasks/index.js';
import { seededRandom } from './synthetic.js';

const VISITS = 12;
const STARS = 600;

/**
 * 600 stars of r = 17..22 seen by 12 visits through 0–0.3 mag of cloud each (each star in ~70% of the visits),
 * errors 3 mmag at 17 growing to 30 mmag at 22, 1% of the measurements off by 0.3–0.8 mag (cosmic rays, bad
 * pixels), and reference magnitudes with 10 mmag errors for a third of the stars.
 */
function survey(seed: number) {
  const rng = seededRandom(seed);
  const cloud = Array.from({ length: VISITS }, () => 0.3 * rng.uniform());
  const trueMag = Array.from({ length: STARS }, () => 17 + 5 * rng.uniform());
  const star: number[] = [];
  const unit: number[] = [];
  const mag: number[] = [];
  const magErr: number[] = [];
  const outliers: number[] = [];
  for (let j = 0; j < STARS; j++) {
    for (let v = 0; v < VISITS; v++) {
      if (rng.uniform() > 0.7) continue;
      const err = 0.003 + 0.027 * ((trueMag[j]! - 17) / 5) ** 2;
      const outlier = rng.uniform() < 0.01 ? 0.3 + 0.5 * rng.uniform() : 0;
      if (outlier > 0) outliers.push(star.length);
      star.push(j);
      unit.push(v);
      mag.push(trueMag[j]! + cloud[v]! + err * rng.normal() + outlier);
      magErr.push(err);
    }
  }
  const starRefMag = Float64Array.from(trueMag, (m, j) =>
    j % 3 === 0 ? m + 0.01 * rng.normal() : Number.NaN,
  );
  const obs: UbercalObservations = {
    star: Int32Array.from(star),
    unit: Int32Array.from(unit),
    mag: Float64Array.from(mag),
    magErr: Float64Array.from(magErr),
    starBand: Array(STARS).fill('r'),
    unitBand: Array(VISITS).fill('r'),
    starRefMag,
  };
  return { obs, cloud, outliers };
}

describe('ubercal', () => {
  it('recovers per-visit cloud offsets of 0–0.3 mag to better than 2 mmag, anchored to the reference catalogue', () => {
    const { obs, cloud, outliers } = survey(1);
    const result = solveUbercal(obs);
    expect(result.anchors.r).toEqual({ kind: 'reference', count: 200 });
    for (let v = 0; v < VISITS; v++) expect(Math.abs(result.unitOffset[v]! - cloud[v]!)).toBeLessThan(0.002);
    // Most outliers were clipped (not those of stars measured once or twice), and few good measurements with them.
    const caught = outliers.filter((o) => result.used[o] === 0).length;
    expect(caught).toBeGreaterThan(0.7 * outliers.length);
    expect(result.clipped).toBeLessThan(1.5 * outliers.length);
    // Repeatability: from the cloud scatter (~90 mmag) down to the measurement noise (~10 mmag).
    const rep = result.repeatability.r!;
    expect(rep.rmsBefore).toBeGreaterThan(0.06);
    expect(rep.rmsAfter).toBeLessThan(0.015);
    expect(rep.stars).toBeGreaterThan(550);
    for (let v = 0; v < VISITS; v++) expect(result.unitOffsetErr[v]).toBeLessThan(0.001);
  });

  it('without reference magnitudes, anchors each band to the median unit and still recovers relative offsets', () => {
    const { obs, cloud } = survey(2);
    const result = solveUbercal({ ...obs, starRefMag: new Float64Array(STARS).fill(Number.NaN) });
    expect(result.anchors.r).toEqual({ kind: 'median', count: VISITS });
    const sorted = [...result.unitOffset].sort((a, b) => a - b);
    expect(Math.abs((sorted[5]! + sorted[6]!) / 2)).toBeLessThan(1e-9);
    const shift = result.unitOffset[0]! - cloud[0]!;
    for (let v = 0; v < VISITS; v++)
      expect(Math.abs(result.unitOffset[v]! - cloud[v]! - shift)).toBeLessThan(0.002);
  });

  it('solves bands independently and leaves units without stars untouched', () => {
    const { obs } = survey(3);
    const g: UbercalObservations = {
      ...obs,
      unitBand: [...obs.unitBand, 'g'],
      starBand: obs.starBand,
    };
    const result = solveUbercal(g, { ...DEFAULT_UBERCAL_CONFIG, clipIterations: 0 });
    expect(result.unitSources[VISITS]).toBe(0);
    expect(result.unitOffset[VISITS]).toBe(0);
    expect(result.unitOffsetErr[VISITS]).toBeNaN();
  });

  it('turns the solution into corrected per-detector zero points from the association and visit-summary tables', () => {
    const { obs, cloud } = survey(4);
    // Two detectors per visit: even stars on detector 1, odd on 2; per-detector zero points 28 + 0.01·detector.
    const zp = (visit: number, detector: number) => 28 + 0.01 * detector + 0.001 * visit;
    const summaries: Table[] = Array.from({ length: VISITS }, (_, v) =>
      makeTable({
        visit: BigInt64Array.of(BigInt(v + 1), BigInt(v + 1)),
        detector: Int32Array.of(1, 2),
        band: ['r', 'r'],
        zeroPoint: Float64Array.of(zp(v + 1, 1), zp(v + 1, 2)),
        zeroPointErr: Float64Array.of(0.01, 0.01),
      }),
    );
    const n = obs.mag.length;
    const flux = Float64Array.from(obs.mag, (m) => 10 ** ((31.4 - m) / 2.5));
    const sources = makeTable({
      isolated_star_id: BigInt64Array.from(obs.star, (j) => (5n << 32n) + BigInt(j)),
      visit: BigInt64Array.from(obs.unit, (u) => BigInt(u + 1)),
      detector: Int32Array.from(obs.star, (j) => 1 + (j % 2)),
      band: Array(n).fill('r'),
      psfFlux: flux,
      psfFluxErr: Float64Array.from(flux, (f, o) => (f * obs.magErr[o]!) / 1.0857362),
    });
    const cat = makeTable({
      isolated_star_id: BigInt64Array.from({ length: STARS }, (_, j) => (5n << 32n) + BigInt(j)),
      r_refMag: obs.starRefMag,
    });
    const result = globalPhotoCalib([sources], [cat], summaries, GlobalPhotoCalibConfig.parse({}));
    const t = result.table;
    expect(t.length).toBe(2 * VISITS);
    expect(Object.keys(t.columns).slice(0, 7)).toEqual([
      'visit',
      'detector',
      'ccdVisitId',
      'band',
      'zeroPoint',
      'zeroPointErr',
      'calibrationMean',
    ]);
    const zeroPoint = t.columns.zeroPoint as Float64Array;
    const calibrationMean = t.columns.calibrationMean as Float64Array;
    for (let i = 0; i < t.length; i++) {
      const visit = Number((t.columns.visit as BigInt64Array)[i]);
      const detector = (t.columns.detector as Int32Array)[i]!;
      // Measured magnitudes were `cloud` too faint: the zero point drops by as much.
      expect(Math.abs(zeroPoint[i]! - (zp(visit, detector) - cloud[visit - 1]!))).toBeLessThan(0.002);
      expect(31.4 - 2.5 * Math.log10(calibrationMean[i]!)).toBeCloseTo(zeroPoint[i]!, 10);
      expect((t.columns.ccdVisitId as BigInt64Array)[i]).toBe(BigInt(visit * 1000 + detector));
    }
    expect(result.summary.bands.r!.anchor).toBe('reference');
    expect(result.summary.bands.r!.rmsAfter).toBeLessThan(result.summary.bands.r!.rmsBefore / 4);
    expect(result.summary.unitsSolved).toBe(VISITS);
  });

  it('solves one offset per detector when asked', () => {
    const { obs } = survey(5);
    const n = obs.mag.length;
    const flux = Float64Array.from(obs.mag, (m) => 10 ** ((31.4 - m) / 2.5));
    const sources = makeTable({
      isolated_star_id: BigInt64Array.from(obs.star, (j) => BigInt(j)),
      visit: BigInt64Array.from(obs.unit, (u) => BigInt(u + 1)),
      detector: Int32Array.from(obs.star, (j) => 1 + (j % 2)),
      band: Array(n).fill('r'),
      psfFlux: flux,
      psfFluxErr: Float64Array.from(flux, (f, o) => (f * obs.magErr[o]!) / 1.0857362),
    });
    const summaries = Array.from({ length: VISITS }, (_, v) =>
      makeTable({
        visit: BigInt64Array.of(BigInt(v + 1), BigInt(v + 1)),
        detector: Int32Array.of(1, 2),
        band: ['r', 'r'],
        zeroPoint: Float64Array.of(28, 28),
        zeroPointErr: Float64Array.of(0.01, 0.01),
      }),
    );
    const result = globalPhotoCalib(
      [sources],
      [],
      summaries,
      GlobalPhotoCalibConfig.parse({ perDetector: true }),
    );
    expect(result.summary.units).toBe(2 * VISITS);
    expect(result.summary.unitsSolved).toBe(2 * VISITS);
    expect(result.summary.bands.r!.anchor).toBe('median');
  });
});
