import { describe, expect, it } from 'vitest';
import {
  childrenOf,
  collectBinds,
  collectIdentifiers,
  type Expr,
  type ExprVisitor,
  visitExpr,
} from '../../../src/butler/expression/index.js';
import { parse } from './helpers.js';

/** A visitor that renders the tree in the bracketed style of upstream's test visitor, covering every kind. */
const render: ExprVisitor<string> = {
  identifier: (n) => `ID(${n.name})`,
  string: (n) => `S(${n.value})`,
  number: (n) => `N(${n.text})`,
  time: (n) => `T(${n.nsTai})`,
  uuid: (n) => `UUID(${n.value})`,
  boolean: (n) => `BOOL(${n.value})`,
  null: () => 'NULL',
  bind: (n) => `BIND(${n.name})`,
  unary: (n) => `U(${n.op} ${visitExpr(n.operand, render)})`,
  binary: (n) => `B(${visitExpr(n.left, render)} ${n.op} ${visitExpr(n.right, render)})`,
  in: (n) =>
    `${n.negated ? '!IN' : 'IN'}(${visitExpr(n.operand, render)} (${n.items
      .map((i) => (i.kind === 'range' ? `R(${i.start}..${i.stop}:${i.step})` : visitExpr(i, render)))
      .join(', ')}))`,
  function: (n) => `F${n.name}(${n.args.map((a) => visitExpr(a, render)).join(', ')})`,
  tuple: (n) => `TUP(${n.items.map((a) => visitExpr(a, render)).join(', ')})`,
};

describe('visitExpr', () => {
  it.each([
    ['(a+b)', 'B(ID(a) + ID(b))'],
    ['(A or B) and not (x + 3 > y)', 'B(B(ID(A) OR ID(B)) AND U(NOT B(B(ID(x) + N(3)) > ID(y))))'],
    [
      "x in (1,2) AND y NOT IN (1.1, .25, 1e2) OR z in ('a', 'b')",
      'B(B(IN(ID(x) (N(1), N(2))) AND !IN(ID(y) (N(1.1), N(.25), N(1e2)))) OR IN(ID(z) (S(a), S(b))))',
    ],
    [
      'x in (1,2,5..15) AND y NOT IN (-100..100:10)',
      'B(IN(ID(x) (N(1), N(2), R(5..15:1))) AND !IN(ID(y) (R(-100..100:10))))',
    ],
    ["time > T'2020-03-30/tai'", 'B(ID(time) > T(1585526400000000000))'],
    [
      "(T'51544.0', NULL) OVERLAPS x AND f = TRUE AND g = :b AND u IN (UUID('e15ab039-bc8b-4135-87c5-90902a7c0b22'))",
      'B(B(B(B(TUP(T(946684800000000000), NULL) OVERLAPS ID(x)) AND B(ID(f) = BOOL(true))) AND B(ID(g) = BIND(b))) ' +
        'AND IN(ID(u) (UUID(e15ab039-bc8b-4135-87c5-90902a7c0b22))))',
    ],
    ['POINT(1, -2)', 'FPOINT(N(1), N(-2))'],
  ])('%s', (text, expected) => {
    expect(visitExpr(parse(text), render)).toBe(expected);
  });
});

describe('collectIdentifiers / collectBinds', () => {
  const tree: Expr = parse(
    'visit IN (:visits, other) AND (visit.day_obs > :day OR GLOB(visit.name, :pattern)) AND visit != :day',
  );

  it('lists distinct identifiers in order of first appearance', () => {
    expect(collectIdentifiers(tree)).toEqual(['visit', 'other', 'visit.day_obs', 'visit.name']);
  });

  it('lists distinct bind names without the colon', () => {
    expect(collectBinds(tree)).toEqual(['visits', 'day', 'pattern']);
  });

  it('childrenOf skips range items', () => {
    const inNode = parse('x IN (1..3, y)');
    expect(childrenOf(inNode).map((c) => c.kind)).toEqual(['identifier', 'identifier']);
  });
});
