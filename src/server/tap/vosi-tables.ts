/**
 * VOSI-tables 1.1 (VOSI 1.1 §3.4, VODataService 1.1 tableset), generated from the same TAP_SCHEMA rows that
 * `tap_schema.*` queries return, so /tables and TAP_SCHEMA cannot disagree. `detail=min` leaves out the columns and
 * foreign keys (pyvo #504: a full tableset of a DP0.2-sized schema runs to megabytes); `/tables/<name>` returns one
 * table with its columns.
 */

import type { TapSchemaRows } from '../../catalog/index.js';
import { escapeXml as x } from '../../formats/index.js';

type TableRow = TapSchemaRows['tables'][number];

const NAMESPACES =
  'xmlns:vosi="http://www.ivoa.net/xml/VOSITables/v1.0" xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';

const optional = (name: string, value: string | null | undefined) =>
  value === null || value === undefined || value === '' ? '' : `<${name}>${x(value)}</${name}>`;

function columnElement(column: TapSchemaRows['columns'][number]): string {
  const arraysize = column.arraysize ? ` arraysize="${x(column.arraysize)}"` : '';
  const xtype = column.xtype ? ` extendedType="${x(column.xtype)}"` : '';
  const flags = [
    column.indexed ? '<flag>indexed</flag>' : '',
    column.principal ? '<flag>principal</flag>' : '',
    column.std ? '<flag>std</flag>' : '',
  ].join('');
  return `<column>${optional('name', column.column_name)}${optional('description', column.description)}${optional('unit', column.unit)}${optional('ucd', column.ucd)}${optional('utype', column.utype)}<dataType xsi:type="vs:VOTableType"${arraysize}${xtype}>${x(column.datatype)}</dataType>${flags}</column>\n`;
}

function foreignKeyElements(rows: TapSchemaRows, table: string): string {
  return rows.keys
    .filter((k) => k.from_table === table)
    .map((k) => {
      const columns = rows.key_columns
        .filter((c) => c.key_id === k.key_id)
        .map(
          (c) =>
            `<fkColumn><fromColumn>${x(c.from_column)}</fromColumn><targetColumn>${x(c.target_column)}</targetColumn></fkColumn>`,
        )
        .join('');
      return `<foreignKey><targetTable>${x(k.target_table)}</targetTable>${columns}${optional('description', k.description)}${optional('utype', k.utype)}</foreignKey>\n`;
    })
    .join('');
}

function tableBody(rows: TapSchemaRows, table: TableRow, detailed: boolean): string {
  const head = `${optional('name', table.table_name)}${optional('description', table.description)}${optional('utype', table.utype)}\n`;
  if (!detailed) return head;
  const columns = rows.columns
    .filter((c) => c.table_name === table.table_name)
    .sort((a, b) => a.column_index - b.column_index)
    .map(columnElement)
    .join('');
  return head + columns + foreignKeyElements(rows, table.table_name);
}

export function tablesetDocument(rows: TapSchemaRows, detailed: boolean): string {
  const schemas = [...rows.schemas]
    .sort((a, b) => a.schema_index - b.schema_index)
    .map((schema) => {
      const tables = rows.tables
        .filter((t) => t.schema_name === schema.schema_name)
        .sort((a, b) => a.table_index - b.table_index)
        .map((t) => `<table type="${x(t.table_type)}">\n${tableBody(rows, t, detailed)}</table>\n`)
        .join('');
      return `<schema>${optional('name', schema.schema_name)}${optional('description', schema.description)}${optional('utype', schema.utype)}\n${tables}</schema>\n`;
    })
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<vosi:tableset ${NAMESPACES}>\n${schemas}</vosi:tableset>\n`;
}

/** One table's document, or null when the name is not published (matched exactly, then case-insensitively). */
export function tableDocument(rows: TapSchemaRows, name: string): string | null {
  const table =
    rows.tables.find((t) => t.table_name === name) ??
    rows.tables.find((t) => t.table_name.toLowerCase() === name.toLowerCase());
  if (!table) return null;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<vosi:table ${NAMESPACES} type="${x(table.table_type)}">\n${tableBody(rows, table, true)}</vosi:table>\n`;
}
