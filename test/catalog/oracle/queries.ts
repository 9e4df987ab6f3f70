/**
 * The correctness oracle's ADQL queries: DP0.2 tutorial and mobu-style queries (reference portal.md §7) plus
 * cases for every planner path (cones, polygons and boxes across RA = 0 and at the pole, director-index lookups,
 * aggregates, GROUP BY, DISTINCT, TOP with ORDER BY, joins, near-neighbour, regular tables, subqueries).
 * Each must give the same rows on Meridian as on one unpartitioned table in plain DuckDB (and PostgreSQL).
 */

import type { FixtureFiles } from '../fixtures/generate.js';
import { crossMatchQueries } from './xmatch-queries.js';

export interface OracleQuery {
  readonly name: string;
  readonly adql: string;
  /** Compare rows in order (the query has an ORDER BY that fixes the order completely). */
  readonly ordered?: boolean;
  /**
   * The query needs every chunk in one place (subqueries, set operations, WITH over partitioned tables): on several
   * workers the czar composes it from distributed parts. The PostgreSQL oracle checks the planner agrees.
   */
  readonly composed?: boolean;
}

const cone = (ra: number, dec: number, r: number, table = '') =>
  `CONTAINS(POINT('ICRS', ${table}coord_ra, ${table}coord_dec), CIRCLE('ICRS', ${ra}, ${dec}, ${r})) = 1`;

