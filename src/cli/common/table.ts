/** Plain aligned text tables for terminal output: a header row, a dashed rule, then one padded line per row. */

export interface TableColumn {
  /** Key of the row object holding this column's value. */
  readonly key: string;
  /** Header text (defaults to the key). */
  readonly header?: string;
  /** Numbers read best right-aligned; everything else is left-aligned. */
  readonly align?: 'left' | 'right';
}

/** Any plain object; cells are looked up by column key. */
export type TableRow = object;

/** Text of one cell: empty for null/undefined, arrays comma-joined, everything else through `String`. */
export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(formatCell).join(', ');
  return String(value);
}

/** The table as lines of text (no trailing newline). Columns are separated by two spaces; trailing blanks trimmed. */
export function formatTable(rows: readonly TableRow[], columns: readonly (TableColumn | string)[]): string {
  const cols = columns.map((c) => (typeof c === 'string' ? { key: c } : c));
  const headers = cols.map((c) => c.header ?? c.key);
  const cells = rows.map((row) => cols.map((c) => formatCell((row as Record<string, unknown>)[c.key])));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (cols[i]!.align === 'right' ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** Print a table to stdout, or `emptyMessage` when there are no rows (so an empty result is never silent). */
export function printTable(
  rows: readonly TableRow[],
  columns: readonly (TableColumn | string)[],
  emptyMessage = 'No results.',
): void {
  process.stdout.write(`${rows.length === 0 ? emptyMessage : formatTable(rows, columns)}\n`);
}
