/**
 * One ADQL → SQL compiler for every engine; engine differences go through `SqlDialect` hooks.
 *
 * Literal strings become bind parameters. Numeric literals are written inline: the lexer has validated them (no
 * injection is possible), 19-digit IDs keep their exact value, and the planner sees constants (q3c, zone maps).
 * Parameters are first written as markers and numbered in a final pass, so a fragment may be repeated in the output
 * (the haversine formula uses each coordinate twice) and `?` dialects still bind one value per occurrence.
 */

import type {
  Expression,
  FromItem,
  Identifier,
  Query,
  QueryBody,
  SelectCore,
  SelectItem,
  SetOperation,
  TableRef,
} from '../ast.js';
import { unsupported } from '../cursor.js';
import { type AdqlVisitor, visit } from '../visitor.js';
import { guardedDivision, type SqlDialect } from './dialect.js';
import {
  distancePoints,
  type GeometryContext,
  geometryValue,
  spatialPredicate,
  udfValue,
} from './geometry.js';

export interface ToSqlOptions {
  /**
   * Maps a table reference to the SQL that names it (already quoted), e.g. a chunk table. When given, tables
   * without an alias get their own last name part as alias and column qualifiers are reduced to their last part, so
   * `Object.coord_ra` still resolves after `Object` is renamed.
   */
  readonly tableName?: (ref: TableRef) => string;
}

export interface CompiledSql {
  readonly sql: string;
  readonly params: unknown[];
}

/** NUL cannot occur in compiled text otherwise: the lexer never emits it and strings are bound, not inlined. */
const markerDelimiter = String.fromCharCode(0);
const marker = (index: number): string => `${markerDelimiter}${index}${markerDelimiter}`;
const markerPattern = new RegExp(`${markerDelimiter}(\\d+)${markerDelimiter}`, 'g');

class SqlCompiler implements GeometryContext {
  readonly values: unknown[] = [];

  constructor(
    readonly dialect: SqlDialect,
    private readonly options: ToSqlOptions,
  ) {}

  bind(value: unknown): string {
    this.values.push(value);
    return marker(this.values.length - 1);
  }

  identifier(identifier: Identifier): string {
    return identifier.delimited
      ? this.dialect.quoteIdentifier(identifier.name)
      : this.dialect.regularIdentifier(identifier.name);
  }

  query(query: Query): string {
    const parts: string[] = [];
    if (query.with.length > 0) {
      const tables = query.with.map((cte) => {
        const columns = cte.columns ? `(${cte.columns.map((c) => this.identifier(c)).join(', ')})` : '';
        return `${this.identifier(cte.name)}${columns} AS (${this.query(cte.query)})`;
      });
      parts.push(`WITH ${tables.join(', ')}`);
    }
    // TOP of a lone SELECT becomes the statement's LIMIT, after ORDER BY and OFFSET as in ADQL.
    const body = query.body;
    const limit = body.kind === 'select' ? body.top : null;
    if (body.kind === 'select') parts.push(this.select(body));
    else if (body.kind === 'setOperation') parts.push(this.setOperation(body));
    else parts.push(this.body(body));
    if (query.orderBy.length > 0) {
      const ordinal = body.kind === 'select' ? repeatedItemOrdinal(body) : () => null;
      const items = query.orderBy.map(
        (o) => `${ordinal(o.expression) ?? this.value(o.expression)}${o.descending ? ' DESC' : ' ASC'}`,
      );
      parts.push(`ORDER BY ${items.join(', ')}`);
    }
    return this.dialect.limitOffset(parts.join(' '), limit, query.offset);
  }

  /** A query body used as an operand of a set operation or nested query. */
  private body(body: QueryBody): string {
    switch (body.kind) {
      case 'query':
        return `(${this.query(body)})`;
      case 'setOperation':
        return `(${this.setOperation(body)})`;
      case 'select':
        return `(${this.dialect.limitOffset(this.select(body), body.top, null)})`;
    }
  }

  private setOperation(operation: SetOperation): string {
    return `${this.body(operation.left)} ${operation.operator}${operation.all ? ' ALL' : ''} ${this.body(operation.right)}`;
  }

  private select(select: SelectCore): string {
    const parts = ['SELECT'];
    if (select.quantifier === 'DISTINCT') parts.push('DISTINCT');
    parts.push(select.items.map((item) => this.selectItem(item)).join(', '));
    parts.push('FROM', select.from.map((item) => this.fromItem(item)).join(', '));
    if (select.where) parts.push('WHERE', this.condition(select.where));
    if (select.groupBy.length > 0) {
      const ordinal = repeatedItemOrdinal(select);
      parts.push('GROUP BY', select.groupBy.map((e) => ordinal(e) ?? this.value(e)).join(', '));
    }
    if (select.having) parts.push('HAVING', this.condition(select.having));
    return parts.join(' ');
  }

