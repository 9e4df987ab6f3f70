/**
 * A chart axis written as an expression of the result's columns (`g_mag - r_mag`,
 * `-2.5*LOG10(g_cModelFlux)+31.4`) in the table's expression language, evaluated to one number per row. A plain
 * column name is the simplest expression. Rows where the expression is null, not a number or not finite are NaN,
 * which the plots leave out.
 */

import { numericColumn, type ResultTable } from '../api/json-result.js';
import { compile } from '../expression/evaluate.js';
import { type Expression, ExpressionError, parseExpression } from '../expression/parse.js';

/** Trees whose value is true/false: a filter, not an axis. */
function isCondition(expression: Expression): boolean {
  if (expression.kind === 'isNull' || expression.kind === 'boolean') return true;
  if (expression.kind === 'unary') return expression.op === 'NOT';
  if (expression.kind === 'binary') return !['+', '-', '*', '/', '%', '^'].includes(expression.op);
  return false;
}

/**
 * The values of `text` for every row of `table`. Throws an ExpressionError (with the column of the offending
 * token) for a syntax error, an unknown column or function, a condition, or an expression that is a number for
 * no row at all.
 */
export function axisValues(table: ResultTable, text: string): Float64Array {
  if (text.trim() === '') throw new ExpressionError('type a column name or an expression', 1);
  const expression = parseExpression(text);
  if (isCondition(expression)) {
    throw new ExpressionError('this is a condition (true or false), not a number to plot', 1);
  }
  if (expression.kind === 'column') {
    // The fast path for the common case, and the same values the table shows.
    const index = table.columns.findIndex((c) => c.name === expression.name);
    const values = index >= 0 ? numericColumn(table, index) : null;
    if (values !== null) return values;
  }
  const row = compile(expression, table);
  const values = new Float64Array(table.rowCount);
  let numbers = 0;
  for (let r = 0; r < table.rowCount; r++) {
    const v = row(r);
    const n = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : Number.NaN;
    values[r] = Number.isFinite(n) ? n : Number.NaN;
    if (Number.isFinite(n)) numbers++;
  }
  if (numbers === 0 && table.rowCount > 0) {
    throw new ExpressionError('this gives no number for any row (text, nulls or out of range)', 1);
  }
  return values;
}
