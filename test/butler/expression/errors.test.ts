import { describe, expect, it } from 'vitest';
import { syntaxErrorOf } from './helpers.js';

/** [expression, line, column, fragment of the expected-text, fragment of the found-text] */
type Case = readonly [string, number, number, string, string];

describe('syntax errors report line and column', () => {
  it.each<Case>([
    ['a = ', 1, 5, 'an identifier, literal', 'end of input'],
    ['a AND', 1, 6, 'an identifier, literal', 'end of input'],
    ['(a = 1', 1, 7, '")" closing the "(" at line 1, column 1', 'end of input'],
    ['a = 1)', 1, 6, 'or end of input', '")"'],
    ['a b', 1, 3, 'an operator', '"b"'],
    ['a IN 1', 1, 6, '"(" after IN', '"1"'],
    ['a IN ()', 1, 7, 'at least one item', '")"'],
    ['a IN (1, 2', 1, 11, '"," or ")" in the IN list', 'end of input'],
    ['a NOT b', 1, 7, 'IN after NOT', '"b"'],
    ['a IN (1..)', 1, 10, 'an integer range stop', '")"'],
    ['a IN (1..5:0)', 1, 12, 'a positive integer step', '"0"'],
    ['a IN (1.5..3)', 1, 7, 'an integer range start', '"1.5"'],
    ['visit = 1..5', 1, 10, 'an operator', '".."'],
    ['a = b = c', 1, 7, 'AND, OR', '"="'],
    ['a < b OVERLAPS c', 1, 7, 'AND, OR', '"OVERLAPS"'],
    ['a == 1', 1, 3, 'a single equals sign', '"=="'],
    ['a <> 1', 1, 3, '"!="', '"<>"'],
    ['a && b', 1, 3, 'AND', '"&&"'],
    ['a || b', 1, 3, 'OR', '"||"'],
    ['!a', 1, 1, '"!=" or NOT', '"!"'],
    ['band = "g"', 1, 8, 'single-quoted string', 'a double quote'],
    ["band = 'g", 1, 8, 'a closing quote', 'unterminated'],
    ["band = 'g\n'", 1, 8, 'a closing quote', 'unterminated'],
    ['a = #', 1, 5, 'an identifier, literal or operator', '"#"'],
    ['a.b.c.d = 1', 1, 1, 'at most two dots', '"a.b.c..."'],
    ['visit. = 1', 1, 7, 'a name after "."', '" "'],
    ['FOO(1)', 1, 1, 'one of the functions GLOB', '"FOO("'],
    ['visit.region(1)', 1, 1, 'one of the functions', '"visit.region("'],
    ['POINT(1)', 1, 1, 'POINT(ra, dec)', 'POINT with 1 argument(s)'],
    ['POLYGON(1, 2, 3, 4, 5, 6, 7)', 1, 1, 'POLYGON(ra1, dec1', 'POLYGON with 7 argument(s)'],
    ["UUID('not-a-uuid')", 1, 1, "UUID('xxxxxxxx", "UUID('not-a-uuid')"],
    ['UUID(1, 2)', 1, 1, 'one quoted UUID', 'UUID with 2 argument(s)'],
    ['(a, b, c)', 1, 6, 'a tuple has exactly two items', '","'],
    ['a = :', 1, 5, 'an identifier, literal', '":"'],
    ['AND a', 1, 1, 'an identifier, literal', '"AND"'],
    ["x < T'2020-13-01'", 1, 5, 'a time literal in a known format', "time literal T'2020-13-01'"],
    ["x < T'yesterday'", 1, 5, 'a time literal', "T'yesterday'"],
    ["x < T'mjd/abc'", 1, 5, 'a time literal', "T'mjd/abc'"],
    ["x < T'1960-01-01 00:00:00'", 1, 5, 'a time literal', "T'1960-01-01 00:00:00'"],
    ["a = 1 AND\n  b = 'x' AND\n    c == 2", 3, 7, 'a single equals sign', '"=="'],
    ['a = 1\nOR\n', 3, 1, 'an identifier, literal', 'end of input'],
    ['\n(1\n,\n 2, 3)', 4, 3, 'a tuple has exactly two items', '","'], // upstream testException case
    ["T'not-a-time'", 1, 1, 'a time literal', "T'not-a-time'"],
    ['point(1, 2) in (x + y)', 1, 19, '"," or ")" in the IN list', '"+"'],
    ['a IN (-x)', 1, 7, 'an IN list item', '"-"'],
    ['a IN ((1))', 1, 7, 'an IN list item', '"("'],
    ['a IN (1, AND)', 1, 10, 'an IN list item', '"AND"'],
    ['point(1, 2) in region1', 1, 16, '"(" after IN', '"region1"'],
  ])('%j → line %i, column %i', (text, line, column, expected, found) => {
    const err = syntaxErrorOf(text);
    expect(err.message).toContain(`at line ${line}, column ${column}:`);
    expect(err.details).toMatchObject({ line, column, expression: text });
    expect(String(err.details.expected)).toContain(expected);
    expect(String(err.details.found)).toContain(found);
  });
});

describe('error details', () => {
  it('message follows "expected X, found Y" and details carry a caret excerpt', () => {
    const err = syntaxErrorOf("instrument = 'HSC' AND\n  visit == 12");
    expect(err.message).toBe(
      'Syntax error in where expression at line 2, column 9: ' +
        'expected "=" (comparison uses a single equals sign), found "=="',
    );
    expect(err.details.excerpt).toBe('  visit == 12\n        ^');
    expect(err.details.offset).toBe(31);
  });

  it('range outside IN gets a hint', () => {
    const err = syntaxErrorOf('visit = 1..5');
    expect(err.message).toContain('ranges like 1..5 are allowed only inside IN');
  });

  it('a bad time literal carries the reason from the time parser', () => {
    const err = syntaxErrorOf("ingest_date > T'2020-02-30'");
    expect(err.message).toContain('day 30 does not exist in 2020-2');
    expect(err.details.excerpt).toBe("ingest_date > T'2020-02-30'\n              ^");
  });

  it('keeps tabs in the caret line so it aligns with the text', () => {
    const err = syntaxErrorOf('\ta == 1');
    expect(err.details.excerpt).toBe('\ta == 1\n\t  ^');
  });

  it('maps to HTTP 400 and a hint through the error table', () => {
    const err = syntaxErrorOf('a ==');
    expect(err.httpStatus).toBe(400);
    expect(err.hint).toContain('reported position');
  });
});

describe('limits that protect the call stack', () => {
  it('refuses more than 200 levels of parentheses, NOT or signs', () => {
    expect(syntaxErrorOf(`${'('.repeat(201)}a${')'.repeat(201)}`).message).toContain(
      'at most 200 levels of nesting',
    );
    expect(syntaxErrorOf(`${'NOT '.repeat(201)}a`).message).toContain('at most 200 levels');
    expect(syntaxErrorOf(`${'-'.repeat(201)}a`).details.column).toBe(202); // the token past the limit
  });

  it('refuses trees deeper than 1000 levels and suggests IN lists', () => {
    const chain = Array.from({ length: 1001 }, (_, i) => `visit = ${i}`).join(' OR ');
    const err = syntaxErrorOf(chain);
    expect(err.message).toContain('at most 1000 levels deep');
    expect(err.message).toContain('IN (...)');
  });
});
