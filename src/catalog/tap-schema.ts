/**
 * TAP_SCHEMA (TAP 1.1 §4) rows generated from a catalog schema: schemas, tables, columns, keys, key_columns, with
 * VOTable datatypes, units, UCDs and descriptions. Tables are named `<schema>.<table>` as DP0.2's TAP service
 * does. Plain data; the TAP service decides where to store it.
 */

import type { CatalogSchema, ColumnDatatype } from './schema.js';

export interface TapSchemaRows {
  readonly schemas: readonly {
    schema_name: string;
    utype: null;
    description: string;
    schema_index: number;
  }[];
  readonly tables: readonly {
    schema_name: string;
    table_name: string;
    table_type: 'table';
    utype: null;
    description: string;
    table_index: number;
  }[];
  readonly columns: readonly {
    table_name: string;
    column_name: string;
    utype: null;
    ucd: string | null;
    unit: string | null;
    description: string;
    datatype: string;
    arraysize: string | null;
    xtype: string | null;
    size: number | null;
    principal: 0 | 1;
    indexed: 0 | 1;
    std: 0 | 1;
    column_index: number;
  }[];
  readonly keys: readonly {
    key_id: string;
    from_table: string;
    target_table: string;
    utype: null;
    description: string | null;
  }[];
  readonly key_columns: readonly { key_id: string; from_column: string; target_column: string }[];
}

const votableDatatype: Readonly<Record<ColumnDatatype, string>> = {
  boolean: 'boolean',
  byte: 'unsignedByte',
  short: 'short',
  int: 'int',
  long: 'long',
  float: 'float',
  double: 'double',
  char: 'char',
  string: 'char',
  text: 'char',
  timestamp: 'char',
};

export function tapSchemaRows(schema: CatalogSchema): TapSchemaRows {
  const qualified = (table: string) => `${schema.name}.${table}`;
  const columns: TapSchemaRows['columns'][number][] = [];
  for (const table of schema.tables) {
    const p = table.partitioning;
    const indexed = new Set([
      ...table.primaryKey,
      ...(p.role === 'director'
        ? [p.ra, p.dec]
        : p.role === 'dependent'
          ? [p.key]
          : p.role === 'match'
            ? [p.key, p.key2]
            : []),
      ...table.foreignKeys.flatMap((fk) => fk.columns),
    ]);
    table.columns.forEach((c, i) => {
      const isChar = c.datatype === 'char' || c.datatype === 'string' || c.datatype === 'text';
      columns.push({
        table_name: qualified(table.name),
        column_name: c.name,
        utype: null,
        ucd: c.ucd,
        unit: c.unit,
        description: c.description,
        datatype: votableDatatype[c.datatype],
        arraysize:
          c.datatype === 'timestamp' ? '*' : isChar ? (c.length === null ? '*' : `${c.length}*`) : null,
        xtype: c.datatype === 'timestamp' ? 'timestamp' : null,
        size: isChar ? c.length : null,
        principal: indexed.has(c.name) ? 1 : 0,
        indexed: indexed.has(c.name) ? 1 : 0,
        std: 0,
        column_index: i + 1,
      });
    });
  }
  const keys = schema.tables.flatMap((t) =>
    t.foreignKeys.map((fk) => ({
      key_id: fk.name,
      from_table: qualified(t.name),
      target_table: qualified(fk.referencedTable),
      utype: null,
      description: `${t.name}.${fk.columns.join(', ')} references ${fk.referencedTable}`,
    })),
  );
  const keyColumns = schema.tables.flatMap((t) =>
    t.foreignKeys.flatMap((fk) =>
      fk.columns.map((column, i) => ({
        key_id: fk.name,
        from_column: column,
        target_column: fk.referencedColumns[i],
      })),
    ),
  );
  return {
    schemas: [{ schema_name: schema.name, utype: null, description: schema.description, schema_index: 0 }],
    tables: schema.tables.map((t, i) => ({
      schema_name: schema.name,
      table_name: qualified(t.name),
      table_type: 'table',
      utype: null,
      description: t.description,
      table_index: i + 1,
    })),
    columns,
    keys,
    key_columns: keyColumns,
  };
}
