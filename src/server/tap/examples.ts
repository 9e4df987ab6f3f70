/**
 * DALI-examples (DALI 1.1 §2.3): an XHTML page with RDFa, one `typeof="example"` block per query with a `name` and a
 * `query` property, as TOPCAT's example menu and taplint's EXA stage read it. The queries are written against the
 * catalog's own schema name and only for tables it has, so each one runs (test/server checks that they do). They
 * keep to ADQL 2.0 syntax, which taplint's validator checks them against (no CASE, no expressions in GROUP BY).
 */

import type { CatalogSchema } from '../../catalog/index.js';
import { escapeXml as x } from '../../formats/index.js';

export interface TapExample {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly query: string;
}

/** The demo field centre (DC2-like, src/demo), where the simulated catalogs have rows. */
const FIELD = { ra: 62, dec: -37 };

export function tapExamples(schema: CatalogSchema): TapExample[] {
  const has = (table: string) => schema.tables.some((t) => t.name === table);
  const s = schema.name;
  const examples: TapExample[] = [];
  if (has('Object')) {
    examples.push(
      {
        id: 'cone-search',
        name: 'Cone search',
        description: `The brightest objects within 0.1° of (${FIELD.ra}, ${FIELD.dec}); always give a spatial constraint.`,
        query: `SELECT TOP 10 objectId, coord_ra, coord_dec, scisql_nanojanskyToAbMag(r_psfFlux) AS r_mag
FROM ${s}.Object
WHERE CONTAINS(POINT('ICRS', coord_ra, coord_dec), CIRCLE('ICRS', ${FIELD.ra}, ${FIELD.dec}, 0.1)) = 1
ORDER BY r_psfFlux DESC`,
      },
      {
        id: 'distance-cone',
        name: 'Cone search with DISTANCE',
        description:
          'The ADQL 2.1 preferred form of a cone search, with the separation in degrees as a column.',
        query: `SELECT TOP 10 objectId, DISTANCE(POINT('ICRS', coord_ra, coord_dec), POINT('ICRS', ${FIELD.ra}, ${FIELD.dec})) AS dist
FROM ${s}.Object
WHERE DISTANCE(POINT('ICRS', coord_ra, coord_dec), POINT('ICRS', ${FIELD.ra}, ${FIELD.dec})) < 0.05`,
      },
      {
        id: 'primary-count',
        name: 'Counting primary objects',
        description:
          'How many objects are primary (detect_isPrimary): add this condition to avoid duplicates.',
        query: `SELECT COUNT(*) AS n_primary FROM ${s}.Object WHERE detect_isPrimary = 1`,
      },
    );
  }
  if (has('ForcedSource') && has('CcdVisit')) {
    examples.push({
      id: 'light-curve',
      name: 'Forced photometry with visit times',
      description: 'ForcedSource joined with CcdVisit for the observation time of each measurement.',
      query: `SELECT TOP 20 fs.objectId, v.expMidptMJD, fs.band, fs.psfFlux, fs.psfFluxErr
FROM ${s}.ForcedSource AS fs
JOIN ${s}.CcdVisit AS v ON v.ccdVisitId = fs.ccdVisitId
ORDER BY expMidptMJD`,
    });
    examples.push({
      id: 'band-counts',
      name: 'Measurements per band',
      description: 'GROUP BY a column: forced measurements in each band.',
      query: `SELECT band, COUNT(*) AS n FROM ${s}.ForcedSource GROUP BY band ORDER BY band`,
    });
  }
  examples.push({
    id: 'tap-schema-columns',
    name: 'Columns of a table from TAP_SCHEMA',
    description: 'The published metadata: name, type, unit and UCD of each column.',
    query: `SELECT column_name, datatype, unit, ucd, description
FROM tap_schema.columns WHERE table_name = '${s}.${schema.tables[0]?.name ?? 'Object'}' ORDER BY column_index`,
  });
  return examples;
}

export function examplesDocument(examples: readonly TapExample[], serviceUrl: string): string {
  const blocks = examples
    .map(
      (e) => `<div typeof="example" id="${x(e.id)}" resource="#${x(e.id)}">
<h2 property="name">${x(e.name)}</h2>
<p>${x(e.description)}</p>
<pre property="query">${x(e.query)}</pre>
</div>
`,
    )
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml">
<head><title>Example queries</title></head>
<body vocab="ivo://ivoa.net/std/DALI#examples">
<h1>Example queries for the TAP service at ${x(serviceUrl)}</h1>
${blocks}</body>
</html>
`;
}