  private selectItem(item: SelectItem): string {
    if (item.kind === 'allColumns') {
      if (item.qualifier === null) return '*';
      return `${this.qualifier(item.qualifier)}.*`;
    }
    const alias = item.alias ? ` AS ${this.identifier(item.alias)}` : '';
    return `${this.value(item.expression)}${alias}`;
  }

  private qualifier(parts: readonly Identifier[]): string {
    const kept = this.options.tableName ? parts.slice(-1) : parts;
    return kept.map((p) => this.identifier(p)).join('.');
  }

  private fromItem(item: FromItem): string {
    switch (item.kind) {
      case 'table': {
        const mapped = this.options.tableName?.(item);
        const name = mapped ?? item.name.map((p) => this.identifier(p)).join('.');
        const alias = item.alias ?? (mapped !== undefined ? item.name[item.name.length - 1] : null);
        return alias ? `${name} AS ${this.identifier(alias)}` : name;
      }
      case 'derivedTable':
        return `(${this.query(item.query)}) AS ${this.identifier(item.alias)}`;
      case 'join': {
        const type = item.joinType === 'INNER' ? 'INNER' : `${item.joinType} OUTER`;
        const right =
          item.right.kind === 'join' ? `(${this.fromItem(item.right)})` : this.fromItem(item.right);
        let sql = `${this.fromItem(item.left)} ${item.natural ? 'NATURAL ' : ''}${type} JOIN ${right}`;
        if (item.on) sql += ` ON ${this.condition(item.on)}`;
        if (item.using) sql += ` USING (${item.using.map((c) => this.identifier(c)).join(', ')})`;
        return sql;
      }
    }
  }

  condition(expression: Expression): string {
    return visit(expression, this.expressionVisitor);
  }

  value(expression: Expression): string {
    return visit(expression, this.expressionVisitor);
  }

  /** `CONTAINS(...) = 1`, `0 = scisql_s2PtInCircle(...)`, `DISTANCE(...) < r` and friends as bare predicates. */
  private comparison(expression: Extract<Expression, { kind: 'comparison' }>): string | null {
    const { operator, left, right } = expression;
    const flag = (e: Expression) =>
      e.kind === 'number' && (e.text === '1' || e.text === '0') ? e.text : null;
    for (const [call, other] of [
      [left, right],
      [right, left],
    ] as const) {
      const bit = flag(other);
      if (bit === null || (operator !== '=' && operator !== '<>')) continue;
      const predicate = spatialPredicate(call, this);
      if (predicate === null) continue;
      return (bit === '1') === (operator === '=') ? predicate : `(NOT ${predicate})`;
    }
    const distanceFirst =
      left.kind === 'geometry' && left.name === 'DISTANCE' && (operator === '<' || operator === '<=');
    const distanceSecond =
      right.kind === 'geometry' && right.name === 'DISTANCE' && (operator === '>' || operator === '>=');
    if (distanceFirst || distanceSecond) {
      const call = (distanceFirst ? left : right) as Extract<Expression, { kind: 'geometry' }>;
      const radius = this.value(distanceFirst ? right : left);
      const [a, b] = distancePoints(call, this);
      return this.dialect.distanceWithin(a, b, radius, operator === '<' || operator === '>' ? '<' : '<=');
    }
    return null;
  }

