import { describe, expect, it } from 'vitest';
import { computeQaReport } from '../../src/qa/index.js';
import { rms } from '../../src/qa/statistics.js';
import {
  detected,
  MAG_SIGMA,
  POSITION_SIGMA_MAS,
  PSF_ERRORS,
  SPURIOUS_MAGS,
  SPURIOUS_PER_MAG,
  syntheticField,
  VISITS,
  visitId,
  ZP_ERRORS,
} from './synthetic.js';

const field = syntheticField();
const inputs = {
  sources: field.sources,
  truth: field.truth,
  ccds: field.ccds,
  visitSummary: field.visitSummary,
  globalPhotoCalib: field.globalPhotoCalib,
  association: null,
};
const report = computeQaReport(inputs);

describe('completeness and purity', () => {
  it('recovers the injected completeness by magnitude', () => {
    const bin = (mag: number, cls: string) =>
      report.completeness.find((b) => b.band === 'all' && b.objectClass === cls && b.mag === mag)!;
    /** The fraction of truth objects in a bin that the fixture detects (the same objects in every visit). */
    const injected = (lo: number, type: number | null) => {
      let total = 0;
      let kept = 0;
      for (let t = 0; t < field.truth.length; t++) {
        const mag = 31.4 - 2.5 * Math.log10(field.truth.flux.r![t]!);
        if (mag < lo || mag >= lo + 0.5 || (type !== null && field.truth.truthType[t] !== type)) continue;
        total++;
        if (detected(t, mag, field.truth.truthType[t]!)) kept++;
      }
      return kept / total;
    };
    expect(bin(19.25, 'all').completeness).toBe(1);
    expect(bin(22.75, 'galaxy').completeness).toBe(1);
    // Every 4th star in 21..21.5 was dropped.
    expect(injected(21, 2)).toBeLessThan(0.85);
    expect(bin(21.25, 'star').completeness).toBeCloseTo(injected(21, 2), 4);
    expect(bin(21.25, 'galaxy').completeness).toBe(1);
    // 60% detected in 23..23.5, 20% in 23.5..24, none fainter.
    expect(bin(23.25, 'all').completeness).toBeCloseTo(injected(23, null), 4);
    expect(bin(23.75, 'all').completeness).toBeCloseTo(injected(23.5, null), 4);
    expect(bin(24.25, 'all').completeness).toBe(0);
    // Per band as well as pooled; truth counted once per visit.
    const r = report.completeness.find((b) => b.band === 'r' && b.objectClass === 'all' && b.mag === 23.25)!;
    expect(r.nTrue).toBe(bin(23.25, 'all').nTrue);
    expect(r.nTrue % VISITS).toBe(0);
  });

  it('counts every injected spurious source, and only them, against purity', () => {
    const all = report.purity.filter((b) => b.band === 'all');
    const unmatched = all.reduce((n, b) => n + b.nSources - b.nMatched, 0);
    expect(unmatched).toBe(field.spurious);
    for (const mag of SPURIOUS_MAGS) {
      const b = all.find((x) => x.mag === mag)!;
      expect(b.nSources - b.nMatched).toBe(SPURIOUS_PER_MAG * VISITS);
      expect(b.purity).toBeCloseTo(b.nMatched / b.nSources, 3);
    }
    expect(all.find((b) => b.mag === 19.25)!.purity).toBe(1);
    expect(report.inputs.matchedSources).toBe(report.inputs.sources - field.spurious);
  });

  it('finds the 50% completeness and the S/N 5 magnitudes', () => {
    const depth = report.depth.find((d) => d.band === 'all')!;
    // Linear between the 23.25 and 23.75 bins (about 0.6 and 0.2).
    const at = (mag: number) =>
      report.completeness.find((b) => b.band === 'all' && b.objectClass === 'all' && b.mag === mag)!
        .completeness!;
    const expected = 23.25 + ((at(23.25) - 0.5) / (at(23.25) - at(23.75))) * 0.5;
    expect(depth.completeness50Mag).toBeCloseTo(expected, 2);
    expect(depth.completeness50Mag!).toBeGreaterThan(23.25);
    expect(depth.completeness50Mag!).toBeLessThan(23.75);
    // S/N = 5 at m = 24 by construction (the median S/N per 0.25-mag bin, fitted in log S/N).
    expect(depth.snr5Mag!).toBeGreaterThan(23.9);
    expect(depth.snr5Mag!).toBeLessThan(24.1);
    const between = at(23.75) + ((depth.snr5Mag! - 23.75) / 0.5) * (at(24.25) - at(23.75));
    expect(depth.completenessAtSnr5!).toBeCloseTo(between, 2);
    expect(depth.visitSummaryMaglim).toBe(24);
  });

  it('measures star/galaxy separation against the misclassified fractions', () => {
    const bright = report.starGalaxy.filter((b) => b.mag > 19 && b.mag < 21);
    const stars = bright.reduce((n, b) => n + b.nTrueStars, 0);
    const starsAsStars = bright.reduce((n, b) => n + (b.starCompleteness ?? 0) * b.nTrueStars, 0);
    // Every 10th star is called extended.
    expect(starsAsStars / stars).toBeGreaterThan(0.85);
    expect(starsAsStars / stars).toBeLessThan(0.95);
    // Every 5th galaxy is called point-like: contamination = galaxies among the star-classified.
    const faint = report.starGalaxy.find((b) => b.mag === 22.25)!;
    expect(faint.starContamination!).toBeGreaterThan(0);
    expect(faint.starContamination!).toBeLessThan(1);
  });
});

