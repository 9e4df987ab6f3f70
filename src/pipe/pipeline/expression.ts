/**
 * The contract language: small, safe boolean expressions over task configs, as in Rubin's pipeline `contracts`
 * (which are Python). Nothing is ever passed to eval or Function: a contract is tokenized, parsed into a frozen
 * tree with a `kind` on every node, and evaluated over plain JSON values.
 *
 *   field      label.field.sub          (the first part is a task label; the rest a path into its config)
 *   literals   1  2.5  -3  'text'  "text"  true false null  (True False None too)  [a, b, ...]
 *   operators  by increasing precedence:
 *              or ||   and &&   not !   == != < <= > >= in, not in   + -   * /   unary -
 *
 * As in Python, `not` (and its spelling `!`) binds more loosely than a comparison, `and`/`or` use truthiness
 * (false, null, 0, '' and [] are false), and comparisons do not chain. Errors are PIPELINE_INVALID with the column.
 */
import { meridianError } from '../../errors.js';
import { canonicalJson } from '../resolve.js';

export type Expr =
  | { readonly kind: 'literal'; readonly value: string | number | boolean | null }
  | { readonly kind: 'field'; readonly label: string; readonly path: readonly string[] }
  | { readonly kind: 'list'; readonly items: readonly Expr[] }
  | { readonly kind: 'not'; readonly operand: Expr }
  | { readonly kind: 'negate'; readonly operand: Expr }
  | { readonly kind: 'logical'; readonly op: 'and' | 'or'; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'compare'; readonly op: CompareOp; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'arith'; readonly op: '+' | '-' | '*' | '/'; readonly left: Expr; readonly right: Expr };

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in';

/** Bounds that keep parsing and evaluation recursion small whatever a file holds. */
const MAX_NESTING = 64;
const MAX_LENGTH = 4000;

type TokenKind = 'number' | 'string' | 'name' | 'op' | 'end';
interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly value?: string | number;
  /** 1-based column in the contract text. */
  readonly col: number;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'true', 'false', 'null', 'True', 'False', 'None']);
const OPERATORS = [
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '<',
  '>',
  '!',
  '+',
  '-',
  '*',
  '/',
  '(',
  ')',
  '[',
  ']',
  ',',
];

