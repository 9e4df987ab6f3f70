/**
 * Shared by the cross-match tests: seeded random cases (cone, match radius, join order, DISTANCE or
 * CONTAINS(POINT, CIRCLE) form, the side the cone is on), their ADQL, and a brute-force match over every row.
 */

import type { Catalog } from '../../src/catalog/index.js';
import type { FixtureFiles } from './fixtures/generate.js';
import { loadPlainDuckdb } from './oracle/oracle.js';

export interface Position {
  readonly id: string;
  readonly ra: number;
  readonly dec: number;
}

const radians = (deg: number) => (deg * Math.PI) / 180;
/** Great-circle distance in degrees (haversine, accurate at the small separations matched here). */
export function separation(
  a: Position | { ra: number; dec: number },
  b: { ra: number; dec: number },
): number {
  const dDec = radians(b.dec - a.dec);
  const dRa = radians(b.ra - a.ra);
  const h =
    Math.sin(dDec / 2) ** 2 + Math.cos(radians(a.dec)) * Math.cos(radians(b.dec)) * Math.sin(dRa / 2) ** 2;
  return (2 * Math.asin(Math.min(1, Math.sqrt(h))) * 180) / Math.PI;
}

/** A small seeded generator (mulberry32), so a failing case can be replayed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Case {
  readonly center: { ra: number; dec: number };
  readonly coneDeg: number;
  readonly radiusDeg: number;
  readonly truthFirst: boolean;
  readonly form: 'distance' | 'circle';
  readonly coneOn: 'object' | 'truth';
}

/** The ADQL of a case, selecting (objectId, id_truth_type) pairs. */
export function caseAdql(c: Case): string {
  const o = 'POINT(o.coord_ra, o.coord_dec)';
  const t = 'POINT(t.ra, t.dec)';
  const [first, second] = c.truthFirst ? [t, o] : [o, t];
  const match =
    c.form === 'distance'
      ? `DISTANCE(${first}, ${second}) < ${c.radiusDeg}`
      : `CONTAINS(${first}, CIRCLE(${second}, ${c.radiusDeg})) = 1`;
  const from = c.truthFirst ? 'TruthSummary t JOIN Object o' : 'Object o JOIN TruthSummary t';
  const coned = c.coneOn === 'object' ? o : t;
  return `SELECT o.objectId, t.id_truth_type FROM ${from} ON ${match} WHERE CONTAINS(${coned}, CIRCLE(${c.center.ra}, ${c.center.dec}, ${c.coneDeg})) = 1`;
}

export function bruteForce(objects: readonly Position[], truth: readonly Position[], c: Case): string[] {
  const pairs: string[] = [];
  for (const ob of objects) {
    for (const tr of truth) {
      if (separation(ob, tr) >= c.radiusDeg) continue;
      const coned = c.coneOn === 'object' ? ob : tr;
      if (separation(coned, c.center) <= c.coneDeg) pairs.push(`${ob.id} ${tr.id}`);
    }
  }
  return pairs.sort();
}

const centers = [
  { ra: 62, dec: -37 },
  { ra: 0.05, dec: 0.02 },
  { ra: 359.9, dec: -0.1 },
  { ra: 30, dec: 89.6 },
];

export function randomCases(count: number, seed: number): Case[] {
  const rand = seeded(seed);
  return Array.from({ length: count }, (_, i) => {
    const base = centers[i % centers.length];
    return {
      // Four decimals, as users write them (long decimal literals trip a DuckDB DECIMAL cast; see the report).
      center: {
        ra: Number(((base.ra + (rand() - 0.5) * 0.4 + 360) % 360).toFixed(4)),
        dec: Number(Math.min(89.9, base.dec + (rand() - 0.5) * 0.4).toFixed(4)),
      },
      coneDeg: Number((0.15 + rand() * 0.85).toFixed(4)),
      radiusDeg: Number((0.0005 + rand() * 0.0161).toFixed(6)),
      truthFirst: rand() < 0.5,
      form: rand() < 0.5 ? 'distance' : 'circle',
      coneOn: rand() < 0.5 ? 'object' : 'truth',
    };
  });
}

/** Object and TruthSummary positions of the fixture, read from its files with plain DuckDB. */
export async function fixturePositions(
  catalog: Catalog,
  fixture: FixtureFiles,
): Promise<{ objects: Position[]; truth: Position[] }> {
  const plain = await loadPlainDuckdb(catalog.schema, fixture);
  try {
    const read = async (sql: string) =>
      ((await plain.connection.runAndReadAll(sql)).getRowsJS() as [unknown, number, number][]).map(
        ([id, ra, dec]) => ({ id: String(id), ra, dec }),
      );
    return {
      objects: await read('SELECT objectId, coord_ra, coord_dec FROM "Object"'),
      truth: await read('SELECT id_truth_type, ra, dec FROM "TruthSummary"'),
    };
  } finally {
    plain.close();
  }
}

/** The (objectId, id_truth_type) pairs of a result, as `bruteForce` writes them, sorted. */
export function resultPairs(rows: readonly (readonly unknown[])[]): string[] {
  return rows.map((r) => `${String(r[0])} ${String(r[1])}`).sort();
}
