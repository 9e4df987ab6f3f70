/**
 * A WebGL scatter plot (regl-scatterplot: pans, zooms and lasso-selects millions of points at frame rate) with
 * axes drawn from the d3 scales the library keeps in step with its camera. Click a point to select its row,
 * Shift-drag a lasso for many, double-click empty space to clear; the table's selection is drawn highlighted.
 */

import { scaleLinear } from 'd3-scale';
import { useEffect, useMemo, useRef, useState } from 'react';
import createScatterplot from 'regl-scatterplot';
import { type PlotLayout, plotLayout } from './plot-layout.js';

type Scatterplot = ReturnType<typeof createScatterplot>;

interface Props {
  readonly xs: Float64Array;
  readonly ys: Float64Array;
  readonly xLabel: string;
  readonly yLabel: string;
  /** RA to the left and equal angular scales, as the sky looks. */
  readonly sky: boolean;
  readonly selected: ReadonlySet<number>;
  onSelect(rows: ReadonlySet<number>): void;
}

interface Ticks {
  readonly x: readonly { label: string; at: number }[];
  readonly y: readonly { label: string; at: number }[];
}

const MARGIN = { left: 56, bottom: 36 };

function ticksOf(xScale: ReturnType<typeof scaleLinear>, yScale: ReturnType<typeof scaleLinear>): Ticks {
  const [formatX, formatY] = [xScale.tickFormat(6), yScale.tickFormat(6)];
  return {
    x: xScale.ticks(6).map((value) => ({ label: formatX(value), at: xScale(value) as number })),
    y: yScale.ticks(6).map((value) => ({ label: formatY(value), at: yScale(value) as number })),
  };
}

function pointsOf(rows: ReadonlySet<number>, layout: PlotLayout): number[] {
  const points: number[] = [];
  for (const row of rows) {
    const point = layout.pointOfRow[row];
    if (point >= 0) points.push(point);
  }
  return points;
}

export function ScatterPlot({ xs, ys, xLabel, yLabel, sky, selected, onSelect }: Props) {
  const frame = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const plot = useRef<Scatterplot | null>(null);
  const [ticks, setTicks] = useState<Ticks>({ x: [], y: [] });
  const [size, setSize] = useState({ width: 0, height: 0 });
  const layout = useMemo(() => plotLayout(xs, ys, sky), [xs, ys, sky]);
  const latest = useRef({ layout, onSelect, selected });
  latest.current = { layout, onSelect, selected };

  useEffect(() => {
    const observer = new ResizeObserver(([entry]) => {
      const { width, height } = entry.contentRect;
      setSize({ width: Math.max(Math.floor(width), 1), height: Math.max(Math.floor(height), 1) });
    });
    observer.observe(frame.current!);
    return () => observer.disconnect();
  }, []);

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
      if (x !== undefined && y !== undefined) {
        setTicks(ticksOf(x as ReturnType<typeof scaleLinear>, y as ReturnType<typeof scaleLinear>));
      }
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
      .then(() => setTicks(ticksOf(xScale, yScale)));
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
      <figcaption className="axis-label x-label">{xLabel}</figcaption>
      <figcaption className="axis-label y-label">{yLabel}</figcaption>
    </figure>
  );
}
