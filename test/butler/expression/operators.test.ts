import { describe, expect, it } from 'vitest';
import { bin, bind, id, num, parse, str, un, withoutPos } from './helpers.js';

describe('comparison operators', () => {
  it.each(['=', '!=', '<', '<=', '>', '>='])('a %s 1', (op) => {
    expect(withoutPos(parse(`a ${op} 1`))).toEqual(bin(op, id('a'), num('1')));
  });

  it('reads operators without surrounding spaces', () => {
    expect(withoutPos(parse('a<=b'))).toEqual(bin('<=', id('a'), id('b')));
    expect(withoutPos(parse('a!=-1'))).toEqual(bin('!=', id('a'), num('-1')));
  });

  it('OVERLAPS compares timespans and regions', () => {
    expect(withoutPos(parse('visit.region overlaps POINT(53.6, -32.7)'))).toEqual(
      bin('OVERLAPS', id('visit.region'), {
        kind: 'function',
        name: 'POINT',
        args: [num('53.6'), num('-32.7')],
      }),
    );
  });
});

describe('precedence (OR < AND < NOT < comparison < additive < multiplicative < unary)', () => {
  it('AND binds tighter than OR', () => {
    expect(withoutPos(parse('a OR b AND c'))).toEqual(bin('OR', id('a'), bin('AND', id('b'), id('c'))));
    expect(withoutPos(parse('a AND b OR c'))).toEqual(bin('OR', bin('AND', id('a'), id('b')), id('c')));
  });

  it('NOT applies to a whole comparison', () => {
    expect(withoutPos(parse('NOT a = 1'))).toEqual(un('NOT', bin('=', id('a'), num('1'))));
  });

  it('NOT binds tighter than AND', () => {
    expect(withoutPos(parse('NOT a AND b'))).toEqual(bin('AND', un('NOT', id('a')), id('b')));
  });

  it('NOT NOT nests', () => {
    expect(withoutPos(parse('not not a'))).toEqual(un('NOT', un('NOT', id('a'))));
  });

  it('arithmetic binds tighter than comparison, * tighter than +', () => {
    expect(withoutPos(parse('a + b * c = d'))).toEqual(
      bin('=', bin('+', id('a'), bin('*', id('b'), id('c'))), id('d')),
    );
  });

  it('additive and multiplicative operators are left-associative', () => {
    expect(withoutPos(parse('a - b - c'))).toEqual(bin('-', bin('-', id('a'), id('b')), id('c')));
    expect(withoutPos(parse('a / b % c'))).toEqual(bin('%', bin('/', id('a'), id('b')), id('c')));
  });

  it('unary minus binds tightest', () => {
    expect(withoutPos(parse('-a * b'))).toEqual(bin('*', un('-', id('a')), id('b')));
    expect(withoutPos(parse('+a'))).toEqual(un('+', id('a')));
    expect(withoutPos(parse('- -a'))).toEqual(un('-', un('-', id('a'))));
  });

  it('parentheses override precedence and leave no node', () => {
    expect(withoutPos(parse('(a OR b) AND c'))).toEqual(bin('AND', bin('OR', id('a'), id('b')), id('c')));
    expect(withoutPos(parse('((a))'))).toEqual(id('a'));
    expect(withoutPos(parse('(a + b) * c'))).toEqual(bin('*', bin('+', id('a'), id('b')), id('c')));
  });

  it('keywords are case-insensitive', () => {
    expect(withoutPos(parse('a Or b aNd NoT c'))).toEqual(
      bin('OR', id('a'), bin('AND', id('b'), un('NOT', id('c')))),
    );
  });
});

