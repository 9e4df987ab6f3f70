/**
 * The result table, virtualised with @tanstack/react-virtual: only the rows in view (plus a few) are in the DOM,
 * so 100,000 rows scroll as smoothly as 100. Click a header to sort (again to reverse, a third time for the server's
 * order); click a row to select it, Ctrl/⌘-click to add or remove, Shift-click for a range in display order.
 */

import { useVirtualizer } from '@tanstack/react-virtual';
import { useMemo, useRef } from 'react';
import type { ResultTable as Table } from '../api/json-result.js';
import { cellText, keepRows, rowOrder, type SortKey } from './order.js';

const ROW_HEIGHT = 24;
/** Pixels per column: 64-bit ids need their 19 digits, other values fit in less. */
function columnWidth(datatype: string): number {
  return datatype === 'long' ? 170 : 130;
}

interface Props {
  readonly table: Table;
  /** The visible columns, as indices into `table.columns`, in display order. */
  readonly columns: readonly number[];
  readonly selected: ReadonlySet<number>;
  readonly sort: SortKey | null;
  /** Only these rows are shown (a filter); null shows all. */
  readonly keep: ReadonlySet<number> | null;
  onSort(sort: SortKey | null): void;
  onSelect(rows: ReadonlySet<number>): void;
}

export function ResultTable({ table, columns, selected, sort, keep, onSort, onSelect }: Props) {
  const scroller = useRef<HTMLElement>(null);
  const anchor = useRef<number | null>(null);
  const order = useMemo(() => keepRows(rowOrder(table, sort), keep), [table, sort, keep]);
  const virtualizer = useVirtualizer({
    count: order.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
  });
  const widths = columns.map((c) => columnWidth(table.columns[c].datatype));
  const width = 48 + widths.reduce((a, b) => a + b, 0);

  const clickHeader = (column: number) => {
    if (sort?.column !== column) onSort({ column, descending: false });
    else if (!sort.descending) onSort({ column, descending: true });
    else onSort(null);
  };

  const clickRow = (position: number, event: React.MouseEvent) => {
    const row = order[position];
    if (event.shiftKey && anchor.current !== null) {
      const [from, to] = [Math.min(anchor.current, position), Math.max(anchor.current, position)];
      onSelect(new Set(Array.from(order.subarray(from, to + 1))));
      return;
    }
    anchor.current = position;
    if (event.ctrlKey || event.metaKey) {
      const next = new Set(selected);
      if (next.has(row)) next.delete(row);
      else next.add(row);
      onSelect(next);
    } else onSelect(selected.size === 1 && selected.has(row) ? new Set() : new Set([row]));
  };

  return (
    <section className="result-table" ref={scroller} aria-label="Result rows" data-rows={order.length}>
      <div className="result-header" style={{ width }}>
        <div className="cell index-cell">#</div>
        {columns.map((c, position) => {
          const column = table.columns[c];
          return (
            <button
              type="button"
              key={column.name}
              className="cell header-cell"
              style={{ width: widths[position] }}
              data-sort={sort?.column === c ? (sort.descending ? 'descending' : 'ascending') : 'none'}
              title={[column.datatype, column.unit, column.ucd].filter(Boolean).join(' · ')}
              onClick={() => clickHeader(c)}
            >
              {column.name}
              {sort?.column === c ? (sort.descending ? ' ▼' : ' ▲') : ''}
              {column.unit !== null && <span className="unit">{column.unit}</span>}
            </button>
          );
        })}
      </div>
      <div style={{ height: virtualizer.getTotalSize(), width, position: 'relative' }}>
        {virtualizer.getVirtualItems().map((item) => {
          const row = order[item.index];
          const isSelected = selected.has(row);
          return (
            // Rows are a mouse target; keyboard selection is not built yet (docs/portal.md).
            // biome-ignore lint/a11y/useKeyWithClickEvents: see above
            // biome-ignore lint/a11y/noStaticElementInteractions: see above
            <div
              key={item.key}
              data-selected={isSelected}
              data-row={row}
              className={`result-row${isSelected ? ' selected' : ''}${item.index % 2 ? ' odd' : ''}`}
              style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
              onClick={(event) => clickRow(item.index, event)}
            >
              <div className="cell index-cell">{row + 1}</div>
              {columns.map((c, position) => (
                <div className="cell" key={table.columns[c].name} style={{ width: widths[position] }}>
                  {cellText(table.values[c][row])}
                </div>
              ))}
            </div>
          );
        })}
      </div>
    </section>
  );
}
