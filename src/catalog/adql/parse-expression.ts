/**
 * Recursive-descent parser for ADQL value expressions and search conditions. Precedence, loosest first:
 * OR, AND, NOT, predicates (comparison, BETWEEN, LIKE, IN, IS NULL), `||`, `+ -`, `* /`, unary sign, primaries.
 */

import { meridianError } from '../../errors.js';
import type {
  Aggregate,
  CastType,
  ComparisonOperator,
  Expression,
  GeometryCall,
  GeometryFunctionName,
  Identifier,
  Query,
  SourcePos,
  StringLiteral,
} from './ast.js';
import { isCondition, logicalTerms } from './ast.js';
import { syntaxError, TokenCursor, unsupported } from './cursor.js';
import {
  type Arity,
  aggregateFunctions,
  geometryFunctions,
  lookupUdf,
  scalarFunctions,
  takesCoordSys,
  unsupportedFunctions,
} from './functions.js';
import type { Token } from './lexer.js';

const comparisonSymbols: ReadonlyMap<string, ComparisonOperator> = new Map([
  ['=', '='],
  ['<>', '<>'],
  ['!=', '<>'],
  ['<', '<'],
  ['<=', '<='],
  ['>', '>'],
  ['>=', '>='],
]);

/** Geometry functions whose result is a geometry, not a number: they cannot take part in arithmetic. */
const geometryValued: ReadonlySet<GeometryFunctionName> = new Set([
  'POINT',
  'CIRCLE',
  'BOX',
  'POLYGON',
  'CENTROID',
]);

const castTypes = new Set([
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'REAL',
  'DOUBLE',
  'CHAR',
  'VARCHAR',
  'TIMESTAMP',
]);

export abstract class ExpressionParser extends TokenCursor {
  /** Parses `( query )`; the query grammar lives in the subclass. */
  protected abstract parseParenthesizedQuery(): Query;

  protected startsQuery(token: Token): boolean {
    return this.isWord('SELECT', token) || this.isWord('WITH', token);
  }

  /** A search condition (WHERE, ON, HAVING, searched CASE). */
  parseCondition(): Expression {
    const start = this.current;
    const expression = this.parseOr();
    if (!isCondition(expression)) {
      throw syntaxError(
        ['comparison operator', 'BETWEEN', 'LIKE', 'IN', 'IS'],
        this.current,
        `after ${what(start)}`,
      );
    }
    return expression;
  }

  /** A value expression (select item, function argument, GROUP BY, ORDER BY). */
  parseValue(): Expression {
    const start = this.current;
    const expression = this.parseConcatenation();
    if (isCondition(expression)) {
      throw syntaxError(['value expression'], start, 'a condition cannot be used as a value');
    }
    return expression;
  }

  private parseOr(): Expression {
    const start = this.current;
    const terms = [this.parseAnd()];
    while (this.acceptWord('OR')) terms.push(this.parseAnd());
    return terms.length === 1 ? terms[0] : this.chain('OR', terms, start);
  }

  private parseAnd(): Expression {
    const start = this.current;
    const terms = [this.parseNot()];
    while (this.acceptWord('AND')) terms.push(this.parseNot());
    return terms.length === 1 ? terms[0] : this.chain('AND', terms, start);
  }

  /**
   * A chain of ANDs or ORs as a balanced tree over its flattened terms (parenthesised groups of the same operator
   * included). The operators are associative in SQL's three-valued logic, so the shape does not change the result,
   * and a balanced tree keeps a 5,000-term OR chain about 13 levels deep, within every pass's recursion and the
   * engines' expression-depth limits. The printer writes such a chain flat, so print → parse gives the same tree.
   */
  private chain(operator: 'AND' | 'OR', terms: readonly Expression[], start: Token): Expression {
    const leaves = terms.flatMap((term) => logicalTerms(this.condition(term), operator));
    const pos = this.span(start);
    const build = (from: number, to: number): Expression => {
      if (to - from === 1) return leaves[from];
      // The left half takes the extra term, so chains of up to three terms keep their left-deep shape.
      const middle = from + Math.ceil((to - from) / 2);
      const left = build(from, middle);
      const right = build(middle, to);
      return { kind: 'logical', pos: spanOf(left.pos, right.pos, pos), operator, left, right };
    };
    return build(0, leaves.length);
  }

