/**
 * A histogram of one axis, a column or an expression (uPlot: a small, fast canvas chart library), with the
 * selected rows' counts drawn over the whole result's, so a selection made in the table or the scatter plot shows
 * here too. Rows the table's filter hides are not counted.
 */

import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { histogram } from './plot-layout.js';

interface Props {
  readonly values: Float64Array;
  readonly label: string;
  readonly selected: ReadonlySet<number>;
  /** Only these rows are counted (the table's filter); null counts all. */
  readonly keep: ReadonlySet<number> | null;
}

export function HistogramChart({ values, label, selected, keep }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const bins = useMemo(() => histogram(values, selected, 40, keep), [values, selected, keep]);

  useEffect(() => {
    const element = host.current!;
    const bars = uPlot.paths.bars!({ size: [0.95, Number.POSITIVE_INFINITY], align: 1 });
    const data: uPlot.AlignedData = [
      Array.from(bins.edges.subarray(0, bins.counts.length)),
      Array.from(bins.counts),
      // Empty bins of the selection are gaps, not a line along zero.
      Array.from(bins.selectedCounts, (count) => (count > 0 ? count : null)),
    ];
    const options = (width: number, height: number): uPlot.Options => ({
      width,
      height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false, range: [bins.edges[0], bins.edges[bins.edges.length - 1]] } },
      axes: [
        { label, space: 80 },
        { label: 'rows', size: 50 },
      ],
      series: [
        {},
        {
          label: 'all rows',
          fill: 'rgba(41, 77, 140, 0.55)',
          stroke: 'rgb(41, 77, 140)',
          paths: bars,
          points: { show: false },
        },
        {
          label: 'selected',
          fill: 'rgba(242, 115, 13, 0.9)',
          stroke: 'rgb(242, 115, 13)',
          paths: bars,
          points: { show: false },
        },
      ],
    });
    const { width, height } = element.getBoundingClientRect();
    const chart = new uPlot(options(Math.max(width, 100), Math.max(height, 100)), data, element);
    const observer = new ResizeObserver(([entry]) => {
      chart.setSize({
        width: Math.max(entry.contentRect.width, 100),
        height: Math.max(entry.contentRect.height, 100),
      });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
    };
  }, [bins, label]);

  const counted = useMemo(() => bins.counts.reduce((sum, count) => sum + count, 0), [bins]);
  return (
    <figure className="histogram" ref={host} aria-label={`Histogram of ${label}`} data-counted={counted} />
  );
}
