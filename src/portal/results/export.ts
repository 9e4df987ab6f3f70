/**
 * Writers for "download as displayed": CSV (RFC 4180) and VOTable 1.4 TABLEDATA built in the browser from exactly
 * what the result table shows — the current filter and sort, derived columns and the visible columns in their
 * order. Values are written at full precision (the table's 10-significant-digit display is for reading only), and
 * 64-bit ids are `bigint`s, so they arrive exact. Pure, with no DOM dependency: test/portal/export.test.ts runs it
 * in Node.
 */

import type { Cell, ResultColumn, ResultTable } from '../api/json-result.js';
import { keepRows, rowOrder, type SortKey } from './order.js';

/** What the table shows: rows in display order and the visible columns in their order (indices into the table). */
export interface DisplayedView {
  readonly rows: ArrayLike<number>;
  readonly columns: readonly number[];
}

/** The rows and columns as the table shows them; all columns when `visible` is not given. */
export function displayedView(
  table: ResultTable,
  sort: SortKey | null,
  keep: ReadonlySet<number> | null,
  visible?: readonly number[],
): DisplayedView {
  return Object.freeze({
    rows: keepRows(rowOrder(table, sort), keep),
    columns: Object.freeze(visible ? [...visible] : table.columns.map((_, i) => i)),
  });
}

/** A cell's exact text: shortest round-trip form for doubles, every digit of a bigint; NaN and null are empty. */
function exactText(value: Cell): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isNaN(value) ? '' : String(value);
  return String(value);
}

/** RFC 4180: a field with a comma, quote, CR or LF is quoted, and quotes inside it are doubled. */
function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** CSV with a header row of column names; lines end in CRLF as RFC 4180 says. Nulls are empty fields. */
export function toCsv(table: ResultTable, view: DisplayedView): string {
  const lines: string[] = [view.columns.map((c) => csvField(table.columns[c].name)).join(',')];
  for (let i = 0; i < view.rows.length; i++) {
    const row = view.rows[i];
    lines.push(view.columns.map((c) => csvField(exactText(table.values[c][row]))).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** Characters XML 1.0 cannot carry at all (C0 controls other than tab, LF, CR; lone surrogates; U+FFFE/FFFF). */
const NOT_XML =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching the controls XML forbids is the point
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Escapes text for XML content and attribute values; characters XML cannot carry become U+FFFD. */
export function xmlEscape(text: string): string {
  return text
    .replace(NOT_XML, '\ufffd')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

/** VOTable datatypes a FIELD may declare; anything else the server sent is written as text. */
const VOTABLE_TYPES = new Set([
  'boolean',
  'unsignedByte',
  'short',
  'int',
  'long',
  'float',
  'double',
  'char',
  'unicodeChar',
]);

function fieldElement(column: ResultColumn): string {
  const datatype = VOTABLE_TYPES.has(column.datatype) ? column.datatype : 'char';
  const attributes = [`name="${xmlEscape(column.name)}"`, `datatype="${datatype}"`];
  if (datatype === 'char' || datatype === 'unicodeChar') attributes.push('arraysize="*"');
  if (column.unit) attributes.push(`unit="${xmlEscape(column.unit)}"`);
  if (column.ucd) attributes.push(`ucd="${xmlEscape(column.ucd)}"`);
  return `<FIELD ${attributes.join(' ')}/>`;
}

function tdText(value: Cell): string {
  // VOTable 1.3+ reads an empty TD as null for every datatype; booleans are T and F.
  if (typeof value === 'boolean') return value ? 'T' : 'F';
  return xmlEscape(exactText(value));
}

/**
 * A VOTable 1.4 document (namespace v1.3, which 1.4 keeps) with one TABLE in TABLEDATA serialization. Each FIELD
 * carries the column's name, datatype, unit and UCD from the result metadata; derived numeric columns are
 * `double` (evaluate.ts types them so). An OVERFLOW result says so with an INFO, as TAP services do.
 */
export function toVotable(table: ResultTable, view: DisplayedView, tableName = 'result'): string {
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">',
    '<RESOURCE type="results">',
    `<INFO name="QUERY_STATUS" value="${table.status}"/>`,
    `<TABLE name="${xmlEscape(tableName)}" nrows="${view.rows.length}">`,
    ...view.columns.map((c) => fieldElement(table.columns[c])),
    '<DATA><TABLEDATA>',
  ];
  for (let i = 0; i < view.rows.length; i++) {
    const row = view.rows[i];
    out.push(`<TR>${view.columns.map((c) => `<TD>${tdText(table.values[c][row])}</TD>`).join('')}</TR>`);
  }
  out.push('</TABLEDATA></DATA>', '</TABLE>', '</RESOURCE>', '</VOTABLE>', '');
  return out.join('\n');
}
