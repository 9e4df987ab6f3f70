import { describe, expect, it } from 'vitest';
import type { ResultTable } from '../../src/portal/api/json-result.js';
import { compile, filterRows, withDerivedColumn } from '../../src/portal/expression/evaluate.js';
import { ExpressionError, parseDerivedColumn, parseExpression } from '../../src/portal/expression/parse.js';

const table: ResultTable = {
  columns: [
    { name: 'objectId', datatype: 'long', unit: null, ucd: 'meta.id' },
    { name: 'coord_ra', datatype: 'double', unit: 'deg', ucd: null },
    { name: 'g_cModelFlux', datatype: 'double', unit: 'nJy', ucd: null },
    { name: 'band', datatype: 'char', unit: null, ucd: null },
  ],
  values: [
    [1249537790362809267n, 1249537790362809268n, 3n],
    [61.8, 62.0, 61.95],
    [3630.78, null, -5],
    ['g', 'r', "it's"],
  ],
  rowCount: 3,
  status: 'OK',
};

const evaluate = (text: string, row = 0) => compile(parseExpression(text), table)(row);
const errorOf = (action: () => unknown): ExpressionError => {
  try {
    action();
  } catch (err) {
    if (err instanceof ExpressionError) return err;
    throw err;
  }
  throw new Error('no error');
};

describe('expression operators and precedence', () => {
  it('follows arithmetic precedence, left associativity and right-associative ^', () => {
    expect(evaluate('1 + 2 * 3')).toBe(7);
    expect(evaluate('(1 + 2) * 3')).toBe(9);
    expect(evaluate('10 - 4 - 3')).toBe(3);
    expect(evaluate('2 ^ 3 ^ 2')).toBe(512);
    expect(evaluate('-2 ^ 2')).toBe(-4);
    expect(evaluate('7 % 4 + 8 / 4')).toBe(5);
    expect(evaluate('1.5e2 + .5')).toBe(150.5);
  });

  it('binds comparisons below arithmetic, NOT below comparisons, AND below NOT and OR lowest', () => {
    expect(evaluate('coord_ra + 0.1 < 62')).toBe(true);
    expect(evaluate('NOT coord_ra < 61 OR 1 = 2 AND 1 = 1')).toBe(true);
    expect(evaluate('NOT (coord_ra < 62 OR 1 = 2)')).toBe(false);
    expect(evaluate("band = 'g' AND coord_ra <> 62")).toBe(true);
    expect(evaluate('coord_ra != 61.8')).toBe(false);
  });

  it('computes the DP0.2 magnitude from a flux in nJy', () => {
    expect(evaluate('-2.5*LOG10(g_cModelFlux)+31.4')).toBeCloseTo(22.5, 6);
    expect(evaluate('scisql_nanojanskyToAbMag(g_cModelFlux)')).toBeCloseTo(22.5, 6);
    expect(evaluate('POWER(2, 10) + SQRT(16) + ABS(-1) + DEGREES(RADIANS(30))')).toBeCloseTo(1059, 9);
  });

  it('propagates nulls through arithmetic and comparisons, with three-valued AND/OR', () => {
    expect(evaluate('g_cModelFlux * 2', 1)).toBeNull();
    expect(evaluate('g_cModelFlux > 0', 1)).toBeNull();
    expect(evaluate('g_cModelFlux > 0 AND 1 = 2', 1)).toBe(false);
    expect(evaluate('g_cModelFlux > 0 OR 1 = 1', 1)).toBe(true);
    expect(evaluate('g_cModelFlux IS NULL', 1)).toBe(true);
    expect(evaluate('g_cModelFlux IS NOT NULL', 0)).toBe(true);
  });

  it('compares 64-bit ids exactly', () => {
    expect(evaluate('objectId = 1249537790362809267')).toBe(true);
    expect(evaluate('objectId < 1249537790362809268')).toBe(true);
    expect(evaluate('objectId = 1249537790362809268')).toBe(false);
  });

  it('finds columns case-insensitively and by quoted name, strings with doubled quotes', () => {
    expect(evaluate('COORD_RA')).toBe(61.8);
    expect(evaluate('"g_cModelFlux"')).toBe(3630.78);
    expect(evaluate("band = 'it''s'", 2)).toBe(true);
  });
});

describe('expression errors', () => {
  it('points at the offending token', () => {
    expect(errorOf(() => parseExpression('coord_ra <')).message).toMatch(
      /expected a value, found the end \(at column 11\)/,
    );
    expect(errorOf(() => parseExpression('1 + * 2')).column).toBe(5);
    expect(errorOf(() => parseExpression('(1 + 2')).message).toMatch(/expected \)/);
    expect(errorOf(() => parseExpression("band = 'g")).message).toMatch(/unterminated string/);
    expect(errorOf(() => parseExpression('coord_ra # 2')).column).toBe(10);
    expect(errorOf(() => parseExpression('1 2')).message).toMatch(/expected an operator or the end/);
    expect(errorOf(() => parseExpression('  ')).message).toMatch(/empty/);
  });

  it('finds unknown columns, unknown functions and wrong argument counts before reading rows', () => {
    expect(errorOf(() => compile(parseExpression('1 + r_mag'), table)).message).toMatch(
      /no column "r_mag".*column 5/,
    );
    expect(errorOf(() => compile(parseExpression('LG(coord_ra)'), table)).message).toMatch(
      /unknown function LG/,
    );
    expect(errorOf(() => compile(parseExpression('LOG10(1, 2)'), table)).message).toMatch(
      /takes 1 argument, not 2/,
    );
  });

  it('refuses absurd nesting with an error instead of overflowing the stack', () => {
    expect(errorOf(() => parseExpression(`${'('.repeat(500)}1${')'.repeat(500)}`)).message).toMatch(
      /nested too deeply/,
    );
    expect(errorOf(() => parseExpression(`${'-'.repeat(500)}1`)).message).toMatch(/nested too deeply/);
    expect(evaluate(`${'('.repeat(50)}1${')'.repeat(50)}`)).toBe(1);
  });
});

describe('filters and derived columns', () => {
  it('keeps only rows where a filter is true (null and false both drop the row)', () => {
    expect([...filterRows(table, compile(parseExpression('coord_ra < 61.9'), table))]).toEqual([0]);
    expect([...filterRows(table, compile(parseExpression('g_cModelFlux > -10'), table))]).toEqual([0, 2]);
  });

  it('adds a column named by AS (or by its text), with null where the value is not finite', () => {
    const { expression, name } = parseDerivedColumn('-2.5*LOG10(g_cModelFlux)+31.4 AS g_mag');
    expect(name).toBe('g_mag');
    const extended = withDerivedColumn(table, name, compile(expression, table));
    expect(extended.columns.map((c) => c.name)).toEqual([
      'objectId',
      'coord_ra',
      'g_cModelFlux',
      'band',
      'g_mag',
    ]);
    expect(extended.columns[4].datatype).toBe('double');
    const mags = extended.values[4];
    expect(mags[0] as number).toBeCloseTo(22.5, 6);
    expect(mags[1]).toBeNull(); // null flux
    expect(mags[2]).toBeNull(); // LOG10 of a negative flux
    expect(table.columns).toHaveLength(4);
    expect(parseDerivedColumn('coord_ra * 2').name).toBe('coord_ra * 2');
    expect(() => withDerivedColumn(extended, 'g_mag', () => 1)).toThrow(/already has a column/);
  });
});
