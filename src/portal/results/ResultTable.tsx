/**
 * The result table, virtualised with @tanstack/react-virtual: only the rows in view (plus a few) are in the DOM,
 * so 100,000 rows scroll as smoothly as 100. Click a header to sort (again to reverse, a third time for the server's
 * order), drag a header onto another to move the column there; click a row to select it, Ctrl/⌘-click to add or
 * remove, Shift-click for a range in display order.
 *
 * It is an ARIA grid, so a screen reader announces it as a table of `aria-rowcount` rows even though only a window
 * of them exists (each rendered row carries its `aria-rowindex`), with `aria-sort` on the sorted column. From the
 * keyboard (the grid is one tab stop): ↑/↓, Page Up/Down, Home/End move the active row, Space toggles its
 * selection, and Shift with a move extends the selection from the anchor row, as a click would.
 */

// A virtualised grid cannot be a <table>: its rows are absolutely placed divs, a window onto 100,000 rows. The ARIA
// grid roles say what the markup cannot; focus stays on the grid and moves by aria-activedescendant (WAI-ARIA APG's
// data grid), so rows and cells are reached with the arrows, not made tab stops.
// biome-ignore-all lint/a11y/useSemanticElements: see above
// biome-ignore-all lint/a11y/useFocusableInteractive: see above
// biome-ignore-all lint/a11y/noNoninteractiveElementToInteractiveRole: see above

import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type { ResultTable as Table } from '../api/json-result.js';
import { cellText, keepRows, rowOrder, type SortKey } from './order.js';

const ROW_HEIGHT = 24;
/** Rows a Page Up/Down moves: about a screenful of the table's usual height. */
const PAGE_ROWS = 10;
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
  /** Moves the column named `name` to where the column `target` is (a header dropped on another). */
  onMoveColumn?(name: string, target: string): void;
}

const DRAG_TYPE = 'application/x-meridian-column';

