/**
 * Prints a tree back as canonical ADQL on one line: upper-case keywords, `AS` before every alias, `<>` for inequality,
 * and parentheses exactly where operator precedence needs them. `parseAdql(printAdql(t))` equals `t` except for `pos`.
 */

import {
  type AdqlNode,
  type Expression,
  type FromItem,
  type Identifier,
  logicalTerms,
  type QueryBody,
} from './ast.js';
import { type AdqlVisitor, visit } from './visitor.js';

/** Binding strength, loosest first; a child printed where a stronger one is needed gets parentheses. */
const Level = {
  Or: 1,
  And: 2,
  Not: 3,
  Predicate: 4,
  Concat: 5,
  Additive: 6,
  Multiplicative: 7,
  Unary: 8,
  Primary: 9,
} as const;
type Level = number;

function levelOf(expression: Expression): Level {
  switch (expression.kind) {
    case 'logical':
      return expression.operator === 'OR' ? Level.Or : Level.And;
    case 'not':
      return Level.Not;
    case 'comparison':
    case 'between':
    case 'like':
    case 'isNull':
    case 'inList':
    case 'inSubquery':
    case 'exists':
      return Level.Predicate;
    case 'binary':
      if (expression.operator === '||') return Level.Concat;
      return expression.operator === '+' || expression.operator === '-'
        ? Level.Additive
        : Level.Multiplicative;
    case 'unary':
      return Level.Unary;
    default:
      return Level.Primary;
  }
}

export function quoteIdentifier(identifier: Identifier): string {
  return identifier.delimited ? `"${identifier.name.replaceAll('"', '""')}"` : identifier.name;
}

function quoteString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function expr(expression: Expression, atLeast: Level): string {
  const text = printAdql(expression);
  return levelOf(expression) < atLeast ? `(${text})` : text;
}

function list(nodes: readonly AdqlNode[]): string {
  return nodes.map((n) => printAdql(n)).join(', ');
}

const setLevel = (body: QueryBody): number =>
  body.kind === 'setOperation' ? (body.operator === 'INTERSECT' ? 2 : 1) : 3;

function setOperand(body: QueryBody, atLeast: number): string {
  const text = printAdql(body);
  return body.kind === 'query' || setLevel(body) < atLeast ? `(${text})` : text;
}

function joinOperand(item: FromItem, isRight: boolean): string {
  const text = printAdql(item);
  return isRight && item.kind === 'join' ? `(${text})` : text;
}

const not = (negated: boolean): string => (negated ? 'NOT ' : '');

