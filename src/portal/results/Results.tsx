/**
 * The results tri-view: a sky plot of the rows' positions (with the query's region), a chart (ChartView:
 * histogram, scatter or density heatmap of column expressions) and the table, all sharing one selection of rows
 * and one filter.
 */

import { useMemo, useState } from 'react';
import { numericColumn, type ResultTable as Table } from '../api/json-result.js';
import { compile, withDerivedColumn } from '../expression/evaluate.js';
import { selectedObjectId } from '../lightcurve/light-curve-data.js';
import { ChartView } from './ChartView.js';
import { ColumnChooser } from './ColumnChooser.js';
import { Download } from './Download.js';
import { displayedView } from './export.js';
import {
  type ColumnLayout,
  DEFAULT_LAYOUT,
  moveColumn,
  orderedColumns,
  type SortKey,
  visibleColumns,
} from './order.js';
import { queryRegions } from './query-region.js';
import { ResultTable } from './ResultTable.js';
import { ScatterPlot } from './ScatterPlot.js';
import { type DerivedColumn, TableTools } from './TableTools.js';

interface Props {
  /** The result as the server sent it; derived columns are added here. */
  readonly result: Table;
  /** The ADQL the job ran, for the region its WHERE clause asks for (drawn on the sky plot). */
  readonly query?: string | null;
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

export function Results({ result, query, selected, onSelect, onLightCurve }: Props) {
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
  const lightCurveObject = useMemo(() => selectedObjectId(table, selected), [table, selected]);
  const regions = useMemo(() => queryRegions(query ?? ''), [query]);

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
              keep={keep}
              regions={regions}
              onSelect={onSelect}
            />
          )}
        </section>
        <ChartView
          table={table}
          numericIndices={numericIndices}
          position={position}
          selected={selected}
          keep={keep}
          onSelect={onSelect}
        />
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
