import { describe, expect, it } from 'vitest';
import type { ResultTable } from '../../src/portal/api/json-result.js';
import { cellText, keepRows, rowOrder } from '../../src/portal/results/order.js';
import { histogram, plotLayout } from '../../src/portal/results/plot-layout.js';

const table: ResultTable = {
  columns: [
    { name: 'objectId', datatype: 'long', unit: null, ucd: null },
    { name: 'coord_ra', datatype: 'double', unit: 'deg', ucd: null },
  ],
  values: [
    [30n, 10n, 20n, 9007199254740993n],
    [62.1, null, 61.9, 62.1],
  ],
  rowCount: 4,
  status: 'OK',
};

describe('row order', () => {
  it('sorts numbers, keeps ties in server order and puts nulls last both ways', () => {
    expect(Array.from(rowOrder(table, { column: 1, descending: false }))).toEqual([2, 0, 3, 1]);
    expect(Array.from(rowOrder(table, { column: 1, descending: true }))).toEqual([0, 3, 2, 1]);
    expect(Array.from(rowOrder(table, null))).toEqual([0, 1, 2, 3]);
  });

  it('filters to kept rows without changing their order', () => {
    const sorted = rowOrder(table, { column: 1, descending: false });
    expect(Array.from(keepRows(sorted, new Set([0, 2])))).toEqual([2, 0]);
    expect(keepRows(sorted, null)).toBe(sorted);
  });

  it('sorts 64-bit ids exactly', () => {
    expect(Array.from(rowOrder(table, { column: 0, descending: false }))).toEqual([1, 2, 0, 3]);
  });

  it('shows cells without float noise and ids in full', () => {
    expect(cellText(0.1 + 0.2)).toBe('0.3');
    expect(cellText(9007199254740993n)).toBe('9007199254740993');
    expect(cellText(null)).toBe('');
  });
});

describe('plot layout', () => {
  it('maps positions to [-1, 1] with RA to the left and equal angular scales on a sky plot', () => {
    const ra = Float64Array.from([61, 63, Number.NaN]);
    const dec = Float64Array.from([-60, -60, -60.5]);
    const layout = plotLayout(ra, dec, true);
    expect(Array.from(layout.rowOfPoint)).toEqual([0, 1]);
    expect(Array.from(layout.pointOfRow)).toEqual([0, 1, -1]);
    expect(layout.x[0]).toBeGreaterThan(0); // smaller RA on the right
    expect(layout.x[1]).toBeLessThan(0);
    // 2° of RA at Dec -60 is 1° on the sky: that, not the RA span, fills the box.
    const degreesPerUnitX = Math.abs(layout.xDomain[1] - layout.xDomain[0]) / 2;
    const degreesPerUnitY = Math.abs(layout.yDomain[1] - layout.yDomain[0]) / 2;
    expect(degreesPerUnitX * Math.cos((60 * Math.PI) / 180)).toBeCloseTo(degreesPerUnitY, 6);
  });

  it('counts a histogram of all rows and of the selected rows, skipping missing values', () => {
    const values = Float64Array.from([0, 1, 2, 3, Number.NaN]);
    const h = histogram(values, new Set([3, 4]), 2);
    expect(Array.from(h.counts)).toEqual([2, 2]);
    expect(Array.from(h.selectedCounts)).toEqual([0, 1]);
    expect(h.edges[0]).toBe(0);
    expect(h.edges[2]).toBe(3);
  });
});
