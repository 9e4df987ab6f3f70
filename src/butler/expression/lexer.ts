import { whereSyntaxError } from './syntaxError.js';
import type { Pos } from './tree.js';

/**
 * Tokenizer for butler `where` expressions. Token rules follow daf_butler's `parserLex.py` (case-insensitive reserved
 * words, identifiers with at most two dots, `T'...'` time literals, `:name` binds), plus `''` inside strings for a
 * quote and the keywords TRUE, FALSE and NULL.
 */

export type TokenKind = 'identifier' | 'keyword' | 'number' | 'string' | 'time' | 'bind' | 'punct' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** Identifier name, upper-cased keyword, number text, unescaped string, time text, bind name, or punctuation. */
  readonly value: string;
  /** The token exactly as it appears in the source. */
  readonly source: string;
  readonly pos: Pos;
}

export const KEYWORDS: ReadonlySet<string> = new Set([
  'AND',
  'OR',
  'NOT',
  'IN',
  'OVERLAPS',
  'TRUE',
  'FALSE',
  'NULL',
]);

/** Longest first, so that `<=` wins over `<` and `..` over a lone dot. */
const PUNCTUATION = ['!=', '<=', '>=', '..', '(', ')', ',', '=', '<', '>', '+', '-', '*', '/', '%', ':'];

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;
const DIGIT = /[0-9]/;

/** Describe a token for "found ..." in messages. */
export function describeToken(token: Token): string {
  switch (token.kind) {
    case 'eof':
      return 'end of input';
    case 'string':
      return `string ${token.source}`;
    case 'time':
      return `time literal ${token.source}`;
    default:
      return `"${token.source}"`;
  }
}

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let offset = 0;
  let line = 1;
  let lineStart = 0;
  const posAt = (at: number): Pos => ({ line, column: at - lineStart + 1, offset: at });
  const fail = (at: number, expected: string, found: string, hint?: string): never => {
    throw whereSyntaxError(source, posAt(at), expected, found, hint);
  };
  const push = (kind: TokenKind, start: number, value: string): void => {
    tokens.push({ kind, value, source: source.slice(start, offset), pos: posAt(start) });
  };

  while (offset < source.length) {
    const ch = source[offset]!;
    const start = offset;
    if (ch === '\n') {
      offset++;
      line++;
      lineStart = offset;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\r') {
      offset++;
      continue;
    }
    if ((ch === 'T' || ch === 't') && source[offset + 1] === "'") {
      const close = readQuoted(offset + 1, false);
      offset = close + 1;
      push('time', start, source.slice(start + 2, close));
      continue;
    }
    if (IDENT_START.test(ch)) {
      offset = readIdentifier(offset);
      const name = source.slice(start, offset);
      const upper = name.toUpperCase();
      if (KEYWORDS.has(upper)) push('keyword', start, upper);
      else push('identifier', start, name);
      continue;
    }
    if (DIGIT.test(ch) || (ch === '.' && DIGIT.test(source[offset + 1] ?? ''))) {
      offset = readNumber(offset);
      push('number', start, source.slice(start, offset));
      continue;
    }
    if (ch === "'") {
      const close = readQuoted(offset, true);
      offset = close + 1;
      push('string', start, source.slice(start + 1, close).replaceAll("''", "'"));
      continue;
    }
    if (ch === ':' && IDENT_START.test(source[offset + 1] ?? '')) {
      offset = readIdentifier(offset + 1, false);
      push('bind', start, source.slice(start + 1, offset));
      continue;
    }
    rejectForeignOperator(start);
    const punct = PUNCTUATION.find((p) => source.startsWith(p, offset));
    if (punct === undefined) {
      fail(
        start,
        'an identifier, literal or operator',
        `"${ch}"`,
        'this character is not part of the language',
      );
    }
    offset += punct!.length;
    push('punct', start, punct!);
  }
  tokens.push({ kind: 'eof', value: '', source: '', pos: posAt(offset) });
  return tokens;

  /** Read `name(.name){0,2}` (dots only when `dotted`); returns the end offset. */
  function readIdentifier(from: number, dotted = true): number {
    let end = from;
    let dots = 0;
    for (;;) {
      while (end < source.length && IDENT_PART.test(source[end]!)) end++;
      if (!dotted || source[end] !== '.' || source[end + 1] === '.') return end;
      if (!IDENT_START.test(source[end + 1] ?? '')) {
        fail(end + 1, 'a name after "."', describeChar(end + 1));
      }
      dots++;
      if (dots > 2) {
        fail(
          from,
          'an identifier with at most two dots',
          `"${source.slice(from, end)}..."`,
          'element.field or element.timespan.begin',
        );
      }
      end++;
    }
  }

  /** Numbers as upstream: 1, 1., 1.5, .5, 1e10, 1.5e-3. `1..5` is the integer 1 followed by `..`. */
  function readNumber(from: number): number {
    let end = from;
    while (DIGIT.test(source[end] ?? '')) end++;
    if (source[end] === '.' && source[end + 1] !== '.') {
      end++;
      while (DIGIT.test(source[end] ?? '')) end++;
    }
    if ((source[end] === 'e' || source[end] === 'E') && /^[eE][+-]?\d/.test(source.slice(end, end + 3))) {
      end += source[end + 1] === '+' || source[end + 1] === '-' ? 2 : 1;
      while (DIGIT.test(source[end] ?? '')) end++;
    }
    return end;
  }

  /** Read a single-quoted run starting at the quote at `from`; returns the offset of the closing quote. */
  function readQuoted(from: number, doubledQuoteEscapes: boolean): number {
    let end = from + 1;
    for (;;) {
      const c = source[end];
      if (c === undefined || c === '\n') {
        fail(from, 'a closing quote', 'an unterminated literal', 'literals end on the line where they start');
      }
      if (c === "'") {
        if (doubledQuoteEscapes && source[end + 1] === "'") {
          end += 2;
          continue;
        }
        return end;
      }
      end++;
    }
  }

  /** Operators from other languages get a message that says what to write instead. */
  function rejectForeignOperator(at: number): void {
    const two = source.slice(at, at + 2);
    if (two === '==') fail(at, '"=" (comparison uses a single equals sign)', '"=="');
    if (two === '<>') fail(at, '"!=" for inequality', '"<>"');
    if (two === '&&') fail(at, 'AND', '"&&"');
    if (two === '||') fail(at, 'OR', '"||"');
    const c = source[at];
    if (c === '"')
      fail(
        at,
        "a single-quoted string ('text')",
        'a double quote',
        "strings use single quotes; write '' for a quote inside",
      );
    if (c === '!' && two !== '!=') fail(at, '"!=" or NOT', '"!"');
  }

  function describeChar(at: number): string {
    const c = source[at];
    return c === undefined ? 'end of input' : `"${c}"`;
  }
}
