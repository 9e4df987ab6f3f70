/**
 * The chart view of the tri-view: a histogram, a scatter plot or a 2-D density heatmap, with axes written as
 * expressions of the result's columns (`g_mag - r_mag`), each typed in a field beside a menu of the columns.
 * Results of more than AUTO_DENSITY_ROWS rows open on the density heatmap, where a scatter would be a solid blot;
 * the header says the choice was automatic, and the menu changes it. The table's filter and selection apply here
 * as everywhere.
 */

import { useMemo, useState } from 'react';
import type { ResultTable } from '../api/json-result.js';
import { axisValues } from './axis-expression.js';
import { DensityHeatmap } from './DensityHeatmap.js';
import { HistogramChart } from './HistogramChart.js';
import { ScatterPlot } from './ScatterPlot.js';

export type ChartKind = 'histogram' | 'scatter' | 'heatmap';

/** Above this many rows the chart starts as a density heatmap rather than a histogram. */
export const AUTO_DENSITY_ROWS = 20_000;

interface Props {
  readonly table: ResultTable;
  /** Column indices of the numeric columns, and of the position columns (not a useful first chart). */
  readonly numericIndices: readonly number[];
  readonly position: readonly [number, number] | null;
  readonly selected: ReadonlySet<number>;
  readonly keep: ReadonlySet<number> | null;
  onSelect(rows: ReadonlySet<number>): void;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

interface AxisFieldProps {
  readonly name: string;
  readonly text: string;
  readonly columns: readonly string[];
  /** Null when `text` can be plotted, else why not. */
  check(text: string): string | null;
  onText(text: string): void;
}

/**
 * An axis: an expression field (applied as soon as it is valid, the error shown beside it until then) and a menu
 * of the numeric columns that puts one into the field.
 */
function AxisField({ name, text, columns, check, onText }: AxisFieldProps) {
  const [draft, setDraft] = useState(text);
  const [error, setError] = useState<string | null>(null);
  // A new committed text from outside (a column picked, a new result) replaces the draft.
  const [shown, setShown] = useState(text);
  if (shown !== text) {
    setShown(text);
    setDraft(text);
    setError(null);
  }
  const edit = (value: string) => {
    setDraft(value);
    const problem = check(value);
    setError(problem);
    if (problem === null) {
      setShown(value);
      onText(value);
    }
  };
  const isColumn = columns.includes(draft.trim());
  return (
    <span className="axis-field">
      <label>
        {name}{' '}
        <input
          aria-label={`${name} axis expression`}
          className={error === null ? '' : 'invalid'}
          value={draft}
          spellCheck={false}
          onChange={(e) => edit(e.target.value)}
        />
      </label>
      <select
        aria-label={`${name} axis column`}
        value={isColumn ? draft.trim() : ''}
        onChange={(e) => edit(e.target.value)}
      >
        <option value="" disabled>
          ƒ
        </option>
        {columns.map((column) => (
          <option key={column} value={column}>
            {column}
          </option>
        ))}
      </select>
      {error !== null && (
        <span className="tool-error axis-error" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}

export function ChartView({ table, numericIndices, position, selected, keep, onSelect }: Props) {
  const columns = numericIndices.map((i) => table.columns[i].name);
  // Ids and positions make dull charts: start from the first measured quantities when there are some.
  const measured = numericIndices.filter(
    (i) =>
      !table.columns[i].ucd?.startsWith('meta.id') &&
      !position?.includes(i) &&
      !/id$/i.test(table.columns[i].name),
  );
  const firstX = measured[0] ?? position?.[0] ?? numericIndices[0];
  const firstY = measured[1] ?? numericIndices.find((i) => i !== firstX) ?? firstX;
  const [chosenKind, setChosenKind] = useState<ChartKind | null>(null);
  const automatic: ChartKind = table.rowCount > AUTO_DENSITY_ROWS ? 'heatmap' : 'histogram';
  const kind = chosenKind ?? automatic;
  const [xText, setXText] = useState<string | null>(null);
  const [yText, setYText] = useState<string | null>(null);
  const [log, setLog] = useState(true);
  const x = xText ?? (firstX === undefined ? '' : table.columns[firstX].name);
  const y = yText ?? (firstY === undefined ? '' : table.columns[firstY].name);

  const check = (text: string): string | null => {
    try {
      axisValues(table, text);
      return null;
    } catch (err) {
      return message(err);
    }
  };
  const values = useMemo(() => {
    try {
      return { x: axisValues(table, x), y: axisValues(table, y), error: null };
    } catch (err) {
      return { x: null, y: null, error: message(err) };
    }
  }, [table, x, y]);
  const [xLabel, yLabel] = [x.trim(), y.trim()];

  return (
    <section className="view" aria-label="Chart">
      <header>
        <select
          value={kind}
          onChange={(e) => setChosenKind(e.target.value as ChartKind)}
          aria-label="Chart type"
        >
          <option value="histogram">Histogram</option>
          <option value="scatter">Scatter</option>
          <option value="heatmap">Density heatmap</option>
        </select>
        {columns.length > 0 && (
          <>
            <AxisField
              name={kind === 'histogram' ? 'of' : 'x'}
              text={x}
              columns={columns}
              check={check}
              onText={setXText}
            />
            {kind !== 'histogram' && (
              <AxisField name="y" text={y} columns={columns} check={check} onText={setYText} />
            )}
          </>
        )}
        {kind === 'heatmap' && (
          <label className="muted">
            <input type="checkbox" checked={log} onChange={(e) => setLog(e.target.checked)} /> log colour
          </label>
        )}
        {chosenKind === null && automatic === 'heatmap' && (
          <span className="muted" data-automatic="heatmap">
            chosen for {table.rowCount.toLocaleString('en-US')} rows
          </span>
        )}
      </header>
      {columns.length === 0 ? (
        <p className="muted">No numeric columns to chart.</p>
      ) : values.x === null || values.y === null ? (
        <p className="tool-error">{values.error}</p>
      ) : kind === 'histogram' ? (
        <HistogramChart values={values.x} label={xLabel} selected={selected} keep={keep} />
      ) : kind === 'scatter' ? (
        <ScatterPlot
          xs={values.x}
          ys={values.y}
          xLabel={xLabel}
          yLabel={yLabel}
          sky={false}
          selected={selected}
          keep={keep}
          onSelect={onSelect}
        />
      ) : (
        <DensityHeatmap
          xs={values.x}
          ys={values.y}
          xLabel={xLabel}
          yLabel={yLabel}
          log={log}
          selected={selected}
          keep={keep}
          onSelect={onSelect}
        />
      )}
    </section>
  );
}
