import { describe, expect, it } from 'vitest';
import { type Expression, parseAdql } from '../../../src/catalog/adql/index.js';
import { roundTrip } from './helpers.js';

/** The expression of the single select item of `SELECT <text> FROM t`, round-tripped through the printer. */
function value(text: string): Expression {
  const q = roundTrip(`SELECT ${text} FROM t`);
  if (q.body.kind !== 'select' || q.body.items[0].kind !== 'selectColumn')
    throw new Error('unexpected shape');
  return q.body.items[0].expression;
}

/** The WHERE condition of `SELECT * FROM t WHERE <text>`, round-tripped through the printer. */
function condition(text: string): Expression {
  const q = roundTrip(`SELECT * FROM t WHERE ${text}`);
  if (q.body.kind !== 'select' || q.body.where === null) throw new Error('unexpected shape');
  return q.body.where;
}

describe('literals', () => {
  it.each([
    ['42', 'integer'],
    ['1249537790362809267', 'integer'],
    ['3.25', 'decimal'],
    ['.5', 'decimal'],
    ['7.', 'decimal'],
    ['1e10', 'real'],
    ['2.5E-3', 'real'],
    ['0x1F', 'hex'],
  ])('reads %s as a %s literal, keeping the text', (text, form) => {
    expect(value(text)).toMatchObject({ kind: 'number', text, form });
  });

  it('undoes doubled quotes in strings', () => {
    expect(value("'it''s'")).toMatchObject({ kind: 'string', value: "it's" });
  });

  it('reads a minus sign as a unary operator', () => {
    expect(value('-37.5')).toMatchObject({ kind: 'unary', operator: '-', operand: { text: '37.5' } });
  });

  it('reads NULL', () => {
    expect(value('COALESCE(a, NULL)')).toMatchObject({ args: [{ kind: 'column' }, { kind: 'null' }] });
  });
});

describe('operators', () => {
  it('gives * and / precedence over + and -, left-associative', () => {
    expect(value('a - b - c * d / e')).toMatchObject({
      operator: '-',
      left: { operator: '-' },
      right: { operator: '/', left: { operator: '*' } },
    });
  });

  it('keeps parentheses that matter', () => {
    expect(value('(a + b) * c')).toMatchObject({ operator: '*', left: { operator: '+' } });
    expect(value('a - (b - c)')).toMatchObject({ operator: '-', right: { operator: '-' } });
  });

  it('parses string concatenation below arithmetic', () => {
    expect(value("band || '_' || a + 1")).toMatchObject({
      operator: '||',
      left: { operator: '||' },
      right: { operator: '+' },
    });
  });

  it('prints nested signs without creating a comment', () => {
    expect(value('-(-a)')).toMatchObject({ kind: 'unary', operand: { kind: 'unary' } });
    expect(value('a - -b')).toMatchObject({ kind: 'binary', right: { kind: 'unary' } });
  });
});

describe('predicates', () => {
  it.each([
    ['=', '='],
    ['<>', '<>'],
    ['!=', '<>'],
    ['<', '<'],
    ['<=', '<='],
    ['>', '>'],
    ['>=', '>='],
  ])('parses comparison %s', (symbol, operator) => {
    expect(condition(`a ${symbol} 1`)).toMatchObject({ kind: 'comparison', operator });
  });

  it('parses [NOT] BETWEEN without swallowing the next AND', () => {
    expect(condition('a BETWEEN 1 AND 2 AND b NOT BETWEEN c AND d')).toMatchObject({
      kind: 'logical',
      operator: 'AND',
      left: { kind: 'between', negated: false },
      right: { kind: 'between', negated: true },
    });
  });

  it('parses [NOT] LIKE and ILIKE', () => {
    expect(condition("name LIKE 'a%'")).toMatchObject({
      kind: 'like',
      negated: false,
      caseInsensitive: false,
    });
    expect(condition("name NOT ILIKE '%B_'")).toMatchObject({
      kind: 'like',
      negated: true,
      caseInsensitive: true,
    });
  });

  it('parses IS [NOT] NULL', () => {
    expect(condition('a IS NULL')).toMatchObject({ kind: 'isNull', negated: false });
    expect(condition('a IS NOT NULL')).toMatchObject({ kind: 'isNull', negated: true });
  });

  it('parses [NOT] IN lists', () => {
    expect(condition("band IN ('g', 'r', 'i')")).toMatchObject({
      kind: 'inList',
      negated: false,
      values: [{}, {}, {}],
    });
    expect(condition('id NOT IN (1, 2)')).toMatchObject({ kind: 'inList', negated: true });
  });

  it('gives AND precedence over OR and keeps parenthesised OR groups', () => {
    expect(condition('a = 1 OR b = 2 AND c = 3')).toMatchObject({
      operator: 'OR',
      right: { operator: 'AND' },
    });
    expect(condition('(a = 1 OR b = 2) AND c = 3')).toMatchObject({
      operator: 'AND',
      left: { operator: 'OR' },
    });
  });

  it('parses NOT over a predicate and over a group', () => {
    expect(condition('NOT a = 1')).toMatchObject({ kind: 'not', operand: { kind: 'comparison' } });
    expect(condition('NOT (a = 1 OR b = 1)')).toMatchObject({ kind: 'not', operand: { kind: 'logical' } });
  });
});

