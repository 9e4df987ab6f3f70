import { describe, expect, it } from 'vitest';
import {
  box2i,
  FWHM_PER_SIGMA,
  makeTable,
  makeTanSipWcs,
  pixelToSky,
  valueCard,
  visitInfo,
} from '../../../src/formats/index.js';
import { OUTPUT_COLUMNS } from '../../../src/sim/index.js';
import {
  CCD_VISIT_COLUMNS,
  makeCcdVisitTable,
  makeVisitTable,
  mjdOfIso,
  psfShapeAtCentre,
  skyFromBackground,
  summarizeDetector,
  VISIT_COLUMNS,
  VISIT_SUMMARY_COLUMNS,
} from '../../../src/tasks/index.js';
import { tableFromRows } from '../../../src/tasks/visit/table-columns.js';

/** 0.2″ pixels, +y to the north, +x to the east (CD1_1 negative: RA grows to the left). */
const scaleDeg = 0.2 / 3600;
const wcs = makeTanSipWcs({
  crpix: [1000.5, 2000.5],
  crval: [150, 2.5],
  cd: [
    [-scaleDeg, 0],
    [0, scaleDeg],
  ],
});
const bbox = box2i(0, 0, 2000, 4000);

function summary(overrides: Partial<Parameters<typeof summarizeDetector>[0]> = {}) {
  return summarizeDetector({
    visit: 7,
    detector: 3,
    band: 'r',
    physicalFilter: 'r_sim',
    bbox,
    wcs,
    psf: { kind: 'gaussian', sigma: 2.5 },
    photoCalib: { kind: 'photoCalib', calibrationMean: 0.5, calibrationErr: 0.005 },
    visitInfo: visitInfo({
      exposureTime: 30,
      date: '2026-01-02T03:00:00.000',
      airmass: 1.2,
      zenithAngle: 33.6,
      boresightRaDec: [150.1, 2.4],
      boresightRotAngle: 12,
    }),
    metadata: [
      valueCard('SKYBG', 812.5),
      valueCard('SKYNOISE', 28.5),
      valueCard('NPSFSTAR', 41),
      valueCard('ASTRMS', 9.5),
    ],
    ...overrides,
  });
}

describe('visit summary row', () => {
  it('has corners at the outer pixel edges and the centre at the bbox centre, from the WCS', () => {
    const row = summary();
    const expectSky = (x: number, y: number, ra: number, dec: number) => {
      const s = pixelToSky(wcs, x, y);
      expect(ra).toBeCloseTo(s.ra, 12);
      expect(dec).toBeCloseTo(s.dec, 12);
    };
    expectSky(-0.5, -0.5, row.llcra, row.llcdec);
    expectSky(-0.5, 3999.5, row.ulcra, row.ulcdec);
    expectSky(1999.5, 3999.5, row.urcra, row.urcdec);
    expectSky(1999.5, -0.5, row.lrcra, row.lrcdec);
    // The bbox centre (999.5, 1999.5) is CRPIX (1-based 1000.5, 2000.5): exactly CRVAL.
    expect(row.ra).toBeCloseTo(150, 12);
    expect(row.decl).toBeCloseTo(2.5, 12);
    // North is up, east to the left: the lower-left corner is east (larger RA) and south of the centre.
    expect(row.llcra).toBeGreaterThan(150);
    expect(row.llcdec).toBeLessThan(2.5);
    // Half the height in degrees: 2000 pixels × 0.2″ (to the gnomonic projection's 1e-6° at the corner).
    expect(row.decl - row.llcdec).toBeCloseTo((2000 * 0.2) / 3600, 5);
  });

  it('gives the seeing, PSF moments, zero point, depth and conditions exactly for a Gaussian PSF', () => {
    const row = summary();
    expect(row.pixelScale).toBeCloseTo(0.2, 9);
    expect(row.psfSigma).toBe(2.5);
    expect(row.psfIxx).toBeCloseTo(6.25, 12);
    expect(row.psfIyy).toBeCloseTo(6.25, 12);
    expect(row.psfIxy).toBe(0);
    expect(row.psfArea).toBeCloseTo(4 * Math.PI * 6.25, 9);
    expect(row.seeing).toBeCloseTo(2.5 * FWHM_PER_SIGMA * 0.2, 8);
    expect(row.zeroPoint).toBeCloseTo(31.4 - 2.5 * Math.log10(0.5), 12);
    expect(row.zeroPointErr).toBeCloseTo(1.0857362 * 0.01, 6);
    expect(row.skyBg).toBe(812.5);
    expect(row.skyNoise).toBe(28.5);
    // 5σ in a sky-dominated PSF aperture: 5 × 28.5 × √(4π × 6.25) counts.
    expect(row.maglim).toBeCloseTo(
      row.zeroPoint - 2.5 * Math.log10(5 * 28.5 * Math.sqrt(4 * Math.PI * 6.25)),
      9,
    );
    expect(row.ccdVisitId).toBe(7003);
    expect(row.obsStartMJD).toBeCloseTo(61042.125, 9);
    expect(row.expMidptMJD - row.obsStartMJD).toBeCloseTo(15 / 86400, 10);
    expect([row.airmass, row.zenithDistance, row.expTime, row.nPsfStar, row.astromRms]).toEqual([
      1.2, 33.6, 30, 41, 9.5,
    ]);
    expect([row.boresightRa, row.boresightDec, row.boresightRotAngle]).toEqual([150.1, 2.4, 12]);
    expect([row.xSize, row.ySize]).toEqual([2000, 4000]);
  });

  it('prefers the MAGLIM card, falls back to the background model for the sky, and leaves unknowns NaN', () => {
    expect(summary({ metadata: [valueCard('MAGLIM', 24.25)] }).maglim).toBe(24.25);
    const noCards = summary({
      metadata: [],
      background: skyFromBackground({ medianLevel: 100, medianSigma: 9 }),
    });
    expect([noCards.skyBg, noCards.skyNoise]).toEqual([100, 9]);
    const bare = summary({ psf: null, photoCalib: null, metadata: [], visitInfo: null });
    for (const v of [
      bare.psfSigma,
      bare.seeing,
      bare.zeroPoint,
      bare.skyBg,
      bare.maglim,
      bare.airmass,
      bare.obsStartMJD,
    ])
      expect(v).toBeNaN();
    expect(skyFromBackground('no')).toBeNull();
  });

  it('computes double-Gaussian moments and effective area from the flux-weighted components', () => {
    const s = psfShapeAtCentre({ kind: 'doubleGaussian', sigma1: 2, sigma2: 4, ratio: 0.25 });
    // Flux weights ∝ σ1² and ratio·σ2²: 4 and 4, i.e. one half each.
    expect(s.ixx).toBeCloseTo(0.5 * 4 + 0.5 * 16, 12);
    const area = 1 / (0.25 / (4 * Math.PI * 4) + 0.25 / (4 * Math.PI * 16) + 0.25 / (Math.PI * 20));
    expect(s.area).toBeCloseTo(area, 9);
    expect(mjdOfIso('1858-11-17T00:00:00Z')).toBeCloseTo(0, 9);
  });
});

