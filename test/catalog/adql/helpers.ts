import { expect } from 'vitest';
import { parseAdql, printAdql, type Query } from '../../../src/catalog/adql/index.js';
import { isMeridianError } from '../../../src/errors.js';

/** A copy of a tree without `pos`, for comparing trees parsed from different texts. */
export function stripPos(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripPos);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== 'pos')
        .map(([key, child]) => [key, stripPos(child)]),
    );
  }
  return value;
}

/** Parses, prints, parses again and checks that both trees agree; returns the first tree. */
export function roundTrip(text: string): Query {
  const tree = parseAdql(text);
  const printed = printAdql(tree);
  expect(stripPos(parseAdql(printed)), printed).toEqual(stripPos(tree));
  return tree;
}

/** Runs `action` and returns the coded error it throws (fails the test if it does not throw one). */
export function caught(action: () => unknown): {
  code: string;
  message: string;
  details: Record<string, unknown>;
} {
  try {
    action();
  } catch (err) {
    if (isMeridianError(err)) return { code: err.code, message: err.message, details: { ...err.details } };
    throw err;
  }
  throw new Error('expected an error');
}