describe('functions', () => {
  it.each([
    'ABS(x)',
    'CEILING(x)',
    'DEGREES(x)',
    'EXP(x)',
    'FLOOR(x)',
    'LOG(x)',
    'LOG10(x)',
    'MOD(x, 3)',
    'PI()',
    'POWER(x, 2)',
    'RADIANS(x)',
    'SQRT(x)',
    'RAND()',
    'RAND(7)',
    'ROUND(x)',
    'ROUND(x, 2)',
    'TRUNCATE(x)',
    'TRUNCATE(x, 1)',
    'SIN(x)',
    'COS(x)',
    'TAN(x)',
    'ASIN(x)',
    'ACOS(x)',
    'ATAN(x)',
    'ATAN2(y, x)',
    'COT(x)',
    'LOWER(s)',
    'UPPER(s)',
    'COALESCE(a, b, 0)',
    'NULLIF(a, 0)',
    "IN_UNIT(x, 'deg')",
    'BIT_AND(flags, 4)',
    'BIT_NOT(flags)',
  ])('parses the built-in function %s', (text) => {
    const parsed = value(text);
    expect(parsed.kind).toBe('function');
    expect(parsed.kind === 'function' && text.startsWith(parsed.name)).toBe(true);
  });

  it('normalises built-in function names to upper case', () => {
    expect(value('log10(x)')).toMatchObject({ kind: 'function', name: 'LOG10' });
  });

  it('parses aggregates, COUNT(*) and DISTINCT', () => {
    expect(value('COUNT(*)')).toMatchObject({ kind: 'aggregate', name: 'COUNT', arg: null });
    expect(value('COUNT(DISTINCT band)')).toMatchObject({ quantifier: 'DISTINCT', arg: { kind: 'column' } });
    for (const name of ['SUM', 'AVG', 'MIN', 'MAX']) {
      expect(value(`${name}(x)`)).toMatchObject({ kind: 'aggregate', name, quantifier: null });
    }
  });

  it('parses user-defined functions, known and unknown, keeping their spelling', () => {
    expect(value('scisql_nanojanskyToAbMag(g_psfFlux)')).toMatchObject({
      kind: 'udf',
      name: 'scisql_nanojanskyToAbMag',
      args: [{ kind: 'column' }],
    });
    expect(value('ivo_hasword(a, b)')).toMatchObject({ kind: 'udf', name: 'ivo_hasword' });
    expect(value('scisql_s2PtInCPoly(ra, decl, 0, 0, 1, 0, 1, 1)')).toMatchObject({ kind: 'udf' });
  });

  it('parses simple and searched CASE', () => {
    expect(value("CASE band WHEN 'g' THEN 1 WHEN 'r' THEN 2 ELSE 0 END")).toMatchObject({
      kind: 'case',
      operand: { kind: 'column' },
      whens: [{ when: { kind: 'string' } }, { when: { kind: 'string' } }],
      else: { kind: 'number' },
    });
    expect(value('CASE WHEN a > 0 THEN a END')).toMatchObject({
      operand: null,
      whens: [{ when: { kind: 'comparison' } }],
      else: null,
    });
  });

  it.each([
    ['INTEGER', null],
    ['SMALLINT', null],
    ['BIGINT', null],
    ['REAL', null],
    ['DOUBLE PRECISION', null],
    ['CHAR(8)', 8],
    ['VARCHAR(64)', 64],
    ['VARCHAR', null],
    ['TIMESTAMP', null],
  ])('parses CAST(x AS %s)', (type, length) => {
    expect(value(`CAST(x AS ${type})`)).toMatchObject({
      kind: 'cast',
      type: { name: type.replace(/\(.*/, ''), length },
    });
  });
});

describe('geometry', () => {
  it('splits off the optional coordinate system', () => {
    expect(value("POINT('ICRS', ra, dec)")).toMatchObject({
      kind: 'geometry',
      name: 'POINT',
      coordSys: { value: 'ICRS' },
      args: [{}, {}],
    });
    expect(value('POINT(ra, dec)')).toMatchObject({ coordSys: null });
  });

  it('parses CIRCLE in its point and coordinate forms', () => {
    expect(value('CIRCLE(POINT(1, 2), 0.5)')).toMatchObject({
      name: 'CIRCLE',
      args: [{ name: 'POINT' }, {}],
    });
    expect(value("CIRCLE('ICRS', 1, 2, 0.5)")).toMatchObject({ name: 'CIRCLE', args: [{}, {}, {}] });
  });

  it('parses BOX and POLYGON', () => {
    expect(value('BOX(10, 20, 1, 2)')).toMatchObject({ name: 'BOX', args: [{}, {}, {}, {}] });
    expect(value('POLYGON(POINT(0, 0), POINT(1, 0), POINT(1, 1))')).toMatchObject({ name: 'POLYGON' });
    expect(value("POLYGON('ICRS', 0, 0, 1, 0, 1, 1)")).toMatchObject({
      name: 'POLYGON',
      args: { length: 6 },
    });
  });

  it('parses DISTANCE in its 2-point and 4-number forms', () => {
    expect(value('DISTANCE(POINT(a, b), POINT(c, d))')).toMatchObject({
      name: 'DISTANCE',
      args: { length: 2 },
    });
    expect(value('DISTANCE(a, b, c, d)')).toMatchObject({ name: 'DISTANCE', args: { length: 4 } });
  });

  it('parses AREA, CENTROID, COORD1, COORD2 and COORDSYS', () => {
    expect(value('AREA(CIRCLE(1, 2, 3))')).toMatchObject({ name: 'AREA' });
    expect(value('COORD1(CENTROID(CIRCLE(1, 2, 3)))')).toMatchObject({
      name: 'COORD1',
      args: [{ name: 'CENTROID' }],
    });
    expect(value('COORD2(p)')).toMatchObject({ name: 'COORD2', args: [{ kind: 'column' }] });
    expect(value('COORDSYS(POINT(1, 2))')).toMatchObject({ name: 'COORDSYS' });
  });

  it('parses CONTAINS and INTERSECTS compared with 1', () => {
    expect(condition('CONTAINS(POINT(ra, dec), CIRCLE(1, 2, 3)) = 1')).toMatchObject({
      kind: 'comparison',
      left: { kind: 'geometry', name: 'CONTAINS' },
    });
    expect(condition('1 = INTERSECTS(s_region, BOX(1, 2, 3, 4))')).toMatchObject({
      right: { name: 'INTERSECTS', args: [{ kind: 'column' }, { name: 'BOX' }] },
    });
  });
});

describe('identifiers', () => {
  it('keeps the case of regular identifiers and allows non-structural keywords as names', () => {
    expect(value('Band')).toMatchObject({ kind: 'column', name: { name: 'Band', delimited: false } });
    expect(value('size')).toMatchObject({ kind: 'column', name: { name: 'size' } });
  });

  it('treats ADQL function names as columns when no parenthesis follows', () => {
    expect(value('area')).toMatchObject({ kind: 'column', name: { name: 'area' } });
  });

  it('reads delimited identifiers, including reserved words and doubled quotes', () => {
    expect(value('"select"')).toMatchObject({ name: { name: 'select', delimited: true } });
    expect(value('"a""b"')).toMatchObject({ name: { name: 'a"b', delimited: true } });
  });

  it('distinguishes delimited from regular spellings of the same name', () => {
    const a = parseAdql('SELECT "ra" FROM t');
    const b = parseAdql('SELECT ra FROM t');
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(b));
  });
});