  private parseNot(): Expression {
    const start = this.current;
    if (this.acceptWord('NOT')) {
      const operand = this.condition(this.nested(() => this.parseNot()));
      return { kind: 'not', pos: this.span(start), operand };
    }
    return this.parsePredicate();
  }

  /** Requires a condition where AND/OR/NOT combine terms. */
  private condition(expression: Expression): Expression {
    if (!isCondition(expression)) {
      throw syntaxError(['condition'], this.tokenAt(expression.pos), 'a value is not a condition');
    }
    return expression;
  }

  private parsePredicate(): Expression {
    const start = this.current;
    if (this.acceptWord('EXISTS')) {
      const query = this.parseParenthesizedQuery();
      return { kind: 'exists', pos: this.span(start), query };
    }
    const left = this.parseConcatenation();
    if (isCondition(left)) return left;

    const operator = this.current.type === 'symbol' ? comparisonSymbols.get(this.current.value) : undefined;
    if (operator !== undefined) {
      this.advance();
      const right = this.parseValue();
      this.checkNotGeometryValue(left, `comparison with ${operator}`);
      this.checkNotGeometryValue(right, `comparison with ${operator}`);
      return { kind: 'comparison', pos: this.span(start), operator, left, right };
    }
    if (this.acceptWord('IS')) {
      const negated = this.acceptWord('NOT') !== null;
      this.expectWord('NULL');
      return { kind: 'isNull', pos: this.span(start), negated, operand: left };
    }
    const negated =
      this.isWord('NOT') && ['BETWEEN', 'LIKE', 'ILIKE', 'IN'].some((w) => this.isWord(w, this.peek()));
    if (negated) this.advance();
    if (this.acceptWord('BETWEEN')) {
      const low = this.parseValue();
      this.expectWord('AND');
      const high = this.parseValue();
      return { kind: 'between', pos: this.span(start), negated, operand: left, low, high };
    }
    if (this.isWord('LIKE') || this.isWord('ILIKE')) {
      const caseInsensitive = this.advance().value === 'ILIKE';
      const pattern = this.parseValue();
      return { kind: 'like', pos: this.span(start), negated, caseInsensitive, operand: left, pattern };
    }
    if (this.acceptWord('IN')) {
      if (this.isSymbol('(') && this.startsQuery(this.peek())) {
        const query = this.parseParenthesizedQuery();
        return { kind: 'inSubquery', pos: this.span(start), negated, operand: left, query };
      }
      this.expectSymbol('(');
      const values = [this.parseValue()];
      while (this.acceptSymbol(',')) values.push(this.parseValue());
      this.expectSymbol(')');
      return { kind: 'inList', pos: this.span(start), negated, operand: left, values };
    }
    return left;
  }

  private parseConcatenation(): Expression {
    const start = this.current;
    let left = this.parseAdditive();
    while (this.isSymbol('||')) {
      this.advance();
      const right = this.parseAdditive();
      left = this.arithmetic(start, '||', left, right);
    }
    return left;
  }

  private parseAdditive(): Expression {
    const start = this.current;
    let left = this.parseMultiplicative();
    while (this.isSymbol('+') || this.isSymbol('-')) {
      const operator = this.advance().value as '+' | '-';
      const right = this.parseMultiplicative();
      left = this.arithmetic(start, operator, left, right);
    }
    return left;
  }