function syntaxError(text: string, col: number, message: string) {
  return meridianError('PIPELINE_INVALID', `contract "${text}": ${message} at column ${col}`, {
    contract: text,
    column: col,
    excerpt: `${text}\n${' '.repeat(Math.max(0, col - 1))}^`,
  });
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const col = i + 1;
    const number = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(text.slice(i));
    if (number !== null) {
      tokens.push({ kind: 'number', text: number[0], value: Number(number[0]), col });
      i += number[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(text.slice(i));
    if (name !== null) {
      tokens.push({ kind: 'name', text: name[0], col });
      i += name[0].length;
      continue;
    }
    if (ch === '"' || ch === "'") {
      let value = '';
      let j = i + 1;
      for (; j < text.length && text[j] !== ch; j++) {
        if (text[j] === '\\' && j + 1 < text.length) {
          const next = text[++j]!;
          value += next === 'n' ? '\n' : next === 't' ? '\t' : next;
        } else value += text[j];
      }
      if (j >= text.length) throw syntaxError(text, col, 'unterminated string');
      tokens.push({ kind: 'string', text: text.slice(i, j + 1), value, col });
      i = j + 1;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op === undefined) throw syntaxError(text, col, `unexpected character '${ch}'`);
    tokens.push({ kind: 'op', text: op, col });
    i += op.length;
  }
  tokens.push({ kind: 'end', text: '', col: text.length + 1 });
  return tokens;
}

class Parser {
  private pos = 0;
  private nesting = 0;

  constructor(
    private readonly text: string,
    private readonly tokens: readonly Token[],
  ) {}

  parse(): Expr {
    const e = this.or();
    const t = this.peek();
    if (t.kind !== 'end') throw this.error(t, `unexpected '${t.text}'`);
    return e;
  }

  private peek(): Token {
    return this.tokens[this.pos]!;
  }

  private next(): Token {
    return this.tokens[this.pos++]!;
  }

  private isWord(t: Token, ...words: string[]): boolean {
    return (t.kind === 'name' || t.kind === 'op') && words.includes(t.text);
  }

  private error(t: Token, message: string) {
    return syntaxError(this.text, t.col, t.kind === 'end' ? `${message} (the expression ended)` : message);
  }

  private deeper<T>(t: Token, parse: () => T): T {
    if (++this.nesting > MAX_NESTING) {
      throw this.error(t, `nested more than ${MAX_NESTING} levels`);
    }
    try {
      return parse();
    } finally {
      this.nesting--;
    }
  }

  private or(): Expr {
    let left = this.and();
    while (this.isWord(this.peek(), 'or', '||')) {
      this.next();
      left = freeze({ kind: 'logical', op: 'or', left, right: this.and() });
    }
    return left;
  }

  private and(): Expr {
    let left = this.not();
    while (this.isWord(this.peek(), 'and', '&&')) {
      this.next();
      left = freeze({ kind: 'logical', op: 'and', left, right: this.not() });
    }
    return left;
  }

  private not(): Expr {
    const t = this.peek();
    if (this.isWord(t, 'not', '!')) {
      this.next();
      return this.deeper(t, () => freeze({ kind: 'not', operand: this.not() }));
    }
    return this.comparison();
  }

  private compareOp(): CompareOp | null {
    const t = this.peek();
    if (t.kind === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.text)) return t.text as CompareOp;
    if (this.isWord(t, 'in')) return 'in';
    if (this.isWord(t, 'not') && this.isWord(this.tokens[this.pos + 1]!, 'in')) return 'not in';
    return null;
  }

  private comparison(): Expr {
    const left = this.additive();
    const op = this.compareOp();
    if (op === null) return left;
    this.next();
    if (op === 'not in') this.next();
    const right = this.additive();
    const again = this.peek();
    if (this.compareOp() !== null) {
      throw this.error(again, 'comparisons do not chain; join them with `and`');
    }
    return freeze({ kind: 'compare', op, left, right });
  }

  private additive(): Expr {
    let left = this.multiplicative();
    for (let t = this.peek(); t.kind === 'op' && (t.text === '+' || t.text === '-'); t = this.peek()) {
      this.next();
      left = freeze({ kind: 'arith', op: t.text as '+' | '-', left, right: this.multiplicative() });
    }
    return left;
  }

  private multiplicative(): Expr {
    let left = this.unary();
    for (let t = this.peek(); t.kind === 'op' && (t.text === '*' || t.text === '/'); t = this.peek()) {
      this.next();
      left = freeze({ kind: 'arith', op: t.text as '*' | '/', left, right: this.unary() });
    }
    return left;
  }

  private unary(): Expr {
    const t = this.peek();
    if (t.kind === 'op' && t.text === '-') {
      this.next();
      return this.deeper(t, () => {
        const operand = this.unary();
        // Fold `-3` into a literal so that formatting gives back what was written.
        return operand.kind === 'literal' && typeof operand.value === 'number'
          ? freeze({ kind: 'literal', value: -operand.value })
          : freeze({ kind: 'negate', operand });
      });
    }
    return this.primary();
  }

  private primary(): Expr {
    const t = this.next();
    switch (t.kind) {
      case 'number':
        return freeze({ kind: 'literal', value: t.value as number });
      case 'string':
        return freeze({ kind: 'literal', value: t.value as string });
      case 'name': {
        if (t.text === 'true' || t.text === 'True') return freeze({ kind: 'literal', value: true });
        if (t.text === 'false' || t.text === 'False') return freeze({ kind: 'literal', value: false });
        if (t.text === 'null' || t.text === 'None') return freeze({ kind: 'literal', value: null });
        if (KEYWORDS.has(t.text)) throw this.error(t, `unexpected '${t.text}'`);
        const [label, ...path] = t.text.split('.');
        if (path.length === 0) {
          throw this.error(t, `'${t.text}' is not a field: write label.field (e.g. ${t.text}.someField)`);
        }
        return freeze({ kind: 'field', label: label!, path: Object.freeze(path) });
      }
      case 'op':
        if (t.text === '(') {
          return this.deeper(t, () => {
            const inner = this.or();
            const close = this.next();
            if (close.text !== ')') throw this.error(close, "expected ')'");
            return inner;
          });
        }
        if (t.text === '[') {
          return this.deeper(t, () => {
            const items: Expr[] = [];
            while (this.peek().text !== ']') {
              items.push(this.or());
              const sep = this.peek();
              if (sep.text === ',') this.next();
              else if (sep.text !== ']') throw this.error(sep, "expected ',' or ']'");
            }
            this.next();
            return freeze({ kind: 'list', items: Object.freeze(items) });
          });
        }
        throw this.error(t, `unexpected '${t.text}'`);
      case 'end':
        throw this.error(t, 'expected a value');
    }
  }
}

function freeze<T extends Expr>(e: T): T {
  return Object.freeze(e);
}

/** Parse a contract; PIPELINE_INVALID with the column on a syntax error. */
export function parseExpression(text: string): Expr {
  if (text.length > MAX_LENGTH) {
    throw meridianError(
      'PIPELINE_INVALID',
      `a contract is ${text.length} characters long; at most ${MAX_LENGTH} are allowed`,
      { contract: `${text.slice(0, 60)}...` },
    );
  }
  if (text.trim() === '') throw syntaxError(text, 1, 'the contract is empty');
  return new Parser(text, tokenize(text)).parse();
}

/** The task labels a contract reads. */
export function expressionLabels(e: Expr): Set<string> {
  const out = new Set<string>();
  const visit = (x: Expr): void => {
    switch (x.kind) {
      case 'field':
        out.add(x.label);
        return;
      case 'literal':
        return;
      case 'list':
        x.items.forEach(visit);
        return;
      case 'not':
      case 'negate':
        visit(x.operand);
        return;
      case 'logical':
      case 'compare':
      case 'arith':
        visit(x.left);
        visit(x.right);
        return;
    }
  };
  visit(e);
  return out;
}

