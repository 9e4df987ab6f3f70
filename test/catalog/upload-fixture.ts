/**
 * An uploaded position list for the TAP_UPLOAD tests, and the queries run on it: positions near fixture Objects
 * (matches), far from all (no match), at ra 0/360 and near the pole, with nulls; the oracle gets the same rows as a
 * plain table named `pos`.
 */

import type { DuckDBConnection } from '@duckdb/node-api';
import type { QueryUpload } from '../../src/catalog/index.js';

/** Builds the upload from Object positions read from the oracle database (every 37th Object, offset a little). */
export async function positionUpload(plain: DuckDBConnection): Promise<QueryUpload> {
  const reader = await plain.runAndReadAll('SELECT coord_ra, coord_dec FROM "Object" ORDER BY objectId');
  const objects = reader.getRowsJS() as [number, number][];
  const rows: (number | bigint | string | null)[][] = [];
  let id = 1;
  for (let i = 0; i < objects.length; i += 37) {
    const [ra, dec] = objects[i];
    // 0.0002° off in dec: well inside 0.001°, far from any boundary the engines could round differently.
    rows.push([BigInt(id++), ra, dec + 0.0002, 0.0015, `near ${i}`]);
  }
  rows.push([BigInt(id++), 123.4, -45.6, 0.01, 'nothing here']);
  rows.push([BigInt(id++), 0.0001, 0.0, 0.5, 'ra wrap']);
  rows.push([BigInt(id++), 359.9999, 0.2, 0.5, 'ra wrap other side']);
  rows.push([BigInt(id++), 45, 89.5, 0.3, 'near the pole']);
  rows.push([BigInt(id++), null, 10, 0.1, 'no position']);
  return {
    name: 'pos',
    fields: [
      { name: 'id', datatype: 'long' },
      { name: 'ra', datatype: 'double', unit: 'deg', ucd: 'pos.eq.ra' },
      { name: 'dec', datatype: 'double', unit: 'deg', ucd: 'pos.eq.dec' },
      { name: 'r', datatype: 'double', unit: 'deg' },
      { name: 'label', datatype: 'char', arraysize: '*' },
    ],
    rows,
  };
}

/** The same rows as a plain table `pos` in the oracle database. */
export async function loadOracleUpload(plain: DuckDBConnection, upload: QueryUpload): Promise<void> {
  await plain.run(
    'CREATE OR REPLACE TABLE "pos" (id BIGINT, ra DOUBLE, dec DOUBLE, r DOUBLE, label VARCHAR)',
  );
  const appender = await plain.createAppender('pos');
  for (const [id, ra, dec, r, label] of upload.rows) {
    appender.appendBigInt(id as bigint);
    if (ra === null) appender.appendNull();
    else appender.appendDouble(ra as number);
    appender.appendDouble(dec as number);
    appender.appendDouble(r as number);
    appender.appendVarchar(label as string);
    appender.endRow();
  }
  appender.closeSync();
}

export interface UploadQuery {
  readonly name: string;
  readonly adql: string;
  /** True when the planner must restrict the director to the chunks near the uploaded positions. */
  readonly restricted: boolean;
}

export const uploadQueries: readonly UploadQuery[] = [
  {
    name: 'the upload alone, schema in lower case',
    adql: 'SELECT id, ra, dec, label FROM tap_upload.POS',
    restricted: false,
  },
  {
    name: 'DISTANCE join with Object (brief example)',
    adql: "SELECT u.id, o.objectId FROM TAP_UPLOAD.pos AS u JOIN dp02_dc2_catalogs.Object AS o ON DISTANCE(POINT('ICRS',u.ra,u.dec), POINT('ICRS',o.coord_ra,o.coord_dec)) < 0.001",
    restricted: true,
  },
  {
    name: 'DISTANCE join, director first, in WHERE',
    adql: 'SELECT u.id, o.objectId, o.coord_ra FROM Object o, TAP_UPLOAD.pos u WHERE DISTANCE(POINT(o.coord_ra, o.coord_dec), POINT(u.ra, u.dec)) < 0.5 AND o.detect_isPrimary = 1',
    restricted: true,
  },
  {
    name: 'CONTAINS with a constant CIRCLE radius',
    adql: "SELECT u.label, o.objectId FROM TAP_UPLOAD.pos u JOIN Object o ON 1 = CONTAINS(POINT('ICRS', o.coord_ra, o.coord_dec), CIRCLE('ICRS', u.ra, u.dec, 0.002))",
    restricted: true,
  },
  {
    name: 'CONTAINS with the radius from the upload, counted per upload row',
    adql: 'SELECT u.id, COUNT(*) AS n FROM TAP_UPLOAD.pos u JOIN Object o ON CONTAINS(POINT(o.coord_ra, o.coord_dec), CIRCLE(u.ra, u.dec, u.r)) = 1 GROUP BY u.id',
    restricted: true,
  },
  {
    name: 'an id join (no positions: every chunk)',
    adql: 'SELECT u.id, o.objectId FROM TAP_UPLOAD.pos u JOIN Object o ON o.objectId = u.id',
    restricted: false,
  },
];