  private parseMultiplicative(): Expression {
    const start = this.current;
    let left = this.parseUnary();
    while (this.isSymbol('*') || this.isSymbol('/')) {
      const operator = this.advance().value as '*' | '/';
      const right = this.parseUnary();
      left = this.arithmetic(start, operator, left, right);
    }
    return left;
  }

  private arithmetic(
    start: Token,
    operator: '+' | '-' | '*' | '/' | '||',
    left: Expression,
    right: Expression,
  ): Expression {
    for (const operand of [left, right]) {
      if (isCondition(operand))
        throw syntaxError(['value expression'], start, 'a condition cannot be used as a value');
      this.checkNotGeometryValue(operand, `operator ${operator}`);
    }
    return { kind: 'binary', pos: this.span(start), operator, left, right };
  }

  private parseUnary(): Expression {
    const start = this.current;
    if (this.isSymbol('-') || this.isSymbol('+')) {
      const operator = this.advance().value as '-' | '+';
      const operand = this.nested(() => this.parseUnary());
      if (isCondition(operand))
        throw syntaxError(['value expression'], start, 'a condition cannot be used as a value');
      this.checkNotGeometryValue(operand, `unary ${operator}`);
      return { kind: 'unary', pos: this.span(start), operator, operand };
    }
    return this.parsePrimary();
  }

  private checkNotGeometryValue(expression: Expression, position: string): void {
    if (expression.kind === 'geometry' && geometryValued.has(expression.name)) {
      throw unsupported(`geometry value ${expression.name}() used in ${position}`, expression.pos);
    }
  }

  private parsePrimary(): Expression {
    const token = this.current;
    switch (token.type) {
      case 'number':
        this.advance();
        return { kind: 'number', pos: token.pos, text: token.text, form: token.numberForm! };
      case 'string':
        this.advance();
        return { kind: 'string', pos: token.pos, value: token.value };
      case 'symbol':
        if (token.value === '(') {
          if (this.startsQuery(this.peek())) {
            const query = this.parseParenthesizedQuery();
            return { kind: 'scalarSubquery', pos: this.span(token), query };
          }
          this.advance();
          const inner = this.nested(() => this.parseOr());
          this.expectSymbol(')');
          return inner;
        }
        break;
      case 'word':
        if (token.value === 'NULL') {
          this.advance();
          return { kind: 'null', pos: token.pos };
        }
        if (token.value === 'CASE') return this.nested(() => this.parseCase());
        if (token.value === 'CAST') return this.nested(() => this.parseCast());
        if (this.isSymbol('(', this.peek())) return this.parseFunctionCall();
        break;
      default:
        break;
    }
    if (this.isIdentifierStart(token)) return this.parseColumnRef();
    throw syntaxError(['expression'], token);
  }

  private parseColumnRef(): Expression {
    const start = this.current;
    const parts: Identifier[] = [this.parseIdentifier('column name')];
    while (this.isSymbol('.')) {
      this.advance();
      parts.push(this.parseIdentifier('column name'));
    }
    if (parts.length > 4)
      throw syntaxError([], start, 'a column name has at most catalog.schema.table.column');
    const name = parts.pop()!;
    return { kind: 'column', pos: this.span(start), qualifier: parts, name };
  }

  private parseArguments(): Expression[] {
    this.expectSymbol('(');
    const args: Expression[] = [];
    if (!this.isSymbol(')')) {
      this.nested(() => {
        do args.push(this.parseValue());
        while (this.acceptSymbol(','));
      });
    }
    this.expectSymbol(')');
    return args;
  }

  private checkArity(name: string, arity: Arity, count: number, start: Token): void {
    if (count >= arity.min && count <= arity.max) return;
    const wanted =
      arity.min === arity.max
        ? `${arity.min}`
        : arity.max === Number.POSITIVE_INFINITY
          ? `at least ${arity.min}`
          : `${arity.min} to ${arity.max}`;
    throw syntaxError([`${wanted} argument(s) to ${name}`], start, `${name} was given ${count}`);
  }

