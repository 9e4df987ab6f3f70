/** Row orders and cell text for the result table; pure, so test/portal/order.test.ts runs it in Node. */

import type { Cell, ResultTable } from '../api/json-result.js';

export interface SortKey {
  readonly column: number;
  readonly descending: boolean;
}

function compareCells(a: Cell, b: Cell): number {
  // Nulls sort last whichever way, as astronomers expect missing values out of the way.
  if (a === null || b === null) return a === null ? (b === null ? 0 : 1) : -1;
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1;
    return a - b;
  }
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  return String(a).localeCompare(String(b));
}

/** Row indices in display order: stable, so rows that tie keep the server's order. */
export function rowOrder(table: ResultTable, sort: SortKey | null): Int32Array {
  const order = new Int32Array(table.rowCount);
  for (let i = 0; i < order.length; i++) order[i] = i;
  if (sort === null) return order;
  const column = table.values[sort.column];
  const sign = sort.descending ? -1 : 1;
  return order.sort((a, b) => {
    const [x, y] = [column[a], column[b]];
    const nulls = x === null || y === null || (typeof x === 'number' && Number.isNaN(x));
    const byValue = nulls ? compareCells(x, y) : sign * compareCells(x, y);
    return byValue !== 0 ? byValue : a - b;
  });
}

/** The rows of `order` that are in `keep` (a filter), in the same order; all of them when there is no filter. */
export function keepRows(order: Int32Array, keep: ReadonlySet<number> | null): Int32Array {
  return keep === null ? order : order.filter((row) => keep.has(row));
}

const NUMBER_FORMAT = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 10, useGrouping: false });

export function cellText(value: Cell): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : NUMBER_FORMAT.format(value);
  return String(value);
}

/**
 * Which columns the table shows and in what order, by name: a derived column added later is not in `order` and
 * goes last, and a hidden one keeps its place for when it is shown again.
 */
export interface ColumnLayout {
  /** Column names in display order; columns not named here follow in the table's order. */
  readonly order: readonly string[];
  readonly hidden: ReadonlySet<string>;
}

export const DEFAULT_LAYOUT: ColumnLayout = Object.freeze({
  order: Object.freeze([]),
  hidden: new Set<string>(),
});

/** Every column (shown or hidden), as indices into `table.columns`, in display order. */
export function orderedColumns(table: ResultTable, layout: ColumnLayout): number[] {
  const index = new Map(table.columns.map((column, i) => [column.name, i]));
  const named = layout.order.flatMap((name) => (index.has(name) ? [index.get(name)!] : []));
  const placed = new Set(named);
  return [...named, ...table.columns.flatMap((_, i) => (placed.has(i) ? [] : [i]))];
}

/** The shown columns in display order: what the table, and so a download "as displayed", holds. */
export function visibleColumns(table: ResultTable, layout: ColumnLayout): number[] {
  return orderedColumns(table, layout).filter((i) => !layout.hidden.has(table.columns[i].name));
}

/** The layout with column `name` moved to `position` in the full display order (clamped to the ends). */
export function moveColumn(
  table: ResultTable,
  layout: ColumnLayout,
  name: string,
  position: number,
): ColumnLayout {
  const names = orderedColumns(table, layout).map((i) => table.columns[i].name);
  const from = names.indexOf(name);
  if (from < 0) return layout;
  names.splice(from, 1);
  names.splice(Math.max(0, Math.min(names.length, position)), 0, name);
  return Object.freeze({ order: Object.freeze(names), hidden: layout.hidden });
}

/** The layout with `name` shown or hidden. */
export function showColumn(layout: ColumnLayout, name: string, show: boolean): ColumnLayout {
  const hidden = new Set(layout.hidden);
  if (show) hidden.delete(name);
  else hidden.add(name);
  return Object.freeze({ order: layout.order, hidden });
}