  private readonly expressionVisitor: AdqlVisitor<string> = {
    column: (n) => {
      const name = this.identifier(n.name);
      return n.qualifier.length > 0 ? `${this.qualifier(n.qualifier)}.${name}` : name;
    },
    number: (n) => (n.form === 'hex' ? BigInt(n.text).toString() : this.dialect.numericLiteral(n.text)),
    string: (n) => this.bind(n.value),
    null: () => 'NULL',
    unary: (n) => `(${n.operator}${this.value(n.operand)})`,
    binary: (n) =>
      n.operator === '/'
        ? guardedDivision(this.value(n.left), this.value(n.right))
        : `(${this.value(n.left)} ${n.operator} ${this.value(n.right)})`,
    function: (n) =>
      this.dialect.scalarFunction(
        n.name,
        n.args.map((a) => this.value(a)),
        n.pos,
      ),
    aggregate: (n) => {
      const arg =
        n.arg === null ? '*' : `${n.quantifier === 'DISTINCT' ? 'DISTINCT ' : ''}${this.value(n.arg)}`;
      return `${n.name.toLowerCase()}(${arg})`;
    },
    geometry: (n) => geometryValue(n, this),
    udf: (n) => udfValue(n, this),
    cast: (n) => `CAST(${this.value(n.operand)} AS ${this.dialect.castType(n.type)})`,
    case: (n) => {
      const parts = ['CASE'];
      if (n.operand) parts.push(this.value(n.operand));
      for (const w of n.whens) {
        parts.push(
          'WHEN',
          n.operand ? this.value(w.when) : this.condition(w.when),
          'THEN',
          this.value(w.then),
        );
      }
      if (n.else) parts.push('ELSE', this.value(n.else));
      parts.push('END');
      return `(${parts.join(' ')})`;
    },
    scalarSubquery: (n) => `(${this.query(n.query)})`,
    comparison: (n) => this.comparison(n) ?? `(${this.value(n.left)} ${n.operator} ${this.value(n.right)})`,
    logical: (n) => `(${this.condition(n.left)} ${n.operator} ${this.condition(n.right)})`,
    not: (n) => `(NOT ${this.condition(n.operand)})`,
    between: (n) =>
      `(${this.value(n.operand)} ${n.negated ? 'NOT ' : ''}BETWEEN ${this.value(n.low)} AND ${this.value(n.high)})`,
    like: (n) =>
      `(${this.value(n.operand)} ${n.negated ? 'NOT ' : ''}${n.caseInsensitive ? 'ILIKE' : 'LIKE'} ${this.value(n.pattern)})`,
    isNull: (n) => `(${this.value(n.operand)} IS ${n.negated ? 'NOT ' : ''}NULL)`,
    inList: (n) =>
      `(${this.value(n.operand)} ${n.negated ? 'NOT ' : ''}IN (${n.values.map((v) => this.value(v)).join(', ')}))`,
    inSubquery: (n) => `(${this.value(n.operand)} ${n.negated ? 'NOT ' : ''}IN (${this.query(n.query)}))`,
    exists: (n) => `(EXISTS (${this.query(n.query)}))`,
    // Nodes that are not expressions never reach this visitor.
    query: (n) => this.notAnExpression(n.kind),
    commonTable: (n) => this.notAnExpression(n.kind),
    select: (n) => this.notAnExpression(n.kind),
    setOperation: (n) => this.notAnExpression(n.kind),
    allColumns: (n) => this.notAnExpression(n.kind),
    selectColumn: (n) => this.notAnExpression(n.kind),
    orderItem: (n) => this.notAnExpression(n.kind),
    table: (n) => this.notAnExpression(n.kind),
    derivedTable: (n) => this.notAnExpression(n.kind),
    join: (n) => this.notAnExpression(n.kind),
    identifier: (n) => this.identifier(n),
    when: (n) => this.notAnExpression(n.kind),
  };

  private notAnExpression(kind: string): never {
    throw unsupported(`${kind} in expression position`, { line: 0, column: 0, offset: 0, length: 0 });
  }

  /** Numbers the parameter markers in text order, in the dialect's placeholder style. */
  finish(sql: string): CompiledSql {
    const params: unknown[] = [];
    const numberOf = new Map<number, number>();
    const text = sql.replace(markerPattern, (_, raw: string) => {
      const index = Number(raw);
      if (this.dialect.reusesPlaceholders) {
        let n = numberOf.get(index);
        if (n === undefined) {
          params.push(this.values[index]);
          n = params.length;
          numberOf.set(index, n);
        }
        return this.dialect.placeholder(n);
      }
      params.push(this.values[index]);
      return this.dialect.placeholder(params.length);
    });
    return { sql: text, params };
  }
}

/** A key equal for two expressions that differ only in source positions. */
function expressionKey(expression: Expression): string {
  return JSON.stringify(expression, (key, value) => (key === 'pos' ? undefined : value));
}

/**
 * For GROUP BY and ORDER BY: the output ordinal of the select item an expression repeats, or null. A repeated
 * expression holding a string literal compiles to two different bind parameters, so the engine cannot see that the
 * select item is the grouped expression (DuckDB's binder and PostgreSQL both refuse `SELECT CASE … THEN ? …
 * GROUP BY CASE … THEN ? …`); the ordinal names the item itself. Items after a `*` have no known ordinal.
 */
function repeatedItemOrdinal(select: SelectCore): (expression: Expression) => string | null {
  const ordinals = new Map<string, number>();
  for (const [index, item] of select.items.entries()) {
    if (item.kind === 'allColumns') break;
    const key = expressionKey(item.expression);
    if (!ordinals.has(key)) ordinals.set(key, index + 1);
  }
  return (expression) => {
    // A bare column or literal needs no ordinal, and the SQL stays as readable as the ADQL.
    if (expression.kind === 'column' || expression.kind === 'number') return null;
    const ordinal = ordinals.get(expressionKey(expression));
    return ordinal === undefined ? null : String(ordinal);
  };
}

/**
 * Compiles an ADQL tree to SQL for one engine.
 * @throws MeridianError `ADQL_UNSUPPORTED` naming a construct the dialect cannot express.
 */
export function toSql(tree: Query, dialect: SqlDialect, options: ToSqlOptions = {}): CompiledSql {
  const compiler = new SqlCompiler(dialect, options);
  return compiler.finish(compiler.query(tree));
}
