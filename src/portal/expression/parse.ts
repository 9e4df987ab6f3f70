/**
 * The Portal's column expression language, for table filters (`coord_ra < 61.9 AND g_cModelFlux > 0`) and derived
 * columns (`-2.5*LOG10(g_cModelFlux)+31.4 AS g_mag`). A small, SQL-like subset evaluated in the browser over the
 * rows already fetched:
 *
 *   expr    := or
 *   or      := and (OR and)*
 *   and     := not (AND not)*
 *   not     := NOT not | compare
 *   compare := sum ((< | <= | > | >= | = | != | <>) sum | IS [NOT] NULL)?
 *   sum     := product ((+ | -) product)*
 *   product := unary ((* | / | %) unary)*
 *   unary   := - unary | + unary | power
 *   power   := atom (^ unary)?               (right-associative, binds tighter than unary minus on its left)
 *   atom    := number | 'string' | NULL | TRUE | FALSE | name | "quoted name" | name ( args ) | ( expr )
 *
 * Keywords and function names are case-insensitive; column names match exactly, else case-insensitively.
 * Trees are frozen plain data with a `kind`; errors carry the 1-based column of the offending token.
 */

export type Expression =
  /** Integers too long for a double (64-bit ids) stay exact as bigint. */
  | { readonly kind: 'number'; readonly value: number | bigint }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'null' }
  | { readonly kind: 'column'; readonly name: string; readonly at: number }
  | {
      readonly kind: 'call';
      readonly name: string;
      readonly args: readonly Expression[];
      readonly at: number;
    }
  | { readonly kind: 'unary'; readonly op: '-' | 'NOT'; readonly operand: Expression }
  | {
      readonly kind: 'binary';
      readonly op: BinaryOperator;
      readonly left: Expression;
      readonly right: Expression;
    }
  | { readonly kind: 'isNull'; readonly negated: boolean; readonly operand: Expression };

export type BinaryOperator =
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '^'
  | '<'
  | '<='
  | '>'
  | '>='
  | '='
  | '!='
  | 'AND'
  | 'OR';

export class ExpressionError extends Error {
  constructor(
    message: string,
    /** 1-based column in the expression text. */
    readonly column: number,
  ) {
    super(`${message} (at column ${column})`);
  }
}

/** Deeper nesting than this is refused: a bounded recursion with a clear error rather than a stack overflow. */
const MAX_DEPTH = 100;

interface Token {
  readonly type: 'number' | 'string' | 'name' | 'quoted' | 'op' | 'end';
  readonly text: string;
  readonly at: number;
}

const OPERATORS = ['<=', '>=', '!=', '<>', '<', '>', '=', '+', '-', '*', '/', '%', '^', '(', ')', ','];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const at = i + 1;
    const number = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(text.slice(i));
    if (number !== null) {
      tokens.push({ type: 'number', text: number[0], at });
      i += number[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (name !== null) {
      tokens.push({ type: 'name', text: name[0], at });
      i += name[0].length;
      continue;
    }
    if (ch === "'" || ch === '"') {
      // SQL quoting: a doubled quote stands for itself.
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length)
          throw new ExpressionError(`unterminated ${ch === "'" ? 'string' : 'quoted name'}`, at);
        if (text[j] === ch && text[j + 1] === ch) {
          value += ch;
          j += 2;
        } else if (text[j] === ch) break;
        else value += text[j++];
      }
      tokens.push({ type: ch === "'" ? 'string' : 'quoted', text: value, at });
      i = j + 1;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op === undefined) throw new ExpressionError(`unexpected character ${JSON.stringify(ch)}`, at);
    tokens.push({ type: 'op', text: op === '<>' ? '!=' : op, at });
    i += op.length;
  }
  tokens.push({ type: 'end', text: '', at: text.length + 1 });
  return tokens;
}

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IS', 'NULL', 'TRUE', 'FALSE', 'AS']);

class Parser {
  private index = 0;
  private depth = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  private peek(): Token {
    return this.tokens[this.index];
  }

  private next(): Token {
    return this.tokens[this.index++];
  }

  private isKeyword(word: string): boolean {
    const token = this.peek();
    return token.type === 'name' && token.text.toUpperCase() === word;
  }

  private isOp(...ops: string[]): boolean {
    const token = this.peek();
    return token.type === 'op' && ops.includes(token.text);
  }

  private expect(op: string): void {
    if (!this.isOp(op)) this.fail(`expected ${op}`);
    this.index++;
  }

  fail(message: string): never {
    const token = this.peek();
    const found = token.type === 'end' ? 'the end' : JSON.stringify(token.text);
    throw new ExpressionError(`${message}, found ${found}`, token.at);
  }