export function ResultTable({ table, columns, selected, sort, keep, onSort, onSelect, onMoveColumn }: Props) {
  const scroller = useRef<HTMLElement>(null);
  const anchor = useRef<number | null>(null);
  const idPrefix = useId();
  /** The keyboard's row, a position in display order. */
  const [active, setActive] = useState<number | null>(null);
  const [dropTarget, setDropTarget] = useState<string | null>(null);
  const order = useMemo(() => keepRows(rowOrder(table, sort), keep), [table, sort, keep]);
  const virtualizer = useVirtualizer({
    count: order.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
    // The sticky header covers the top of the scroller: keep the active row clear of it.
    scrollPaddingStart: ROW_HEIGHT + 16,
  });
  const widths = columns.map((c) => columnWidth(table.columns[c].datatype));
  const width = 48 + widths.reduce((a, b) => a + b, 0);

  // A new order (sort, filter) keeps no stale keyboard position past its end.
  useEffect(() => {
    if (active !== null && active >= order.length) setActive(order.length === 0 ? null : order.length - 1);
  }, [order, active]);

  const clickHeader = (column: number) => {
    if (sort?.column !== column) onSort({ column, descending: false });
    else if (!sort.descending) onSort({ column, descending: true });
    else onSort(null);
  };

  const selectRange = (from: number, to: number) => {
    const [low, high] = [Math.min(from, to), Math.max(from, to)];
    onSelect(new Set(Array.from(order.subarray(low, high + 1))));
  };

  const toggle = (row: number) => {
    const next = new Set(selected);
    if (next.has(row)) next.delete(row);
    else next.add(row);
    onSelect(next);
  };

  const clickRow = (position: number, event: React.MouseEvent) => {
    const row = order[position];
    setActive(position);
    if (event.shiftKey && anchor.current !== null) {
      selectRange(anchor.current, position);
      return;
    }
    anchor.current = position;
    if (event.ctrlKey || event.metaKey) toggle(row);
    else onSelect(selected.size === 1 && selected.has(row) ? new Set() : new Set([row]));
  };

  const keyDown = (event: React.KeyboardEvent) => {
    if (event.target !== event.currentTarget || order.length === 0) return; // a header button has the focus
    const from = active ?? -1;
    const last = order.length - 1;
    const moves: Record<string, number> = {
      ArrowDown: from + 1,
      ArrowUp: from - 1,
      PageDown: from + PAGE_ROWS,
      PageUp: from - PAGE_ROWS,
      Home: 0,
      End: last,
    };
    if (event.key === ' ') {
      event.preventDefault();
      if (active === null) return;
      anchor.current = active;
      toggle(order[active]);
      return;
    }
    if (!(event.key in moves)) return;
    event.preventDefault();
    const to = Math.max(0, Math.min(last, moves[event.key]));
    setActive(to);
    virtualizer.scrollToIndex(to, { align: 'auto' });
    if (event.shiftKey) {
      // The first Shift-move starts the range at the row the keyboard was on.
      if (anchor.current === null) anchor.current = Math.max(0, from);
      selectRange(anchor.current, to);
    } else anchor.current = to;
  };

  const rowId = (position: number) => `${idPrefix}-row-${position}`;
  const activeRendered =
    active !== null && virtualizer.getVirtualItems().some((item) => item.index === active);

  return (
    <section
      className="result-table"
      ref={scroller}
      aria-label="Result rows"
      data-rows={order.length}
      role="grid"
      aria-rowcount={order.length + 1}
      aria-colcount={columns.length + 1}
      aria-multiselectable="true"
      aria-activedescendant={activeRendered ? rowId(active) : undefined}
      tabIndex={0}
      onKeyDown={keyDown}
      onFocus={(event) => {
        if (event.target === event.currentTarget && active === null && order.length > 0) setActive(0);
      }}
    >
      <div className="result-header" style={{ width }} role="row" aria-rowindex={1}>
        <div className="cell index-cell" role="columnheader" aria-colindex={1}>
          #
        </div>
        {columns.map((c, position) => {
          const column = table.columns[c];
          const sorted = sort?.column === c ? (sort.descending ? 'descending' : 'ascending') : 'none';
          return (
            <div
              key={column.name}
              role="columnheader"
              aria-colindex={position + 2}
              aria-sort={sorted}
              className={`header-slot${dropTarget === column.name ? ' drop-target' : ''}`}
              style={{ width: widths[position] }}
              onDragOver={(event) => {
                if (!event.dataTransfer.types.includes(DRAG_TYPE)) return;
                event.preventDefault();
                setDropTarget(column.name);
              }}
              onDragLeave={() => setDropTarget((t) => (t === column.name ? null : t))}
              onDrop={(event) => {
                event.preventDefault();
                setDropTarget(null);
                const name = event.dataTransfer.getData(DRAG_TYPE);
                if (name !== '' && name !== column.name) onMoveColumn?.(name, column.name);
              }}
            >
              <button
                type="button"
                className="cell header-cell"
                data-sort={sorted}
                draggable={onMoveColumn !== undefined}
                onDragStart={(event) => {
                  event.dataTransfer.setData(DRAG_TYPE, column.name);
                  event.dataTransfer.effectAllowed = 'move';
                }}
                onDragEnd={() => setDropTarget(null)}
                title={[column.datatype, column.unit, column.ucd, 'drag to move'].filter(Boolean).join(' · ')}
                onClick={() => clickHeader(c)}
              >
                {column.name}
                {sorted === 'ascending' ? ' ▲' : sorted === 'descending' ? ' ▼' : ''}
                {column.unit !== null && <span className="unit">{column.unit}</span>}
              </button>
            </div>
          );
        })}
      </div>
      <div role="rowgroup" style={{ height: virtualizer.getTotalSize(), width, position: 'relative' }}>
        {virtualizer.getVirtualItems().map((item) => {
          const row = order[item.index];
          const isSelected = selected.has(row);
          const isActive = item.index === active;
          return (
            // Keyboard selection is the grid's (keyDown above): the rows themselves are not tab stops.
            // biome-ignore lint/a11y/useKeyWithClickEvents: see above
            <div
              key={item.key}
              id={rowId(item.index)}
              role="row"
              aria-rowindex={item.index + 2}
              aria-selected={isSelected}
              data-selected={isSelected}
              data-row={row}
              data-active={isActive || undefined}
              className={`result-row${isSelected ? ' selected' : ''}${item.index % 2 ? ' odd' : ''}${isActive ? ' active' : ''}`}
              style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
              onClick={(event) => clickRow(item.index, event)}
            >
              <div className="cell index-cell" role="gridcell" aria-colindex={1}>
                {row + 1}
              </div>
              {columns.map((c, position) => (
                <div
                  className="cell"
                  role="gridcell"
                  aria-colindex={position + 2}
                  key={table.columns[c].name}
                  style={{ width: widths[position] }}
                >
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
