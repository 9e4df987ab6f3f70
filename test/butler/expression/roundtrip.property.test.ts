import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Expr, formatExpression, type RangeItem } from '../../../src/butler/expression/index.js';
import { parseTimeLiteral } from '../../../src/butler/time/index.js';
import { parse, withoutPos } from './helpers.js';

const pos = { line: 1, column: 1, offset: 0 };
const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IN', 'OVERLAPS', 'TRUE', 'FALSE', 'NULL']);

const name = fc
  .stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,6}$/)
  .filter((n) => !KEYWORDS.has(n.toUpperCase()) && !/^t$/i.test(n));
const identifier: fc.Arbitrary<Expr> = fc
  .array(name, { minLength: 1, maxLength: 3 })
  .map((parts) => ({ kind: 'identifier', name: parts.join('.'), pos }));
const numberText = fc.oneof(
  fc.nat({ max: 10_000 }).map(String),
  fc.constantFrom('1.5', '.25', '1e10', '2.5E-3', '1.'),
);
const number: fc.Arbitrary<Expr> = fc.tuple(fc.boolean(), numberText).map(([negative, digits]) => {
  const text = (negative ? '-' : '') + digits;
  return { kind: 'number', value: Number(text), text, isInteger: /^\d+$/.test(digits), pos };
});
const string: fc.Arbitrary<Expr> = fc
  .string({ maxLength: 8 })
  .filter((s) => !s.includes('\n'))
  .map((value) => ({ kind: 'string', value, pos }));
const time: fc.Arbitrary<Expr> = fc
  .constantFrom(
    '2020-03-30 12:20:33',
    '58938.515',
    'mjd/58938.5/utc',
    '2016-12-31 23:59:60.5',
    'unix/1700000000',
  )
  .map((text) => ({ kind: 'time', nsTai: String(parseTimeLiteral(text)), text, pos }));
const leaf: fc.Arbitrary<Expr> = fc.oneof(
  identifier,
  number,
  string,
  time,
  fc.uuid().map((value) => ({ kind: 'uuid', value, pos }) as Expr),
  fc.boolean().map((value) => ({ kind: 'boolean', value, pos }) as Expr),
  fc.constant({ kind: 'null', pos } as Expr),
  name.map((n) => ({ kind: 'bind', name: n, pos }) as Expr),
);
const range: fc.Arbitrary<RangeItem> = fc
  .tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: -50, max: 50 }), fc.integer({ min: 1, max: 5 }))
  .map(([start, stop, step]) => ({ kind: 'range', start, stop, step, pos }));

const { expr } = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc
      .tuple(fc.constantFrom('NOT', '-', '+'), tie('expr'))
      .map(([op, operand]) => ({ kind: 'unary', op, operand, pos }) as Expr),
    fc
      .tuple(
        fc.constantFrom('AND', 'OR', '=', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/', '%', 'OVERLAPS'),
        tie('expr'),
        tie('expr'),
      )
      .map(([op, left, right]) => ({ kind: 'binary', op, left, right, pos }) as Expr),
    fc
      .tuple(fc.boolean(), tie('expr'), fc.array(fc.oneof(leaf, range), { minLength: 1, maxLength: 4 }))
      .map(([negated, operand, items]) => ({ kind: 'in', negated, operand, items, pos }) as Expr),
    fc
      .tuple(tie('expr'), tie('expr'))
      .map(([ra, dec]) => ({ kind: 'function', name: 'POINT', args: [ra, dec], pos }) as Expr),
    fc.tuple(tie('expr'), tie('expr')).map((items) => ({ kind: 'tuple', items, pos }) as Expr),
  ),
}));

describe('formatExpression / parseExpression round trip (property)', () => {
  it('parse(format(tree)) equals tree for random trees, positions aside', () => {
    fc.assert(
      fc.property(expr, (tree) => {
        expect(withoutPos(parse(formatExpression(tree)))).toEqual(withoutPos(tree));
      }),
      { numRuns: 400 },
    );
  });
});
