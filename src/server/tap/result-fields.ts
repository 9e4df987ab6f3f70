/**
 * VOTable FIELD metadata for the columns of a query result. The datatype follows the values the engine returns; a
 * column that names a catalog column (or a TAP_SCHEMA column) also gets its published arraysize, xtype, unit, UCD
 * and description, so result metadata agrees with TAP_SCHEMA (TAP 1.1 §2.9; taplint's MDQ stage compares them).
 */

import type { ResultColumn, ResultDatatype, TapSchemaRows } from '../../catalog/index.js';
import type { VOTableDatatype, VOTableField } from '../../formats/index.js';

const votableTypes: Readonly<Record<ResultDatatype, VOTableDatatype>> = {
  boolean: 'boolean',
  short: 'short',
  int: 'int',
  long: 'long',
  float: 'float',
  double: 'double',
  string: 'char',
  timestamp: 'char',
};

type PublishedColumn = TapSchemaRows['columns'][number];

/** Published columns by lower-case column name; the first table that has the name wins. */
export function publishedColumnsByName(rows: TapSchemaRows): ReadonlyMap<string, PublishedColumn> {
  const byName = new Map<string, PublishedColumn>();
  for (const column of rows.columns) {
    const key = column.column_name.toLowerCase();
    if (!byName.has(key)) byName.set(key, column);
  }
  return byName;
}

export function resultFields(
  columns: readonly ResultColumn[],
  published: ReadonlyMap<string, PublishedColumn>,
): VOTableField[] {
  return columns.map((column) => {
    const datatype = votableTypes[column.datatype];
    const known = published.get(column.name.toLowerCase());
    // The published arraysize and xtype only hold when the value type agrees (a string column stays a string).
    const sameType = known !== undefined && known.datatype === datatype;
    return {
      name: column.name,
      datatype,
      arraysize: datatype === 'char' ? (sameType && known.arraysize ? known.arraysize : '*') : undefined,
      xtype: column.datatype === 'timestamp' ? 'timestamp' : sameType ? known.xtype : null,
      unit: known?.unit,
      ucd: known?.ucd,
      description: known?.description,
    };
  });
}
