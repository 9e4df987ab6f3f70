/**
 * Runs compiled ADQL on a real PostgreSQL server with q3c. Needs MERIDIAN_TEST_POSTGRES (a database where the
 * q3c extension can be created); skipped without it, and failing instead when MERIDIAN_REQUIRE_POSTGRES=1 (CI).
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseAdql, postgresDialect, toSql } from '../../../src/catalog/adql/index.js';
import { describePostgres, postgresUrl as url } from '../../support/postgres.js';
import { expectedIds, rows, separation } from './sky-points.js';

const schema = `adql_test_${process.pid}`;

describePostgres('ADQL on PostgreSQL + q3c', () => {
  let client: pg.Client;

  beforeAll(async () => {
    client = new pg.Client({ connectionString: url! });
    await client.connect();
    await client.query('CREATE EXTENSION IF NOT EXISTS q3c');
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`SET search_path TO ${schema}, public`);
    await client.query(
      'CREATE TABLE points (id integer, ra double precision, dec double precision, band text)',
    );
    const values = rows.map((r) => `(${r.id}, ${r.ra}, ${r.dec}, '${r.band}')`).join(', ');
    await client.query(`INSERT INTO points VALUES ${values}`);
  });

  afterAll(async () => {
    if (!client) return;
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });

  async function ids(adql: string): Promise<number[]> {
    const { sql, params } = toSql(parseAdql(adql), postgresDialect);
    const result = await client.query(sql, params);
    return result.rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  }

  it('selects cones across RA = 0 and at the pole with q3c_radial_query', async () => {
    expect(await ids('SELECT id FROM points WHERE CONTAINS(POINT(ra, dec), CIRCLE(0, 0, 0.1)) = 1')).toEqual(
      expectedIds((r) => separation(r.ra, r.dec, 0, 0) <= 0.1),
    );
    expect(
      await ids('SELECT id FROM points WHERE CONTAINS(POINT(ra, dec), CIRCLE(123, 90, 0.8)) = 1'),
    ).toEqual(expectedIds((r) => r.dec > 89));
  });

  it('selects polygons with q3c_poly_query, and the same rows as DuckDB near the pole', async () => {
    expect(
      await ids(
        'SELECT id FROM points WHERE CONTAINS(POINT(ra, dec), POLYGON(359.9, -0.1, 0.1, -0.1, 0.1, 0.1, 359.9, 0.1)) = 1',
      ),
    ).toEqual(expectedIds((r) => (r.ra >= 359.9 || r.ra <= 0.1) && Math.abs(r.dec) <= 0.1));
    expect(
      await ids('SELECT id FROM points WHERE CONTAINS(POINT(ra, dec), POLYGON(0, 89, 120, 89, 240, 89)) = 1'),
    ).toEqual(expectedIds((r) => r.dec >= 89.7 || (r.dec === 89.3 && r.ra === 0)));
  });

  it('selects boxes and distance cones, binding strings as $n', async () => {
    expect(
      await ids(
        "SELECT id FROM points WHERE CONTAINS(POINT(ra, dec), BOX(0, 0, 0.4, 0.2)) = 1 AND band <> 'none'",
      ),
    ).toEqual(expectedIds((r) => (r.ra >= 359.8 || r.ra <= 0.2) && Math.abs(r.dec) <= 0.1));
    expect(await ids('SELECT id FROM points WHERE DISTANCE(POINT(ra, dec), POINT(62, -37)) < 0.015')).toEqual(
      expectedIds((r) => separation(r.ra, r.dec, 62, -37) < 0.015),
    );
  });

  it('computes magnitudes and rounds doubles', async () => {
    const { sql, params } = toSql(
      parseAdql('SELECT scisql_nanojanskyToAbMag(3631e9) AS m, ROUND(PI(), 3) AS p FROM points WHERE id = 1'),
      postgresDialect,
    );
    const result = await client.query(sql, params);
    expect(Number(result.rows[0].m)).toBeCloseTo(0, 3);
    expect(Number(result.rows[0].p)).toBe(Math.round(Math.PI * 1000) / 1000);
  });
});
