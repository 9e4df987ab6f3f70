/**
 * Reading and writing the column tables the step2 tasks exchange. A table read back from Parquet holds whatever
 * array type DuckDB chose for a column (a BIGINT with no nulls is a BigInt64Array, with nulls a plain array), so
 * the readers here accept every `TableColumnValues` form and hand the algorithms plain numbers, and the writers
 * build columns with the types the DP0.2 schema names (BIGINT ids, INTEGER detectors, DOUBLE measurements).
 */
import { meridianError } from '../../errors.js';
import type { Table, TableColumnValues } from '../../formats/index.js';

/** DuckDB/Parquet types of the columns the step2 tables write (the DP0.2 schema's long/int/double/char). */
export type Step2ColumnType = 'BIGINT' | 'INTEGER' | 'DOUBLE' | 'VARCHAR';

/** One output column: its name and type, in schema order. */
export type ColumnSpec = readonly [name: string, type: Step2ColumnType];

function missingColumn(table: Table, name: string, what: string): Error {
  return meridianError('INVALID_ARGUMENT', `the ${what} table has no column '${name}'`, {
    column: name,
    columns: Object.keys(table.columns),
  });
}

export function hasColumn(table: Table, name: string): boolean {
  return Object.hasOwn(table.columns, name);
}

/** A column as float64 (null → NaN, bigint → nearest double); `what` names the table in the error. */
export function numberColumn(table: Table, name: string, what: string): Float64Array {
  const values = table.columns[name];
  if (values === undefined) throw missingColumn(table, name, what);
  if (values instanceof Float64Array) return values;
  const out = new Float64Array(table.length);
  for (let i = 0; i < table.length; i++) {
    const v = (values as ArrayLike<unknown>)[i];
    out[i] =
      typeof v === 'number'
        ? v
        : typeof v === 'bigint'
          ? Number(v)
          : v === true
            ? 1
            : v === false
              ? 0
              : Number.NaN;
  }
  return out;
}

/** A 64-bit id column as bigints (ids such as sourceId do not fit a double exactly). */
export function bigintColumn(table: Table, name: string, what: string): BigInt64Array {
  const values = table.columns[name];
  if (values === undefined) throw missingColumn(table, name, what);
  if (values instanceof BigInt64Array) return values;
  const out = new BigInt64Array(table.length);
  for (let i = 0; i < table.length; i++) {
    const v = (values as ArrayLike<unknown>)[i];
    if (typeof v === 'bigint') out[i] = v;
    else if (typeof v === 'number' && Number.isInteger(v)) out[i] = BigInt(v);
    else {
      throw meridianError(
        'INVALID_ARGUMENT',
        `the ${what} table's ${name} holds a non-integer id at row ${i}`,
        {
          column: name,
          row: i,
        },
      );
    }
  }
  return out;
}

export function stringColumn(table: Table, name: string, what: string): (string | null)[] {
  const values = table.columns[name];
  if (values === undefined) throw missingColumn(table, name, what);
  return Array.from(values as ArrayLike<unknown>, (v) => (v === null || v === undefined ? null : String(v)));
}

/**
 * A flag column as booleans: true, a non-zero number; null counts as unset. A missing column is `null` (the caller
 * decides whether an absent flag matters).
 */
export function flagColumn(table: Table, name: string): Uint8Array | null {
  const values = table.columns[name];
  if (values === undefined) return null;
  const out = new Uint8Array(table.length);
  for (let i = 0; i < table.length; i++) {
    const v = (values as ArrayLike<unknown>)[i];
    out[i] = v === true || (typeof v === 'number' && v !== 0) || (typeof v === 'bigint' && v !== 0n) ? 1 : 0;
  }
  return out;
}

/** Values for one output column, converted to the array type its schema type is written from. */
export function typedColumn(type: Step2ColumnType, values: readonly unknown[]): TableColumnValues {
  switch (type) {
    case 'BIGINT':
      return BigInt64Array.from(values, (v) => (typeof v === 'bigint' ? v : BigInt(Math.round(Number(v)))));
    case 'INTEGER':
      return Int32Array.from(values, (v) => Number(v));
    case 'DOUBLE':
      return Float64Array.from(values, (v) => (v === null || v === undefined ? Number.NaN : Number(v)));
    case 'VARCHAR':
      return values.map((v) => (v === null || v === undefined ? null : String(v)));
  }
}

/** A table from row objects and a column list (schema order); a row lacking a column is a programming error. */
export function tableFromRows(
  spec: readonly ColumnSpec[],
  rows: readonly Readonly<Record<string, unknown>>[],
): Record<string, TableColumnValues> {
  const columns: Record<string, TableColumnValues> = {};
  for (const [name, type] of spec) {
    columns[name] = typedColumn(
      type,
      rows.map((r) => {
        if (!(name in r)) throw meridianError('INTERNAL', `a step2 table row lacks the column ${name}`);
        return r[name];
      }),
    );
  }
  return columns;
}

/** Row objects of a table (numbers for numeric columns, bigints kept for BIGINT ids). */
export function rowsOf(table: Table): Record<string, unknown>[] {
  const names = Object.keys(table.columns);
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < table.length; i++) {
    const row: Record<string, unknown> = {};
    for (const n of names) row[n] = (table.columns[n] as ArrayLike<unknown>)[i];
    rows.push(row);
  }
  return rows;
}
