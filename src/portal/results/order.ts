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
