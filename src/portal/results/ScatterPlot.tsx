/**
 * A WebGL scatter plot (regl-scatterplot: pans, zooms and lasso-selects millions of points at frame rate) with
 * axes drawn from the d3 scales the library keeps in step with its camera. Click a point to select its row,
 * Shift-drag a lasso for many, double-click empty space to clear; the table's selection is drawn highlighted.
 * Rows the table's filter hides are not plotted. A sky plot draws the query's region (cone or polygon) as an
 * outline that follows pan and zoom.
 */

import { scaleLinear } from 'd3-scale';
import { useEffect, useMemo, useRef, useState } from 'react';
import createScatterplot from 'regl-scatterplot';
import { type PlotLayout, plotLayout, tickFormat } from './plot-layout.js';
import { type QueryRegion, regionExtent, regionOutline } from './query-region.js';
import { useElementSize } from './use-element-size.js';

type Scatterplot = ReturnType<typeof createScatterplot>;

interface Props {
  readonly xs: Float64Array;
  readonly ys: Float64Array;
  readonly xLabel: string;
  readonly yLabel: string;
  /** RA to the left and equal angular scales, as the sky looks. */
  readonly sky: boolean;
  readonly selected: ReadonlySet<number>;
  /** Only these rows are plotted (the table's filter); null plots all. */
  readonly keep: ReadonlySet<number> | null;
  /** Sky plot only: the query's regions, outlined (and kept in view). */
  readonly regions?: readonly QueryRegion[];
  onSelect(rows: ReadonlySet<number>): void;
}

type Scale = ReturnType<typeof scaleLinear<number, number>>;

interface Ticks {
  readonly x: readonly { label: string; at: number }[];
  readonly y: readonly { label: string; at: number }[];
}

const MARGIN = { left: 56, bottom: 36 };

function ticksOf(xScale: Scale, yScale: Scale): Ticks {
  const [formatX, formatY] = [tickFormat(xScale), tickFormat(yScale)];
  return {
    x: xScale.ticks(6).map((value) => ({ label: formatX(value), at: xScale(value) })),
    y: yScale.ticks(6).map((value) => ({ label: formatY(value), at: yScale(value) })),
  };
}

/** The regions' outlines as one SVG path in the plot area's pixels, for the current view. */
function regionPath(regions: readonly QueryRegion[], xScale: Scale, yScale: Scale, centreRa: number): string {
  return regions
    .map((region) =>
      regionOutline(region, centreRa)
        .map(([ra, dec], i) => `${i === 0 ? 'M' : 'L'}${xScale(ra).toFixed(1)},${yScale(dec).toFixed(1)}`)
        .join(''),
    )
    .join('');
}

/** The box around all regions, in (RA, Dec) near `centreRa`, so the first view shows them whole. */
function regionsBox(regions: readonly QueryRegion[], centreRa: number) {
  if (regions.length === 0) return null;
  const extents = regions.map((region) => regionExtent(region, centreRa));
  return {
    x: [Math.min(...extents.map((e) => e.ra[0])), Math.max(...extents.map((e) => e.ra[1]))] as const,
    y: [Math.min(...extents.map((e) => e.dec[0])), Math.max(...extents.map((e) => e.dec[1]))] as const,
  };
}

const NO_REGIONS: readonly QueryRegion[] = Object.freeze([]);

/** A mean RA that respects the wrap at 0/360 (the mean of unit vectors), for drawing regions near the data. */
function meanRa(xs: Float64Array): number {
  let [sx, sy] = [0, 0];
  for (const ra of xs) {
    if (!Number.isFinite(ra)) continue;
    sx += Math.cos((ra * Math.PI) / 180);
    sy += Math.sin((ra * Math.PI) / 180);
  }
  const mean = (Math.atan2(sy, sx) * 180) / Math.PI;
  return mean < 0 ? mean + 360 : mean;
}

function pointsOf(rows: ReadonlySet<number>, layout: PlotLayout): number[] {
  const points: number[] = [];
  for (const row of rows) {
    const point = layout.pointOfRow[row];
    if (point >= 0) points.push(point);
  }
  return points;
}

