/**
 * The Portal's chart logic without a browser: expression axes, 2-D binning for the density heatmap (counts,
 * filters, selection by a rectangle of bins, colours), the query region read from ADQL and its outline, and the
 * table's filter applied to the plots' layouts and histograms.
 */

import { scaleLinear } from 'd3-scale';
import { describe, expect, it } from 'vitest';
import type { ResultTable } from '../../src/portal/api/json-result.js';
import { ExpressionError } from '../../src/portal/expression/parse.js';
import { axisValues } from '../../src/portal/results/axis-expression.js';
import {
  binAt,
  binGrid,
  binsFor,
  countColour,
  countPosition,
  countSelected,
  rowsInBins,
} from '../../src/portal/results/binning.js';
import { histogram, plotLayout, tickFormat } from '../../src/portal/results/plot-layout.js';
import { queryRegions, regionExtent, regionOutline } from '../../src/portal/results/query-region.js';

const table: ResultTable = {
  columns: [
    { name: 'objectId', datatype: 'long', unit: null, ucd: 'meta.id' },
    { name: 'g_mag', datatype: 'double', unit: 'mag', ucd: null },
    { name: 'r_mag', datatype: 'double', unit: 'mag', ucd: null },
    { name: 'g_cModelFlux', datatype: 'double', unit: 'nJy', ucd: null },
    { name: 'band', datatype: 'char', unit: null, ucd: null },
  ],
  values: [
    [1249537790362809267n, 2n, 3n, 4n],
    [21.5, 22.25, null, 19],
    [21, 21.75, 20, 19.5],
    [3630.78, -5, 1000, 0],
    ['g', 'r', 'i', 'z'],
  ],
  rowCount: 4,
  status: 'OK',
};

const errorOf = (action: () => unknown): ExpressionError => {
  try {
    action();
  } catch (err) {
    if (err instanceof ExpressionError) return err;
    throw err;
  }
  throw new Error('no error');
};

describe('expression axes', () => {
  it('evaluates a column difference per row, a null giving NaN (not plotted)', () => {
    const colour = axisValues(table, 'g_mag - r_mag');
    expect(Array.from(colour.subarray(0, 2))).toEqual([0.5, 0.5]);
    expect(colour[2]).toBeNaN();
    expect(colour[3]).toBe(-0.5);
  });

  it('evaluates a magnitude from a flux; a flux ≤ 0 has no magnitude', () => {
    const mag = axisValues(table, '-2.5*LOG10(g_cModelFlux)+31.4');
    expect(mag[0]).toBeCloseTo(-2.5 * Math.log10(3630.78) + 31.4, 12);
    expect(mag[2]).toBeCloseTo(23.9, 12);
    expect(mag[1]).toBeNaN(); // log of a negative number
    expect(mag[3]).toBeNaN(); // -Infinity is not a position on an axis
  });

  it('takes a plain column, ids as doubles, and names case-insensitively', () => {
    expect(Array.from(axisValues(table, 'r_mag'))).toEqual([21, 21.75, 20, 19.5]);
    expect(axisValues(table, 'objectId')[1]).toBe(2);
    expect(Array.from(axisValues(table, 'R_MAG * 2'))).toEqual([42, 43.5, 40, 39]);
  });

  it('reports errors with their column: syntax, unknown names, conditions, text, empty', () => {
    expect(errorOf(() => axisValues(table, 'g_mag -')).message).toMatch(/expected a value.*column 8/);
    expect(errorOf(() => axisValues(table, 'g_mag - i_mag')).message).toMatch(/no column "i_mag".*column 9/);
    expect(errorOf(() => axisValues(table, 'LOGX(g_mag)')).message).toMatch(/unknown function LOGX/);
    expect(errorOf(() => axisValues(table, 'g_mag > 20')).message).toMatch(/condition/);
    expect(errorOf(() => axisValues(table, 'band')).message).toMatch(/no number for any row/);
    expect(errorOf(() => axisValues(table, '  ')).message).toMatch(/type a column name/);
  });
});

