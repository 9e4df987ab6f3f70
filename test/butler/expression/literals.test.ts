import { describe, expect, it } from 'vitest';
import { parseExpression } from '../../../src/butler/expression/index.js';
import { parseTimeLiteral } from '../../../src/butler/time/index.js';
import { bind, id, num, parse, str, withoutPos } from './helpers.js';

describe('empty input', () => {
  it.each(['', ' ', '\n\t  \n'])('returns null for %j', (text) => {
    expect(parseExpression(text)).toBeNull();
  });
});

describe('numeric literals (upstream lexer cases 1, 1., 1.1, 1e10, .1, .1e10)', () => {
  it.each([
    ['1', 1, true],
    ['1.', 1, false],
    ['1.5', 1.5, false],
    ['.5', 0.5, false],
    ['1e10', 1e10, false],
    ['1.5e-3', 1.5e-3, false],
    ['.1E+10', 0.1e10, false],
    ['0', 0, true],
  ])('%s', (text, value, isInteger) => {
    expect(withoutPos(parse(text))).toEqual({ kind: 'number', value, text, isInteger });
  });

  it('folds a minus sign into the literal, as upstream', () => {
    expect(withoutPos(parse('-5'))).toEqual(num('-5'));
    expect(withoutPos(parse('- 2.5'))).toEqual(num('-2.5'));
  });

  it('keeps the exact text of integers beyond double precision', () => {
    const tree = parse('9007199254740993');
    expect(tree.kind === 'number' && tree.text).toBe('9007199254740993');
  });
});

describe('string literals', () => {
  it('reads single-quoted strings', () => {
    expect(withoutPos(parse("'i'"))).toEqual(str('i'));
    expect(withoutPos(parse("''"))).toEqual(str(''));
  });

  it("unescapes '' into a quote", () => {
    expect(withoutPos(parse("'it''s'"))).toEqual(str("it's"));
  });

  it('keeps spaces and keywords inside strings', () => {
    expect(withoutPos(parse("'a AND b IN (1..2)'"))).toEqual(str('a AND b IN (1..2)'));
  });
});

describe('identifiers', () => {
  it.each([
    'visit',
    'visit.day_obs',
    'visit.timespan.begin',
    'ingest_date',
    'raw.dataset_id',
    '_private',
    'htm7',
  ])('%s', (name) => {
    expect(withoutPos(parse(name))).toEqual(id(name));
  });

  it('keeps the case of identifiers but not of keywords', () => {
    expect(withoutPos(parse('Visit and Band'))).toEqual({
      kind: 'binary',
      op: 'AND',
      left: id('Visit'),
      right: id('Band'),
    });
  });
});

describe('bind parameters', () => {
  it('reads :name', () => {
    expect(withoutPos(parse(':visit_id'))).toEqual(bind('visit_id'));
  });

  it('is distinguished from a range step colon', () => {
    expect(withoutPos(parse('visit IN (1..10:2, :extra)'))).toMatchObject({
      items: [{ kind: 'range', start: 1, stop: 10, step: 2 }, bind('extra')],
    });
  });
});

describe('keywords TRUE, FALSE, NULL', () => {
  it('reads booleans case-insensitively', () => {
    expect(withoutPos(parse('exposure.can_see_sky = true'))).toMatchObject({
      right: { kind: 'boolean', value: true },
    });
    expect(withoutPos(parse('FALSE'))).toEqual({ kind: 'boolean', value: false });
  });

  it('reads NULL', () => {
    expect(withoutPos(parse('visit.timespan.end = NULL'))).toMatchObject({ right: { kind: 'null' } });
  });
});

describe('UUID literal', () => {
  it('reads UUID(...) into a lower-case uuid node', () => {
    expect(withoutPos(parse("flat.dataset_id = uuid('E15AB039-BC8B-4135-87C5-90902A7C0B22')"))).toEqual({
      kind: 'binary',
      op: '=',
      left: id('flat.dataset_id'),
      right: { kind: 'uuid', value: 'e15ab039-bc8b-4135-87c5-90902a7c0b22' },
    });
  });
});

describe('time literals', () => {
  it.each([
    ['2020-03-30 12:20:33', '1585570870000000000'],
    ['2020-03-30T12:20:33', '1585570870000000000'],
    ['+2020-03-30T12:20:33', '1585570870000000000'],
    ['2020:090:12:20:33', '1585570870000000000'],
    ['mjd/58938.515', '1585570896000000000'],
    ['58938.515/tai', '1585570896000000000'],
    ['iso/2020-03-30 12:20:33/tai', '1585570833000000000'],
    ['unix/1483228800', '1483228837000000000'],
  ])("T'%s' → %s ns TAI", (text, nsTai) => {
    expect(withoutPos(parse(`ingest_date < T'${text}'`))).toEqual({
      kind: 'binary',
      op: '<',
      left: id('ingest_date'),
      right: { kind: 'time', nsTai, text },
    });
  });

  it('accepts a lower-case t prefix', () => {
    const tree = parse("t'2020-01-01'");
    expect(tree.kind === 'time' && tree.nsTai).toBe(String(parseTimeLiteral('2020-01-01')));
  });

  it('is not confused with an identifier ending in T', () => {
    expect(withoutPos(parse("visiT = 'x'"))).toEqual({
      kind: 'binary',
      op: '=',
      left: id('visiT'),
      right: str('x'),
    });
  });
});
