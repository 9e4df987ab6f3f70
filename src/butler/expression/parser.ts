import { isMeridianError } from '../../errors.js';
import { parseTimeLiteral } from '../time/parseTime.js';
import { describeToken, type Token, tokenize } from './lexer.js';
import { whereSyntaxError } from './syntaxError.js';
import {
  type BinaryOp,
  deepestNode,
  deepFreeze,
  type Expr,
  type FunctionName,
  type Pos,
  type RangeItem,
} from './tree.js';

/**
 * Recursive-descent parser for butler `where` expressions (daf_butler `queries.rst`, grammar of `parserYacc.py`).
 * Precedence, loosest first: OR < AND < NOT < comparison / IN / OVERLAPS < + - < * / % < unary + -.
 * Comparisons do not chain (`a = b = c` is an error), as in upstream where they are non-associative.
 */

const COMPARISON_OPS: ReadonlySet<string> = new Set(['=', '!=', '<', '<=', '>', '>=']);

/** Argument counts of the known functions (upstream `queries.rst`); POLYGON takes ra,dec pairs of ≥ 3 vertices. */
const FUNCTION_ARITY: Readonly<
  Record<FunctionName, { readonly min: number; readonly max: number; readonly text: string }>
> = {
  GLOB: { min: 2, max: 2, text: 'GLOB(expression, pattern)' },
  POINT: { min: 2, max: 2, text: 'POINT(ra, dec)' },
  CIRCLE: { min: 3, max: 3, text: 'CIRCLE(ra, dec, radius)' },
  BOX: { min: 4, max: 4, text: 'BOX(ra, dec, width, height)' },
  POLYGON: { min: 6, max: Number.POSITIVE_INFINITY, text: 'POLYGON(ra1, dec1, ra2, dec2, ra3, dec3, ...)' },
  REGION: { min: 1, max: 1, text: "REGION('IVOA SIAv2 POS string')" },
};
const KNOWN_FUNCTIONS = [...Object.keys(FUNCTION_ARITY), 'UUID'];

/** Deeper nesting of parentheses, NOT, signs or calls is refused before it could exhaust the call stack. */
const MAX_NESTING = 200;

/**
 * Chains of AND/OR/arithmetic build deep trees without recursion in the parser, but every later pass (freezing,
 * formatting, compiling to SQL) walks the tree recursively; this bound keeps those passes inside the call stack.
 */
const MAX_TREE_DEPTH = 1000;

const IN_LIST_KEYWORDS: ReadonlySet<string> = new Set(['TRUE', 'FALSE', 'NULL']);

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Parse a `where` expression. Returns null for empty or whitespace-only text; otherwise a deep-frozen tree.
 * Throws `QUERY_SYNTAX` with line and column on any error, including a time literal that cannot be read.
 */
export function parseExpression(text: string): Expr | null {
  const parser = new Parser(text, tokenize(text));
  const tree = parser.parseAll();
  if (tree === null) return null;
  const { node, depth } = deepestNode(tree);
  if (depth > MAX_TREE_DEPTH) {
    throw whereSyntaxError(
      text,
      node.pos,
      `an expression tree at most ${MAX_TREE_DEPTH} levels deep`,
      `${depth} levels`,
      'replace long chains of OR/AND comparisons with IN (...) lists or bind parameters',
    );
  }
  return deepFreeze(tree);
}

class Parser {
  private index = 0;
  private nesting = 0;

  constructor(
    private readonly source: string,
    private readonly tokens: readonly Token[],
  ) {}

  parseAll(): Expr | null {
    if (this.peek().kind === 'eof') return null;
    const expr = this.parseOr();
    if (this.peek().kind !== 'eof') throw this.unexpected('an operator (AND, OR, =, ...) or end of input');
    return expr;
  }