describe('IN', () => {
  it('takes a list of literals', () => {
    expect(withoutPos(parse("band IN ('g', 'r')"))).toEqual({
      kind: 'in',
      negated: false,
      operand: id('band'),
      items: [str('g'), str('r')],
    });
  });

  it('NOT IN', () => {
    expect(withoutPos(parse('visit NOT IN (159, 191)'))).toEqual({
      kind: 'in',
      negated: true,
      operand: id('visit'),
      items: [num('159'), num('191')],
    });
  });

  it('takes ranges with and without stride, negative bounds and spaces', () => {
    expect(withoutPos(parse('x IN (1..5, 1..10:3, -5..-1, 2 .. 4 : 2)'))).toMatchObject({
      items: [
        { kind: 'range', start: 1, stop: 5, step: 1 },
        { kind: 'range', start: 1, stop: 10, step: 3 },
        { kind: 'range', start: -5, stop: -1, step: 1 },
        { kind: 'range', start: 2, stop: 4, step: 2 },
      ],
    });
  });

  it('mixes ranges, numbers, binds, identifiers and UUIDs', () => {
    const tree = withoutPos(
      parse("x IN (100..200, 7, :more, other, UUID('e15ab039-bc8b-4135-87c5-90902a7c0b22'))"),
    );
    expect(tree).toMatchObject({
      items: [
        { kind: 'range', start: 100, stop: 200, step: 1 },
        num('7'),
        bind('more'),
        id('other'),
        { kind: 'uuid', value: 'e15ab039-bc8b-4135-87c5-90902a7c0b22' },
      ],
    });
  });

  it('a bind list still needs parentheses: IN (:visits)', () => {
    expect(withoutPos(parse('visit IN (:visits)'))).toMatchObject({ items: [bind('visits')] });
  });

  it('IN binds tighter than AND and its operand may be arithmetic', () => {
    expect(withoutPos(parse('a + 1 IN (2) AND b'))).toEqual(
      bin(
        'AND',
        { kind: 'in', negated: false, operand: bin('+', id('a'), num('1')), items: [num('2')] },
        id('b'),
      ),
    );
  });

  it('time containment: T IN (timespan tuple)', () => {
    expect(withoutPos(parse("T'2020-01-01' IN (visit.timespan)"))).toMatchObject({
      kind: 'in',
      operand: { kind: 'time' },
      items: [id('visit.timespan')],
    });
  });

  it('the documentation example parses', () => {
    const tree = withoutPos(parse("visit IN (100..200) AND visit NOT IN (159, 191) AND band = 'i'"));
    expect(tree).toMatchObject({
      kind: 'binary',
      op: 'AND',
      left: { kind: 'binary', op: 'AND', right: { kind: 'in', negated: true } },
      right: bin('=', id('band'), str('i')),
    });
  });
});

describe('tuples and functions', () => {
  it('a two-item tuple is a timespan literal', () => {
    expect(withoutPos(parse("visit.timespan OVERLAPS (T'2020-01-01', NULL)"))).toMatchObject({
      op: 'OVERLAPS',
      right: { kind: 'tuple', items: [{ kind: 'time' }, { kind: 'null' }] },
    });
  });

  it.each([
    ["GLOB(visit.name, 'a*')", 'GLOB', 2],
    ['circle(1, 2, 0.5)', 'CIRCLE', 3],
    ['Box(1, 2, 3, 4)', 'BOX', 4],
    ['POLYGON(0, 0, 1, 0, 1, 1)', 'POLYGON', 6],
    ["REGION('CIRCLE 1 2 0.5')", 'REGION', 1],
  ])('%s', (text, name, arity) => {
    const tree = parse(text);
    expect(tree.kind).toBe('function');
    expect(tree.kind === 'function' && [tree.name, tree.args.length]).toEqual([name, arity]);
  });

  it('function arguments are full expressions', () => {
    expect(withoutPos(parse('POINT(a + 1, -b)'))).toEqual({
      kind: 'function',
      name: 'POINT',
      args: [bin('+', id('a'), num('1')), un('-', id('b'))],
    });
  });
});

describe('multi-line expressions', () => {
  it('parses across lines and records line and column', () => {
    const tree = parse("instrument = 'HSC'\n  AND visit IN (1..3)\n  AND detector = 5");
    expect(tree.kind).toBe('binary');
    if (tree.kind !== 'binary' || tree.right.kind !== 'binary') throw new Error('unexpected shape');
    expect(tree.pos).toEqual({ line: 3, column: 3, offset: 43 });
    expect(tree.right.left.pos).toEqual({ line: 3, column: 7, offset: 47 });
  });

  it('handles CRLF line ends', () => {
    const tree = parse('a = 1\r\nAND b = 2');
    expect(tree.pos).toMatchObject({ line: 2, column: 1 });
  });
});

describe('result', () => {
  it('is deep-frozen', () => {
    const tree = parse('a IN (1..2, 3) AND POINT(1, 2) OVERLAPS x');
    expect(Object.isFrozen(tree)).toBe(true);
    if (tree.kind !== 'binary' || tree.left.kind !== 'in') throw new Error('unexpected shape');
    expect(Object.isFrozen(tree.left.items)).toBe(true);
    expect(Object.isFrozen(tree.left.items[0])).toBe(true);
    expect(Object.isFrozen(tree.left.pos)).toBe(true);
  });

  it('survives JSON round trip', () => {
    const tree = parse("ingest_date > T'2020-01-01' AND x IN (1..3)");
    expect(JSON.parse(JSON.stringify(tree))).toEqual(tree);
  });
});

describe('size', () => {
  it('parses 200 nested parentheses and a 900-term AND chain', () => {
    expect(withoutPos(parse(`${'('.repeat(200)}a${')'.repeat(200)}`))).toEqual(id('a'));
    const chain = Array.from({ length: 900 }, (_, i) => `v${i} = ${i}`).join(' AND ');
    expect(parse(chain).kind).toBe('binary');
  });

  it('parses a 10000-item IN list', () => {
    const tree = parse(`visit IN (${Array.from({ length: 10_000 }, (_, i) => i).join(', ')})`);
    expect(tree.kind === 'in' && tree.items.length).toBe(10_000);
  });
});
