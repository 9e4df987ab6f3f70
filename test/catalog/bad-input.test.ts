/**
 * Bad or extreme ADQL gets a coded error or a correct answer, never INTERNAL or an engine failure: integers beyond
 * 64 bits, absurd nesting, very long OR/IN chains, out-of-range geometry, and math outside a function's domain.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAdql } from '../../src/catalog/adql/index.js';
import { Catalog } from '../../src/catalog/index.js';
import { generateFixture } from './fixtures/generate.js';
import { buildFixtureCatalog, temporaryDir } from './helpers.js';

const tmp = temporaryDir('bad-input');
const fixture = generateFixture(`${tmp.dir}/fixture`);
let catalog: Catalog;

beforeAll(async () => {
  catalog = await buildFixtureCatalog(tmp.dir, fixture);
});

afterAll(async () => {
  await catalog?.close();
  tmp.remove();
});

describe('director keys beyond 64 bits match nothing', () => {
  it.each([
    'SELECT objectId FROM Object WHERE objectId = 9223372036854775808',
    'SELECT objectId FROM Object WHERE objectId = -9223372036854775809',
    'SELECT objectId FROM Object WHERE objectId IN (99999999999999999999999, 18446744073709551616)',
    'SELECT objectId FROM ForcedSource WHERE objectId = 9223372036854775808',
  ])('%s', async (adql) => {
    const result = await catalog.query(adql);
    expect(result.rows).toEqual([]);
  });

  it('keeps the values within range in the same IN list', async () => {
    const [objectId] = fixture.sampleObjectIds;
    const result = await catalog.query(
      `SELECT objectId FROM Object WHERE objectId IN (9223372036854775808, ${objectId})`,
    );
    expect(result.rows.map((r) => String(r[0]))).toEqual([String(objectId)]);
  });
});

describe('nesting is bounded with ADQL_SYNTAX', () => {
  it('refuses 1,000 nested parentheses with the place of the limit', () => {
    const adql = `SELECT a FROM t WHERE ${'('.repeat(1000)}a = 1${')'.repeat(1000)}`;
    expect(() => parseAdql(adql)).toThrow(expect.objectContaining({ code: 'ADQL_SYNTAX' }));
    try {
      parseAdql(adql);
    } catch (err) {
      expect((err as Error).message).toMatch(/at most 200 levels of nesting/);
      expect((err as { details: { line: number; column: number } }).details).toMatchObject({ line: 1 });
    }
  });

  it.each([
    ['5,000 chained NOTs', `SELECT a FROM t WHERE ${'NOT '.repeat(5000)}a = 1`],
    ['5,000 nested signs', `SELECT ${'- '.repeat(5000)}a FROM t`],
    ['1,000 nested function calls', `SELECT ${'ABS('.repeat(1000)}a${')'.repeat(1000)} FROM t`],
    [
      '1,000 nested subqueries',
      `SELECT a FROM t WHERE a IN ${'(SELECT a FROM t WHERE a IN '.repeat(1000)}(1)`,
    ],
    ['a 5,000-term arithmetic chain', `SELECT ${Array(5000).fill('a').join(' + ')} FROM t`],
  ])('refuses %s', (_, adql) => {
    expect(() => parseAdql(adql)).toThrow(expect.objectContaining({ code: 'ADQL_SYNTAX' }));
  });

  it('still accepts 150 levels of parentheses', () => {
    expect(() => parseAdql(`SELECT a FROM t WHERE ${'('.repeat(150)}a = 1${')'.repeat(150)}`)).not.toThrow();
  });
});

describe('long flat OR and IN chains run', () => {
  it('a 5,000-term OR chain gives the same rows as the IN list', async () => {
    const ids = fixture.sampleObjectIds.map(String);
    const terms = Array.from({ length: 5000 }, (_, i) => `objectId = ${ids[i % ids.length]}`);
    const viaOr = await catalog.query(`SELECT objectId FROM Object WHERE ${terms.join(' OR ')}`);
    const viaIn = await catalog.query(`SELECT objectId FROM Object WHERE objectId IN (${ids.join(', ')})`);
    expect(viaOr.rows.length).toBe(ids.length);
    expect(new Set(viaOr.rows.map((r) => String(r[0])))).toEqual(new Set(ids));
    expect(viaIn.rows.length).toBe(ids.length);
  });

  it('a 5,000-value IN list on a non-key column', async () => {
    const values = Array.from({ length: 5000 }, (_, i) => i % 49);
    const result = await catalog.query(`SELECT COUNT(*) FROM Object WHERE patch IN (${values.join(', ')})`);
    const all = await catalog.query('SELECT COUNT(*) FROM Object');
    expect(String(result.rows[0][0])).toBe(String(all.rows[0][0]));
  });

  it('a 5,000-term AND chain of ranges', async () => {
    const terms = Array.from({ length: 5000 }, (_, i) => `coord_dec > ${-90 + i / 1000}`);
    const result = await catalog.query(`SELECT COUNT(*) FROM Object WHERE ${terms.join(' AND ')}`);
    const reference = await catalog.query('SELECT COUNT(*) FROM Object WHERE coord_dec > -85.001');
    expect(String(result.rows[0][0])).toBe(String(reference.rows[0][0]));
  });
});

describe('out-of-range geometry is refused naming the argument', () => {
  it.each([
    ['CIRCLE(62, -37, -0.1)', 3, 'radius'],
    ['CIRCLE(62, -37, 181)', 3, 'radius'],
    ['CIRCLE(62, 91, 0.1)', 2, 'declination'],
    ['CIRCLE(POINT(62, -37), -1)', 2, 'radius'],
    ['POLYGON(60, -37, 61, -95, 62, -36)', 4, 'declination'],
    ['BOX(62, -37, -1, 1)', 3, 'width and height'],
  ])('%s', async (region, argument, what) => {
    const err = await catalog
      .query(`SELECT objectId FROM Object WHERE CONTAINS(POINT(coord_ra, coord_dec), ${region}) = 1`)
      .catch((e) => e);
    expect(err.code).toBe('GEOMETRY_INVALID');
    expect(err.details).toMatchObject({ argument, line: 1 });
    expect(err.message).toContain(what);
  });

  it('refuses a point at dec -90.5', () => {
    expect(() => parseAdql('SELECT DISTANCE(POINT(1, -90.5), POINT(ra, dec)) FROM t')).toThrow(
      expect.objectContaining({ code: 'GEOMETRY_INVALID' }),
    );
  });
});

describe('math outside a function domain gives NULL, as on Qserv', () => {
  it('the DP0.2 tutorial magnitude works without TOP over non-positive fluxes', async () => {
    const result = await catalog.query(
      'SELECT psfDiffFlux, -2.5*LOG10(psfDiffFlux)+31.4 AS mag FROM ForcedSource',
    );
    const nonPositive = result.rows.filter((r) => r[0] !== null && (r[0] as number) <= 0);
    const positive = result.rows.filter((r) => r[0] !== null && (r[0] as number) > 0);
    expect(nonPositive.length).toBeGreaterThan(0);
    expect(positive.length).toBeGreaterThan(0);
    for (const r of nonPositive) expect(r[1]).toBeNull();
    for (const r of positive) expect(r[1]).toBeCloseTo(-2.5 * Math.log10(r[0] as number) + 31.4, 9);
  });

  it.each([
    ['LOG(0)', null],
    ['LOG(-1)', null],
    ['LOG10(-5)', null],
    ['SQRT(-4)', null],
    ['SQRT(4)', 2],
    ['ASIN(2)', null],
    ['ACOS(-1.5)', null],
    ['COT(0)', null],
    ['MOD(7, 0)', null],
    ['MOD(7, 3)', 1],
    ['POWER(-8, 0.5)', null],
    ['POWER(-2, 3)', -8],
    ['POWER(0, -1)', null],
    ['1.0 / 0', null],
    ['6 / 3', 2],
  ])('%s', async (expression, expected) => {
    const result = await catalog.query(
      `SELECT ${expression} AS v FROM Object WHERE objectId = ${fixture.sampleObjectIds[0]}`,
    );
    const value = result.rows[0][0];
    if (expected === null) expect(value).toBeNull();
    else expect(Number(value)).toBeCloseTo(expected, 12);
  });
});

describe('a memory limit for the embedded engine', () => {
  it('opens with a DuckDB size and refuses anything else with INVALID_ARGUMENT', async () => {
    const dir = catalog.dir;
    await catalog.close();
    try {
      await expect(Catalog.open(dir, { memoryLimit: 'lots' })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      const limited = await Catalog.open(dir, { memoryLimit: '256MB' });
      try {
        expect((await limited.query('SELECT COUNT(*) FROM Object')).rows[0][0]).toBeGreaterThan(0n);
      } finally {
        await limited.close();
      }
    } finally {
      catalog = await Catalog.open(dir);
    }
  });
});