export function ScatterPlot(props: Props) {
  const { xs, ys, xLabel, yLabel, sky, selected, keep, onSelect } = props;
  const regions = sky ? (props.regions ?? NO_REGIONS) : NO_REGIONS;
  const frame = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const plot = useRef<Scatterplot | null>(null);
  const [view, setView] = useState<{ xScale: Scale; yScale: Scale } | null>(null);
  const size = useElementSize(frame);
  // Regions are drawn near the data's RA, so a cone at RA 359.9 and points at 0.1 meet on the plot.
  const centreRa = useMemo(() => (regions.length > 0 ? meanRa(xs) : 0), [regions, xs]);
  const layout = useMemo(
    () => plotLayout(xs, ys, sky, { keep, include: regionsBox(regions, centreRa) }),
    [xs, ys, sky, keep, regions, centreRa],
  );
  const ticks = useMemo<Ticks>(
    () => (view === null ? { x: [], y: [] } : ticksOf(view.xScale, view.yScale)),
    [view],
  );
  const outline = useMemo(
    () =>
      view === null || regions.length === 0 ? '' : regionPath(regions, view.xScale, view.yScale, centreRa),
    [view, regions, centreRa],
  );
  const latest = useRef({ layout, onSelect, selected });
  latest.current = { layout, onSelect, selected };

  useEffect(() => {
    if (size.width <= 1) return;
    const xScale = scaleLinear().domain(layout.xDomain);
    const yScale = scaleLinear().domain(layout.yDomain);
    const scatterplot = createScatterplot({
      canvas: canvas.current!,
      width: size.width,
      height: size.height,
      xScale,
      yScale,
      pointSize: layout.x.length > 20_000 ? 2 : 4,
      backgroundColor: '#ffffff',
      pointColor: [0.16, 0.3, 0.55, 0.75],
      pointColorActive: [0.95, 0.45, 0.05, 1],
      pointOutlineWidth: 1,
      lassoColor: [0.95, 0.45, 0.05, 1],
    });
    plot.current = scatterplot;
    const onView = ({ xScale: x, yScale: y }: { xScale?: unknown; yScale?: unknown }) => {
      if (x !== undefined && y !== undefined) setView({ xScale: x as Scale, yScale: y as Scale });
    };
    scatterplot.subscribe('view', onView);
    scatterplot.subscribe('select', ({ points }: { points: number[] }) => {
      const { rowOfPoint } = latest.current.layout;
      latest.current.onSelect(new Set(points.map((p) => rowOfPoint[p])));
    });
    scatterplot.subscribe('deselect', () => latest.current.onSelect(new Set()));
    void scatterplot
      .draw(
        { x: Array.from(layout.x), y: Array.from(layout.y) },
        { select: pointsOf(latest.current.selected, layout) },
      )
      .then(() => setView({ xScale, yScale }));
    return () => {
      plot.current = null;
      scatterplot.destroy();
    };
  }, [layout, size]);

  useEffect(() => {
    const scatterplot = plot.current;
    if (scatterplot === null) return;
    const points = pointsOf(selected, layout);
    if (points.length === 0) scatterplot.deselect({ preventEvent: true });
    else scatterplot.select(points, { preventEvent: true });
  }, [selected, layout]);

  return (
    <figure className="plot" aria-label={`${yLabel} against ${xLabel}`}>
      <div className="plot-area" style={{ left: MARGIN.left, bottom: MARGIN.bottom }} ref={frame}>
        <canvas ref={canvas} data-points={layout.x.length} />
        {outline !== '' && (
          <svg className="region" aria-label="Query region" data-regions={regions.length}>
            <path d={outline} />
          </svg>
        )}
      </div>
      <svg className="axes" aria-hidden="true">
        {ticks.x.map((t) => (
          <text key={`x${t.label}`} x={MARGIN.left + t.at} y="100%" dy={-20} textAnchor="middle">
            {t.label}
          </text>
        ))}
        {ticks.y.map((t) => (
          <text key={`y${t.label}`} x={MARGIN.left - 6} y={t.at} dy={4} textAnchor="end">
            {t.label}
          </text>
        ))}
      </svg>
      <figcaption className="axis-label x-label" title={xLabel}>
        {xLabel}
      </figcaption>
      <figcaption className="axis-label y-label" title={yLabel}>
        {yLabel}
      </figcaption>
    </figure>
  );
}