  // ---- token helpers -------------------------------------------------------------------------------------------

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.index + ahead, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') this.index++;
    return token;
  }

  private isPunct(value: string, ahead = 0): boolean {
    const token = this.peek(ahead);
    return token.kind === 'punct' && token.value === value;
  }

  private isKeyword(value: string, ahead = 0): boolean {
    const token = this.peek(ahead);
    return token.kind === 'keyword' && token.value === value;
  }

  private expectPunct(value: string, expected = `"${value}"`): Token {
    if (!this.isPunct(value)) throw this.unexpected(expected);
    return this.next();
  }

  private unexpected(expected: string, token: Token = this.peek()): Error {
    const hint = this.isRangeDots(token) ? 'ranges like 1..5 are allowed only inside IN (...)' : undefined;
    return whereSyntaxError(this.source, token.pos, expected, describeToken(token), hint);
  }

  private isRangeDots(token: Token): boolean {
    return token.kind === 'punct' && token.value === '..';
  }

  /** Run `parse` one nesting level deeper (parenthesis, NOT, sign, call argument), refusing absurd depths. */
  private nested<T>(parse: () => T): T {
    if (++this.nesting > MAX_NESTING) {
      throw whereSyntaxError(
        this.source,
        this.peek().pos,
        `at most ${MAX_NESTING} levels of nesting`,
        'deeper nesting',
        'simplify the expression',
      );
    }
    try {
      return parse();
    } finally {
      this.nesting--;
    }
  }

  // ---- boolean levels ------------------------------------------------------------------------------------------

  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.isKeyword('OR')) {
      const op = this.next();
      left = { kind: 'binary', op: 'OR', left, right: this.parseAnd(), pos: op.pos };
    }
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseNot();
    while (this.isKeyword('AND')) {
      const op = this.next();
      left = { kind: 'binary', op: 'AND', left, right: this.parseNot(), pos: op.pos };
    }
    return left;
  }

  private parseNot(): Expr {
    if (this.isKeyword('NOT')) {
      const op = this.next();
      return { kind: 'unary', op: 'NOT', operand: this.nested(() => this.parseNot()), pos: op.pos };
    }
    return this.parseComparison();
  }

  private comparisonOpAhead(): BinaryOp | null {
    const token = this.peek();
    if (token.kind === 'punct' && COMPARISON_OPS.has(token.value)) return token.value as BinaryOp;
    if (token.kind === 'keyword' && token.value === 'OVERLAPS') return 'OVERLAPS';
    return null;
  }

  private parseComparison(): Expr {
    const left = this.parsePredicate();
    const op = this.comparisonOpAhead();
    if (op === null) return left;
    const opToken = this.next();
    const right = this.parsePredicate();
    if (this.comparisonOpAhead() !== null) {
      throw whereSyntaxError(
        this.source,
        this.peek().pos,
        'AND, OR, ")" or end of input',
        describeToken(this.peek()),
        'comparisons do not chain; combine them with AND, e.g. a < b AND b < c',
      );
    }
    return { kind: 'binary', op, left, right, pos: opToken.pos };
  }

  private parsePredicate(): Expr {
    const operand = this.parseAdditive();
    const negated = this.isKeyword('NOT') && this.isKeyword('IN', 1);
    if (!negated && !this.isKeyword('IN')) {
      if (this.isKeyword('NOT')) {
        throw whereSyntaxError(this.source, this.peek(1).pos, 'IN after NOT', describeToken(this.peek(1)));
      }
      return operand;
    }
    const start = this.next();
    if (negated) this.next();
    this.expectPunct('(', '"(" after IN (the list must be in parentheses, also for a single bind)');
    const items: (Expr | RangeItem)[] = [];
    if (this.isPunct(')')) throw this.unexpected('at least one item in the IN list');
    for (;;) {
      items.push(this.parseInItem());
      if (this.isPunct(',')) {
        this.next();
        continue;
      }
      this.expectPunct(')', '"," or ")" in the IN list');
      break;
    }
    return { kind: 'in', negated, operand, items, pos: start.pos };
  }

  /**
   * An IN list holds literals, ranges, identifiers, binds and function calls (upstream `literal_or_bind_list`), not
   * general expressions: the list is a set of values to compare with, which keeps the query compiler simple.
   */
  private parseInItem(): Expr | RangeItem {
    const signed = this.isPunct('-') && this.peek(1).kind === 'number';
    const numberAhead = signed ? 1 : 0;
    if (this.peek(numberAhead).kind === 'number' && this.isPunct('..', numberAhead + 1))
      return this.parseRange();
    if (signed) return this.parseUnary();
    const token = this.peek();
    if (
      token.kind === 'punct' ||
      token.kind === 'eof' ||
      (token.kind === 'keyword' && !IN_LIST_KEYWORDS.has(token.value))
    ) {
      throw this.unexpected(
        'an IN list item (a literal, range, identifier, bind parameter or function call)',
      );
    }
    const item = this.parsePrimary();
    if (!this.isPunct(',') && !this.isPunct(')') && this.peek().kind !== 'eof') {
      throw whereSyntaxError(
        this.source,
        this.peek().pos,
        '"," or ")" in the IN list',
        describeToken(this.peek()),
        'IN list items are literals, ranges, identifiers, bind parameters or function calls, not expressions',
      );
    }
    return item;
  }

  /** `start..stop[:step]`, integers; stop is inclusive and step positive, as upstream's RANGE_LITERAL. */
  private parseRange(): RangeItem {
    const pos = this.peek().pos;
    const start = this.parseRangeInteger('an integer range start');
    this.expectPunct('..');
    const stop = this.parseRangeInteger('an integer range stop after ".."');
    let step = 1;
    if (this.isPunct(':')) {
      this.next();
      const token = this.peek();
      if (token.kind !== 'number' || !/^\d+$/.test(token.value) || Number(token.value) < 1) {
        throw this.unexpected('a positive integer step after ":"');
      }
      step = Number(this.next().value);
    }
    return { kind: 'range', start, stop, step, pos };
  }

  private parseRangeInteger(expected: string): number {
    const negative = this.isPunct('-');
    const token = this.peek(negative ? 1 : 0);
    if (token.kind !== 'number' || !/^\d+$/.test(token.value)) throw this.unexpected(expected, token);
    const value = Number(token.value) * (negative ? -1 : 1);
    if (!Number.isSafeInteger(value)) throw this.unexpected('an integer below 2^53', token);
    if (negative) this.next();
    this.next();
    return value;
  }

  // ---- arithmetic levels ---------------------------------------------------------------------------------------

  private parseAdditive(): Expr {
    let left = this.parseMultiplicative();
    while (this.isPunct('+') || this.isPunct('-')) {
      const op = this.next();
      left = {
        kind: 'binary',
        op: op.value as BinaryOp,
        left,
        right: this.parseMultiplicative(),
        pos: op.pos,
      };
    }
    return left;
  }

  private parseMultiplicative(): Expr {
    let left = this.parseUnary();
    while (this.isPunct('*') || this.isPunct('/') || this.isPunct('%')) {
      const op = this.next();
      left = { kind: 'binary', op: op.value as BinaryOp, left, right: this.parseUnary(), pos: op.pos };
    }
    return left;
  }

  private parseUnary(): Expr {
    if (this.isPunct('-') && this.peek(1).kind === 'number') {
      // A minus directly before a number is part of the literal, as upstream (`literal : SUB NUMERIC_LITERAL`).
      const minus = this.next();
      return this.numberLiteral(this.next(), '-', minus.pos);
    }
    if (this.isPunct('-') || this.isPunct('+')) {
      const op = this.next();
      return {
        kind: 'unary',
        op: op.value as '-' | '+',
        operand: this.nested(() => this.parseUnary()),
        pos: op.pos,
      };
    }
    return this.parsePrimary();
  }

  // ---- primaries -----------------------------------------------------------------------------------------------

  private parsePrimary(): Expr {
    const token = this.peek();
    switch (token.kind) {
      case 'number':
        return this.numberLiteral(this.next(), '', token.pos);
      case 'string':
        this.next();
        return { kind: 'string', value: token.value, pos: token.pos };
      case 'time':
        this.next();
        return this.timeLiteral(token);
      case 'bind':
        this.next();
        return { kind: 'bind', name: token.value, pos: token.pos };
      case 'identifier':
        this.next();
        if (this.isPunct('(')) return this.nested(() => this.functionCall(token));
        return { kind: 'identifier', name: token.value, pos: token.pos };
      case 'keyword':
        if (token.value === 'TRUE' || token.value === 'FALSE') {
          this.next();
          return { kind: 'boolean', value: token.value === 'TRUE', pos: token.pos };
        }
        if (token.value === 'NULL') {
          this.next();
          return { kind: 'null', pos: token.pos };
        }
        break;
      case 'punct':
        if (token.value === '(') return this.nested(() => this.parenthesized());
        break;
    }
    throw this.unexpected('an identifier, literal, bind parameter, function call or "("');
  }

  private numberLiteral(token: Token, sign: '' | '-', pos: Pos): Expr {
    const text = sign + token.value;
    return { kind: 'number', value: Number(text), text, isInteger: /^\d+$/.test(token.value), pos };
  }

  private timeLiteral(token: Token): Expr {
    try {
      return {
        kind: 'time',
        nsTai: String(parseTimeLiteral(token.value)),
        text: token.value,
        pos: token.pos,
      };
    } catch (err) {
      if (!isMeridianError(err)) throw err;
      const reason = typeof err.details.reason === 'string' ? err.details.reason : err.message;
      throw whereSyntaxError(
        this.source,
        token.pos,
        'a time literal in a known format',
        describeToken(token),
        reason,
      );
    }
  }

  /** `( expr )` groups; `( expr , expr )` is a two-item tuple (a timespan literal), as upstream. */
  private parenthesized(): Expr {
    const open = this.next();
    const first = this.parseOr();
    if (this.isPunct(',')) {
      this.next();
      const second = this.parseOr();
      if (this.isPunct(','))
        throw this.unexpected('")" (a tuple has exactly two items: a timespan (begin, end))');
      this.expectPunct(')', '")" closing the tuple');
      return { kind: 'tuple', items: [first, second], pos: open.pos };
    }
    this.expectPunct(')', `")" closing the "(" at line ${open.pos.line}, column ${open.pos.column}`);
    return first;
  }

  private functionCall(nameToken: Token): Expr {
    const name = nameToken.value.toUpperCase();
    if (nameToken.value.includes('.') || !KNOWN_FUNCTIONS.includes(name)) {
      throw whereSyntaxError(
        this.source,
        nameToken.pos,
        `one of the functions ${KNOWN_FUNCTIONS.join(', ')}`,
        `"${nameToken.value}("`,
      );
    }
    this.next();
    const args: Expr[] = [];
    if (!this.isPunct(')')) {
      for (;;) {
        args.push(this.parseOr());
        if (!this.isPunct(',')) break;
        this.next();
      }
    }
    this.expectPunct(')', `"," or ")" in the arguments of ${name}`);
    if (name === 'UUID') return this.uuidLiteral(nameToken, args);
    const arity = FUNCTION_ARITY[name as FunctionName];
    const evenPolygon = name !== 'POLYGON' || args.length % 2 === 0;
    if (args.length < arity.min || args.length > arity.max || !evenPolygon) {
      throw whereSyntaxError(
        this.source,
        nameToken.pos,
        arity.text,
        `${name} with ${args.length} argument(s)`,
      );
    }
    return { kind: 'function', name: name as FunctionName, args, pos: nameToken.pos };
  }

  private uuidLiteral(nameToken: Token, args: readonly Expr[]): Expr {
    const arg = args[0];
    if (args.length !== 1 || arg?.kind !== 'string' || !UUID_PATTERN.test(arg.value)) {
      throw whereSyntaxError(
        this.source,
        nameToken.pos,
        "UUID('xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx') with one quoted UUID",
        arg?.kind === 'string' && args.length === 1
          ? `UUID('${arg.value}')`
          : `UUID with ${args.length} argument(s)`,
      );
    }
    return { kind: 'uuid', value: arg.value.toLowerCase(), pos: nameToken.pos };
  }
}
