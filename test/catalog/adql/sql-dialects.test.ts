import { describe, expect, it } from 'vitest';
import {
  defineDialect,
  duckdbDialect,
  parseAdql,
  postgresDialect,
  toSql,
} from '../../../src/catalog/adql/index.js';
import { caught } from './helpers.js';

const duck = (adql: string, options = {}) => toSql(parseAdql(adql), duckdbDialect, options);
const pg = (adql: string, options = {}) => toSql(parseAdql(adql), postgresDialect, options);

describe('shared compiler, per-dialect hooks', () => {
  it('turns TOP into LIMIT after ORDER BY and OFFSET', () => {
    const adql = 'SELECT TOP 10 a FROM t ORDER BY a DESC OFFSET 20';
    expect(duck(adql).sql).toBe('SELECT "a" FROM "t" ORDER BY "a" DESC LIMIT 10 OFFSET 20');
    expect(pg(adql).sql).toBe('SELECT "a" FROM "t" ORDER BY "a" DESC LIMIT 10 OFFSET 20');
  });

  it('quotes regular identifiers as ADQL matches them: as written for DuckDB, folded for PostgreSQL', () => {
    const adql = 'SELECT o.g_psfFlux, "Exact Name" FROM dp02.Object AS o';
    expect(duck(adql).sql).toBe('SELECT "o"."g_psfFlux", "Exact Name" FROM "dp02"."Object" AS "o"');
    expect(pg(adql).sql).toBe('SELECT "o"."g_psfflux", "Exact Name" FROM "dp02"."object" AS "o"');
  });

  it('binds strings: one value per ? in DuckDB, one per value with reused $n in PostgreSQL', () => {
    const adql = "SELECT scisql_nanojanskyToAbMag(CAST('10' AS DOUBLE PRECISION)) AS m FROM t WHERE b = 'x'";
    const d = duck(adql);
    expect(d.params).toEqual(['10', '10', 'x']);
    expect(d.sql.match(/\?/g)).toHaveLength(3);
    const p = pg(adql);
    expect(p.params).toEqual(['10', 'x']);
    expect(p.sql).toBe(
      'SELECT CASE WHEN CAST($1 AS DOUBLE PRECISION) > 0 THEN -2.5 * log10(CAST($1 AS DOUBLE PRECISION)) + 31.4 END AS "m" FROM "t" WHERE ("b" = $2)',
    );
  });

  it('writes numbers inline, hex as decimal and big IDs exactly', () => {
    expect(duck('SELECT a FROM t WHERE id IN (1249537790362809267, 0xFF, 2.5e3)').sql).toBe(
      'SELECT "a" FROM "t" WHERE ("id" IN (1249537790362809267, 255, 2.5e3))',
    );
  });

  it('makes a literal with a fraction a DOUBLE in DuckDB (not a DECIMAL sized by its digits)', () => {
    expect(
      duck('SELECT a FROM t WHERE x < 62.12345678901234 + 0.27106014783494176 AND n = 3 AND y > 1.').sql,
    ).toBe(
      'SELECT "a" FROM "t" WHERE ((("x" < (62.12345678901234e0 + 0.27106014783494176e0)) AND ("n" = 3)) AND ("y" > 1.e0))',
    );
    expect(pg('SELECT a FROM t WHERE x < 62.12345678901234').sql).toBe(
      'SELECT "a" FROM "t" WHERE ("x" < 62.12345678901234)',
    );
  });

  it('maps functions that differ between engines', () => {
    expect(duck('SELECT ROUND(x, 2), LOG(x), BIT_XOR(a, b) FROM t').sql).toBe(
      'SELECT round("x", 2), ln(CASE WHEN "x" > 0 THEN "x" END), xor("a", "b") FROM "t"',
    );
    expect(pg('SELECT ROUND(x, 2), LOG(x), BIT_XOR(a, b) FROM t').sql).toBe(
      'SELECT CAST(round(CAST("x" AS numeric), 2) AS double precision), ln(CASE WHEN "x" > 0 THEN "x" END), ("a" # "b") FROM "t"',
    );
  });

  it('uses q3c for PostgreSQL cones, polygons and distances', () => {
    expect(pg('SELECT a FROM t WHERE CONTAINS(POINT(ra, dec), CIRCLE(62, -37, 0.1)) = 1').sql).toBe(
      'SELECT "a" FROM "t" WHERE q3c_radial_query("ra", "dec", 62, (-37), 0.1)',
    );
    expect(pg('SELECT a FROM t WHERE CONTAINS(POINT(ra, dec), POLYGON(1, 2, 3, 4, 5, 2)) = 0').sql).toBe(
      'SELECT "a" FROM "t" WHERE (NOT q3c_poly_query("ra", "dec", ARRAY[1, 2, 3, 4, 5, 2]::double precision[]))',
    );
    expect(pg('SELECT DISTANCE(POINT(ra, dec), POINT(1, 2)) AS d FROM t').sql).toBe(
      'SELECT q3c_dist("ra", "dec", 1, 2) AS "d" FROM "t"',
    );
    expect(pg('SELECT a FROM t WHERE 0.1 > DISTANCE(ra, dec, 1, 2)').sql).toBe(
      'SELECT "a" FROM "t" WHERE (q3c_join(1, 2, "ra", "dec", 0.1) AND q3c_dist("ra", "dec", 1, 2) < 0.1)',
    );
  });

  it('lets a dialect override one hook and share the rest', () => {
    const custom = defineDialect({
      name: 'custom',
      pointInCircle: (p, c, r) => `in_cone(${p.ra}, ${p.dec}, ${c.ra}, ${c.dec}, ${r})`,
    });
    const { sql } = toSql(
      parseAdql('SELECT TOP 1 a FROM t WHERE CONTAINS(POINT(ra, dec), CIRCLE(1, 2, 3)) = 1'),
      custom,
    );
    expect(sql).toBe('SELECT "a" FROM "t" WHERE in_cone("ra", "dec", 1, 2, 3) LIMIT 1');
  });

  it('keeps TOP of a set-operation operand on that operand', () => {
    expect(duck('SELECT TOP 2 a FROM t UNION ALL SELECT a FROM u ORDER BY 1').sql).toBe(
      '(SELECT "a" FROM "t" LIMIT 2) UNION ALL (SELECT "a" FROM "u") ORDER BY 1 ASC',
    );
  });

  it('renames tables through the tableName hook, keeping qualified column references valid', () => {
    const adql =
      'SELECT Object.coord_ra, s.psfFlux FROM dp02.Object JOIN dp02.Source AS s ON dp02.Object.objectId = s.objectId';
    const { sql } = duck(adql, {
      tableName: (ref: { name: { name: string }[] }) =>
        `"chunks"."${ref.name[ref.name.length - 1].name}_1234"`,
    });
    expect(sql).toBe(
      'SELECT "Object"."coord_ra", "s"."psfFlux" FROM "chunks"."Object_1234" AS "Object" INNER JOIN "chunks"."Source_1234" AS "s" ON ("Object"."objectId" = "s"."objectId")',
    );
  });

  it('translates COORD1/COORD2, AREA of a circle and CONTAINS of circles', () => {
    expect(duck('SELECT COORD1(POINT(ra, dec)), COORD2(CENTROID(CIRCLE(1, 2, 3))) FROM t').sql).toBe(
      'SELECT "ra", 2 FROM "t"',
    );
    expect(duck('SELECT AREA(CIRCLE(0, 0, 1)) AS a FROM t').sql).toContain('(1 - cos(radians(1)))');
    expect(duck('SELECT a FROM t WHERE INTERSECTS(CIRCLE(ra, dec, 1), CIRCLE(1, 2, 3)) = 1').sql).toContain(
      '<= 1 + 3)',
    );
  });
});

