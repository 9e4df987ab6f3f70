import { describe, expect, it } from 'vitest';
import { parseAdql } from '../../../src/catalog/adql/index.js';
import { caught } from './helpers.js';

describe('ADQL_SYNTAX errors name the place, what was expected and what was found', () => {
  it('reports a misspelt FROM on the second line', () => {
    const err = caught(() =>
      parseAdql('SELECT coord_ra, coord_dec\n  FROM Object WHERE coord_ra > 0 AND\n  FORM'),
    );
    expect(err.code).toBe('ADQL_SYNTAX');
    const misspelt = caught(() => parseAdql('SELECT coord_ra,\n       coord_dec FORM Object'));
    expect(misspelt).toEqual({
      code: 'ADQL_SYNTAX',
      message: "ADQL syntax error at line 2, column 18: expected FROM, found 'FORM'",
      details: { line: 2, column: 18, expected: ['FROM'], found: 'FORM' },
    });
  });

  it('reports a misspelt WHERE after a table', () => {
    const err = caught(() => parseAdql('SELECT a FROM t WHER a = 1'));
    expect(err.details).toMatchObject({ line: 1, column: 17, found: 'WHER' });
    expect(err.details.expected).toContain('WHERE');
  });

  it('reports a missing FROM', () => {
    expect(caught(() => parseAdql('SELECT a')).message).toBe(
      'ADQL syntax error at line 1, column 9: expected FROM, found end of query',
    );
  });

  it('reports a reserved word used as a name', () => {
    const err = caught(() => parseAdql('SELECT a FROM order'));
    expect(err.message).toMatch(
      /^ADQL syntax error at line 1, column 15: expected table name, found 'order'/,
    );
    expect(err.message).toContain('reserved word');
  });

  it('reports an unclosed parenthesis', () => {
    expect(caught(() => parseAdql('SELECT a FROM t WHERE (a = 1')).details).toMatchObject({
      line: 1,
      column: 29,
      expected: ["')'"],
      found: '',
    });
  });

  it('reports a value where a condition is needed', () => {
    const err = caught(() => parseAdql('SELECT a FROM t WHERE a'));
    expect(err.details).toMatchObject({ line: 1, column: 24 });
    expect(err.details.expected).toContain('BETWEEN');
  });

  it('reports a value combined with AND as if it were a condition, at the value', () => {
    expect(caught(() => parseAdql('SELECT a FROM t WHERE flag AND b = 1')).details).toMatchObject({
      line: 1,
      column: 23,
      expected: ['condition'],
      found: 'flag',
    });
  });

  it('reports a condition where a value is needed', () => {
    const err = caught(() => parseAdql('SELECT a = 1 FROM t'));
    expect(err.details).toMatchObject({ line: 1, column: 10, found: '=' });
  });

  it('reports trailing junk after a complete query', () => {
    expect(caught(() => parseAdql('SELECT a FROM t WHERE a = 1 LIMIT 10')).details).toMatchObject({
      column: 29,
      found: 'LIMIT',
      expected: ['ORDER BY', 'OFFSET', 'end of query'],
    });
  });

  it('reports a JOIN without ON or USING', () => {
    expect(caught(() => parseAdql('SELECT * FROM a JOIN b WHERE x = 1')).details).toMatchObject({
      expected: ['ON', 'USING'],
      found: 'WHERE',
    });
  });

  it('reports TOP without a count', () => {
    expect(caught(() => parseAdql('SELECT TOP x FROM t')).details).toMatchObject({ column: 12, found: 'x' });
  });

  it('reports wrong arity of built-in functions', () => {
    const err = caught(() => parseAdql('SELECT ATAN2(y) FROM t'));
    expect(err.message).toBe(
      "ADQL syntax error at line 1, column 8: expected 2 argument(s) to ATAN2, found 'ATAN2' (ATAN2 was given 1)",
    );
  });

  it('reports wrong arity of known UDFs, whatever their case', () => {
    const err = caught(() => parseAdql('SELECT SCISQL_NANOJANSKYTOABMAG(a, b) FROM t'));
    expect(err.message).toContain('expected 1 argument(s) to scisql_nanojanskyToAbMag');
    expect(caught(() => parseAdql('SELECT scisql_angSep(1, 2, 3) FROM t')).code).toBe('ADQL_SYNTAX');
  });

  it('reports geometry arity and coordinate-form mistakes', () => {
    expect(caught(() => parseAdql('SELECT POINT(1) FROM t')).message).toContain('2 argument(s) to POINT');
    expect(caught(() => parseAdql('SELECT DISTANCE(1, 2, 3) FROM t')).message).toContain('to DISTANCE');
    expect(caught(() => parseAdql('SELECT POLYGON(1, 2, 3, 4, 5) FROM t')).message).toContain('even number');
  });

  it('reports lexical errors with their position', () => {
    expect(caught(() => parseAdql("SELECT 'abc FROM t")).message).toBe(
      'ADQL syntax error at line 1, column 8: unterminated string literal',
    );
    expect(caught(() => parseAdql('SELECT a FROM t\nWHERE a = 1e')).details).toMatchObject({
      line: 2,
      column: 11,
    });
    expect(caught(() => parseAdql('SELECT a FROM t WHERE a = #')).details).toMatchObject({
      column: 27,
      found: '#',
    });
    expect(caught(() => parseAdql('SELECT 12abc FROM t')).details).toMatchObject({ column: 8 });
    expect(caught(() => parseAdql("SELECT a\nFROM t WHERE b = 'x\ny")).details).toMatchObject({
      line: 2,
      column: 18,
    });
  });

  it('reports an empty query', () => {
    expect(caught(() => parseAdql('   ')).message).toBe(
      'ADQL syntax error at line 1, column 4: expected SELECT, found end of query',
    );
  });

  it('rejects CROSS JOIN with a hint', () => {
    expect(caught(() => parseAdql('SELECT * FROM a CROSS JOIN b')).message).toContain('use a comma');
  });
});

describe('ADQL_UNSUPPORTED names the construct', () => {
  it('rejects REGION()', () => {
    const err = caught(() =>
      parseAdql("SELECT * FROM t WHERE CONTAINS(POINT(ra, dec), REGION('Circle ICRS 1 2 3')) = 1"),
    );
    expect(err.code).toBe('ADQL_UNSUPPORTED');
    expect(err.message).toContain('REGION()');
    expect(err.details).toMatchObject({ line: 1, column: 48 });
  });

  it('rejects geometry values in arithmetic and comparisons', () => {
    const err = caught(() => parseAdql('SELECT POINT(1, 2) + 1 FROM t'));
    expect(err.code).toBe('ADQL_UNSUPPORTED');
    expect(err.message).toContain('geometry value POINT() used in operator +');
    expect(caught(() => parseAdql('SELECT * FROM t WHERE CIRCLE(1, 2, 3) = 1')).code).toBe(
      'ADQL_UNSUPPORTED',
    );
  });

  it('rejects CAST to a geometry type', () => {
    expect(caught(() => parseAdql('SELECT CAST(s AS POINT) FROM t')).message).toContain(
      'CAST to geometry type POINT',
    );
  });
});
