/**
 * Query results as text: an aligned table, CSV (RFC 4180), JSON (64-bit integers written as exact JSON numbers)
 * or VOTable 1.4 with units, UCDs and descriptions taken from the schema for columns that name schema columns.
 */

import { type VOTableDatatype, type VOTableField, writeVOTable } from '../formats/index.js';
import type { CellValue, ResultColumn, ResultDatatype } from './engine.js';
import type { QueryResult } from './execute.js';
import type { CatalogSchema } from './schema.js';

export const outputFormats = ['table', 'csv', 'json', 'votable'] as const;
export type OutputFormat = (typeof outputFormats)[number];

function text(value: CellValue): string {
  if (value === null) return '';
  return String(value);
}

function csvCell(value: CellValue): string {
  const t = text(value);
  return /[",\r\n]/.test(t) ? `"${t.replaceAll('"', '""')}"` : t;
}

function jsonCell(value: CellValue): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
  return JSON.stringify(value);
}

function alignedTable(result: QueryResult): string {
  const header = result.columns.map((c) => c.name);
  const body = result.rows.map((row) => row.map((v) => (v === null ? 'NULL' : text(v))));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const rows = [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)];
  const footer = `(${result.rows.length} row${result.rows.length === 1 ? '' : 's'}${result.overflow ? ', truncated at the row limit' : ''})`;
  return `${rows.join('\n')}\n${footer}\n`;
}

/** The VOTable datatype a result column is written as (timestamps as ISO 8601 text). */
export const VOTABLE_DATATYPES: Readonly<Record<ResultDatatype, VOTableDatatype>> = {
  boolean: 'boolean',
  short: 'short',
  int: 'int',
  long: 'long',
  float: 'float',
  double: 'double',
  string: 'char',
  timestamp: 'char',
};

function votableField(column: ResultColumn, schema: CatalogSchema): VOTableField {
  const lower = column.name.toLowerCase();
  const described = schema.tables.flatMap((t) => t.columns).find((c) => c.name.toLowerCase() === lower);
  return {
    name: column.name,
    datatype: VOTABLE_DATATYPES[column.datatype],
    unit: described?.unit,
    ucd: described?.ucd,
    description: described?.description,
  };
}

export function formatResult(result: QueryResult, format: OutputFormat, schema: CatalogSchema): string {
  switch (format) {
    case 'table':
      return alignedTable(result);
    case 'csv':
      return `${[result.columns.map((c) => csvCell(c.name)).join(','), ...result.rows.map((r) => r.map(csvCell).join(','))].join('\r\n')}\r\n`;
    case 'json': {
      const rows = result.rows.map((r) => `[${r.map(jsonCell).join(',')}]`);
      return `{"columns":${JSON.stringify(result.columns)},"overflow":${result.overflow},"rows":[${rows.join(',')}]}\n`;
    }
    case 'votable':
      return writeVOTable({
        fields: result.columns.map((c) => votableField(c, schema)),
        rows: result.rows,
        overflow: result.overflow,
      });
  }
}
