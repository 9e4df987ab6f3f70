import { describe, expect, it } from 'vitest';
import { formatExpression } from '../../../src/butler/expression/index.js';
import { parse, withoutPos } from './helpers.js';

describe('formatExpression', () => {
  it.each([
    ['a=1', 'a = 1'],
    ["band in ('g','r')", "band IN ('g', 'r')"],
    ['visit not in (1..5:1, 7..9:2)', 'visit NOT IN (1..5, 7..9:2)'],
    ['a or b and c', 'a OR b AND c'],
    ['(a or b) and c', '(a OR b) AND c'],
    ['not (a and b)', 'NOT (a AND b)'],
    ['not a = 1', 'NOT a = 1'],
    ['a - (b - c)', 'a - (b - c)'],
    ['(a - b) - c', 'a - b - c'],
    ['-(a + b) * c', '-(a + b) * c'],
    ['a - -5', 'a - -5'],
    ['-(-5)', '-(-5)'],
    ['+ -5', '+ -5'],
    ["'it''s'", "'it''s'"],
    ["x < t'2020-01-01 00:00:00/tai'", "x < T'2020-01-01 00:00:00/tai'"],
    ["uuid('E15AB039-BC8B-4135-87C5-90902A7C0B22')", "UUID('e15ab039-bc8b-4135-87c5-90902a7c0b22')"],
    ['x = true or y = null', 'x = TRUE OR y = NULL'],
    ['x in (:a)', 'x IN (:a)'],
    ["visit.timespan overlaps (T'2020-01-01', null)", "visit.timespan OVERLAPS (T'2020-01-01', NULL)"],
    ['circle(1,2,3)', 'CIRCLE(1, 2, 3)'],
    ['(a = b) = c', '(a = b) = c'],
    ['(a + 1) in (2)', 'a + 1 IN (2)'],
  ])('%s → %s', (input, canonical) => {
    expect(formatExpression(parse(input))).toBe(canonical);
  });

  it.each([
    "instrument = 'HSC' AND visit IN (100..200, 300) AND visit NOT IN (159, 191) AND band = 'i'",
    "ingest_date < T'2020-11-06 21:10:00' OR NOT exposure.can_see_sky = FALSE",
    'visit.region OVERLAPS POINT(53.6, -32.7) AND (detector < 10 OR detector % 2 = 1)',
    'a * (b + c) / -d - +e % 3 >= 1.5e3',
    "GLOB(visit.name, 'a*') AND x IN (-5..-1:2, :binds) AND y = UUID('e15ab039-bc8b-4135-87c5-90902a7c0b22')",
    'NOT NOT (a OR b) AND -(-(x))',
    '(a, b) OVERLAPS (c + 1, NULL)',
  ])('parse(format(parse(%j))) equals the first parse, positions aside', (text) => {
    const first = parse(text);
    const again = parse(formatExpression(first));
    expect(withoutPos(again)).toEqual(withoutPos(first));
  });
});
