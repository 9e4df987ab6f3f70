/**
 * Compiling an expression tree (parse.ts) against a result's columns into a function of a row index. Unknown
 * columns and functions, and wrong argument counts, are found here, before any row is read. SQL's null rules:
 * arithmetic and comparisons with a null give null, and a filter keeps only rows where the expression is true;
 * AND and OR are three-valued. 64-bit ids compare exactly with each other and with integer literals.
 */

import type { Cell, ResultTable } from '../api/json-result.js';
import { type Expression, ExpressionError } from './parse.js';

export type RowFunction = (row: number) => Cell;

const FUNCTIONS: Readonly<Record<string, { arity: number; apply: (...args: number[]) => number }>> = {
  LOG10: { arity: 1, apply: Math.log10 },
  LOG: { arity: 1, apply: Math.log },
  LN: { arity: 1, apply: Math.log },
  EXP: { arity: 1, apply: Math.exp },
  SQRT: { arity: 1, apply: Math.sqrt },
  ABS: { arity: 1, apply: Math.abs },
  FLOOR: { arity: 1, apply: Math.floor },
  CEILING: { arity: 1, apply: Math.ceil },
  CEIL: { arity: 1, apply: Math.ceil },
  ROUND: { arity: 1, apply: Math.round },
  SIN: { arity: 1, apply: Math.sin },
  COS: { arity: 1, apply: Math.cos },
  TAN: { arity: 1, apply: Math.tan },
  ASIN: { arity: 1, apply: Math.asin },
  ACOS: { arity: 1, apply: Math.acos },
  ATAN: { arity: 1, apply: Math.atan },
  ATAN2: { arity: 2, apply: Math.atan2 },
  POWER: { arity: 2, apply: Math.pow },
  POW: { arity: 2, apply: Math.pow },
  MOD: { arity: 2, apply: (a, b) => a % b },
  RADIANS: { arity: 1, apply: (d) => (d * Math.PI) / 180 },
  DEGREES: { arity: 1, apply: (r) => (r * 180) / Math.PI },
  // AB magnitude of a flux in nJy, as the sciSQL function of the same name in ADQL (DP0.2 fluxes are in nJy).
  SCISQL_NANOJANSKYTOABMAG: { arity: 1, apply: (f) => -2.5 * Math.log10(f) + 31.4 },
};

/** A number for arithmetic: bigints become doubles (arithmetic on ids is not meaningful beyond that). */
function numeric(value: Cell): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') {
    const parsed = Number(value);
    return value.trim() !== '' && Number.isFinite(parsed) ? parsed : null;
  }
  return null;
}

function truth(value: Cell): boolean | null {
  if (value === null) return null;
  if (typeof value === 'boolean') return value;
  const n = numeric(value);
  return n === null ? null : n !== 0;
}

function compare(a: Cell, b: Cell): number | null {
  if (a === null || b === null) return null;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  // Exact when both sides are integers and at least one is a 64-bit id.
  if ((typeof a === 'bigint' || typeof b === 'bigint') && isInteger(a) && isInteger(b)) {
    const [x, y] = [BigInt(a as number | bigint), BigInt(b as number | bigint)];
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const [x, y] = [numeric(a), numeric(b)];
  if (x === null || y === null || Number.isNaN(x) || Number.isNaN(y)) return null;
  return x < y ? -1 : x > y ? 1 : 0;
}

function isInteger(value: Cell): boolean {
  return typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value));
}

function arithmetic(op: string, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '%':
      return a % b;
    default:
      return a ** b;
  }
}

/** Finds a column by exact name, else by name ignoring case (ADQL names are case-insensitive). */
function columnIndex(table: ResultTable, name: string, at: number): number {
  const exact = table.columns.findIndex((c) => c.name === name);
  if (exact >= 0) return exact;
  const folded = table.columns.findIndex((c) => c.name.toLowerCase() === name.toLowerCase());
  if (folded >= 0) return folded;
  throw new ExpressionError(`no column ${JSON.stringify(name)} in this result`, at);
}