/** The same tree with task labels renamed (for `rename` in an import). */
export function renameExpressionLabels(e: Expr, rename: ReadonlyMap<string, string>): Expr {
  const go = (x: Expr): Expr => {
    switch (x.kind) {
      case 'field':
        return freeze({ ...x, label: rename.get(x.label) ?? x.label });
      case 'literal':
        return x;
      case 'list':
        return freeze({ kind: 'list', items: Object.freeze(x.items.map(go)) });
      case 'not':
      case 'negate':
        return freeze({ ...x, operand: go(x.operand) });
      case 'logical':
      case 'compare':
      case 'arith':
        return freeze({ ...x, left: go(x.left), right: go(x.right) });
    }
  };
  return go(e);
}

const PRECEDENCE: Record<Expr['kind'], number> = {
  logical: 1,
  not: 3,
  compare: 4,
  arith: 5,
  negate: 7,
  literal: 8,
  field: 8,
  list: 8,
};

function precedenceOf(e: Expr): number {
  if (e.kind === 'logical') return e.op === 'or' ? 1 : 2;
  if (e.kind === 'arith') return e.op === '+' || e.op === '-' ? 5 : 6;
  return PRECEDENCE[e.kind];
}

/** Text that parses back to the same tree, with the fewest parentheses. */
export function formatExpression(e: Expr): string {
  const wrap = (child: Expr, min: number): string => {
    const s = formatExpression(child);
    return precedenceOf(child) < min ? `(${s})` : s;
  };
  switch (e.kind) {
    case 'literal':
      return typeof e.value === 'string' ? JSON.stringify(e.value) : String(e.value);
    case 'field':
      return [e.label, ...e.path].join('.');
    case 'list':
      return `[${e.items.map(formatExpression).join(', ')}]`;
    case 'not':
      return `not ${wrap(e.operand, 3)}`;
    case 'negate':
      return `-${wrap(e.operand, 7)}`;
    case 'logical':
    case 'arith': {
      // Left-associative: the right operand needs parentheses at equal precedence.
      const p = precedenceOf(e);
      return `${wrap(e.left, p)} ${e.op} ${wrap(e.right, p + 1)}`;
    }
    case 'compare':
      return `${wrap(e.left, 5)} ${e.op} ${wrap(e.right, 5)}`;
  }
}

/** Where the values of `label.field` come from: the resolved (defaulted) config of each task. */
export type FieldLookup = (label: string, path: readonly string[]) => unknown;

function evalError(text: string, message: string) {
  return meridianError('PIPELINE_INVALID', `contract "${text}": ${message}`, { contract: text });
}

export function isTruthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v;
}

/** Evaluate a parsed contract. `text` is the contract as written, for error messages. */
export function evaluateExpression(e: Expr, lookup: FieldLookup, text: string): unknown {
  const ev = (x: Expr): unknown => {
    switch (x.kind) {
      case 'literal':
        return x.value;
      case 'field':
        return lookup(x.label, x.path);
      case 'list':
        return x.items.map(ev);
      case 'not':
        return !isTruthy(ev(x.operand));
      case 'negate': {
        const v = ev(x.operand);
        if (typeof v !== 'number') throw evalError(text, `cannot negate a ${typeName(v)}`);
        return -v;
      }
      case 'logical': {
        const left = isTruthy(ev(x.left));
        if (x.op === 'and') return left && isTruthy(ev(x.right));
        return left || isTruthy(ev(x.right));
      }
      case 'compare':
        return compare(x.op, ev(x.left), ev(x.right), text);
      case 'arith':
        return arithmetic(x.op, ev(x.left), ev(x.right), text);
    }
  };
  return ev(e);
}

function compare(op: CompareOp, a: unknown, b: unknown, text: string): boolean {
  switch (op) {
    case '==':
      return canonicalJson(a) === canonicalJson(b);
    case '!=':
      return canonicalJson(a) !== canonicalJson(b);
    case 'in':
    case 'not in': {
      let found: boolean;
      if (Array.isArray(b)) found = b.some((item) => canonicalJson(item) === canonicalJson(a));
      else if (typeof b === 'string' && typeof a === 'string') found = b.includes(a);
      else if (b !== null && typeof b === 'object' && typeof a === 'string') found = Object.hasOwn(b, a);
      else throw evalError(text, `cannot test whether a ${typeName(a)} is in a ${typeName(b)}`);
      return op === 'in' ? found : !found;
    }
    default: {
      const comparable =
        (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string');
      if (!comparable) throw evalError(text, `cannot order a ${typeName(a)} and a ${typeName(b)} with ${op}`);
      const x = a as number | string;
      const y = b as number | string;
      return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
    }
  }
}

function arithmetic(op: '+' | '-' | '*' | '/', a: unknown, b: unknown, text: string): unknown {
  if (op === '+') {
    if (typeof a === 'string' && typeof b === 'string') return a + b;
    if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  }
  if (typeof a !== 'number' || typeof b !== 'number') {
    throw evalError(text, `cannot apply ${op} to a ${typeName(a)} and a ${typeName(b)}`);
  }
  if (op === '/' && b === 0) throw evalError(text, 'division by zero');
  return op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : a / b;
}
