/**
 * The token cursor shared by the expression and query parsers: look-ahead, keyword matching, source spans and the
 * `ADQL_SYNTAX` error with line, column, what was expected and what was found.
 */

import { type MeridianError, meridianError } from '../../errors.js';
import type { Identifier, SourcePos } from './ast.js';
import { reservedWords } from './functions.js';
import type { Token } from './lexer.js';

export function describeToken(token: Token): string {
  return token.type === 'end' ? 'end of query' : `'${token.text}'`;
}

export function syntaxError(expected: readonly string[], token: Token, note?: string): MeridianError {
  const { line, column } = token.pos;
  const wanted = expected.length > 0 ? `expected ${expected.join(' or ')}, ` : '';
  const message = `ADQL syntax error at line ${line}, column ${column}: ${wanted}found ${describeToken(token)}${
    note ? ` (${note})` : ''
  }`;
  return meridianError('ADQL_SYNTAX', message, { line, column, expected: [...expected], found: token.text });
}

export function unsupported(construct: string, pos: SourcePos): MeridianError {
  return meridianError(
    'ADQL_UNSUPPORTED',
    `ADQL construct not supported at line ${pos.line}, column ${pos.column}: ${construct}`,
    { line: pos.line, column: pos.column, construct },
  );
}

/**
 * Deeper nesting of parentheses, NOT, signs, function arguments or subqueries is refused before it could exhaust
 * the call stack (as the butler's `where` parser does).
 */
export const MAX_NESTING = 200;

export class TokenCursor {
  protected index = 0;
  private nesting = 0;

  constructor(protected readonly tokens: readonly Token[]) {}

  protected get current(): Token {
    return this.tokens[this.index];
  }

  protected peek(ahead = 1): Token {
    return this.tokens[Math.min(this.index + ahead, this.tokens.length - 1)];
  }

  protected advance(): Token {
    const token = this.tokens[this.index];
    if (token.type !== 'end') this.index++;
    return token;
  }

  protected isWord(word: string, token: Token = this.current): boolean {
    return token.type === 'word' && token.value === word;
  }

  protected acceptWord(word: string): Token | null {
    return this.isWord(word) ? this.advance() : null;
  }

  protected expectWord(word: string): Token {
    if (!this.isWord(word)) throw syntaxError([word], this.current);
    return this.advance();
  }

  protected isSymbol(symbol: string, token: Token = this.current): boolean {
    return token.type === 'symbol' && token.value === symbol;
  }

  protected acceptSymbol(symbol: string): Token | null {
    return this.isSymbol(symbol) ? this.advance() : null;
  }

  protected expectSymbol(symbol: string): Token {
    if (!this.isSymbol(symbol)) throw syntaxError([`'${symbol}'`], this.current);
    return this.advance();
  }

  /** Run `parse` one nesting level deeper, refusing absurd depths with `ADQL_SYNTAX` at the current token. */
  protected nested<T>(parse: () => T): T {
    if (++this.nesting > MAX_NESTING) {
      this.nesting = 0;
      throw syntaxError([`at most ${MAX_NESTING} levels of nesting`], this.current, 'simplify the query');
    }
    try {
      return parse();
    } finally {
      this.nesting = Math.max(0, this.nesting - 1);
    }
  }

  /** The first token at or after a source position (for errors that point at an already parsed node). */
  protected tokenAt(pos: SourcePos): Token {
    return this.tokens.find((t) => t.pos.offset >= pos.offset) ?? this.current;
  }

  /** The span from the start of `start` to the end of the last consumed token. */
  protected span(start: Token | SourcePos): SourcePos {
    const from = 'pos' in start ? start.pos : start;
    const last = this.tokens[Math.max(this.index - 1, 0)];
    const end = Math.max(last.pos.offset + last.pos.length, from.offset + from.length);
    return { line: from.line, column: from.column, offset: from.offset, length: end - from.offset };
  }

  /** True if the token can start an identifier (a non-reserved word or a delimited identifier). */
  protected isIdentifierStart(token: Token = this.current): boolean {
    return token.type === 'delimitedIdentifier' || (token.type === 'word' && !reservedWords.has(token.value));
  }

  protected parseIdentifier(what = 'identifier'): Identifier {
    const token = this.current;
    if (!this.isIdentifierStart(token)) {
      const note =
        token.type === 'word' ? 'a reserved word; write it as a delimited identifier "..."' : undefined;
      throw syntaxError([what], token, note);
    }
    this.advance();
    return {
      kind: 'identifier',
      pos: token.pos,
      name: token.type === 'word' ? token.text : token.value,
      delimited: token.type === 'delimitedIdentifier',
    };
  }

  protected parseUnsignedInteger(what: string): number {
    const token = this.current;
    if (token.type !== 'number' || token.numberForm !== 'integer') throw syntaxError([what], token);
    const value = Number(token.text);
    if (!Number.isSafeInteger(value)) throw syntaxError([`${what} below 2^53`], token);
    this.advance();
    return value;
  }
}
