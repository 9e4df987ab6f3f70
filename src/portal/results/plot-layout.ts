/**
 * Mapping data to regl-scatterplot's normalised device coordinates ([-1, 1] on both axes). Rows with a missing x
 * or y, and rows the table's filter hides, are left out, so the plot keeps both directions of the row ↔ point
 * mapping. A sky plot keeps true angles
 * on the sky (RA spans are shrunk by cos Dec at the centre) and draws RA increasing to the left, as on the sky.
 */

export interface PlotLayout {
  /** Normalised coordinates, one entry per plotted point. */
  readonly x: Float32Array;
  readonly y: Float32Array;
  /** The result row of each point. */
  readonly rowOfPoint: Int32Array;
  /** The point of each row, or -1 when the row is not plotted. */
  readonly pointOfRow: Int32Array;
  /** Data values at normalised -1 and +1, for the axes (x reversed on a sky plot). */
  readonly xDomain: readonly [number, number];
  readonly yDomain: readonly [number, number];
}

function extent(values: Float64Array, rows: Int32Array): [number, number] {
  let [min, max] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (const r of rows) {
    if (values[r] < min) min = values[r];
    if (values[r] > max) max = values[r];
  }
  return rows.length === 0 ? [0, 1] : [min, max];
}

/** Margin around the data, as a fraction of the half-span, so edge points are not cut in half. */
const PADDING = 1.05;

export interface LayoutOptions {
  /** Only these rows are plotted (the table's filter); null plots every row. */
  readonly keep?: ReadonlySet<number> | null;
  /** A box the view must also show (the query's region on a sky plot), in data units. */
  readonly include?: { readonly x: readonly [number, number]; readonly y: readonly [number, number] } | null;
}

export function plotLayout(
  xs: Float64Array,
  ys: Float64Array,
  sky: boolean,
  { keep = null, include = null }: LayoutOptions = {},
): PlotLayout {
  const pointOfRow = new Int32Array(xs.length).fill(-1);
  const kept: number[] = [];
  for (let r = 0; r < xs.length; r++) {
    if (keep !== null && !keep.has(r)) continue;
    if (Number.isFinite(xs[r]) && Number.isFinite(ys[r])) {
      pointOfRow[r] = kept.length;
      kept.push(r);
    }
  }
  const rowOfPoint = Int32Array.from(kept);
  let [xMin, xMax] = extent(xs, rowOfPoint);
  let [yMin, yMax] = extent(ys, rowOfPoint);
  if (include !== null) {
    [xMin, xMax] =
      rowOfPoint.length === 0 ? include.x : [Math.min(xMin, include.x[0]), Math.max(xMax, include.x[1])];
    [yMin, yMax] =
      rowOfPoint.length === 0 ? include.y : [Math.min(yMin, include.y[0]), Math.max(yMax, include.y[1])];
  }
  const [cx, cy] = [(xMin + xMax) / 2, (yMin + yMax) / 2];
  const shrink = sky ? Math.max(Math.cos((cy * Math.PI) / 180), 1e-3) : 1;
  let halfX = ((xMax - xMin) / 2) * PADDING || 1;
  let halfY = ((yMax - yMin) / 2) * PADDING || 1;
  if (sky) {
    // One scale for both axes, in degrees on the sky.
    const half = Math.max(halfX * shrink, halfY);
    [halfX, halfY] = [half / shrink, half];
  }
  const direction = sky ? -1 : 1;
  const x = new Float32Array(rowOfPoint.length);
  const y = new Float32Array(rowOfPoint.length);
  for (let p = 0; p < rowOfPoint.length; p++) {
    x[p] = (direction * (xs[rowOfPoint[p]] - cx)) / halfX;
    y[p] = (ys[rowOfPoint[p]] - cy) / halfY;
  }
  return {
    x,
    y,
    rowOfPoint,
    pointOfRow,
    xDomain: [cx - direction * halfX, cx + direction * halfX],
    yDomain: [cy - halfY, cy + halfY],
  };
}

export interface Histogram {
  /** Left edges of the bins, plus the right edge of the last one. */
  readonly edges: Float64Array;
  readonly counts: Float64Array;
  /** Counts of the selected rows only. */
  readonly selectedCounts: Float64Array;
}

/** Counts of `values` in `bins` equal bins over their range; only the rows in `keep` (the table's filter) count. */
export function histogram(
  values: Float64Array,
  selected: ReadonlySet<number>,
  bins = 40,
  keep: ReadonlySet<number> | null = null,
): Histogram {
  let [min, max] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (let r = 0; r < values.length; r++) {
    const v = values[r];
    if (!Number.isFinite(v) || (keep !== null && !keep.has(r))) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min > max) [min, max] = [0, 1];
  if (min === max) [min, max] = [min - 0.5, max + 0.5];
  const width = (max - min) / bins;
  const edges = Float64Array.from({ length: bins + 1 }, (_, i) => min + i * width);
  const counts = new Float64Array(bins);
  const selectedCounts = new Float64Array(bins);
  for (let r = 0; r < values.length; r++) {
    const v = values[r];
    if (!Number.isFinite(v) || (keep !== null && !keep.has(r))) continue;
    const bin = Math.min(Math.floor((v - min) / width), bins - 1);
    counts[bin]++;
    if (selected.has(r)) selectedCounts[bin]++;
  }
  return { edges, counts, selectedCounts };
}

/** The part of a d3 linear scale that formats its ticks. */
interface TickScale {
  domain(): number[];
  tickFormat(count?: number, specifier?: string): (value: number) => string;
}

/**
 * Tick labels for an axis: d3's usual ones, but with SI prefixes (`80k`, `1.5M`) once values reach 10,000, so
 * fluxes in nJy do not run into the axis label.
 */
export function tickFormat(scale: TickScale, count = 6): (value: number) => string {
  const largest = Math.max(...scale.domain().map(Math.abs));
  return scale.tickFormat(count, largest >= 10_000 ? '~s' : undefined);
}
