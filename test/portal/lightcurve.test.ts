import { describe, expect, it } from 'vitest';
import type { ResultTable } from '../../src/portal/api/json-result.js';
import {
  abMagnitude,
  abMagnitudeError,
  alignedSeries,
  bandColour,
  isObjectId,
  lightCurveQuery,
  selectedObjectId,
  shapeLightCurve,
} from '../../src/portal/lightcurve/light-curve-data.js';

/** Rows as the light-curve query returns them, deliberately out of time order and with bands interleaved. */
const result: ResultTable = {
  columns: [
    { name: 'band', datatype: 'char', unit: null, ucd: null },
    { name: 'expMidptMJD', datatype: 'double', unit: 'd', ucd: null },
    { name: 'psfFlux', datatype: 'double', unit: 'nJy', ucd: null },
    { name: 'psfFluxErr', datatype: 'double', unit: 'nJy', ucd: null },
  ],
  values: [
    ['r', 'g', 'r', 'z', 'g', 'r', 'g'],
    [60003, 60001, 60000, 60002, 60004, null, 60005],
    [3631, 1000, 36310, -5, 100, 50, null],
    [36.31, 10, null, 2, 5, 1, 1],
  ],
  rowCount: 7,
  status: 'OK',
};

describe('light-curve data', () => {
  it('splits the rows by band in ugrizy order, each sorted by MJD, skipping rows without a time or flux', () => {
    const curve = shapeLightCurve(result, 'flux');
    expect(curve.bands.map((b) => b.band)).toEqual(['g', 'r', 'z']);
    const [g, r, z] = curve.bands;
    expect(g.mjd).toEqual([60001, 60004]);
    expect(g.value).toEqual([1000, 100]);
    expect(g.error).toEqual([10, 5]);
    expect(r.mjd).toEqual([60000, 60003]);
    expect(r.value).toEqual([36310, 3631]);
    expect(r.error).toEqual([null, 36.31]);
    expect(z.value).toEqual([-5]);
    expect(curve.skipped).toBe(2);
    expect(Object.isFrozen(curve.bands[0].mjd)).toBe(true);
  });

  it('converts to AB magnitudes (-2.5 log10 nJy + 31.4) with propagated errors; no magnitude for flux ≤ 0', () => {
    expect(abMagnitude(3631e9)).toBeCloseTo(31.4 - 2.5 * Math.log10(3631e9), 12);
    expect(abMagnitude(1)).toBe(31.4);
    expect(abMagnitude(0)).toBeNull();
    expect(abMagnitude(-3)).toBeNull();
    // A 1% flux error is 2.5/ln10 × 0.01 ≈ 0.010857 mag.
    expect(abMagnitudeError(3631, 36.31)).toBeCloseTo(0.0108574, 6);
    expect(abMagnitudeError(-1, 1)).toBeNull();
    expect(abMagnitudeError(10, null)).toBeNull();

    const curve = shapeLightCurve(result, 'mag');
    const [g, r, z] = curve.bands;
    expect(g.value[0]).toBeCloseTo(31.4 - 7.5, 12);
    expect(g.value[1]).toBeCloseTo(31.4 - 5, 12);
    expect(g.error[0]).toBeCloseTo((2.5 / Math.LN10) * 0.01, 12);
    expect(g.error[1]).toBeCloseTo((2.5 / Math.LN10) * 0.05, 12);
    expect(r.value[1]).toBeCloseTo(31.4 - 2.5 * Math.log10(3631), 12);
    expect(r.error[0]).toBeNull();
    expect(z.value).toEqual([null]);
    expect(z.error).toEqual([null]);
  });

  it('aligns the bands on one shared, sorted time axis with nulls elsewhere', () => {
    const { x, values, errors } = alignedSeries(shapeLightCurve(result, 'flux').bands);
    expect(x).toEqual([60000, 60001, 60002, 60003, 60004]);
    expect(values[0]).toEqual([null, 1000, null, null, 100]);
    expect(values[1]).toEqual([36310, null, null, 3631, null]);
    expect(values[2]).toEqual([null, null, -5, null, null]);
    expect(errors[1]).toEqual([null, null, null, 36.31, null]);
  });

  it('writes the ForcedSource ⋈ CcdVisit query and refuses anything but digits as an objectId', () => {
    const adql = lightCurveQuery(' 1567428592185376787 ');
    expect(adql).toContain('FROM dp02_dc2_catalogs.ForcedSource AS fs');
    expect(adql).toContain('JOIN dp02_dc2_catalogs.CcdVisit AS v ON v.ccdVisitId = fs.ccdVisitId');
    expect(adql).toContain('WHERE fs.objectId = 1567428592185376787');
    expect(isObjectId('12 OR 1=1')).toBe(false);
    expect(isObjectId('')).toBe(false);
    expect(() => lightCurveQuery('1; DROP TABLE x')).toThrow(/not an objectId/);
  });

  it('gives each band its own colour', () => {
    const colours = ['u', 'g', 'r', 'i', 'z', 'y'].map(bandColour);
    expect(new Set(colours).size).toBe(6);
    expect(bandColour('N921')).toBe('#555555');
  });

  it('finds the objectId of the first selected row exactly, or none', () => {
    const table: ResultTable = {
      columns: [{ name: 'objectId', datatype: 'long', unit: null, ucd: null }],
      values: [[9007199254740993n, 42]],
      rowCount: 2,
      status: 'OK',
    };
    expect(selectedObjectId(table, new Set([1, 0]))).toBe('9007199254740993');
    expect(selectedObjectId(table, new Set([1]))).toBe('42');
    expect(selectedObjectId(table, new Set())).toBeNull();
    expect(selectedObjectId(result, new Set([0]))).toBeNull();
  });
});