const printer: AdqlVisitor<string> = {
  query: (n) => {
    const parts: string[] = [];
    if (n.with.length > 0) parts.push(`WITH ${list(n.with)}`);
    parts.push(n.body.kind === 'query' ? `(${printAdql(n.body)})` : printAdql(n.body));
    if (n.orderBy.length > 0) parts.push(`ORDER BY ${list(n.orderBy)}`);
    if (n.offset !== null) parts.push(`OFFSET ${n.offset}`);
    return parts.join(' ');
  },
  commonTable: (n) =>
    `${quoteIdentifier(n.name)}${n.columns ? `(${list(n.columns)})` : ''} AS (${printAdql(n.query)})`,
  select: (n) => {
    const parts = ['SELECT'];
    if (n.quantifier) parts.push(n.quantifier);
    if (n.top !== null) parts.push(`TOP ${n.top}`);
    parts.push(list(n.items), 'FROM', list(n.from));
    if (n.where) parts.push('WHERE', printAdql(n.where));
    if (n.groupBy.length > 0) parts.push('GROUP BY', list(n.groupBy));
    if (n.having) parts.push('HAVING', printAdql(n.having));
    return parts.join(' ');
  },
  setOperation: (n) => {
    const level = setLevel(n);
    return `${setOperand(n.left, level)} ${n.operator}${n.all ? ' ALL' : ''} ${setOperand(n.right, level + 1)}`;
  },
  allColumns: (n) => (n.qualifier ? `${n.qualifier.map(quoteIdentifier).join('.')}.*` : '*'),
  selectColumn: (n) => `${printAdql(n.expression)}${n.alias ? ` AS ${quoteIdentifier(n.alias)}` : ''}`,
  orderItem: (n) => `${printAdql(n.expression)}${n.descending ? ' DESC' : ''}`,
  table: (n) => `${n.name.map(quoteIdentifier).join('.')}${n.alias ? ` AS ${quoteIdentifier(n.alias)}` : ''}`,
  derivedTable: (n) => `(${printAdql(n.query)}) AS ${quoteIdentifier(n.alias)}`,
  join: (n) => {
    const type = n.joinType === 'INNER' ? '' : `${n.joinType} ${n.outer ? 'OUTER ' : ''}`;
    const head = `${joinOperand(n.left, false)} ${n.natural ? 'NATURAL ' : ''}${type}JOIN ${joinOperand(n.right, true)}`;
    if (n.on) return `${head} ON ${printAdql(n.on)}`;
    if (n.using) return `${head} USING (${list(n.using)})`;
    return head;
  },
  identifier: (n) => quoteIdentifier(n),
  when: (n) => `WHEN ${printAdql(n.when)} THEN ${printAdql(n.then)}`,
  column: (n) => [...n.qualifier, n.name].map(quoteIdentifier).join('.'),
  number: (n) => n.text,
  string: (n) => quoteString(n.value),
  null: () => 'NULL',
  // A nested sign gets parentheses: `--` would start a comment.
  unary: (n) =>
    `${n.operator}${n.operand.kind === 'unary' ? `(${printAdql(n.operand)})` : expr(n.operand, Level.Unary)}`,
  binary: (n) => {
    const level = levelOf(n);
    return `${expr(n.left, level)} ${n.operator} ${expr(n.right, level + 1)}`;
  },
  function: (n) => `${n.name}(${list(n.args)})`,
  udf: (n) => `${n.name}(${list(n.args)})`,
  geometry: (n) => `${n.name}(${list(n.coordSys ? [n.coordSys, ...n.args] : n.args)})`,
  aggregate: (n) =>
    n.arg === null
      ? `${n.name}(*)`
      : `${n.name}(${n.quantifier ? `${n.quantifier} ` : ''}${printAdql(n.arg)})`,
  cast: (n) =>
    `CAST(${printAdql(n.operand)} AS ${n.type.name}${n.type.length !== null ? `(${n.type.length})` : ''})`,
  case: (n) => {
    const parts = ['CASE'];
    if (n.operand) parts.push(printAdql(n.operand));
    parts.push(...n.whens.map((w) => printAdql(w)));
    if (n.else) parts.push('ELSE', printAdql(n.else));
    parts.push('END');
    return parts.join(' ');
  },
  scalarSubquery: (n) => `(${printAdql(n.query)})`,
  comparison: (n) => `${expr(n.left, Level.Concat)} ${n.operator} ${expr(n.right, Level.Concat)}`,
  // A chain of one operator is printed flat; the parser rebuilds the same balanced tree from its terms.
  logical: (n) => {
    const level = levelOf(n);
    return logicalTerms(n, n.operator)
      .map((term) => expr(term, level + 1))
      .join(` ${n.operator} `);
  },
  not: (n) => `NOT ${expr(n.operand, Level.Not)}`,
  between: (n) =>
    `${expr(n.operand, Level.Concat)} ${not(n.negated)}BETWEEN ${expr(n.low, Level.Concat)} AND ${expr(n.high, Level.Concat)}`,
  like: (n) =>
    `${expr(n.operand, Level.Concat)} ${not(n.negated)}${n.caseInsensitive ? 'ILIKE' : 'LIKE'} ${expr(n.pattern, Level.Concat)}`,
  isNull: (n) => `${expr(n.operand, Level.Concat)} IS ${not(n.negated)}NULL`,
  inList: (n) => `${expr(n.operand, Level.Concat)} ${not(n.negated)}IN (${list(n.values)})`,
  inSubquery: (n) => `${expr(n.operand, Level.Concat)} ${not(n.negated)}IN (${printAdql(n.query)})`,
  exists: (n) => `EXISTS (${printAdql(n.query)})`,
};

/** Canonical ADQL text of any node (a whole query or a fragment such as an expression). */
export function printAdql(node: AdqlNode): string {
  return visit(node, printer);
}
