/**
 * "Columns ▾": a checkbox per column to show or hide it in the table (and so in downloads). Columns are hidden
 * by name, so a derived column added later starts visible and hiding survives re-adding columns.
 */

import { useState } from 'react';
import type { ResultTable } from '../api/json-result.js';

interface Props {
  readonly table: ResultTable;
  readonly hidden: ReadonlySet<string>;
  onHidden(hidden: ReadonlySet<string>): void;
}

/** Indices of the columns not hidden, in the table's order. */
export function visibleColumns(table: ResultTable, hidden: ReadonlySet<string>): number[] {
  return table.columns.flatMap((column, i) => (hidden.has(column.name) ? [] : [i]));
}

export function ColumnChooser({ table, hidden, onHidden }: Props) {
  const [open, setOpen] = useState(false);
  const toggle = (name: string, show: boolean) => {
    const next = new Set(hidden);
    if (show) next.delete(name);
    else next.add(name);
    onHidden(next);
  };
  const shown = table.columns.length - table.columns.filter((c) => hidden.has(c.name)).length;
  return (
    <div className="download">
      <button type="button" aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)}>
        Columns ({shown}/{table.columns.length}) ▾
      </button>
      {open && (
        <fieldset className="download-menu column-menu" aria-label="Shown columns">
          {table.columns.map((column) => (
            <label key={column.name}>
              <input
                type="checkbox"
                checked={!hidden.has(column.name)}
                // The last shown column stays: a table of no columns has nothing to click to get them back.
                disabled={shown === 1 && !hidden.has(column.name)}
                onChange={(e) => toggle(column.name, e.target.checked)}
              />{' '}
              {column.name}
            </label>
          ))}
        </fieldset>
      )}
    </div>
  );
}
