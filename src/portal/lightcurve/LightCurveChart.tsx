/**
 * The light-curve plot (uPlot): one series of unjoined points per band in its own colour, with uPlot's legend, and
 * error bars drawn by a `draw` hook (uPlot has none of its own). Magnitudes put bright at the top, as astronomers
 * expect.
 */

import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { alignedSeries, bandColour, type LightCurve } from './light-curve-data.js';

interface Props {
  readonly curve: LightCurve;
}

const POINT_SIZE = 7;

/** Draws each shown series' ±error as a vertical line with short caps, in the series' colour. */
function drawErrorBars(errors: readonly (readonly (number | null)[])[]) {
  return (u: uPlot) => {
    const ctx = u.ctx;
    const cap = 3 * uPlot.pxRatio;
    ctx.save();
    ctx.lineWidth = Math.max(1, uPlot.pxRatio);
    for (let s = 1; s < u.series.length; s++) {
      const series = u.series[s];
      if (!series.show) continue;
      ctx.strokeStyle = bandColourOf(series);
      const ys = u.data[s];
      const errs = errors[s - 1];
      ctx.beginPath();
      for (let i = 0; i < ys.length; i++) {
        const y = ys[i];
        const e = errs[i];
        if (y === null || y === undefined || e === null || e === undefined) continue;
        const px = u.valToPos(u.data[0][i], 'x', true);
        const top = u.valToPos(y + e, 'y', true);
        const bottom = u.valToPos(y - e, 'y', true);
        ctx.moveTo(px, top);
        ctx.lineTo(px, bottom);
        ctx.moveTo(px - cap, top);
        ctx.lineTo(px + cap, top);
        ctx.moveTo(px - cap, bottom);
        ctx.lineTo(px + cap, bottom);
      }
      ctx.stroke();
    }
    ctx.restore();
  };
}

function bandColourOf(series: uPlot.Series): string {
  return typeof series.stroke === 'string' ? series.stroke : '#555';
}

export function LightCurveChart({ curve }: Props) {
  const host = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const element = host.current!;
    const { x, values, errors } = alignedSeries(curve.bands);
    const data: uPlot.AlignedData = [x, ...values];
    const magnitudes = curve.unit === 'mag';
    const options = (width: number, height: number): uPlot.Options => ({
      width,
      height,
      legend: { show: true, live: false },
      cursor: { drag: { x: true, y: false } },
      // Padding on both sides, so the first and last visits' points and bars are not cut by the plot's edge.
      scales: {
        x: {
          time: false,
          range: (_u, min, max) => {
            const pad = Math.max((max - min) * 0.04, 1);
            return [min - pad, max + pad];
          },
        },
        y: { dir: magnitudes ? -1 : 1 },
      },
      axes: [
        { label: 'MJD (expMidptMJD)', space: 90 },
        { label: magnitudes ? 'AB magnitude' : 'psfFlux (nJy)', size: 70 },
      ],
      series: [
        { label: 'MJD' },
        ...curve.bands.map((b) => ({
          label: b.band,
          stroke: bandColour(b.band),
          fill: bandColour(b.band),
          paths: () => null,
          points: { show: true, size: POINT_SIZE, fill: bandColour(b.band), stroke: bandColour(b.band) },
        })),
      ],
      hooks: { draw: [drawErrorBars(errors)] },
    });
    const { width, height } = element.getBoundingClientRect();
    const chart = new uPlot(options(Math.max(width, 200), Math.max(height - 40, 150)), data, element);
    const observer = new ResizeObserver(([entry]) => {
      chart.setSize({
        width: Math.max(entry.contentRect.width, 200),
        height: Math.max(entry.contentRect.height - 40, 150),
      });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
    };
  }, [curve]);

  return <figure className="lightcurve-chart" ref={host} aria-label="Light curve" data-unit={curve.unit} />;
}
