/**
 * The oracle side: the same fixture rows in one unpartitioned table per logical table on a plain engine, the same
 * ADQL compiled with `toSql`, and an order-insensitive (or ordered) comparison of the results.
 */

import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'vitest';
import { duckdbDialect, parseAdql, toSql } from '../../../src/catalog/adql/index.js';
import type { QueryResult } from '../../../src/catalog/index.js';
import { sqlType } from '../../../src/catalog/physical.js';
import type { CatalogSchema } from '../../../src/catalog/schema.js';
import { type FixtureFiles, ingestOrder } from '../fixtures/generate.js';

export interface PlainDuckdb {
  readonly connection: DuckDBConnection;
  close(): void;
}

export async function loadPlainDuckdb(schema: CatalogSchema, fx: FixtureFiles): Promise<PlainDuckdb> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  for (const table of schema.tables) {
    const columns = table.columns.map((c) => `"${c.name}" ${sqlType(c.datatype, 'duckdb')}`).join(', ');
    await connection.run(`CREATE TABLE "${table.name}" (${columns})`);
  }
  for (const name of ingestOrder) {
    await connection.run(
      `INSERT INTO "${name}" BY NAME SELECT * FROM read_csv('${fx[name]}', header = true)`,
    );
  }
  return {
    connection,
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** The ADQL on plain unpartitioned tables: the compiler's own SQL with table names reduced to the table. */
export async function runPlainDuckdb(plain: PlainDuckdb, adql: string): Promise<unknown[][]> {
  const { sql, params } = toSql(parseAdql(adql), duckdbDialect, {
    tableName: (ref) => `"${ref.name[ref.name.length - 1].name}"`,
  });
  const reader = await plain.connection.runAndReadAll(sql, params as never);
  return reader.getRowsJS() as unknown[][];
}

/** Canonical text of a cell: integers exactly, floating values to 9 significant digits, booleans as 0/1. */
export function canonicalCell(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (Number.isInteger(value) && Math.abs(value) < 2 ** 53) return String(value);
    return Number(value.toPrecision(9)).toString();
  }
  if (typeof value === 'string' && /^-?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(value))
    return canonicalCell(Number(value));
  return String(value);
}

export function canonicalRows(rows: readonly (readonly unknown[])[], ordered: boolean): string[] {
  const lines = rows.map((row) => row.map(canonicalCell).join(' | '));
  return ordered ? lines : lines.sort();
}

export function expectSameRows(
  got: QueryResult,
  want: readonly (readonly unknown[])[],
  ordered: boolean,
): void {
  expect(got.overflow).toBe(false);
  if (want.length > 0) expect(got.columns.length).toBe(want[0].length);
  expect(canonicalRows(got.rows, ordered)).toEqual(canonicalRows(want, ordered));
}