describe('CcdVisit and Visit tables', () => {
  const summaries = [8, 7].map((visit) =>
    makeTable(
      tableFromRows(
        VISIT_SUMMARY_COLUMNS,
        [2, 1].map((detector) => ({ ...summary({ visit, detector }) }) as Record<string, unknown>),
      ),
    ),
  );

  it('have exactly the DP0.2 columns and types of the catalog schema', () => {
    expect(CCD_VISIT_COLUMNS.map(([n, t]) => ({ name: n, type: t }))).toEqual(
      OUTPUT_COLUMNS.CcdVisit.map((c) => ({ ...c })),
    );
    expect(VISIT_COLUMNS.map(([n, t]) => ({ name: n, type: t }))).toEqual(
      OUTPUT_COLUMNS.Visit.map((c) => ({ ...c })),
    );
  });

  it('hold one row per detector-visit and per visit, ordered, with typed columns', () => {
    const ccd = makeCcdVisitTable(summaries);
    expect(ccd.length).toBe(4);
    expect(Object.keys(ccd.columns)).toEqual(CCD_VISIT_COLUMNS.map(([n]) => n));
    expect([...(ccd.columns.ccdVisitId as BigInt64Array)]).toEqual([7001n, 7002n, 8001n, 8002n]);
    expect(ccd.columns.visitId).toBeInstanceOf(BigInt64Array);
    expect(ccd.columns.detector).toBeInstanceOf(Int32Array);
    expect(ccd.columns.seeing).toBeInstanceOf(Float64Array);
    expect(ccd.columns.band).toEqual(['r', 'r', 'r', 'r']);
    expect((ccd.columns.seeing as Float64Array)[0]).toBeCloseTo(2.5 * FWHM_PER_SIGMA * 0.2, 8);

    const visits = makeVisitTable(summaries);
    expect(visits.length).toBe(2);
    expect([...(visits.columns.visit as BigInt64Array)]).toEqual([7n, 8n]);
    // The boresight, not the detector centre.
    expect((visits.columns.ra as Float64Array)[0]).toBe(150.1);
    expect((visits.columns.skyRotation as Float64Array)[0]).toBe(12);
    expect((visits.columns.airmass as Float64Array)[1]).toBe(1.2);
  });
});