describe('astrometry', () => {
  it('gives the Rayleigh median and 68th percentile of the injected centroid noise', () => {
    // 2-d Gaussian errors of sigma per axis: median separation 1.1774 sigma, 68th percentile 1.5096 sigma.
    expect(report.astrometry.medianMas!).toBeGreaterThan(1.1774 * POSITION_SIGMA_MAS * 0.95);
    expect(report.astrometry.medianMas!).toBeLessThan(1.1774 * POSITION_SIGMA_MAS * 1.05);
    expect(report.astrometry.p68Mas!).toBeGreaterThan(1.5096 * POSITION_SIGMA_MAS * 0.94);
    expect(report.astrometry.p68Mas!).toBeLessThan(1.5096 * POSITION_SIGMA_MAS * 1.06);
    expect(report.astrometry.perDetector.map((d) => d.detector)).toEqual([0]);
  });

  it('AM1 recovers sqrt(2) sigma from the separations of 5-arcminute pairs', () => {
    const all = report.am1.perBand.find((b) => b.band === 'all')!;
    expect(all.nPairs).toBeGreaterThan(1000);
    // Median over pairs of a 10-visit sample rms: sqrt(2) sigma times ~0.96 (the median of chi_9 / 3).
    const expected = Math.SQRT2 * POSITION_SIGMA_MAS * 0.963;
    expect(all.am1Mas!).toBeGreaterThan(expected * 0.9);
    expect(all.am1Mas!).toBeLessThan(expected * 1.1);
    expect(report.am1.perBand.find((b) => b.band === 'r')!.am1Mas).toBe(all.am1Mas);
  });
});

describe('photometry', () => {
  it('PA1 with the global calibration recovers the injected noise; without it, the zero-point errors add', () => {
    const r = report.pa1.perBand.find((b) => b.band === 'r')!;
    expect(r.nStars).toBeGreaterThan(150);
    expect(r.pa1GlobalMmag!).toBeGreaterThan(MAG_SIGMA * 1000 * 0.88);
    expect(r.pa1GlobalMmag!).toBeLessThan(MAG_SIGMA * 1000 * 1.12);
    // Random pairs of visits: differences of zero-point errors add their population variance.
    const mean = ZP_ERRORS.reduce((a, b) => a + b, 0) / ZP_ERRORS.length;
    const spread = rms(ZP_ERRORS.map((e) => e - mean)) * 1000;
    const expected = Math.hypot(MAG_SIGMA * 1000, spread);
    expect(r.pa1Mmag!).toBeGreaterThan(expected * 0.85);
    expect(r.pa1Mmag!).toBeLessThan(expected * 1.15);
    expect(report.targets.find((t) => t.name === 'PA1')!.pass).toBe(true);
  });

  it('groups repeat measurements by isolated_star_sources when given, with the same answer', () => {
    const byAssociation = computeQaReport({ ...inputs, association: field.association });
    expect(byAssociation.pa1.association).toBe('isolated_star_sources');
    const a = byAssociation.pa1.perBand.find((b) => b.band === 'r')!;
    const b = report.pa1.perBand.find((x) => x.band === 'r')!;
    expect(a.nStars).toBe(b.nStars);
    expect(a.pa1GlobalMmag).toBeCloseTo(b.pa1GlobalMmag!, 6);
  });

  it('reports the per-visit zero-point and PSF-size residuals that were injected', () => {
    const c = report.calibration!;
    expect(c.perVisit.map((v) => v.visit)).toEqual(ZP_ERRORS.map((_, k) => visitId(k)));
    c.perVisit.forEach((v, k) => {
      expect(v.zeroPointResidualMmag!).toBeCloseTo(ZP_ERRORS[k]! * 1000, 6);
      expect(v.zeroPointResidualPct!).toBeCloseTo((10 ** (0.4 * ZP_ERRORS[k]!) - 1) * 100, 2);
      expect(v.globalZeroPointResidualMmag).toBe(0);
      expect(v.psfSigmaResidualPct!).toBeCloseTo(PSF_ERRORS[k]! * 100, 6);
    });
    expect(c.psfSigmaMedianAbsPct).toBeCloseTo(0.5, 6);
    expect(report.targets.find((t) => t.name === 'PSF size')!.pass).toBe(true);
  });
});

describe('targets', () => {
  it('passes and fails against the issue thresholds and says when a metric is not measured', () => {
    const byName = Object.fromEntries(report.targets.map((t) => [t.name, t]));
    expect(byName.AM1!.pass).toBe(true);
    expect(byName.astrometry!.pass).toBe(true);
    const noisy = computeQaReport(inputs, { pa1SnrMin: 10 });
    // Faint stars (S/N 10..100) have no injected magnitude noise but are fewer; the target still holds.
    expect(noisy.targets.find((t) => t.name === 'PA1')!.value).not.toBeNull();
    const withoutCalib = computeQaReport({ ...inputs, visitSummary: null, globalPhotoCalib: null });
    expect(withoutCalib.calibration).toBeNull();
    expect(withoutCalib.targets.find((t) => t.name === 'PSF size')!.pass).toBeNull();
    // Without the global calibration PA1 includes the zero-point errors (about 13 mmag): a failure.
    expect(withoutCalib.targets.find((t) => t.name === 'PA1')!.pass).toBe(false);
    expect(withoutCalib.notes.join(' ')).toMatch(/visitSummary/);
  });

  it('refuses a bad setting with INVALID_ARGUMENT naming it', () => {
    expect(() => computeQaReport(inputs, { matchRadiusArcsec: -1 })).toThrow(/matchRadiusArcsec/);
  });
});