  private parseFunctionCall(): Expression {
    const start = this.current;
    const upper = start.value;
    const unsupportedName = unsupportedFunctions.get(upper);
    if (unsupportedName !== undefined) throw unsupported(unsupportedName, start.pos);
    if (aggregateFunctions.has(upper)) return this.nested(() => this.parseAggregate());
    this.advance();

    const geometryArity = geometryFunctions.get(upper as GeometryFunctionName);
    if (geometryArity !== undefined)
      return this.finishGeometry(start, upper as GeometryFunctionName, geometryArity);

    const args = this.parseArguments();
    const scalarArity = scalarFunctions.get(upper);
    if (scalarArity !== undefined) {
      this.checkArity(upper, scalarArity, args.length, start);
      return { kind: 'function', pos: this.span(start), name: upper, args };
    }
    const known = lookupUdf(start.text);
    if (known !== undefined) this.checkArity(known.name, known.arity, args.length, start);
    return { kind: 'udf', pos: this.span(start), name: start.text, args };
  }

  private finishGeometry(start: Token, name: GeometryFunctionName, arity: Arity): GeometryCall {
    const all = this.parseArguments();
    let coordSys: StringLiteral | null = null;
    let args = all;
    if (takesCoordSys.has(name) && all[0]?.kind === 'string') {
      coordSys = all[0];
      args = all.slice(1);
    }
    for (const arg of args) {
      if (arg.kind === 'string') throw syntaxError(['numeric or geometry argument'], start, `in ${name}()`);
    }
    this.checkArity(name, arity, args.length, start);
    const pointArgs = args.filter(
      (a) => a.kind === 'geometry' && (a.name === 'POINT' || a.name === 'CENTROID'),
    );
    if (name === 'DISTANCE' && args.length === 3) this.checkArity(name, { min: 2, max: 2 }, 3, start);
    if (name === 'POLYGON' && pointArgs.length === 0 && (args.length < 6 || args.length % 2 !== 0)) {
      throw syntaxError(
        ['an even number (at least 6) of coordinates, or at least 3 points'],
        start,
        'in POLYGON()',
      );
    }
    checkGeometryLiterals(name, args);
    return { kind: 'geometry', pos: this.span(start), name, coordSys, args };
  }

  private parseAggregate(): Aggregate {
    const start = this.advance();
    const name = start.value as Aggregate['name'];
    this.expectSymbol('(');
    if (name === 'COUNT' && this.acceptSymbol('*')) {
      this.expectSymbol(')');
      return { kind: 'aggregate', pos: this.span(start), name, quantifier: null, arg: null };
    }
    const quantifier = this.acceptWord('DISTINCT') ? 'DISTINCT' : this.acceptWord('ALL') ? 'ALL' : null;
    const arg = this.parseValue();
    this.expectSymbol(')');
    return { kind: 'aggregate', pos: this.span(start), name, quantifier, arg };
  }

  private parseCase(): Expression {
    const start = this.expectWord('CASE');
    const operand = this.isWord('WHEN') ? null : this.parseValue();
    const whens = [];
    while (this.isWord('WHEN')) {
      const whenStart = this.advance();
      const when = operand === null ? this.parseCondition() : this.parseValue();
      this.expectWord('THEN');
      const then = this.parseValue();
      whens.push({ kind: 'when' as const, pos: this.span(whenStart), when, then });
    }
    if (whens.length === 0) throw syntaxError(['WHEN'], this.current);
    const elseValue = this.acceptWord('ELSE') ? this.parseValue() : null;
    this.expectWord('END');
    return { kind: 'case', pos: this.span(start), operand, whens, else: elseValue };
  }

  private parseCast(): Expression {
    const start = this.expectWord('CAST');
    this.expectSymbol('(');
    const operand = this.parseValue();
    this.expectWord('AS');
    const type = this.parseCastType();
    this.expectSymbol(')');
    return { kind: 'cast', pos: this.span(start), operand, type };
  }

