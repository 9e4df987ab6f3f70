/**
 * A 2-D density heatmap: the two axes binned into a grid (binning.ts), each bin filled with the colour of its row
 * count (viridis, linear or log), a colour bar as the legend. It is the chart for large results, where a scatter
 * of 100,000 points is a solid blot. Drawn on a 2-D canvas, one rectangle per non-empty bin, with d3-scale mapping
 * data to pixels and counts to colours; the axes are SVG like the scatter plot's.
 *
 * Drag a rectangle to select the rows in the bins it touches (a click selects one bin's rows), Shift-drag to add
 * them to the selection; double-click clears. Bins holding selected rows are outlined in the selection's orange, so a selection made in the table or
 * the sky plot shows here too.
 */

import { scaleLinear, scaleLog } from 'd3-scale';
import { useEffect, useMemo, useRef, useState } from 'react';
import { binAt, binGrid, countColour, countPosition, countSelected, rowsInBins, VIRIDIS } from './binning.js';
import { tickFormat } from './plot-layout.js';
import { useElementSize } from './use-element-size.js';

interface Props {
  readonly xs: Float64Array;
  readonly ys: Float64Array;
  readonly xLabel: string;
  readonly yLabel: string;
  /** Colour by log(count), so sparse outskirts stay visible next to a dense core. */
  readonly log: boolean;
  readonly selected: ReadonlySet<number>;
  /** Only these rows are binned (the table's filter); null bins all. */
  readonly keep: ReadonlySet<number> | null;
  onSelect(rows: ReadonlySet<number>): void;
}

const MARGIN = { left: 56, bottom: 36, right: 64 };
const SELECT_COLOUR = '#f2730d';
/** Pixels between the colour bar's tick labels. */
const LEGEND_TICK_SPACING = 14;

interface Drag {
  readonly from: readonly [number, number];
  readonly to: readonly [number, number];
}

