/**
 * The bar above the result table: a row filter written as an expression (`coord_ra < 61.9`), "filter to
 * selection", and a derived column from an expression (`-2.5*LOG10(g_cModelFlux)+31.4 AS g_mag`). Errors show
 * the message with its column in the expression; nothing changes until the expression is valid.
 */

import { type ReactNode, useState } from 'react';
import type { ResultTable } from '../api/json-result.js';
import { compile, filterRows } from '../expression/evaluate.js';
import { type Expression, parseDerivedColumn, parseExpression } from '../expression/parse.js';

export interface DerivedColumn {
  readonly name: string;
  readonly expression: Expression;
}

interface Props {
  readonly table: ResultTable;
  readonly shownCount: number;
  readonly selectedCount: number;
  readonly selectionFilter: boolean;
  onExpressionFilter(rows: ReadonlySet<number> | null): void;
  onSelectionFilter(on: boolean): void;
  onAddColumn(column: DerivedColumn): void;
  /** The Download menu, shown at the end of the bar. */
  readonly download?: ReactNode;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function TableTools(props: Props) {
  const { table } = props;
  const [filterText, setFilterText] = useState('');
  const [filterError, setFilterError] = useState<string | null>(null);
  const [columnText, setColumnText] = useState('');
  const [columnError, setColumnError] = useState<string | null>(null);

  const applyFilter = (text: string) => {
    try {
      props.onExpressionFilter(
        text.trim() === '' ? null : filterRows(table, compile(parseExpression(text), table)),
      );
      setFilterError(null);
    } catch (err) {
      setFilterError(message(err));
    }
  };

  const addColumn = () => {
    try {
      const column = parseDerivedColumn(columnText);
      compile(column.expression, table); // unknown columns and functions are reported now, not per row
      props.onAddColumn(column);
      setColumnText('');
      setColumnError(null);
    } catch (err) {
      setColumnError(message(err));
    }
  };

  return (
    <div className="table-bar">
      <span className="muted" data-shown={props.shownCount}>
        {props.shownCount === table.rowCount
          ? `${table.rowCount.toLocaleString('en-US')} rows`
          : `${props.shownCount.toLocaleString('en-US')} of ${table.rowCount.toLocaleString('en-US')} rows`}
      </span>
      <form
        className="tool"
        onSubmit={(event) => {
          event.preventDefault();
          applyFilter(filterText);
        }}
      >
        <input
          aria-label="Row filter"
          placeholder="Filter, e.g. coord_ra < 61.9"
          value={filterText}
          onChange={(e) => setFilterText(e.target.value)}
        />
        {filterText !== '' && (
          <button
            type="button"
            onClick={() => {
              setFilterText('');
              applyFilter('');
            }}
          >
            Clear
          </button>
        )}
        {filterError !== null && (
          <span className="tool-error" role="alert">
            {filterError}
          </span>
        )}
      </form>
      {props.selectionFilter ? (
        <button type="button" onClick={() => props.onSelectionFilter(false)}>
          Show all rows
        </button>
      ) : (
        <button
          type="button"
          disabled={props.selectedCount === 0}
          onClick={() => props.onSelectionFilter(true)}
        >
          Filter to selection
        </button>
      )}
      <form
        className="tool"
        onSubmit={(event) => {
          event.preventDefault();
          addColumn();
        }}
      >
        <input
          aria-label="New column"
          className="wide"
          placeholder="Add column, e.g. -2.5*LOG10(g_cModelFlux)+31.4 AS g_mag"
          value={columnText}
          onChange={(e) => setColumnText(e.target.value)}
        />
        <button type="submit" disabled={columnText.trim() === ''}>
          Add column
        </button>
        {columnError !== null && (
          <span className="tool-error" role="alert">
            {columnError}
          </span>
        )}
      </form>
      {props.download}
    </div>
  );
}