  private parseCastType(): CastType {
    const token = this.current;
    if (token.type === 'word' && ['POINT', 'CIRCLE', 'POLYGON', 'REGION'].includes(token.value)) {
      throw unsupported(`CAST to geometry type ${token.value}`, token.pos);
    }
    if (token.type !== 'word' || !castTypes.has(token.value)) {
      throw syntaxError(
        ['SMALLINT', 'INTEGER', 'BIGINT', 'REAL', 'DOUBLE PRECISION', 'CHAR', 'VARCHAR', 'TIMESTAMP'],
        token,
      );
    }
    this.advance();
    if (token.value === 'DOUBLE') {
      this.expectWord('PRECISION');
      return { name: 'DOUBLE PRECISION', length: null };
    }
    let length: number | null = null;
    if ((token.value === 'CHAR' || token.value === 'VARCHAR') && this.acceptSymbol('(')) {
      length = this.parseUnsignedInteger('length');
      this.expectSymbol(')');
    }
    return { name: token.value, length };
  }
}

function what(token: Token): string {
  return token.type === 'end' ? 'end of query' : `expression starting '${token.text}'`;
}

/** The source span from the start of `first` to the end of `last`, on the line and column of `first`. */
function spanOf(first: SourcePos, last: SourcePos, whole: SourcePos): SourcePos {
  if (first.offset < whole.offset) return whole;
  return { ...first, length: last.offset + last.length - first.offset };
}

/** The value of a numeric literal, signed or not; null for anything computed at run time. */
function literalNumber(expression: Expression): number | null {
  if (expression.kind === 'number') return Number(expression.text);
  if (expression.kind === 'unary' && expression.operand.kind === 'number') {
    const value = Number(expression.operand.text);
    return expression.operator === '-' ? -value : value;
  }
  return null;
}

/** The argument positions that hold a declination or a size, per geometry function and argument count. */
function geometryRoles(name: string, args: readonly Expression[]): [number, 'dec' | 'radius' | 'size'][] {
  const points = args.some((a) => a.kind === 'geometry');
  switch (name) {
    case 'POINT':
      return [[1, 'dec']];
    case 'CIRCLE':
      return args.length === 3
        ? [
            [1, 'dec'],
            [2, 'radius'],
          ]
        : [[1, 'radius']];
    case 'BOX':
      return args.length === 4
        ? [
            [1, 'dec'],
            [2, 'size'],
            [3, 'size'],
          ]
        : [
            [1, 'size'],
            [2, 'size'],
          ];
    case 'POLYGON':
      return points ? [] : args.map((_, i): [number, 'dec'] => [i, 'dec']).filter(([i]) => i % 2 === 1);
    case 'DISTANCE':
      return args.length === 4
        ? [
            [1, 'dec'],
            [3, 'dec'],
          ]
        : [];
    default:
      return [];
  }
}

/**
 * Literal coordinates and sizes are checked where they are written, as the butler's `where` does: a declination
 * outside [-90, 90] or a radius outside [0, 180] degrees would otherwise match nothing (or everything) silently.
 */
function checkGeometryLiterals(name: string, args: readonly Expression[]): void {
  for (const [index, role] of geometryRoles(name, args)) {
    const arg = args[index];
    const value = arg === undefined ? null : literalNumber(arg);
    if (value === null) continue;
    const [low, high, what] =
      role === 'dec'
        ? [-90, 90, 'declination']
        : role === 'radius'
          ? [0, 180, 'radius']
          : [0, 360, 'width and height'];
    if (Number.isFinite(value) && value >= low && value <= high) continue;
    const { line, column } = arg.pos;
    throw meridianError(
      'GEOMETRY_INVALID',
      `ADQL ${name}() argument ${index + 1} at line ${line}, column ${column}: the ${what} must be between ${low} and ${high} degrees, got ${value}`,
      { line, column, function: name, argument: index + 1, value },
    );
  }
}
