/**
 * "Columns ▾": every column in display order, with a checkbox to show or hide it and ↑/↓ to move it (the table's
 * headers can also be dragged). Columns are kept by name (order.ts `ColumnLayout`), so a derived column added later
 * starts shown at the end, and hiding or moving survives re-adding columns. The download follows the same layout.
 */

import { useCallback, useRef, useState } from 'react';
import type { ResultTable } from '../api/json-result.js';
import { useDismiss } from './dismiss.js';
import { type ColumnLayout, moveColumn, orderedColumns, showColumn } from './order.js';

interface Props {
  readonly table: ResultTable;
  readonly layout: ColumnLayout;
  onLayout(layout: ColumnLayout): void;
}

export function ColumnChooser({ table, layout, onLayout }: Props) {
  const [open, setOpen] = useState(false);
  const container = useRef<HTMLDivElement>(null);
  const close = useCallback(() => setOpen(false), []);
  useDismiss(open, container, close);
  const ordered = orderedColumns(table, layout);
  const shown = ordered.filter((i) => !layout.hidden.has(table.columns[i].name)).length;
  return (
    <div className="download" ref={container}>
      <button type="button" aria-haspopup="true" aria-expanded={open} onClick={() => setOpen(!open)}>
        Columns ({shown}/{table.columns.length}) ▾
      </button>
      {open && (
        <fieldset className="download-menu column-menu" aria-label="Shown columns">
          {ordered.map((c, position) => {
            const { name } = table.columns[c];
            return (
              <div className="column-choice" key={name} data-column={name}>
                <label>
                  <input
                    type="checkbox"
                    checked={!layout.hidden.has(name)}
                    // The last shown column stays: a table of no columns has nothing to click to get them back.
                    disabled={shown === 1 && !layout.hidden.has(name)}
                    onChange={(e) => onLayout(showColumn(layout, name, e.target.checked))}
                  />{' '}
                  {name}
                </label>
                <button
                  type="button"
                  className="icon"
                  title={`Move ${name} left (up in this list)`}
                  disabled={position === 0}
                  onClick={() => onLayout(moveColumn(table, layout, name, position - 1))}
                >
                  <span aria-hidden="true">↑</span>
                  <span className="sr-only">Move left</span>
                </button>
                <button
                  type="button"
                  className="icon"
                  title={`Move ${name} right (down in this list)`}
                  disabled={position === ordered.length - 1}
                  onClick={() => onLayout(moveColumn(table, layout, name, position + 1))}
                >
                  <span aria-hidden="true">↓</span>
                  <span className="sr-only">Move right</span>
                </button>
              </div>
            );
          })}
        </fieldset>
      )}
    </div>
  );
}
