/**
 * Binning two axes into a grid of counts for the density heatmap, and mapping counts to colours. Only the rows
 * the table's filter keeps are counted; rows with a missing x or y are left out. Each counted row remembers its
 * bin, so a rectangle of bins selects exactly the rows drawn in it.
 */

import { scaleLinear } from 'd3-scale';

export interface DensityGrid {
  /** Bins along x and y. */
  readonly nx: number;
  readonly ny: number;
  /** Data values at the outer edges of the grid. */
  readonly xDomain: readonly [number, number];
  readonly yDomain: readonly [number, number];
  /** Rows per bin, index `iy * nx + ix`, iy = 0 at the bottom (smallest y). */
  readonly counts: Uint32Array;
  /** Selected rows per bin. */
  readonly selectedCounts: Uint32Array;
  /** The bin of each row, or -1 when the row is filtered out or has no x or y. */
  readonly binOfRow: Int32Array;
  /** The largest count, and the number of rows counted. */
  readonly maxCount: number;
  readonly total: number;
}

/** Bins per axis for `n` points: about two points per bin on average for small results, at most 150 bins. */
export function binsFor(n: number): number {
  return Math.min(150, Math.max(8, Math.round(Math.sqrt(n / 2))));
}

function extent(values: Float64Array, rows: readonly number[]): [number, number] {
  let [min, max] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (const r of rows) {
    if (values[r] < min) min = values[r];
    if (values[r] > max) max = values[r];
  }
  if (rows.length === 0) return [0, 1];
  // One value only: a bin-wide span around it, so it is drawn in the middle rather than divided by zero.
  return min === max ? [min - 0.5, max + 0.5] : [min, max];
}

export interface BinOptions {
  /** Only these rows are counted (the table's filter); null counts every row. */
  readonly keep?: ReadonlySet<number> | null;
  readonly selected?: ReadonlySet<number>;
  /** Bins per axis; by default `binsFor` the number of rows counted. */
  readonly bins?: number;
}

export function binGrid(xs: Float64Array, ys: Float64Array, options: BinOptions = {}): DensityGrid {
  const { keep = null, selected = new Set<number>() } = options;
  const rows: number[] = [];
  for (let r = 0; r < xs.length; r++) {
    if (keep !== null && !keep.has(r)) continue;
    if (Number.isFinite(xs[r]) && Number.isFinite(ys[r])) rows.push(r);
  }
  const bins = options.bins ?? binsFor(rows.length);
  const [nx, ny] = [bins, bins];
  const xDomain = extent(xs, rows);
  const yDomain = extent(ys, rows);
  const [xWidth, yWidth] = [(xDomain[1] - xDomain[0]) / nx, (yDomain[1] - yDomain[0]) / ny];
  const counts = new Uint32Array(nx * ny);
  const selectedCounts = new Uint32Array(nx * ny);
  const binOfRow = new Int32Array(xs.length).fill(-1);
  let maxCount = 0;
  for (const r of rows) {
    // The largest value belongs to the last bin, not one past it.
    const ix = Math.min(Math.floor((xs[r] - xDomain[0]) / xWidth), nx - 1);
    const iy = Math.min(Math.floor((ys[r] - yDomain[0]) / yWidth), ny - 1);
    const bin = iy * nx + ix;
    binOfRow[r] = bin;
    if (++counts[bin] > maxCount) maxCount = counts[bin];
    if (selected.has(r)) selectedCounts[bin]++;
  }
  return Object.freeze({
    nx,
    ny,
    xDomain,
    yDomain,
    counts,
    selectedCounts,
    binOfRow,
    maxCount,
    total: rows.length,
  });
}

/** Selected rows per bin of `grid`: a pass over the selection only, so selecting does not re-bin 100,000 rows. */
export function countSelected(grid: DensityGrid, selected: ReadonlySet<number>): Uint32Array {
  const counts = new Uint32Array(grid.nx * grid.ny);
  for (const r of selected) {
    const bin = grid.binOfRow[r] ?? -1;
    if (bin >= 0) counts[bin]++;
  }
  return counts;
}

/** The bin column and row holding data point (x, y), clamped to the grid. */
export function binAt(grid: DensityGrid, x: number, y: number): [number, number] {
  const ix = Math.floor(((x - grid.xDomain[0]) / (grid.xDomain[1] - grid.xDomain[0])) * grid.nx);
  const iy = Math.floor(((y - grid.yDomain[0]) / (grid.yDomain[1] - grid.yDomain[0])) * grid.ny);
  return [Math.min(Math.max(ix, 0), grid.nx - 1), Math.min(Math.max(iy, 0), grid.ny - 1)];
}

/** The rows counted in the bins between two corners (inclusive, either order): a rectangle selection. */
export function rowsInBins(
  grid: DensityGrid,
  [ix0, iy0]: readonly [number, number],
  [ix1, iy1]: readonly [number, number],
): Set<number> {
  const [xLow, xHigh] = [Math.min(ix0, ix1), Math.max(ix0, ix1)];
  const [yLow, yHigh] = [Math.min(iy0, iy1), Math.max(iy0, iy1)];
  const rows = new Set<number>();
  for (let r = 0; r < grid.binOfRow.length; r++) {
    const bin = grid.binOfRow[r];
    if (bin < 0) continue;
    const [ix, iy] = [bin % grid.nx, Math.floor(bin / grid.nx)];
    if (ix >= xLow && ix <= xHigh && iy >= yLow && iy <= yHigh) rows.add(r);
  }
  return rows;
}

/**
 * Viridis (matplotlib's perceptually uniform map), as stops for d3's basis interpolation: dark for few rows, yellow
 * for many, readable in grey and by colour-blind readers, and far from the selection's orange.
 */
export const VIRIDIS = Object.freeze([
  '#440154',
  '#482878',
  '#3e4989',
  '#31688e',
  '#26828e',
  '#1f9e89',
  '#35b779',
  '#6ece58',
  '#b5de2b',
  '#fde725',
]);

/** Where count `count` sits on the colour bar, 0 (one row) to 1 (`maxCount`), linear or logarithmic. */
export function countPosition(count: number, maxCount: number, log: boolean): number {
  const top = Math.max(maxCount, 2);
  const c = Math.min(Math.max(count, 1), top);
  return log ? Math.log(c) / Math.log(top) : (c - 1) / (top - 1);
}

/** Count → CSS colour for counts 1..max (empty bins are not drawn): viridis, interpolated between its stops. */
export function countColour(maxCount: number, log: boolean): (count: number) => string {
  const stops = scaleLinear<string>()
    .domain(VIRIDIS.map((_, i) => i / (VIRIDIS.length - 1)))
    .range([...VIRIDIS]);
  return (count) => stops(countPosition(count, maxCount, log));
}
