/**
 * Row filters for Parquet reads: structured `[column, op, value]` terms compiled to a WHERE clause whose values
 * are bound as parameters, never spliced into the SQL.
 */

import type { DuckDBValue } from '@duckdb/node-api';
import { meridianError } from '../../errors.js';
import { duckdbIdentifier } from './duckdb-sql.js';

/** One filter term `[column, op, value]`; terms of a list are ANDed. `in` / `not in` take an array. */
export type TableFilter = readonly [string, FilterOperator, DuckDBValue | readonly DuckDBValue[]];
export type FilterOperator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in';
const OPERATORS: readonly string[] = ['=', '!=', '<', '<=', '>', '>=', 'in', 'not in'];

/** A compiled filter list: ` WHERE …` (or empty) and the values for its `?` placeholders, in order. */
export interface CompiledFilters {
  readonly sql: string;
  readonly values: DuckDBValue[];
}

/**
 * Compile filters (checked here: they often come from users) to a WHERE clause. `column` checks a column name
 * and returns it, or throws.
 */
export function compileFilters(
  filters: readonly TableFilter[],
  column: (name: unknown) => string,
): CompiledFilters {
  if (!Array.isArray(filters))
    throw meridianError('INVALID_ARGUMENT', 'filters must be a list of [column, op, value]');
  const terms: string[] = [];
  const values: DuckDBValue[] = [];
  for (const f of filters) {
    if (!Array.isArray(f) || f.length !== 3) {
      throw meridianError('INVALID_ARGUMENT', `filter ${JSON.stringify(f)} must be [column, op, value]`);
    }
    const [name, op, value] = f as unknown as [unknown, unknown, unknown];
    const col = duckdbIdentifier(column(name));
    const operator = String(op).toLowerCase();
    if (!OPERATORS.includes(operator)) {
      throw meridianError(
        'INVALID_ARGUMENT',
        `filter operator '${String(op)}' is not one of ${OPERATORS.join(', ')}`,
      );
    }
    if (operator === 'in' || operator === 'not in') {
      if (!Array.isArray(value) || value.length === 0) {
        throw meridianError(
          'INVALID_ARGUMENT',
          `filter '${operator}' on ${String(name)} needs a non-empty list`,
        );
      }
      terms.push(`${col} ${operator.toUpperCase()} (${value.map(() => '?').join(', ')})`);
      values.push(...(value as DuckDBValue[]));
    } else {
      if (Array.isArray(value) || (typeof value === 'object' && value !== null)) {
        throw meridianError(
          'INVALID_ARGUMENT',
          `filter '${operator}' on ${String(name)} needs a single value`,
        );
      }
      terms.push(`${col} ${operator} ?`);
      values.push(value as DuckDBValue);
    }
  }
  return { sql: terms.length === 0 ? '' : ` WHERE ${terms.join(' AND ')}`, values };
}
