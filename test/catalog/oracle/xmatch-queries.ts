/**
 * Oracle cases for positional cross-matches between two different director tables (Object and TruthSummary): both
 * join orders, the DISTANCE and CONTAINS(POINT, CIRCLE) forms, extra conditions, aggregates, TOP with ORDER BY, and
 * regions at RA = 0 and the pole where the fixture puts truth rows in other chunks than their Objects. The oracle
 * runs each on unpartitioned tables: a brute-force match over all rows.
 */

import type { OracleQuery } from './queries.js';

const pos = (t: string, ra = 'coord_ra', dec = 'coord_dec') => `POINT('ICRS', ${t}.${ra}, ${t}.${dec})`;
const O = pos('o');
const T = pos('t', 'ra', 'dec');
const cone = (p: string, ra: number, dec: number, r: number) =>
  `CONTAINS(${p}, CIRCLE('ICRS', ${ra}, ${dec}, ${r})) = 1`;

export function crossMatchQueries(): OracleQuery[] {
  return [
    {
      name: 'cross-match Object to TruthSummary in a cone (DISTANCE in ON)',
      adql: `SELECT o.objectId, t.id_truth_type FROM dp02_dc2_catalogs.Object o JOIN dp02_dc2_catalogs.TruthSummary t ON DISTANCE(${O}, ${T}) < 0.006 WHERE ${cone(O, 62, -37, 0.4)}`,
    },
    {
      name: 'cross-match, truth first, cone on truth',
      adql: `SELECT t.id_truth_type, o.objectId, DISTANCE(${T}, ${O}) AS sep FROM TruthSummary t JOIN Object o ON DISTANCE(${T}, ${O}) < 0.012 WHERE ${cone(T, 62, -37, 0.5)}`,
    },
    {
      name: 'cross-match as CONTAINS(POINT, CIRCLE(other, r)) with extra conditions',
      adql: `SELECT o.objectId, t.id, t.mag_r FROM Object o, TruthSummary t WHERE ${cone(O, 62.1, -37.1, 0.6)} AND CONTAINS(${O}, CIRCLE('ICRS', t.ra, t.dec, 0.01)) = 1 AND t.truth_type = 1 AND o.detect_isPrimary = 1`,
    },
    {
      name: 'cross-match CIRCLE(POINT, r) form, region only on the far side',
      adql: `SELECT o.objectId, t.id_truth_type FROM Object o JOIN TruthSummary t ON CONTAINS(${T}, CIRCLE(${O}, 0.008)) = 1 WHERE ${cone(T, 0, 0, 1.2)}`,
    },
    {
      name: 'cross-match across RA = 0',
      adql: `SELECT o.objectId, o.coord_ra, t.ra FROM Object o JOIN TruthSummary t ON DISTANCE(${O}, ${T}) < 0.015 WHERE CONTAINS(${O}, BOX('ICRS', 0, 0, 1, 1)) = 1`,
    },
    {
      name: 'cross-match at the pole',
      adql: `SELECT o.objectId, t.id_truth_type FROM Object o JOIN TruthSummary t ON DISTANCE(${O}, ${T}) < 0.012 WHERE o.coord_dec > 88`,
    },
    {
      name: 'cross-match count over the whole catalog at the overlap radius',
      adql: `SELECT COUNT(*) AS pairs FROM Object o JOIN TruthSummary t ON DISTANCE(${O}, ${T}) < 0.01667`,
    },
    {
      name: 'cross-match counts per truth type, ordered',
      adql: `SELECT t.truth_type, COUNT(*) AS n, MIN(DISTANCE(${O}, ${T})) AS closest FROM TruthSummary t JOIN Object o ON DISTANCE(${O}, ${T}) < 0.01 GROUP BY t.truth_type ORDER BY n DESC, t.truth_type`,
      ordered: true,
    },
    {
      name: 'cross-match TOP 15 closest pairs',
      adql: `SELECT TOP 15 o.objectId, t.id_truth_type, DISTANCE(${O}, ${T}) AS sep FROM Object o JOIN TruthSummary t ON DISTANCE(${O}, ${T}) < 0.012 ORDER BY sep, o.objectId, t.id_truth_type`,
      ordered: true,
    },
    {
      name: 'cross-match with scisql_angSep and a far-side condition',
      adql: `SELECT o.objectId, t.id_truth_type FROM Object o, TruthSummary t WHERE scisql_angSep(t.ra, t.dec, o.coord_ra, o.coord_dec) < 0.005 AND t.mag_r < 22 AND ${cone(O, 62, -37, 1)}`,
    },
  ];
}
