import { expect } from 'vitest';
import { type Expr, parseExpression } from '../../../src/butler/expression/index.js';
import type { MeridianError } from '../../../src/errors.js';

/** Parse text that must not be empty. */
export function parse(text: string): Expr {
  const tree = parseExpression(text);
  if (tree === null) throw new Error(`expected a tree for ${JSON.stringify(text)}`);
  return tree;
}

/** The tree with every `pos` removed, for structural comparison. */
export function withoutPos(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPos);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== 'pos')
        .map(([key, child]) => [key, withoutPos(child)]),
    );
  }
  return value;
}

/** Parse and expect QUERY_SYNTAX; returns the error for further checks. */
export function syntaxErrorOf(text: string): MeridianError {
  try {
    parseExpression(text);
  } catch (err) {
    expect((err as MeridianError).code).toBe('QUERY_SYNTAX');
    return err as MeridianError;
  }
  throw new Error(`expected a syntax error for ${JSON.stringify(text)}`);
}

// Small tree builders (positions ignored) to keep expectations readable.
export const id = (name: string) => ({ kind: 'identifier', name });
export const num = (text: string) => ({
  kind: 'number',
  value: Number(text),
  text,
  isInteger: /^-?\d+$/.test(text),
});
export const str = (value: string) => ({ kind: 'string', value });
export const bind = (name: string) => ({ kind: 'bind', name });
export const bin = (op: string, left: unknown, right: unknown) => ({ kind: 'binary', op, left, right });
export const un = (op: string, operand: unknown) => ({ kind: 'unary', op, operand });
