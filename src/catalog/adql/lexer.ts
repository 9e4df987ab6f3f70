/**
 * ADQL tokenizer. Words are not classified here: the parser decides whether a word is a keyword in its position,
 * which keeps the reserved-word check in one place (`reserved.ts`).
 */

import { meridianError } from '../../errors.js';
import type { SourcePos } from './ast.js';

export type TokenType = 'word' | 'delimitedIdentifier' | 'number' | 'string' | 'symbol' | 'end';

export interface Token {
  readonly type: TokenType;
  /** The source text of the token (for strings and delimited identifiers: the decoded value, see `value`). */
  readonly text: string;
  /** Upper-cased text for words, decoded value for strings and delimited identifiers, text otherwise. */
  readonly value: string;
  /** For numbers only. */
  readonly numberForm?: 'integer' | 'decimal' | 'real' | 'hex';
  readonly pos: SourcePos;
}

const symbols = ['<>', '!=', '<=', '>=', '||', '(', ')', ',', '.', '*', '+', '-', '/', '=', '<', '>', ';'];

function isWordStart(ch: string): boolean {
  return /[A-Za-z]/.test(ch);
}

function isWordPart(ch: string): boolean {
  return /[A-Za-z0-9_]/.test(ch);
}

function isDigit(ch: string): boolean {
  return ch >= '0' && ch <= '9';
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let offset = 0;
  let line = 1;
  let lineStart = 0;

  const posAt = (start: number, startLine: number, startLineStart: number): SourcePos => ({
    line: startLine,
    column: start - startLineStart + 1,
    offset: start,
    length: offset - start,
  });

  const fail = (message: string, at: number, found: string): never => {
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    const column = at - (before.lastIndexOf('\n') + 1) + 1;
    throw meridianError('ADQL_SYNTAX', `ADQL syntax error at line ${line}, column ${column}: ${message}`, {
      line,
      column,
      expected: [],
      found,
    });
  };

  while (offset < text.length) {
    const ch = text[offset];
    if (ch === '\n') {
      offset++;
      line++;
      lineStart = offset;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\f') {
      offset++;
      continue;
    }
    // ADQL comments run from `--` to the end of the line.
    if (ch === '-' && text[offset + 1] === '-') {
      while (offset < text.length && text[offset] !== '\n') offset++;
      continue;
    }
    const start = offset;
    const startLine = line;
    const startLineStart = lineStart;

    if (isWordStart(ch)) {
      while (offset < text.length && isWordPart(text[offset])) offset++;
      const word = text.slice(start, offset);
      tokens.push({
        type: 'word',
        text: word,
        value: word.toUpperCase(),
        pos: posAt(start, startLine, startLineStart),
      });
      continue;
    }

    if (ch === '"') {
      let value = '';
      offset++;
      for (;;) {
        if (offset >= text.length) fail('unterminated delimited identifier', start, text.slice(start));
        const c = text[offset];
        if (c === '"') {
          if (text[offset + 1] === '"') {
            value += '"';
            offset += 2;
            continue;
          }
          offset++;
          break;
        }
        if (c === '\n') fail('line break inside a delimited identifier', start, text.slice(start, offset));
        if (c.charCodeAt(0) < 0x20) fail('control character inside a delimited identifier', offset, c);
        value += c;
        offset++;
      }
      if (value.length === 0) fail('empty delimited identifier', start, '""');
      tokens.push({
        type: 'delimitedIdentifier',
        text: text.slice(start, offset),
        value,
        pos: posAt(start, startLine, startLineStart),
      });
      continue;
    }

    if (ch === "'") {
      let value = '';
      offset++;
      for (;;) {
        if (offset >= text.length) fail('unterminated string literal', start, text.slice(start));
        const c = text[offset];
        if (c === "'") {
          if (text[offset + 1] === "'") {
            value += "'";
            offset += 2;
            continue;
          }
          offset++;
          break;
        }
        if (c === '\n') {
          line++;
          lineStart = offset + 1;
        }
        value += c;
        offset++;
      }
      tokens.push({
        type: 'string',
        text: text.slice(start, offset),
        value,
        pos: posAt(start, startLine, startLineStart),
      });
      continue;
    }

    if (isDigit(ch) || (ch === '.' && isDigit(text[offset + 1] ?? ''))) {
      let form: 'integer' | 'decimal' | 'real' | 'hex' = 'integer';
      if (ch === '0' && (text[offset + 1] === 'x' || text[offset + 1] === 'X')) {
        offset += 2;
        const digitsStart = offset;
        while (offset < text.length && /[0-9A-Fa-f]/.test(text[offset])) offset++;
        if (offset === digitsStart)
          fail('hexadecimal literal without digits', start, text.slice(start, offset));
        form = 'hex';
      } else {
        while (offset < text.length && isDigit(text[offset])) offset++;
        if (text[offset] === '.') {
          form = 'decimal';
          offset++;
          while (offset < text.length && isDigit(text[offset])) offset++;
        }
        if (text[offset] === 'e' || text[offset] === 'E') {
          let look = offset + 1;
          if (text[look] === '+' || text[look] === '-') look++;
          if (!isDigit(text[look] ?? '')) fail('exponent without digits', start, text.slice(start, look));
          offset = look;
          while (offset < text.length && isDigit(text[offset])) offset++;
          form = 'real';
        }
      }
      if (offset < text.length && isWordPart(text[offset])) {
        fail('malformed number', start, text.slice(start, offset + 1));
      }
      const numberText = text.slice(start, offset);
      tokens.push({
        type: 'number',
        text: numberText,
        value: numberText,
        numberForm: form,
        pos: posAt(start, startLine, startLineStart),
      });
      continue;
    }

    const symbol = symbols.find((s) => text.startsWith(s, offset));
    if (symbol === undefined) fail(`unexpected character '${ch}'`, start, ch);
    offset += symbol!.length;
    tokens.push({
      type: 'symbol',
      text: symbol!,
      value: symbol!,
      pos: posAt(start, startLine, startLineStart),
    });
  }

  tokens.push({
    type: 'end',
    text: '',
    value: '',
    pos: { line, column: offset - lineStart + 1, offset, length: 0 },
  });
  return tokens;
}