export function oracleQueries(fx: FixtureFiles): OracleQuery[] {
  const [id0, id1, id2, id3, id4, id5] = fx.sampleObjectIds.map(String);
  const [dia0, dia1] = fx.sampleDiaObjectIds.map(String);
  const O = 'dp02_dc2_catalogs.Object';
  return [
    // ---- cone, polygon, box (portal.md §7 A2, A4, A6) -----------------------------------------------------------
    {
      name: 'tutorial cone with detect_isPrimary',
      adql: `SELECT coord_ra, coord_dec FROM ${O} WHERE ${cone(62, -37, 0.1)} AND detect_isPrimary = 1`,
    },
    {
      name: 'TOP N cone ordered by id',
      adql: `SELECT TOP 10 objectId, coord_ra, coord_dec FROM ${O} WHERE ${cone(62, -37, 0.2)} ORDER BY objectId`,
      ordered: true,
    },
    { name: 'small cone r = 0.01', adql: `SELECT objectId FROM Object WHERE ${cone(62.05, -37.02, 0.01)}` },
    { name: 'cone across RA = 0', adql: `SELECT objectId, coord_ra FROM Object WHERE ${cone(0, 0, 0.5)}` },
    { name: 'cone at the north pole', adql: `SELECT objectId FROM Object WHERE ${cone(10, 90, 1)}` },
    { name: 'cone 1 deg count', adql: `SELECT COUNT(*) AS n FROM Object WHERE ${cone(62, -37, 1)}` },
    {
      name: 'polygon (mobu polygon-object)',
      adql: `SELECT objectId FROM Object WHERE CONTAINS(POINT('ICRS', coord_ra, coord_dec), POLYGON('ICRS', 61.6, -37.3, 61.6, -36.7, 62.4, -36.7, 62.4, -37.3)) = 1`,
    },
    {
      name: 'polygon across RA = 0',
      adql: `SELECT objectId FROM Object WHERE CONTAINS(POINT('ICRS', coord_ra, coord_dec), POLYGON('ICRS', 359.6, -0.4, 0.4, -0.4, 0.4, 0.4, 359.6, 0.4)) = 1`,
    },
    {
      name: 'box',
      adql: `SELECT objectId FROM Object WHERE CONTAINS(POINT('ICRS', coord_ra, coord_dec), BOX('ICRS', 62, -37, 0.5, 0.4)) = 1`,
    },
    {
      name: 'box across RA = 0',
      adql: `SELECT objectId FROM Object WHERE CONTAINS(POINT(coord_ra, coord_dec), BOX(0, 0, 1, 1)) = 1`,
    },
    {
      name: 'distance ordering (02b)',
      adql: `SELECT objectId, DISTANCE(POINT('ICRS', coord_ra, coord_dec), POINT('ICRS', 61.989258, -37.005119)) AS dist FROM Object WHERE DISTANCE(POINT('ICRS', coord_ra, coord_dec), POINT('ICRS', 61.989258, -37.005119)) < 0.05 ORDER BY dist ASC, objectId`,
      ordered: true,
    },
    {
      name: 'scisql_s2PtInCircle',
      adql: `SELECT objectId FROM Object WHERE scisql_s2PtInCircle(coord_ra, coord_dec, 62, -37, 0.2) = 1`,
    },
    {
      name: 'scisql_s2PtInBox wrapping RA = 0',
      adql: `SELECT objectId FROM Object WHERE scisql_s2PtInBox(coord_ra, coord_dec, 359.8, -0.3, 0.2, 0.3) = 1`,
    },
    {
      name: 'scisql_s2PtInCPoly',
      adql: `SELECT objectId FROM Object WHERE scisql_s2PtInCPoly(coord_ra, coord_dec, 61.8, -37.2, 62.2, -37.2, 62.2, -36.8, 61.8, -36.8) = 1`,
    },
    {
      name: 'two spatial terms combined',
      adql: `SELECT objectId FROM Object WHERE ${cone(62, -37, 0.4)} AND CONTAINS(POINT('ICRS', coord_ra, coord_dec), BOX('ICRS', 62.2, -37, 0.6, 1)) = 1`,
    },
    {
      name: 'complement of a cone',
      adql: `SELECT COUNT(*) AS n FROM Object WHERE CONTAINS(POINT('ICRS', coord_ra, coord_dec), CIRCLE('ICRS', 62, -37, 0.5)) = 0`,
    },
    {
      name: 'OR of two cones',
      adql: `SELECT objectId FROM Object WHERE ${cone(62, -37, 0.1)} OR ${cone(0, 0, 0.1)}`,
    },
    {
      name: 'INTERSECTS point and circle',
      adql: `SELECT objectId FROM Object WHERE INTERSECTS(POINT('ICRS', coord_ra, coord_dec), CIRCLE('ICRS', 0.2, -0.2, 0.3)) = 1`,
    },
    {
      name: 'reversed flag 1 = CONTAINS',
      adql: `SELECT objectId FROM Object WHERE 1 = CONTAINS(POINT('ICRS', coord_ra, coord_dec), CIRCLE('ICRS', 62.3, -36.8, 0.15))`,
    },
    // ---- magnitudes and colours (A3) ------------------------------------------------------------------------
    {
      name: 'colour with UDF predicate (02b)',
      adql: `SELECT objectId, scisql_nanojanskyToAbMag(g_cModelFlux) - scisql_nanojanskyToAbMag(r_cModelFlux) AS grclr FROM Object WHERE ${cone(62, -37, 0.3)} AND detect_isPrimary = 1 AND scisql_nanojanskyToAbMag(i_cModelFlux) <= 25`,
    },
    {
      name: 'magnitude formula',
      adql: `SELECT objectId, -2.5 * LOG10(g_cModelFlux) + 31.4 AS gmag FROM Object WHERE g_cModelFlux > 0 AND ${cone(0, 0, 0.4)}`,
    },
    {
      name: 'BETWEEN columns',
      adql: `SELECT objectId FROM Object WHERE r_cModelFlux BETWEEN g_cModelFlux AND i_cModelFlux AND ${cone(62, -37, 0.5)}`,
    },
    {
      name: 'magnitude error UDF',
      adql: `SELECT objectId, scisql_nanojanskyToAbMagSigma(g_psfFlux, g_psfFluxErr) AS gerr FROM Object WHERE ${cone(359.9, 0.1, 0.3)}`,
    },
    // ---- director index (A5, A7, A10) ----------------------------------------------------------------------------
    { name: 'objectId = (mobu object-one)', adql: `SELECT * FROM Object WHERE objectId = ${id1}` },
    {
      name: 'objectId IN list (mobu object-several)',
      adql: `SELECT objectId, scisql_nanojanskyToAbMag(g_psfFlux) AS g, scisql_nanojanskyToAbMag(r_psfFlux) AS r FROM Object WHERE objectId IN (${id0}, ${id2}, ${id3}, ${id4}, ${id5})`,
    },
    { name: 'unknown objectId', adql: 'SELECT objectId FROM Object WHERE objectId = 1' },
    {
      name: 'dependent by foreign key',
      adql: `SELECT forcedSourceId, band, psfFlux FROM ForcedSource WHERE objectId = ${id2}`,
    },
    {
      name: 'dependent by foreign-key list',
      adql: `SELECT COUNT(*) AS n FROM ForcedSource WHERE objectId IN (${id0}, ${id3}, ${id5})`,
    },
    {
      name: 'light curve Object-ForcedSource-CcdVisit (time-series-one)',
      adql: `SELECT scisql_nanojanskyToAbMag(fs.psfFlux) AS mag, scisql_nanojanskyToAbMagSigma(fs.psfFlux, fs.psfFluxErr) AS magerr, cv.band, cv.expMidptMJD FROM dp02_dc2_catalogs.ForcedSource AS fs JOIN dp02_dc2_catalogs.CcdVisit AS cv ON fs.ccdVisitId = cv.ccdVisitId WHERE fs.objectId = ${id0} ORDER BY cv.expMidptMJD, fs.forcedSourceId`,
      ordered: true,
    },
    {
      name: 'object joined to its forced sources by id',
      adql: `SELECT o.objectId, fs.forcedSourceId FROM Object AS o JOIN ForcedSource AS fs ON o.objectId = fs.objectId WHERE o.objectId = ${id3}`,
    },
    {
      name: 'three-way join with cone and primary flag',
      adql: `SELECT o.objectId, fs.band, fs.psfFlux, cv.expMidptMJD FROM Object AS o JOIN ForcedSource AS fs ON fs.objectId = o.objectId JOIN CcdVisit AS cv ON cv.ccdVisitId = fs.ccdVisitId WHERE ${cone(62, -37, 0.1, 'o.')} AND o.detect_isPrimary = 1`,
    },
    {
      name: 'DIA forced light curve (07a)',
      adql: `SELECT cv.expMidptMJD, fsodo.psfFlux, fsodo.psfFluxErr, fsodo.band FROM ForcedSourceOnDiaObject AS fsodo JOIN CcdVisit AS cv ON cv.ccdVisitId = fsodo.ccdVisitId WHERE fsodo.diaObjectId = ${dia0}`,
    },
    {
      name: 'DiaObject scan (07a)',
      adql: `SELECT TOP 1000 ra, decl, diaObjectId, nDiaSources, scisql_nanojanskyToAbMag(rPSFluxMax) AS rMax FROM DiaObject WHERE nDiaSources > 10 AND nDiaSources < 50 ORDER BY diaObjectId`,
      ordered: true,
    },
    {
      name: 'variable search, three-way join (07b)',
      adql: `SELECT diao.diaObjectId, fsodo.psfFlux, cv.expMidptMJD FROM DiaObject AS diao JOIN ForcedSourceOnDiaObject AS fsodo ON fsodo.diaObjectId = diao.diaObjectId JOIN CcdVisit AS cv ON cv.ccdVisitId = fsodo.ccdVisitId WHERE diao.gTOTFluxSigma / diao.gTOTFluxMean BETWEEN 0.001 AND 1.25 AND diao.gPSFluxNdata > 10 AND CONTAINS(POINT('ICRS', diao.ra, diao.decl), CIRCLE('ICRS', 62, -37, 5)) = 1`,
    },
    {
      name: 'DiaObject id list',
      adql: `SELECT diaObjectId, ra, decl FROM DiaObject WHERE diaObjectId IN (${dia0}, ${dia1})`,
    },
    {
      name: 'truth matching across director families (08)',
      adql: `SELECT obj.objectId, ts.truth_type, mt.match_chisq FROM MatchesTruth AS mt JOIN TruthSummary AS ts ON mt.id_truth_type = ts.id_truth_type JOIN Object AS obj ON mt.match_objectId = obj.objectId WHERE ${cone(62, -37, 0.3, 'obj.')} AND ts.truth_type = 1 AND obj.detect_isPrimary = 1`,
    },
    // ---- match table (two directors): copies in both chunks, each row counted once --------------------------------
    {
      name: 'match join over the whole catalog, per truth type',
      adql: 'SELECT ts.truth_type, COUNT(*) AS n, SUM(o.r_psfFlux) AS f FROM Object o JOIN MatchesTruth mt ON mt.match_objectId = o.objectId JOIN TruthSummary ts ON ts.id_truth_type = mt.id_truth_type GROUP BY ts.truth_type',
    },
    {
      name: 'match join driven by a truth cone (pole)',
      adql: `SELECT ts.id_truth_type, o.objectId, DISTANCE(POINT('ICRS', ts.ra, ts.dec), POINT('ICRS', o.coord_ra, o.coord_dec)) AS sep FROM TruthSummary ts JOIN MatchesTruth mt ON mt.id_truth_type = ts.id_truth_type JOIN Object o ON o.objectId = mt.match_objectId WHERE CONTAINS(POINT('ICRS', ts.ra, ts.dec), CIRCLE('ICRS', 45, 89.3, 0.6)) = 1`,
    },
    {
      name: 'truth LEFT JOIN matches LEFT JOIN Object (unmatched truth kept)',
      adql: `SELECT ts.id_truth_type, mt.match_objectId, o.coord_ra FROM TruthSummary ts LEFT JOIN MatchesTruth mt ON mt.id_truth_type = ts.id_truth_type LEFT JOIN Object o ON o.objectId = mt.match_objectId WHERE CONTAINS(POINT('ICRS', ts.ra, ts.dec), CIRCLE('ICRS', 62, -37, 1.5)) = 1`,
    },
    {
      name: 'Object with its match, by objectId',
      adql: `SELECT o.objectId, mt.id_truth_type, mt.match_chisq FROM Object o JOIN MatchesTruth mt ON mt.match_objectId = o.objectId WHERE o.objectId IN (${id0}, ${id1}, ${id2}, ${id3})`,
    },
    {
      name: 'match table alone: unmatched rows and a key lookup',
      adql: `SELECT COUNT(*) AS n, SUM(CASE WHEN match_objectId = -1 THEN 1 ELSE 0 END) AS unmatched, COUNT(DISTINCT id_truth_type) AS keys FROM MatchesTruth`,
    },
    {
      name: 'match table alone by its first key',
      adql: `SELECT id_truth_type, match_chisq FROM MatchesTruth WHERE match_objectId = ${id0} OR match_objectId = -1`,
    },
    {
      name: 'truth near the RA = 0 edge with their Objects',
      adql: `SELECT ts.ra, o.coord_ra FROM TruthSummary ts JOIN MatchesTruth mt ON mt.id_truth_type = ts.id_truth_type JOIN Object o ON o.objectId = mt.match_objectId WHERE CONTAINS(POINT('ICRS', o.coord_ra, o.coord_dec), BOX('ICRS', 0, 0, 0.6, 0.6)) = 1`,
    },
    {
      name: 'TruthSummary string key',
      adql: "SELECT id, truth_type, mag_r FROM TruthSummary WHERE id_truth_type = '1001_2'",
    },
    {
      name: 'TruthSummary string key list',
      adql: "SELECT id_truth_type FROM TruthSummary WHERE id_truth_type IN ('1000_1', '1005_3', '1010_2', 'nothing')",
    },
    {
      name: 'Object joined to replicated MatchesTruth',
      adql: `SELECT o.objectId, mt.match_chisq FROM Object AS o JOIN MatchesTruth AS mt ON mt.match_objectId = o.objectId WHERE ${cone(62, -37, 0.2, 'o.')}`,
    },
    // ---- near-neighbour self-joins (A14) ---------------------------------------------------------------------
    {
      name: 'near neighbours in a cone (mobu near-neighbor)',
      adql: `SELECT o1.objectId AS id1, o2.objectId AS id2, DISTANCE(POINT('ICRS', o1.coord_ra, o1.coord_dec), POINT('ICRS', o2.coord_ra, o2.coord_dec)) AS d FROM Object AS o1, Object AS o2 WHERE ${cone(62, -37, 0.5, 'o1.')} AND DISTANCE(POINT('ICRS', o1.coord_ra, o1.coord_dec), POINT('ICRS', o2.coord_ra, o2.coord_dec)) < 0.005 AND o1.objectId <> o2.objectId`,
    },
    {
      name: 'near neighbours across RA = 0',
      adql: `SELECT o1.objectId, o2.objectId FROM Object o1, Object o2 WHERE ${cone(0, 0, 1.2, 'o1.')} AND DISTANCE(POINT(o1.coord_ra, o1.coord_dec), POINT(o2.coord_ra, o2.coord_dec)) < 0.004 AND o1.objectId <> o2.objectId`,
    },
    {
      name: 'near neighbours at the pole',
      adql: `SELECT COUNT(*) AS pairs FROM Object o1, Object o2 WHERE o1.coord_dec > 88 AND DISTANCE(POINT(o1.coord_ra, o1.coord_dec), POINT(o2.coord_ra, o2.coord_dec)) < 0.01 AND o1.objectId <> o2.objectId`,
    },
    {
      name: 'near neighbours, whole catalog, scisql_angSep',
      adql: 'SELECT COUNT(*) AS pairs FROM Object o1, Object o2 WHERE scisql_angSep(o1.coord_ra, o1.coord_dec, o2.coord_ra, o2.coord_dec) < 0.003 AND o1.objectId < o2.objectId',
    },
    {
      name: 'near neighbours with a constraint on the far side',
      adql: `SELECT o1.objectId, o2.objectId FROM Object o1 JOIN Object o2 ON DISTANCE(POINT(o1.coord_ra, o1.coord_dec), POINT(o2.coord_ra, o2.coord_dec)) <= 0.0045 WHERE ${cone(62.1, -37.1, 0.3, 'o2.')} AND o1.objectId <> o2.objectId`,
    },
    // ---- aggregates, GROUP BY, DISTINCT, TOP (A13) ------------------------------------------------------------
    { name: 'count all', adql: 'SELECT COUNT(*) FROM Object' },
    {
      name: 'full-table aggregates',
      adql: 'SELECT COUNT(*) AS n, COUNT(g_psfFlux) AS ng, AVG(g_psfFlux) AS mean, MIN(coord_dec) AS lo, MAX(coord_dec) AS hi, SUM(deblend_nChild) AS children FROM Object',
    },
    {
      name: 'magnitude histogram (mobu med-scans)',
      adql: 'SELECT COUNT(*) AS n, FLOOR(-2.5 * LOG10(r_cModelFlux) + 31.4) AS abMag FROM Object WHERE refExtendedness = 0 AND r_cModelFlux > 0 GROUP BY abMag ORDER BY abMag',
      ordered: true,
    },
    {
      name: 'TOP 12 brightest',
      adql: 'SELECT TOP 12 objectId, r_cModelFlux FROM Object WHERE r_cModelFlux IS NOT NULL ORDER BY r_cModelFlux DESC, objectId',
      ordered: true,
    },
    {
      name: 'ForcedSource histogram by band',
      adql: 'SELECT band, COUNT(*) AS n FROM ForcedSource GROUP BY band',
    },
    { name: 'COUNT DISTINCT', adql: 'SELECT COUNT(DISTINCT ccdVisitId) AS visits FROM ForcedSource' },
    {
      name: 'COUNT DISTINCT with GROUP BY',
      adql: 'SELECT band, COUNT(DISTINCT objectId) AS objects, COUNT(*) AS n FROM ForcedSource GROUP BY band ORDER BY band',
      ordered: true,
    },
    {
      name: 'GROUP BY with HAVING',
      adql: 'SELECT tract, COUNT(*) AS n FROM Object GROUP BY tract HAVING COUNT(*) > 100 ORDER BY tract',
      ordered: true,
    },
    {
      name: 'AVG per band over a joined cone',
      adql: `SELECT fs.band, AVG(fs.psfFlux) AS mean, COUNT(*) AS n FROM Object o JOIN ForcedSource fs ON fs.objectId = o.objectId WHERE ${cone(0, 0, 0.8, 'o.')} GROUP BY fs.band ORDER BY fs.band`,
      ordered: true,
    },
    {
      name: 'GROUP BY a CASE: point-like and extended counts in a cone',
      adql: `SELECT CASE WHEN refExtendedness > 0.5 THEN 'extended' ELSE 'point' END AS kind, COUNT(*) AS n FROM Object WHERE ${cone(62, -37, 1)} GROUP BY CASE WHEN refExtendedness > 0.5 THEN 'extended' ELSE 'point' END ORDER BY n DESC`,
      ordered: true,
    },
    {
      name: 'GROUP BY a CASE alias, ORDER BY an aggregate alias',
      adql: `SELECT CASE WHEN band IN ('u', 'g') THEN 'blue' WHEN band = 'r' THEN 'green' ELSE 'red' END AS colour, AVG(psfFlux) AS mean, COUNT(*) AS n FROM ForcedSource GROUP BY colour ORDER BY mean`,
      ordered: true,
    },
    { name: 'DISTINCT band', adql: 'SELECT DISTINCT band FROM ForcedSource ORDER BY band', ordered: true },
    { name: 'DISTINCT tract in a cone', adql: `SELECT DISTINCT tract FROM Object WHERE ${cone(0, 0, 1)}` },
    {
      name: 'TOP with OFFSET',
      adql: 'SELECT TOP 5 objectId FROM Object ORDER BY objectId OFFSET 10',
      ordered: true,
    },
    {
      name: 'MIN/MAX in a polygon',
      adql: `SELECT MIN(coord_ra) AS ra0, MAX(coord_ra) AS ra1, MIN(coord_dec) AS dec0, MAX(coord_dec) AS dec1 FROM Object WHERE CONTAINS(POINT('ICRS', coord_ra, coord_dec), POLYGON('ICRS', 61.6, -37.3, 61.6, -36.7, 62.4, -36.7, 62.4, -37.3)) = 1`,
    },
    {
      name: 'SUM of CASE',
      adql: 'SELECT SUM(CASE WHEN detect_isPrimary = 1 THEN 1 ELSE 0 END) AS primaries, COUNT(*) AS n FROM Object',
    },
    {
      name: 'GROUP BY an expression',
      adql: 'SELECT FLOOR(coord_dec) AS decBin, COUNT(*) AS n, AVG(coord_ra) AS meanRa FROM Object GROUP BY FLOOR(coord_dec) ORDER BY decBin',
      ordered: true,
    },
    {
      name: 'GROUP BY ordinal-like alias with TOP',
      adql: 'SELECT TOP 3 tract, COUNT(*) AS n FROM Object GROUP BY tract ORDER BY n DESC, tract',
      ordered: true,
    },
    {
      name: 'aggregate over an empty region',
      adql: `SELECT COUNT(*) AS n, MAX(coord_ra) AS hi FROM Object WHERE ${cone(180, 10, 0.1)}`,
    },
    { name: 'count ForcedSource', adql: 'SELECT COUNT(*) AS n FROM ForcedSource' },
    {
      name: 'NOT IN and NOT BETWEEN',
      adql: `SELECT COUNT(*) AS n FROM Object WHERE tract NOT IN (4431, 4435) AND coord_dec NOT BETWEEN -38 AND -36`,
    },
    // ---- regular (replicated) tables ------------------------------------------------------------------------------
    { name: 'Visit table', adql: 'SELECT * FROM Visit ORDER BY visit', ordered: true },
    {
      name: 'CcdVisit by band',
      adql: 'SELECT band, COUNT(*) AS n, AVG(seeing) AS seeing FROM CcdVisit GROUP BY band',
    },
    {
      name: 'CcdVisit joined to Visit',
      adql: "SELECT cv.ccdVisitId, v.airmass FROM CcdVisit AS cv JOIN Visit AS v ON cv.visitId = v.visit WHERE v.band = 'r'",
    },
    {
      name: 'Source joined to CcdVisit (empty Source)',
      adql: `SELECT src.sourceId, cv.expMidptMJD FROM Source AS src JOIN CcdVisit AS cv ON src.ccdVisitId = cv.ccdVisitId WHERE ${cone(62, -37, 1, 'src.')} AND src.band = 'i' AND cv.obsStartMJD > 60925`,
    },
    {
      name: 'LIKE on a string column',
      adql: "SELECT ccdVisitId FROM CcdVisit WHERE physical_filter LIKE 'g%'",
    },
    { name: 'MatchesTruth scan', adql: 'SELECT COUNT(*) AS n FROM MatchesTruth WHERE match_chisq < 5' },
    // ---- stars, outer joins, subqueries, set operations ----------------------------------------------------------
    {
      name: 'qualified star of a join',
      adql: `SELECT o.*, fs.psfFlux FROM Object AS o JOIN ForcedSource AS fs ON fs.objectId = o.objectId WHERE o.objectId = ${id4}`,
    },
    {
      name: 'LEFT JOIN director to dependent',
      adql: `SELECT o.objectId, COUNT(fs.forcedSourceId) AS n FROM Object o LEFT JOIN ForcedSource fs ON fs.objectId = o.objectId AND fs.band = 'g' WHERE ${cone(0, 0, 0.3, 'o.')} GROUP BY o.objectId`,
    },
    {
      name: 'IN subquery over a dependent',
      adql: 'SELECT objectId FROM Object WHERE objectId IN (SELECT objectId FROM ForcedSource WHERE psfFlux > 90000)',
      composed: true,
    },
    {
      name: 'scalar subquery',
      adql: `SELECT objectId FROM Object WHERE ${cone(62, -37, 0.3)} AND coord_dec > (SELECT AVG(coord_dec) FROM Object WHERE ${cone(62, -37, 0.3)})`,
      composed: true,
    },
    {
      name: 'UNION of two cones',
      adql: `SELECT objectId FROM Object WHERE ${cone(62, -37, 0.05)} UNION SELECT objectId FROM Object WHERE ${cone(0, 0, 0.05)}`,
      composed: true,
    },
    {
      name: 'WITH clause',
      adql: `WITH bright AS (SELECT objectId, r_cModelFlux FROM Object WHERE r_cModelFlux > 50000) SELECT COUNT(*) AS n FROM bright`,
      composed: true,
    },
    {
      name: 'EXISTS and NOT IN over partitioned tables',
      adql: `SELECT objectId FROM Object WHERE ${cone(62, -37, 0.2)} AND EXISTS (SELECT forcedSourceId FROM ForcedSource WHERE psfFlux > 90000) AND objectId NOT IN (SELECT objectId FROM ForcedSource WHERE psfFlux < 200)`,
      composed: true,
    },
    {
      name: 'INTERSECT and EXCEPT of partitioned selections',
      adql: `(SELECT objectId FROM Object WHERE ${cone(62, -37, 0.3)} INTERSECT SELECT objectId FROM ForcedSource WHERE band = 'r') EXCEPT SELECT objectId FROM Object WHERE ${cone(62, -37, 0.1)}`,
      composed: true,
    },
    {
      name: 'aggregate over a derived table, ordered with TOP',
      adql: `SELECT TOP 5 t.band, t.n FROM (SELECT band, COUNT(*) AS n FROM ForcedSource GROUP BY band) AS t WHERE t.n > 10 ORDER BY t.n DESC, t.band`,
      ordered: true,
      composed: true,
    },
    {
      name: 'WITH tables referring to each other, joined with a regular table',
      adql: `WITH fs AS (SELECT ccdVisitId, COUNT(*) AS n FROM ForcedSource GROUP BY ccdVisitId), busy AS (SELECT ccdVisitId, n FROM fs WHERE n > 5) SELECT cv.band, SUM(busy.n) AS total FROM busy JOIN CcdVisit cv ON cv.ccdVisitId = busy.ccdVisitId GROUP BY cv.band`,
      composed: true,
    },
    {
      name: 'scalar subquery in the select list',
      adql: `SELECT objectId, coord_dec - (SELECT MIN(coord_dec) FROM Object WHERE ${cone(0, 0, 0.4)}) AS above FROM Object WHERE ${cone(0, 0, 0.05)}`,
      composed: true,
    },
    {
      name: 'CASE and string functions',
      adql: `SELECT forcedSourceId, CASE WHEN band IN ('g', 'r') THEN UPPER(band) ELSE 'other' END AS b FROM ForcedSource WHERE objectId = ${id1}`,
    },
    // ---- cross-matches between two director tables -----------------------------------------------------------
    ...crossMatchQueries(),
  ];
}
