/**
 * The results tri-view: a sky plot of the rows' positions, a chart (histogram or scatter of any numeric columns)
 * and the table, all sharing one selection of rows.
 */

import { useMemo, useState } from 'react';
import { numericColumn, type ResultTable as Table } from '../api/json-result.js';
import { compile, withDerivedColumn } from '../expression/evaluate.js';
import { selectedObjectId } from '../lightcurve/light-curve-data.js';
import { ColumnChooser } from './ColumnChooser.js';
import { Download } from './Download.js';
import { displayedView } from './export.js';
import { HistogramChart } from './HistogramChart.js';
import {
  type ColumnLayout,
  DEFAULT_LAYOUT,
  moveColumn,
  orderedColumns,
  type SortKey,
  visibleColumns,
} from './order.js';
import { ResultTable } from './ResultTable.js';
import { ScatterPlot } from './ScatterPlot.js';
import { type DerivedColumn, TableTools } from './TableTools.js';

interface Props {
  /** The result as the server sent it; derived columns are added here. */
  readonly result: Table;
  readonly selected: ReadonlySet<number>;
  onSelect(rows: ReadonlySet<number>): void;
  /** Opens the light curve of an objectId (offered when a selected row has one). */
  onLightCurve(objectId: string): void;
}

/** The position columns: by UCD (pos.eq.ra;meta.main), else by DP0.2's or the usual names. */
function positionColumns(table: Table): [number, number] | null {
  const find = (ucd: string, names: readonly string[]) => {
    const byUcd = table.columns.findIndex((c) => c.ucd?.split(';')[0] === ucd);
    return byUcd >= 0 ? byUcd : table.columns.findIndex((c) => names.includes(c.name.toLowerCase()));
  };
  const ra = find('pos.eq.ra', ['coord_ra', 'ra', 's_ra']);
  const dec = find('pos.eq.dec', ['coord_dec', 'dec', 'decl', 's_dec']);
  return ra >= 0 && dec >= 0 ? [ra, dec] : null;
}

type ChartKind = 'histogram' | 'scatter';

export function Results({ result, selected, onSelect, onLightCurve }: Props) {
  const [sort, setSort] = useState<SortKey | null>(null);
  const [derived, setDerived] = useState<readonly DerivedColumn[]>([]);
  const table = useMemo(
    () => derived.reduce((t, c) => withDerivedColumn(t, c.name, compile(c.expression, t)), result),
    [result, derived],
  );
  const [layout, setLayout] = useState<ColumnLayout>(DEFAULT_LAYOUT);
  const visible = useMemo(() => visibleColumns(table, layout), [table, layout]);
  // "Filter to selection" keeps the rows selected at that moment; selecting other rows later does not change it.
  const [selectionKeep, setSelectionKeep] = useState<ReadonlySet<number> | null>(null);
  const [expressionKeep, setExpressionKeep] = useState<ReadonlySet<number> | null>(null);
  const keep = useMemo(() => {
    if (selectionKeep === null || expressionKeep === null) return selectionKeep ?? expressionKeep;
    return new Set([...selectionKeep].filter((row) => expressionKeep.has(row)));
  }, [selectionKeep, expressionKeep]);
  const numeric = useMemo(() => table.columns.map((_, i) => numericColumn(table, i)), [table]);
  const numericIndices = numeric.flatMap((values, i) => (values === null ? [] : [i]));
  const position = useMemo(() => positionColumns(table), [table]);
  // Ids and positions make dull histograms: start from the first measured quantity when there is one.
  const measured = numericIndices.filter(
    (i) =>
      !table.columns[i].ucd?.startsWith('meta.id') &&
      !position?.includes(i) &&
      !/id$/i.test(table.columns[i].name),
  );
  const lightCurveObject = useMemo(() => selectedObjectId(table, selected), [table, selected]);
  const [kind, setKind] = useState<ChartKind>('histogram');
  const [xColumn, setXColumn] = useState<number | null>(null);
  const [yColumn, setYColumn] = useState<number | null>(null);
  const x =
    xColumn !== null && numeric[xColumn] !== null
      ? xColumn
      : (measured[0] ?? position?.[0] ?? numericIndices[0] ?? null);
  const y = yColumn !== null && numeric[yColumn] !== null ? yColumn : (measured[1] ?? numericIndices[1] ?? x);

  const columnSelect = (label: string, value: number | null, set: (c: number) => void) => (
    <label>
      {label}{' '}
      <select value={value ?? ''} onChange={(e) => set(Number(e.target.value))}>
        {numericIndices.map((i) => (
          <option key={table.columns[i].name} value={i}>
            {table.columns[i].name}
          </option>
        ))}
      </select>
    </label>
  );

  return (
    <div className="results">
      <div className="views">
        <section className="view" aria-label="Sky plot">
          <header>
            <h3>Sky</h3>
            <span className="muted">Shift-drag to lasso, double-click to clear</span>
          </header>
          {position === null ? (
            <p className="muted">No position columns (coord_ra, coord_dec) in this result.</p>
          ) : (
            <ScatterPlot
              xs={numeric[position[0]]!}
              ys={numeric[position[1]]!}
              xLabel={`${table.columns[position[0]].name} (°)`}
              yLabel={`${table.columns[position[1]].name} (°)`}
              sky
              selected={selected}
              onSelect={onSelect}
            />
          )}
        </section>
        <section className="view" aria-label="Chart">
          <header>
            <select
              value={kind}
              onChange={(e) => setKind(e.target.value as ChartKind)}
              aria-label="Chart type"
            >
              <option value="histogram">Histogram</option>
              <option value="scatter">Scatter</option>
            </select>
            {columnSelect(kind === 'histogram' ? 'of' : 'x', x, setXColumn)}
            {kind === 'scatter' && columnSelect('y', y, setYColumn)}
          </header>
          {x === null ? (
            <p className="muted">No numeric columns to chart.</p>
          ) : kind === 'histogram' ? (
            <HistogramChart values={numeric[x]!} label={table.columns[x].name} selected={selected} />
          ) : (
            <ScatterPlot
              xs={numeric[x]!}
              ys={numeric[y!]!}
              xLabel={table.columns[x].name}
              yLabel={table.columns[y!].name}
              sky={false}
              selected={selected}
              onSelect={onSelect}
            />
          )}
        </section>
      </div>
      {lightCurveObject !== null && (
        <div className="lightcurve-bar">
          <button type="button" onClick={() => onLightCurve(lightCurveObject)}>
            Light curve
          </button>
          <span className="muted">of objectId {lightCurveObject} (the first selected row)</span>
        </div>
      )}
      <TableTools
        table={table}
        shownCount={keep?.size ?? table.rowCount}
        selectedCount={selected.size}
        selectionFilter={selectionKeep !== null}
        onExpressionFilter={setExpressionKeep}
        onSelectionFilter={(on) => setSelectionKeep(on ? new Set(selected) : null)}
        onAddColumn={(column) => setDerived((previous) => [...previous, column])}
        download={
          <>
            <ColumnChooser table={table} layout={layout} onLayout={setLayout} />
            <Download table={table} view={() => displayedView(table, sort, keep, visible)} />
          </>
        }
      />
      <ResultTable
        table={table}
        columns={visible}
        selected={selected}
        sort={sort}
        keep={keep}
        onSort={setSort}
        onSelect={onSelect}
        onMoveColumn={(name, target) => {
          const to = orderedColumns(table, layout).findIndex((c) => table.columns[c].name === target);
          setLayout(moveColumn(table, layout, name, to));
        }}
      />
    </div>
  );
}