export function DensityHeatmap({ xs, ys, xLabel, yLabel, log, selected, keep, onSelect }: Props) {
  const frame = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const size = useElementSize(frame);
  const [drag, setDrag] = useState<Drag | null>(null);
  // Binning does not depend on the selection; the selection's bins are counted apart, from the selection alone.
  const grid = useMemo(() => binGrid(xs, ys, { keep }), [xs, ys, keep]);
  const selectedBins = useMemo(() => countSelected(grid, selected), [grid, selected]);
  const xScale = useMemo(() => scaleLinear().domain(grid.xDomain).range([0, size.width]), [grid, size.width]);
  const yScale = useMemo(
    () => scaleLinear().domain(grid.yDomain).range([size.height, 0]),
    [grid, size.height],
  );
  const colour = useMemo(() => countColour(grid.maxCount, log), [grid.maxCount, log]);

  useEffect(() => {
    const element = canvas.current!;
    const ratio = window.devicePixelRatio || 1;
    element.width = size.width * ratio;
    element.height = size.height * ratio;
    const context = element.getContext('2d');
    if (context === null) return;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, size.width, size.height);
    const [binWidth, binHeight] = [size.width / grid.nx, size.height / grid.ny];
    const box = (ix: number, iy: number) =>
      [ix * binWidth, size.height - (iy + 1) * binHeight, binWidth, binHeight] as const;
    for (let bin = 0; bin < grid.counts.length; bin++) {
      const count = grid.counts[bin];
      if (count === 0) continue;
      context.fillStyle = colour(count);
      const [x, y, w, h] = box(bin % grid.nx, Math.floor(bin / grid.nx));
      // Overlap by a fraction of a pixel so neighbouring bins show no hairline gaps.
      context.fillRect(x, y, w + 0.5, h + 0.5);
    }
    context.strokeStyle = SELECT_COLOUR;
    context.lineWidth = 2;
    for (let bin = 0; bin < selectedBins.length; bin++) {
      if (selectedBins[bin] === 0) continue;
      const [x, y, w, h] = box(bin % grid.nx, Math.floor(bin / grid.nx));
      context.strokeRect(x + 1, y + 1, Math.max(w - 2, 1), Math.max(h - 2, 1));
    }
  }, [grid, selectedBins, colour, size]);

  /** The bin under a pointer event, in grid coordinates. */
  const binOfEvent = (event: React.PointerEvent | React.MouseEvent): [number, number] => {
    const rect = canvas.current!.getBoundingClientRect();
    const [px, py] = [event.clientX - rect.left, event.clientY - rect.top];
    return binAt(grid, xScale.invert(px), yScale.invert(py));
  };

  const ticks = useMemo(() => {
    const [formatX, formatY] = [tickFormat(xScale), tickFormat(yScale)];
    return {
      x: xScale.ticks(6).map((v) => ({ label: formatX(v), at: xScale(v) })),
      y: yScale.ticks(6).map((v) => ({ label: formatY(v), at: yScale(v) })),
    };
  }, [xScale, yScale]);

  // The legend: a colour bar from 1 row (bottom) to the largest count (top), ticks at round counts.
  const legendHeight = Math.max(size.height - 20, 20);
  const top = Math.max(grid.maxCount, 2);
  const legendTicks = useMemo(() => {
    const counts = log
      ? scaleLog().domain([1, top]).ticks(4)
      : scaleLinear()
          .domain([1, top])
          .ticks(4)
          .filter((c) => Number.isInteger(c) && c >= 1);
    // A log scale's ticks crowd below each power of ten: keep those at least a label's height apart.
    const kept: { label: string; at: number }[] = [];
    for (const count of counts) {
      const at = legendHeight * (1 - countPosition(count, top, log));
      if (kept.length === 0 || kept[kept.length - 1].at - at >= LEGEND_TICK_SPACING) {
        kept.push({ label: count.toLocaleString('en-US'), at });
      }
    }
    return kept;
  }, [log, top, legendHeight]);

  // The dragged rectangle, snapped to whole bins: what will be selected.
  const dragBox =
    drag === null
      ? null
      : {
          left: (Math.min(drag.from[0], drag.to[0]) * size.width) / grid.nx,
          width: ((Math.abs(drag.to[0] - drag.from[0]) + 1) * size.width) / grid.nx,
          top: size.height - ((Math.max(drag.from[1], drag.to[1]) + 1) * size.height) / grid.ny,
          height: ((Math.abs(drag.to[1] - drag.from[1]) + 1) * size.height) / grid.ny,
        };

  return (
    <figure
      className="plot heatmap"
      aria-label={`Density of ${yLabel} against ${xLabel}`}
      data-bins={`${grid.nx}x${grid.ny}`}
      data-max-count={grid.maxCount}
      data-points={grid.total}
      data-x-domain={grid.xDomain.join(' ')}
      data-y-domain={grid.yDomain.join(' ')}
    >
      <div
        className="plot-area"
        style={{ left: MARGIN.left, bottom: MARGIN.bottom, right: MARGIN.right }}
        ref={frame}
      >
        <canvas
          ref={canvas}
          style={{ width: size.width, height: size.height }}
          onPointerDown={(event) => {
            if (event.button !== 0) return;
            event.currentTarget.setPointerCapture(event.pointerId);
            const bin = binOfEvent(event);
            setDrag({ from: bin, to: bin });
          }}
          onPointerMove={(event) => {
            if (drag !== null) setDrag({ from: drag.from, to: binOfEvent(event) });
          }}
          onPointerUp={(event) => {
            if (drag === null) return;
            const rows = rowsInBins(grid, drag.from, binOfEvent(event));
            setDrag(null);
            // Shift adds the rectangle to the selection, as Shift-click extends it in the table.
            onSelect(event.shiftKey ? new Set([...selected, ...rows]) : rows);
          }}
          onPointerCancel={() => setDrag(null)}
          onDoubleClick={() => onSelect(new Set())}
        />
        {dragBox !== null && <div className="bin-drag" style={dragBox} />}
      </div>
      <svg className="axes" aria-hidden="true">
        {ticks.x.map((t) => (
          <text key={`x${t.label}`} x={MARGIN.left + t.at} y="100%" dy={-20} textAnchor="middle">
            {t.label}
          </text>
        ))}
        {ticks.y.map((t) => (
          <text key={`y${t.label}`} x={MARGIN.left - 6} y={4 + t.at} dy={4} textAnchor="end">
            {t.label}
          </text>
        ))}
      </svg>
      <div
        className="heatmap-legend"
        style={{ height: legendHeight }}
        role="img"
        aria-label={`Colour scale: rows per bin, 1 to ${top.toLocaleString('en-US')}${log ? ' (log)' : ''}`}
      >
        <span className="legend-title">rows / bin</span>
        <div
          className="colour-bar"
          style={{ background: `linear-gradient(to top, ${VIRIDIS.join(', ')})` }}
          data-scale={log ? 'log' : 'linear'}
        />
        {legendTicks.map((t) => (
          <span key={t.label} className="legend-tick" style={{ top: t.at }}>
            {t.label}
          </span>
        ))}
      </div>
      <figcaption className="axis-label x-label" title={xLabel}>
        {xLabel}
      </figcaption>
      <figcaption className="axis-label y-label" title={yLabel}>
        {yLabel}
      </figcaption>
    </figure>
  );
}