  private nested<T>(parse: () => T): T {
    if (++this.depth > MAX_DEPTH)
      throw new ExpressionError('the expression is nested too deeply', this.peek().at);
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  /** Parses a whole expression; `stopAtAs` leaves a trailing `AS name` for the caller. */
  parse(): Expression {
    return this.or();
  }

  atEnd(): boolean {
    return this.peek().type === 'end';
  }

  alias(): string | null {
    if (!this.isKeyword('AS')) return null;
    this.index++;
    const token = this.next();
    if (token.type !== 'name' && token.type !== 'quoted') {
      this.index--;
      this.fail('expected a column name after AS');
    }
    return token.text;
  }

  private or(): Expression {
    let left = this.and();
    while (this.isKeyword('OR')) {
      this.index++;
      left = freeze({ kind: 'binary', op: 'OR', left, right: this.and() });
    }
    return left;
  }

  private and(): Expression {
    let left = this.not();
    while (this.isKeyword('AND')) {
      this.index++;
      left = freeze({ kind: 'binary', op: 'AND', left, right: this.not() });
    }
    return left;
  }

  private not(): Expression {
    if (this.isKeyword('NOT')) {
      this.index++;
      return this.nested(() => freeze({ kind: 'unary', op: 'NOT', operand: this.not() }));
    }
    return this.compare();
  }

  private compare(): Expression {
    const left = this.sum();
    if (this.isOp('<', '<=', '>', '>=', '=', '!=')) {
      const op = this.next().text as BinaryOperator;
      return freeze({ kind: 'binary', op, left, right: this.sum() });
    }
    if (this.isKeyword('IS')) {
      this.index++;
      const negated = this.isKeyword('NOT');
      if (negated) this.index++;
      if (!this.isKeyword('NULL')) this.fail('expected NULL after IS');
      this.index++;
      return freeze({ kind: 'isNull', negated, operand: left });
    }
    return left;
  }

  private sum(): Expression {
    let left = this.product();
    while (this.isOp('+', '-')) {
      const op = this.next().text as BinaryOperator;
      left = freeze({ kind: 'binary', op, left, right: this.product() });
    }
    return left;
  }

  private product(): Expression {
    let left = this.unary();
    while (this.isOp('*', '/', '%')) {
      const op = this.next().text as BinaryOperator;
      left = freeze({ kind: 'binary', op, left, right: this.unary() });
    }
    return left;
  }

  private unary(): Expression {
    if (this.isOp('-', '+')) {
      const minus = this.next().text === '-';
      return this.nested(() => {
        const operand = this.unary();
        return minus ? freeze({ kind: 'unary', op: '-', operand }) : operand;
      });
    }
    return this.power();
  }

  private power(): Expression {
    const base = this.atom();
    if (!this.isOp('^')) return base;
    this.index++;
    return this.nested(() => freeze({ kind: 'binary', op: '^', left: base, right: this.unary() }));
  }

  private atom(): Expression {
    const token = this.peek();
    if (token.type === 'number') {
      this.index++;
      const exact = /^\d{16,}$/.test(token.text);
      return freeze({ kind: 'number', value: exact ? BigInt(token.text) : Number(token.text) });
    }
    if (token.type === 'string') {
      this.index++;
      return freeze({ kind: 'string', value: token.text });
    }
    if (token.type === 'quoted') {
      this.index++;
      return freeze({ kind: 'column', name: token.text, at: token.at });
    }
    if (this.isOp('(')) {
      this.index++;
      const inner = this.nested(() => this.or());
      this.expect(')');
      return inner;
    }
    if (token.type === 'name') {
      const upper = token.text.toUpperCase();
      if (upper === 'NULL' || upper === 'TRUE' || upper === 'FALSE') {
        this.index++;
        return upper === 'NULL'
          ? freeze({ kind: 'null' })
          : freeze({ kind: 'boolean', value: upper === 'TRUE' });
      }
      if (KEYWORDS.has(upper)) this.fail('expected a value');
      this.index++;
      if (!this.isOp('(')) return freeze({ kind: 'column', name: token.text, at: token.at });
      this.index++;
      const args: Expression[] = [];
      if (!this.isOp(')')) {
        do args.push(this.nested(() => this.or()));
        while (this.isOp(',') && this.next());
      }
      this.expect(')');
      return freeze({ kind: 'call', name: upper, args, at: token.at });
    }
    return this.fail('expected a value');
  }
}

function freeze<T extends Expression>(node: T): T {
  return Object.freeze(node);
}

/** Parses a filter or column expression. */
export function parseExpression(text: string): Expression {
  const parser = new Parser(tokenize(text));
  if (parser.atEnd()) throw new ExpressionError('the expression is empty', 1);
  const expression = parser.parse();
  if (!parser.atEnd()) parser.fail('expected an operator or the end');
  return expression;
}

/** Parses `expression [AS name]`, the form of a derived column; without AS the name is the expression's text. */
export function parseDerivedColumn(text: string): { expression: Expression; name: string } {
  const parser = new Parser(tokenize(text));
  if (parser.atEnd()) throw new ExpressionError('the expression is empty', 1);
  const expression = parser.parse();
  const alias = parser.alias();
  if (!parser.atEnd()) parser.fail('expected an operator, AS name or the end');
  return { expression, name: alias ?? text.trim() };
}