describe('density binning', () => {
  // A 4 × 4 grid over x, y in [0, 4]: points at bin centres, one row in bin (3, 3) from the maximum itself.
  const xs = Float64Array.from([0.5, 0.5, 1.5, 3.5, 4, Number.NaN, 2.5]);
  const ys = Float64Array.from([0.5, 0.5, 2.5, 0.5, 4, 1, Number.NaN]);

  it('counts rows per bin, bottom row first, the maximum in the last bin, missing values left out', () => {
    const grid = binGrid(xs, ys, { bins: 4 });
    expect(grid.xDomain).toEqual([0.5, 4]);
    expect(grid.yDomain).toEqual([0.5, 4]);
    expect(grid.total).toBe(5);
    expect(grid.maxCount).toBe(2);
    expect(grid.counts.reduce((a, b) => a + b, 0)).toBe(5);
    expect(grid.counts[0]).toBe(2); // rows 0 and 1 at the lower-left corner
    expect(grid.binOfRow[4]).toBe(15); // (4, 4): the top-right bin, not one past it
    expect(grid.binOfRow[3]).toBe(3); // x = 3.5 → last column, bottom row
    expect(Array.from(grid.binOfRow.subarray(5))).toEqual([-1, -1]);
  });

  it('bins only the rows the filter keeps, and counts the selection apart', () => {
    const grid = binGrid(xs, ys, { bins: 4, keep: new Set([0, 2, 3]) });
    expect(grid.total).toBe(3);
    expect(grid.binOfRow[1]).toBe(-1);
    expect(grid.xDomain).toEqual([0.5, 3.5]);
    const selected = countSelected(grid, new Set([0, 1, 3]));
    expect(selected.reduce((a, b) => a + b, 0)).toBe(2); // row 1 is filtered out
    expect(selected[grid.binOfRow[0]]).toBe(1);
    expect(selected[grid.binOfRow[3]]).toBe(1);
    expect(binGrid(xs, ys, { bins: 4, selected: new Set([0, 1]) }).selectedCounts[0]).toBe(2);
  });

  it('selects the rows of a rectangle of bins, corners in either order, and clamps positions to the grid', () => {
    const grid = binGrid(xs, ys, { bins: 4 });
    expect([...rowsInBins(grid, [0, 0], [0, 0])].sort()).toEqual([0, 1]);
    expect([...rowsInBins(grid, [3, 3], [0, 0])].sort()).toEqual([0, 1, 2, 3, 4]);
    expect([...rowsInBins(grid, [2, 0], [3, 1])]).toEqual([3]);
    expect(binAt(grid, 0.6, 0.6)).toEqual([0, 0]);
    expect(binAt(grid, -100, 100)).toEqual([0, 3]);
    // Every row is in the bin binAt finds for it.
    for (let r = 0; r < 5; r++) {
      const [ix, iy] = binAt(grid, xs[r], ys[r]);
      expect(rowsInBins(grid, [ix, iy], [ix, iy]).has(r)).toBe(true);
    }
  });

  it('draws one value, or none, without dividing by zero', () => {
    const one = binGrid(Float64Array.from([2, 2]), Float64Array.from([5, 5]), { bins: 3 });
    expect(one.xDomain).toEqual([1.5, 2.5]);
    expect(one.counts[4]).toBe(2);
    const none = binGrid(new Float64Array(0), new Float64Array(0));
    expect(none.total).toBe(0);
    expect(none.maxCount).toBe(0);
  });

  it('chooses more bins for more rows, within bounds', () => {
    expect(binsFor(10)).toBe(8);
    expect(binsFor(353)).toBe(13);
    expect(binsFor(20_000)).toBe(100);
    expect(binsFor(1_000_000)).toBe(150);
  });

  it('maps counts to viridis, linearly or by log, ends fixed', () => {
    expect(countPosition(1, 100, false)).toBe(0);
    expect(countPosition(100, 100, true)).toBe(1);
    expect(countPosition(10, 100, true)).toBeCloseTo(0.5, 12);
    expect(countPosition(10, 100, false)).toBeCloseTo(9 / 99, 12);
    const linear = countColour(100, false);
    expect(linear(1)).toBe('rgb(68, 1, 84)');
    expect(linear(100)).toBe('rgb(253, 231, 37)');
    expect(linear(1000)).toBe('rgb(253, 231, 37)');
    // Log makes a count of 10 of 100 mid-scale (teal), linear leaves it near the dark end.
    const [mid, low] = [countColour(100, true)(10), linear(10)];
    expect(mid).not.toBe(low);
    const green = (colour: string) => Number(/rgb\(\d+, (\d+)/.exec(colour)![1]);
    expect(green(mid)).toBeGreaterThan(green(low) + 50);
  });
});

describe('query region from the ADQL', () => {
  it('reads the cone of CONTAINS(POINT, CIRCLE) in the WHERE clause', () => {
    const adql = `SELECT objectId FROM dp02_dc2_catalogs.Object
      WHERE CONTAINS(POINT('ICRS', coord_ra, coord_dec), CIRCLE('ICRS', 62, -37, 0.5)) = 1`;
    expect(queryRegions(adql)).toEqual([{ kind: 'circle', ra: 62, dec: -37, radius: 0.5 }]);
  });

  it('reads circles without a coordinate system, ADQL 2.1 POINT centres, signs and exponents', () => {
    expect(
      queryRegions('SELECT * FROM t WHERE 1=CONTAINS(POINT(ra, dec), CIRCLE(359.5, +1.5e1, .25))'),
    ).toEqual([{ kind: 'circle', ra: 359.5, dec: 15, radius: 0.25 }]);
    expect(
      queryRegions("select * from t where contains(point('ICRS', ra, dec), circle(point(10, - -5), 1)) = 1"),
    ).toEqual([{ kind: 'circle', ra: 10, dec: 5, radius: 1 }]);
  });

  it('reads a polygon, and every region of the clause in order', () => {
    const adql = `SELECT * FROM t WHERE CONTAINS(POINT('ICRS', ra, dec),
      POLYGON('ICRS', 61.5, -37.5, 62.5, -37.5, 62.5, -36.5, 61.5, -36.5)) = 1
      OR CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 70, -40, 0.1)) = 1 ORDER BY ra`;
    const regions = queryRegions(adql);
    expect(regions).toHaveLength(2);
    expect(regions[0]).toEqual({
      kind: 'polygon',
      vertices: [
        [61.5, -37.5],
        [62.5, -37.5],
        [62.5, -36.5],
        [61.5, -36.5],
      ],
    });
    expect(regions[1].kind).toBe('circle');
    expect(Object.isFrozen(regions[0])).toBe(true);
  });

  it('finds the region in a subquery but not in a comment, a string, the SELECT list or after ORDER BY', () => {
    expect(
      queryRegions(`SELECT * FROM (SELECT * FROM t WHERE CONTAINS(POINT('ICRS', ra, dec),
        CIRCLE('ICRS', 1, 2, 3)) = 1) AS s`),
    ).toEqual([{ kind: 'circle', ra: 1, dec: 2, radius: 3 }]);
    expect(queryRegions('SELECT * FROM t -- WHERE CONTAINS(POINT(ra, dec), CIRCLE(1, 2, 3)) = 1\n')).toEqual(
      [],
    );
    expect(queryRegions('SELECT * FROM t /* WHERE CIRCLE(1, 2, 3) */ WHERE ra > 1')).toEqual([]);
    expect(queryRegions("SELECT * FROM t WHERE name = 'CIRCLE(1, 2, 3)'")).toEqual([]);
    expect(queryRegions("SELECT CIRCLE('ICRS', 1, 2, 3) AS c FROM t")).toEqual([]);
    expect(queryRegions('SELECT * FROM t')).toEqual([]);
    expect(queryRegions('')).toEqual([]);
  });

  it('draws nothing for a region built from columns, malformed or out of range', () => {
    expect(queryRegions('SELECT * FROM t WHERE CONTAINS(POINT(ra, dec), CIRCLE(ra0, dec0, 1)) = 1')).toEqual(
      [],
    );
    expect(queryRegions('SELECT * FROM t WHERE CONTAINS(POINT(ra, dec), CIRCLE(1, 2)) = 1')).toEqual([]);
    expect(queryRegions('SELECT * FROM t WHERE CONTAINS(POINT(ra, dec), CIRCLE(1, 95, 1)) = 1')).toEqual([]);
    expect(queryRegions('SELECT * FROM t WHERE CONTAINS(POINT(ra, dec), CIRCLE(1, 2, -1)) = 1')).toEqual([]);
    expect(queryRegions('SELECT * FROM t WHERE CONTAINS(POINT(ra, dec), POLYGON(1, 2, 3, 4)) = 1')).toEqual(
      [],
    );
    expect(
      queryRegions('SELECT * FROM t WHERE CONTAINS(POINT(ra, dec), POLYGON(1, 2, 3, 4, 5)) = 1'),
    ).toEqual([]);
    expect(queryRegions('SELECT * FROM t WHERE CONTAINS(POINT(ra, dec), CIRCLE(1, 2, 1')).toEqual([]);
    expect(queryRegions("SELECT * FROM t WHERE x = 'unterminated")).toEqual([]);
  });

  it('outlines a cone as a small circle on the sky, wider in RA away from the equator', () => {
    const cone = { kind: 'circle', ra: 62, dec: -60, radius: 0.5 } as const;
    const outline = regionOutline(cone, 62, 360);
    for (const [ra, dec] of outline) {
      // The angular distance of every outline point from the centre is the radius.
      const d = Math.acos(
        Math.sin((dec * Math.PI) / 180) * Math.sin((-60 * Math.PI) / 180) +
          Math.cos((dec * Math.PI) / 180) *
            Math.cos((-60 * Math.PI) / 180) *
            Math.cos(((ra - 62) * Math.PI) / 180),
      );
      expect((d * 180) / Math.PI).toBeCloseTo(0.5, 9);
    }
    const { ra, dec } = regionExtent(cone, 62);
    expect(dec[1] - dec[0]).toBeCloseTo(1, 3);
    expect(ra[1] - ra[0]).toBeCloseTo(1 / Math.cos((60 * Math.PI) / 180), 2);
  });

  it('keeps RA continuous across 0/360 around the centre, and closes polygons', () => {
    const cone = { kind: 'circle', ra: 0.1, dec: 0, radius: 0.5 } as const;
    const ras = regionOutline(cone, 359.9).map((p) => p[0]);
    expect(Math.min(...ras)).toBeCloseTo(359.6, 6);
    expect(Math.max(...ras)).toBeCloseTo(360.6, 6);
    const square = {
      kind: 'polygon',
      vertices: [
        [10, 0],
        [11, 0],
        [11, 1],
        [10, 1],
      ],
    } as const;
    const outline = regionOutline(square, 10, 8);
    expect(outline[0]).toEqual(outline[outline.length - 1]);
    expect(outline[0][0]).toBeCloseTo(10, 9);
    expect(outline[2][0]).toBeCloseTo(11, 9);
  });
});

describe('filters apply to the plots', () => {
  const ra = Float64Array.from([10, 11, 12, Number.NaN]);
  const dec = Float64Array.from([0, 1, 2, 3]);

  it('leaves rows the filter hides out of the layout, in both directions of the row ↔ point map', () => {
    const layout = plotLayout(ra, dec, false, { keep: new Set([0, 2, 3]) });
    expect(Array.from(layout.rowOfPoint)).toEqual([0, 2]);
    expect(Array.from(layout.pointOfRow)).toEqual([0, -1, 1, -1]);
    expect(plotLayout(ra, dec, false).rowOfPoint).toHaveLength(3);
  });

  it('widens the view to include a region box', () => {
    const layout = plotLayout(ra, dec, false, { include: { x: [0, 12], y: [0, 2] } });
    expect(layout.xDomain[0]).toBeLessThan(0);
    expect(layout.xDomain[1]).toBeGreaterThan(12);
  });

  it('counts only the kept rows in a histogram', () => {
    const values = Float64Array.from([1, 2, 3, 4]);
    const h = histogram(values, new Set([1, 3]), 2, new Set([0, 1]));
    expect(Array.from(h.counts)).toEqual([1, 1]);
    expect(h.edges[0]).toBe(1);
    expect(h.edges[2]).toBe(2);
    expect(Array.from(h.selectedCounts)).toEqual([0, 1]);
  });

  it('labels axes of large values with SI prefixes, small ones as usual', () => {
    expect(tickFormat(scaleLinear().domain([0, 100_000]))(80_000)).toBe('80k');
    expect(tickFormat(scaleLinear().domain([-2e6, 0]))(-1_500_000)).toBe('−1.5M');
    expect(tickFormat(scaleLinear().domain([61, 63]))(61.5)).toBe('61.5');
  });
});
