/**
 * CSV (RFC 4180, `text/csv;header=present` as TAP 1.1 §2.7.1 recommends) and TSV (IANA text/tab-separated-values:
 * fields may not contain tabs or line breaks, so those become spaces). Nulls are empty fields; 64-bit integers are
 * written exactly. Neither format can carry an error after its first row: the writer asks for the response to be
 * cut off instead.
 */

import type { CellValue } from '../../../catalog/index.js';
import type { VOTableField } from '../../../formats/index.js';
import type { ResultWriter } from './result-writer.js';

function text(value: CellValue): string {
  if (value === null) return '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return String(value);
}

function csvCell(value: CellValue): string {
  const t = text(value);
  return /[",\r\n]/.test(t) ? `"${t.replaceAll('"', '""')}"` : t;
}

function tsvCell(value: CellValue): string {
  return text(value).replace(/[\t\r\n]/g, ' ');
}

export function delimitedWriter(fields: readonly VOTableField[], kind: 'csv' | 'tsv'): ResultWriter {
  const [cell, separator, newline] = kind === 'csv' ? [csvCell, ',', '\r\n'] : [tsvCell, '\t', '\n'];
  return {
    start: () => fields.map((f) => cell(f.name)).join(separator) + newline,
    rows(batch) {
      let out = '';
      for (const row of batch) out += row.map(cell).join(separator) + newline;
      return out;
    },
    end: (end) => (end.error === undefined ? '' : null),
  };
}
