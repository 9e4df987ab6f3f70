import { describe, expect, it } from 'vitest';
import { abMagFromNanojansky } from '../../src/obs/index.js';
import { capAreaDeg2, fluxAt, generateTruth, TRUTH_TYPE } from '../../src/sim/truth.js';
import { angularSeparationDeg } from '../../src/sphere/index.js';

const cap = { ra: 150, dec: 2, radiusDeg: 0.2 };
const truth = generateTruth({
  seed: 11,
  cap,
  densities: { starsPerDeg2: 20_000, galaxiesPerDeg2: 40_000, supernovae: 6 },
  mjdRange: [61000, 61030],
});

function indicesOf(type: number): number[] {
  return Array.from({ length: truth.count }, (_, i) => i).filter((i) => truth.truthType[i] === type);
}

describe('truth catalogue', () => {
  const stars = indicesOf(TRUTH_TYPE.star);
  const galaxies = indicesOf(TRUTH_TYPE.galaxy);
  const supernovae = indicesOf(TRUTH_TYPE.supernova);

  it('has the requested densities inside the cap', () => {
    const area = capAreaDeg2(cap.radiusDeg);
    expect(Math.abs(stars.length / area / 20_000 - 1)).toBeLessThan(0.05);
    expect(Math.abs(galaxies.length / area / 40_000 - 1)).toBeLessThan(0.05);
    expect(supernovae).toHaveLength(6);
    for (let i = 0; i < truth.count; i++) {
      expect(angularSeparationDeg(truth.ra[i], truth.dec[i], cap.ra, cap.dec)).toBeLessThan(
        cap.radiusDeg + 0.01,
      );
    }
  });

  it('star counts rise by 10^0.18 per magnitude; galaxy counts by 10^0.33', () => {
    const slope = (rows: number[], lo: number, hi: number) => {
      const mags = rows.map((i) => abMagFromNanojansky(truth.flux.r[i]));
      const faint = mags.filter((m) => m >= hi - 1 && m < hi).length;
      const bright = mags.filter((m) => m >= lo && m < lo + 1).length;
      return Math.log10(faint / bright) / (hi - 1 - lo);
    };
    expect(slope(stars, 19, 25)).toBeCloseTo(0.18, 1);
    expect(slope(galaxies, 20, 25)).toBeCloseTo(0.33, 1);
  });

  it('galaxies get redder with redshift and smaller when fainter', () => {
    const byRedshift = [...galaxies].sort((a, b) => truth.redshift[a] - truth.redshift[b]);
    const colour = (rows: number[]) =>
      rows.reduce((s, i) => s + 2.5 * Math.log10(truth.flux.r[i] / truth.flux.g[i]), 0) / rows.length;
    const tenth = Math.floor(byRedshift.length / 10);
    expect(colour(byRedshift.slice(-tenth))).toBeGreaterThan(colour(byRedshift.slice(0, tenth)) + 0.2);
    const meanSize = (rows: number[]) =>
      rows.reduce((s, i) => s + truth.diskHalfLightArcsec[i], 0) / rows.length;
    const mag = (i: number) => abMagFromNanojansky(truth.flux.r[i]);
    expect(meanSize(galaxies.filter((i) => mag(i) < 21))).toBeGreaterThan(
      2 * meanSize(galaxies.filter((i) => mag(i) > 24.5)),
    );
  });

  it('supernovae rise to their peak flux at peak_mjd and fade afterwards', () => {
    for (const i of supernovae) {
      const peak = truth.peakMjd[i];
      expect(fluxAt(truth, i, 'r', peak)).toBeCloseTo(truth.flux.r[i], 9);
      expect(fluxAt(truth, i, 'r', peak - truth.riseDays[i] - 1)).toBe(0);
      expect(fluxAt(truth, i, 'r', peak - 5)).toBeLessThan(truth.flux.r[i]);
      expect(fluxAt(truth, i, 'r', peak + 30)).toBeLessThan(fluxAt(truth, i, 'r', peak + 10));
      expect(truth.hostId[i]).toBeGreaterThan(0);
      expect(truth.isVariable[i]).toBe(1);
    }
  });

  it('about 5% of stars vary periodically within their amplitude', () => {
    const variables = stars.filter((i) => truth.isVariable[i]);
    expect(variables.length / stars.length).toBeGreaterThan(0.03);
    expect(variables.length / stars.length).toBeLessThan(0.07);
    for (const i of variables.slice(0, 20)) {
      for (const t of [61000.1, 61003.7, 61017.2]) {
        const dm = Math.abs(2.5 * Math.log10(fluxAt(truth, i, 'g', t) / truth.flux.g[i]));
        expect(dm).toBeLessThanOrEqual(truth.amplitudeMag[i] + 1e-9);
      }
    }
  });
});