describe('ADQL_UNSUPPORTED from the compiler names the construct', () => {
  it.each([
    ['SELECT foo_bar(a) FROM t', 'user-defined function foo_bar'],
    ["SELECT IN_UNIT(a, 'deg') FROM t", 'IN_UNIT'],
    ['SELECT POINT(ra, dec) AS p FROM t', 'geometry value POINT() as a result'],
    ['SELECT COORDSYS(POINT(ra, dec)) FROM t', 'COORDSYS'],
    ['SELECT RAND(42) FROM t', 'RAND with a seed'],
    [
      "SELECT * FROM ivoa.ObsCore WHERE CONTAINS(POINT('ICRS', 62, -37), s_region) = 1",
      'geometry-valued column s_region',
    ],
    [
      'SELECT * FROM t WHERE CONTAINS(POINT(ra, dec), POLYGON(0, 0, 10, 0, 1, 1, 0, 10)) = 1',
      'non-convex POLYGON',
    ],
    [
      'SELECT * FROM t WHERE CONTAINS(POINT(ra, dec), POLYGON(x, 0, 10, 0, 0, 10)) = 1',
      'non-constant vertices',
    ],
    ['SELECT AREA(POLYGON(0, 0, 10, 0, 0, 10)) FROM t', 'AREA of a POLYGON'],
    ['SELECT * FROM t WHERE CONTAINS(CIRCLE(1, 2, 3), POINT(ra, dec)) = 1', 'CONTAINS of CIRCLE and POINT'],
  ])('%s', (adql, construct) => {
    const err = caught(() => duck(adql));
    expect(err.code).toBe('ADQL_UNSUPPORTED');
    expect(err.message).toContain(construct);
  });

  it('reports the position of the unsupported construct', () => {
    expect(caught(() => duck('SELECT a,\n  foo(a) FROM t')).details).toMatchObject({ line: 2, column: 3 });
  });
});