export function compile(expression: Expression, table: ResultTable): RowFunction {
  switch (expression.kind) {
    case 'number':
    case 'string':
    case 'boolean': {
      const value = expression.value;
      return () => value;
    }
    case 'null':
      return () => null;
    case 'column': {
      const values = table.values[columnIndex(table, expression.name, expression.at)];
      return (row) => values[row];
    }
    case 'call': {
      const fn = FUNCTIONS[expression.name];
      if (fn === undefined) throw new ExpressionError(`unknown function ${expression.name}`, expression.at);
      if (expression.args.length !== fn.arity) {
        throw new ExpressionError(
          `${expression.name} takes ${fn.arity} argument${fn.arity === 1 ? '' : 's'}, not ${expression.args.length}`,
          expression.at,
        );
      }
      const args = expression.args.map((a) => compile(a, table));
      return (row) => {
        const values = args.map((a) => numeric(a(row)));
        return values.some((v) => v === null) ? null : fn.apply(...(values as number[]));
      };
    }
    case 'unary': {
      const operand = compile(expression.operand, table);
      if (expression.op === 'NOT') {
        return (row) => {
          const t = truth(operand(row));
          return t === null ? null : !t;
        };
      }
      return (row) => {
        const v = operand(row);
        if (typeof v === 'bigint') return -v;
        const n = numeric(v);
        return n === null ? null : -n;
      };
    }
    case 'isNull': {
      const operand = compile(expression.operand, table);
      return (row) => {
        const v = operand(row);
        const isNull = v === null || (typeof v === 'number' && Number.isNaN(v));
        return expression.negated ? !isNull : isNull;
      };
    }
    case 'binary': {
      const [left, right] = [compile(expression.left, table), compile(expression.right, table)];
      const op = expression.op;
      switch (op) {
        case 'AND':
          return (row) => {
            const [a, b] = [truth(left(row)), truth(right(row))];
            if (a === false || b === false) return false;
            return a === null || b === null ? null : true;
          };
        case 'OR':
          return (row) => {
            const [a, b] = [truth(left(row)), truth(right(row))];
            if (a === true || b === true) return true;
            return a === null || b === null ? null : false;
          };
        case '<':
        case '<=':
        case '>':
        case '>=':
        case '=':
        case '!=':
          return (row) => {
            const c = compare(left(row), right(row));
            if (c === null) return null;
            return op === '<'
              ? c < 0
              : op === '<='
                ? c <= 0
                : op === '>'
                  ? c > 0
                  : op === '>='
                    ? c >= 0
                    : op === '='
                      ? c === 0
                      : c !== 0;
          };
        default:
          return (row) => {
            const [a, b] = [numeric(left(row)), numeric(right(row))];
            return a === null || b === null ? null : arithmetic(op, a, b);
          };
      }
    }
  }
}

/** The rows (indices) for which `filter` is true; null and false both leave a row out, as SQL's WHERE does. */
export function filterRows(table: ResultTable, filter: RowFunction): Set<number> {
  const kept = new Set<number>();
  for (let r = 0; r < table.rowCount; r++) if (filter(r) === true) kept.add(r);
  return kept;
}

/** A copy of `table` with one more column computed by `column` (a double column unless every value is text). */
export function withDerivedColumn(table: ResultTable, name: string, column: RowFunction): ResultTable {
  if (table.columns.some((c) => c.name === name)) {
    throw new ExpressionError(`the result already has a column ${JSON.stringify(name)}; name it with AS`, 1);
  }
  const values: Cell[] = Array.from({ length: table.rowCount }, (_, r) => {
    const v = column(r);
    return typeof v === 'number' && !Number.isFinite(v) ? null : v;
  });
  const text = values.some((v) => typeof v === 'string');
  const bool = values.every((v) => v === null || typeof v === 'boolean');
  const datatype = text ? 'char' : bool ? 'boolean' : 'double';
  return Object.freeze({
    ...table,
    columns: Object.freeze([...table.columns, { name, datatype, unit: null, ucd: null }]),
    values: [...table.values, values],
  });
}
