/**
 * The DP0.2 tutorial and monitoring queries listed in reference/portal.md §7 (query texts are test data). Each must
 * parse, survive a print/parse round trip, and have the shape the catalog planner relies on.
 */
import { describe, expect, it } from 'vitest';
import { type AdqlNode, tableReferences, walk } from '../../../src/catalog/adql/index.js';
import { roundTrip } from './helpers.js';

function kinds(node: AdqlNode): Set<string> {
  const seen = new Set<string>();
  walk(node, (n) => {
    seen.add(
      n.kind === 'geometry' || n.kind === 'function' || n.kind === 'udf' ? `${n.kind}:${n.name}` : n.kind,
    );
    return true;
  });
  return seen;
}

function tableNames(node: AdqlNode): string[] {
  return tableReferences(node).map((t) => t.name.map((n) => n.name).join('.'));
}

const queries: Record<string, { text: string; tables: string[]; uses: string[] }> = {
  'schema discovery: schemas': {
    text: 'SELECT * FROM tap_schema.schemas',
    tables: ['tap_schema.schemas'],
    uses: [],
  },
  'schema discovery: tables': {
    text: "SELECT * FROM tap_schema.tables WHERE schema_name='dp02_dc2_catalogs' ORDER BY table_index",
    tables: ['tap_schema.tables'],
    uses: ['comparison', 'orderItem'],
  },
  'schema discovery: columns': {
    text: "SELECT column_name, datatype, description, unit FROM tap_schema.columns WHERE table_name='dp02_dc2_catalogs.Object'",
    tables: ['tap_schema.columns'],
    uses: ['string'],
  },
  'cone search with the primary flag': {
    text: "SELECT coord_ra, coord_dec FROM dp02_dc2_catalogs.Object WHERE CONTAINS(POINT('ICRS',coord_ra,coord_dec), CIRCLE('ICRS',62,-37,0.01))=1 AND detect_isPrimary=1",
    tables: ['dp02_dc2_catalogs.Object'],
    uses: ['geometry:CONTAINS', 'geometry:POINT', 'geometry:CIRCLE', 'unary'],
  },
  'cone search, TOP and RADIANS': {
    text: "SELECT TOP 100 coord_ra AS ra, RADIANS(coord_dec) AS dec_rad FROM dp02_dc2_catalogs.Object WHERE CONTAINS(POINT('ICRS',coord_ra,coord_dec), CIRCLE('ICRS',62,-37,0.01))=1 ORDER BY coord_ra",
    tables: ['dp02_dc2_catalogs.Object'],
    uses: ['function:RADIANS', 'orderItem'],
  },
  'colours with a predicate on a UDF': {
    text: "SELECT objectId, scisql_nanojanskyToAbMag(g_cModelFlux) - scisql_nanojanskyToAbMag(r_cModelFlux) AS grclr FROM dp02_dc2_catalogs.Object WHERE CONTAINS(POINT('ICRS',coord_ra,coord_dec), CIRCLE('ICRS',62,-37,0.01))=1 AND detect_isPrimary=1 AND scisql_nanojanskyToAbMag(i_cModelFlux) <= 25",
    tables: ['dp02_dc2_catalogs.Object'],
    uses: ['udf:scisql_nanojanskyToAbMag', 'binary'],
  },
  'magnitudes by formula, sigma UDF and BETWEEN on columns': {
    text: 'SELECT -2.5*LOG10(g_cModelFlux)+31.4 AS gmag, scisql_nanojanskyToAbMagSigma(g_cModelFlux, g_cModelFluxErr) AS gmagerr FROM dp02_dc2_catalogs.Object WHERE r_cModelFlux BETWEEN g_cModelFlux AND i_cModelFlux',
    tables: ['dp02_dc2_catalogs.Object'],
    uses: ['function:LOG10', 'udf:scisql_nanojanskyToAbMagSigma', 'between'],
  },
  'distance ordering': {
    text: "SELECT objectId, DISTANCE(POINT('ICRS',coord_ra,coord_dec), POINT('ICRS',61.989258,-37.005119)) AS dist FROM dp02_dc2_catalogs.Object WHERE detect_isPrimary=1 AND DISTANCE(POINT('ICRS',coord_ra,coord_dec), POINT('ICRS',61.989258,-37.005119)) < 0.005 ORDER BY dist ASC",
    tables: ['dp02_dc2_catalogs.Object'],
    uses: ['geometry:DISTANCE'],
  },
  'ID list': {
    text: 'SELECT objectId, scisql_nanojanskyToAbMag(g_psfFlux) AS g_psfMag FROM dp02_dc2_catalogs.Object WHERE objectId IN (1249537790362809267, 1249537790362809268, 1249537790362809269, 1249537790362809270, 1249537790362809271, 1249537790362809272, 1249537790362809273, 1249537790362809274, 1249537790362809275, 1249537790362809276, 1249537790362809277, 1249537790362809278)',
    tables: ['dp02_dc2_catalogs.Object'],
    uses: ['inList'],
  },
  'single ID (mobu object-one)': {
    text: 'SELECT * FROM dp02_dc2_catalogs.Object WHERE objectId = 1249537790362809267',
    tables: ['dp02_dc2_catalogs.Object'],
    uses: ['comparison'],
  },
  'polygon search': {
    text: "SELECT coord_ra, coord_dec FROM dp02_dc2_catalogs.Object WHERE CONTAINS(POINT('ICRS',coord_ra,coord_dec), POLYGON('ICRS',59.58,-36.95,59.58,-36.65,59.96,-36.65,59.96,-36.95))=1",
    tables: ['dp02_dc2_catalogs.Object'],
    uses: ['geometry:POLYGON'],
  },
  'light curve: ForcedSource JOIN CcdVisit': {
    text: 'SELECT scisql_nanojanskyToAbMag(fs.psfFlux) AS mag, scisql_nanojanskyToAbMagSigma(fs.psfFlux, fs.psfFluxErr) AS magerr, cv.band, cv.expMidptMJD FROM dp02_dc2_catalogs.ForcedSource AS fs JOIN dp02_dc2_catalogs.CcdVisit AS cv ON fs.ccdVisitId = cv.ccdVisitId WHERE fs.objectId = 1249537790362809267',
    tables: ['dp02_dc2_catalogs.ForcedSource', 'dp02_dc2_catalogs.CcdVisit'],
    uses: ['join'],
  },
  'light curve: three-way join with a cone': {
    text: "SELECT fs.forcedSourceId, fs.objectId, fs.ccdVisitId, fs.detect_isPrimary, fs.band, scisql_nanojanskyToAbMag(fs.psfFlux) AS psfMag, ccd.obsStartMJD FROM dp02_dc2_catalogs.ForcedSource AS fs JOIN dp02_dc2_catalogs.CcdVisit AS ccd ON fs.ccdVisitId = ccd.ccdVisitId JOIN dp02_dc2_catalogs.Object AS o ON fs.objectId = o.objectId WHERE CONTAINS(POINT('ICRS', o.coord_ra, o.coord_dec), CIRCLE('ICRS', 62.0, -37.0, 0.001)) = 1 AND o.detect_isPrimary = 1 AND fs.band = 'i'",
    tables: ['dp02_dc2_catalogs.ForcedSource', 'dp02_dc2_catalogs.CcdVisit', 'dp02_dc2_catalogs.Object'],
    uses: ['join'],
  },
  'Source JOIN CcdVisit with spatial, band and time constraints': {
    text: "SELECT src.coord_ra, src.coord_dec, src.psfFlux, cv.obsStartMJD FROM dp02_dc2_catalogs.Source AS src JOIN dp02_dc2_catalogs.CcdVisit AS cv ON src.ccdVisitId = cv.ccdVisitId WHERE CONTAINS(POINT('ICRS', src.coord_ra, src.coord_dec), CIRCLE('ICRS',62.0,-37,1))=1 AND src.band='i' AND src.extendedness=0 AND src.psfFlux>10000 AND cv.obsStartMJD>60925 AND cv.obsStartMJD<60955",
    tables: ['dp02_dc2_catalogs.Source', 'dp02_dc2_catalogs.CcdVisit'],
    uses: ['join', 'logical'],
  },
  'transients on DiaObject statistics': {
    text: 'SELECT TOP 1000 ra, decl, diaObjectId, nDiaSources, scisql_nanojanskyToAbMag(rPSFluxMin) AS rMagMax, scisql_nanojanskyToAbMag(rPSFluxMax) AS rMagMin FROM dp02_dc2_catalogs.DiaObject WHERE nDiaSources > 10 AND nDiaSources < 20 AND scisql_nanojanskyToAbMag(rPSFluxMax) BETWEEN 18 AND 22 AND (scisql_nanojanskyToAbMag(rPSFluxMin) - scisql_nanojanskyToAbMag(rPSFluxMax)) > 2',
    tables: ['dp02_dc2_catalogs.DiaObject'],
    uses: ['between'],
  },
  'DiaSource by diaObjectId list': {
    text: 'SELECT ra, decl, diaObjectId, diaSourceId, filterName, midPointTai, scisql_nanojanskyToAbMag(psFlux) AS psAbMag FROM dp02_dc2_catalogs.DiaSource WHERE diaObjectId IN (1250953961339360185, 1250765944060331637)',
    tables: ['dp02_dc2_catalogs.DiaSource'],
    uses: ['inList'],
  },
  'DIA forced-photometry light curve': {
    text: 'SELECT cv.expMidptMJD, fsodo.psfFlux, fsodo.psfFluxErr, fsodo.band FROM dp02_dc2_catalogs.ForcedSourceOnDiaObject AS fsodo JOIN dp02_dc2_catalogs.CcdVisit AS cv ON cv.ccdVisitId = fsodo.ccdVisitId WHERE fsodo.diaObjectId = 1651589610221862935',
    tables: ['dp02_dc2_catalogs.ForcedSourceOnDiaObject', 'dp02_dc2_catalogs.CcdVisit'],
    uses: ['join'],
  },
  'variable-star search, three-way join': {
    text: "SELECT diao.diaObjectId, diao.ra, diao.decl, fsodo.psfFlux, cv.expMidptMJD FROM dp02_dc2_catalogs.DiaObject AS diao JOIN dp02_dc2_catalogs.ForcedSourceOnDiaObject AS fsodo ON diao.diaObjectId = fsodo.diaObjectId JOIN dp02_dc2_catalogs.CcdVisit AS cv ON cv.ccdVisitId = fsodo.ccdVisitId WHERE diao.gTOTFluxSigma/diao.gTOTFluxMean BETWEEN 0.25 AND 1.25 AND scisql_nanojanskyToAbMag(diao.gTOTFluxMean) BETWEEN 18 AND 23 AND diao.gPSFluxNdata > 30 AND diao.gPSFluxStetsonJ > 20 AND fsodo.band = 'g' AND CONTAINS(POINT('ICRS', diao.ra, diao.decl), CIRCLE('ICRS', 62.0, -37.0, 5)) = 1",
    tables: [
      'dp02_dc2_catalogs.DiaObject',
      'dp02_dc2_catalogs.ForcedSourceOnDiaObject',
      'dp02_dc2_catalogs.CcdVisit',
    ],
    uses: ['between', 'geometry:CONTAINS'],
  },
  'truth matching': {
    text: "SELECT mt.id_truth_type, mt.match_objectId, ts.ra, ts.dec, ts.truth_type, obj.coord_ra, obj.coord_dec FROM dp02_dc2_catalogs.MatchesTruth AS mt JOIN dp02_dc2_catalogs.TruthSummary AS ts ON mt.id_truth_type = ts.id_truth_type JOIN dp02_dc2_catalogs.Object AS obj ON mt.match_objectId = obj.objectId WHERE CONTAINS(POINT('ICRS', obj.coord_ra, obj.coord_dec), CIRCLE('ICRS', 62.0, -37.0, 0.10)) = 1 AND ts.truth_type = 1 AND obj.detect_isPrimary = 1",
    tables: ['dp02_dc2_catalogs.MatchesTruth', 'dp02_dc2_catalogs.TruthSummary', 'dp02_dc2_catalogs.Object'],
    uses: ['join'],
  },
  'aggregation with GROUP BY an alias': {
    text: 'SELECT COUNT(*), FLOOR(-2.5*LOG10(r_cModelFlux)+31.4) AS abMag FROM dp02_dc2_catalogs.Object WHERE refExtendedness=0 AND r_cModelFlux>0 GROUP BY abMag ORDER BY abMag',
    tables: ['dp02_dc2_catalogs.Object'],
    uses: ['aggregate', 'function:FLOOR'],
  },
  'brightest objects': {
    text: 'SELECT TOP 12 objectId, r_cModelFlux FROM dp02_dc2_catalogs.Object ORDER BY r_cModelFlux DESC',
    tables: ['dp02_dc2_catalogs.Object'],
    uses: ['orderItem'],
  },
  'self-join neighbours': {
    text: "SELECT o1.objectId AS id1, o2.objectId AS id2, DISTANCE(POINT('ICRS', o1.coord_ra, o1.coord_dec), POINT('ICRS', o2.coord_ra, o2.coord_dec)) AS d FROM dp02_dc2_catalogs.Object o1, dp02_dc2_catalogs.Object o2 WHERE CONTAINS(POINT('ICRS', o1.coord_ra, o1.coord_dec), CIRCLE('ICRS', 62.0, -37.0, 0.05)) = 1 AND DISTANCE(POINT('ICRS', o1.coord_ra, o1.coord_dec), POINT('ICRS', o2.coord_ra, o2.coord_dec)) < 0.005 AND o1.objectId <> o2.objectId",
    tables: ['dp02_dc2_catalogs.Object', 'dp02_dc2_catalogs.Object'],
    uses: ['geometry:DISTANCE'],
  },
  'TAP_UPLOAD join': {
    text: "SELECT dias.diaSourceId, ut1.mjd FROM dp03_catalogs_10yr.DiaSource AS dias, TAP_UPLOAD.ut1 AS ut1 WHERE CONTAINS(POINT('ICRS',dias.ra,dias.dec), CIRCLE('ICRS',ut1.ra,ut1.dec,0.00278))=1 AND ABS(dias.midPointMjdTai - ut1.mjd) < 0.5",
    tables: ['dp03_catalogs_10yr.DiaSource', 'TAP_UPLOAD.ut1'],
    uses: ['function:ABS'],
  },
  'ObsCore search on s_region': {
    text: "SELECT * FROM ivoa.ObsCore WHERE CONTAINS(POINT('ICRS', 62.0, -37.0), s_region)=1 AND lsst_band='i' AND calib_level=2",
    tables: ['ivoa.ObsCore'],
    uses: ['geometry:CONTAINS'],
  },
  'Portal UI cone with calibFlux ranges': {
    text: "SELECT coord_dec, coord_ra, g_calibFlux, r_calibFlux, i_calibFlux FROM dp02_dc2_catalogs.Object WHERE CONTAINS(POINT('ICRS', coord_ra, coord_dec), CIRCLE('ICRS', 61.863, -35.79, 0.05)) = 1 AND (g_calibFlux > 20 AND g_calibFlux < 1000) AND (r_calibFlux > 20 AND r_calibFlux < 1000) AND (i_calibFlux > 20 AND i_calibFlux < 1000)",
    tables: ['dp02_dc2_catalogs.Object'],
    uses: ['logical'],
  },
};

describe('DP0.2 tutorial queries (reference/portal.md §7)', () => {
  for (const [name, { text, tables, uses }] of Object.entries(queries)) {
    it(`parses and round-trips: ${name}`, () => {
      const tree = roundTrip(text);
      expect(tableNames(tree)).toEqual(tables);
      const seen = kinds(tree);
      for (const use of uses) expect(seen, use).toContain(use);
    });
  }

  it('keeps 19-digit object IDs exactly', () => {
    const tree = roundTrip(queries['single ID (mobu object-one)'].text);
    const where = tree.body.kind === 'select' ? tree.body.where : null;
    expect(where).toMatchObject({ right: { kind: 'number', text: '1249537790362809267' } });
  });
});
