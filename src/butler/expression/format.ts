import type { Expr, RangeItem } from './tree.js';

/**
 * Canonical text of an expression tree: keywords upper-case, single spaces around binary operators, parentheses
 * only where precedence needs them. `parseExpression(formatExpression(e))` equals `e` apart from positions.
 */
export function formatExpression(e: Expr): string {
  switch (e.kind) {
    case 'identifier':
      return e.name;
    case 'string':
      return `'${e.value.replaceAll("'", "''")}'`;
    case 'number':
      return e.text;
    case 'time':
      return `T'${e.text}'`;
    case 'uuid':
      return `UUID('${e.value}')`;
    case 'boolean':
      return e.value ? 'TRUE' : 'FALSE';
    case 'null':
      return 'NULL';
    case 'bind':
      return `:${e.name}`;
    case 'unary':
      return formatUnary(e);
    case 'binary':
      return formatBinary(e);
    case 'in': {
      const items = e.items.map((item) =>
        item.kind === 'range' ? formatRange(item) : operand(item, ADDITIVE),
      );
      return `${operand(e.operand, ADDITIVE)} ${e.negated ? 'NOT IN' : 'IN'} (${items.join(', ')})`;
    }
    case 'function':
      return `${e.name}(${e.args.map(formatExpression).join(', ')})`;
    case 'tuple':
      return `(${e.items.map(formatExpression).join(', ')})`;
  }
}

// Binding strength of each level, loosest first; mirrors the parser's recursive-descent levels.
const OR = 1;
const AND = 2;
const NOT = 3;
const COMPARISON = 4;
const ADDITIVE = 5;
const MULTIPLICATIVE = 6;
const UNARY = 7;
const PRIMARY = 8;

function precedenceOf(e: Expr): number {
  switch (e.kind) {
    case 'binary':
      switch (e.op) {
        case 'OR':
          return OR;
        case 'AND':
          return AND;
        case '+':
        case '-':
          return ADDITIVE;
        case '*':
        case '/':
        case '%':
          return MULTIPLICATIVE;
        default:
          return COMPARISON;
      }
    case 'in':
      return COMPARISON;
    case 'unary':
      return e.op === 'NOT' ? NOT : UNARY;
    default:
      return PRIMARY;
  }
}

/** Format `e` where the grammar expects an expression binding at least as tightly as `minimum`. */
function operand(e: Expr, minimum: number): string {
  const text = formatExpression(e);
  return precedenceOf(e) < minimum ? `(${text})` : text;
}

function formatUnary(e: Extract<Expr, { kind: 'unary' }>): string {
  if (e.op === 'NOT') return `NOT ${operand(e.operand, NOT)}`;
  // A minus directly before a number is read back as part of the number literal, so keep the operand apart.
  const inner =
    e.op === '-' && e.operand.kind === 'number' ? `(${e.operand.text})` : operand(e.operand, UNARY);
  return inner.startsWith('-') || inner.startsWith('+') ? `${e.op} ${inner}` : `${e.op}${inner}`;
}

function formatBinary(e: Extract<Expr, { kind: 'binary' }>): string {
  const level = precedenceOf(e);
  // Comparisons do not chain, so neither side may itself be a comparison without parentheses; the other levels
  // are left-associative, so only the right side needs them at equal strength.
  const leftMinimum = level === COMPARISON ? COMPARISON + 1 : level;
  const rightMinimum = level + 1;
  return `${operand(e.left, leftMinimum)} ${e.op} ${operand(e.right, rightMinimum)}`;
}

function formatRange(range: RangeItem): string {
  return `${range.start}..${range.stop}${range.step === 1 ? '' : `:${range.step}`}`;
}
