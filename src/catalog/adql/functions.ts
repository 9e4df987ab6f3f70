/**
 * The functions ADQL 2.1 defines (REC-ADQL-2.1 §2.3, §4), the sciSQL user-defined functions Meridian knows, and the
 * reserved words. Arity is checked at parse time so a wrong call fails with a position, not in the database.
 */

import type { GeometryFunctionName } from './ast.js';

export interface Arity {
  readonly min: number;
  /** `Infinity` for variadic functions. */
  readonly max: number;
}

const exactly = (n: number): Arity => ({ min: n, max: n });
const between = (min: number, max: number): Arity => ({ min, max });

/** Built-in scalar functions, by canonical upper-case name. */
export const scalarFunctions: ReadonlyMap<string, Arity> = new Map([
  // math and trigonometry (ADQL 2.1 §2.3.6)
  ['ABS', exactly(1)],
  ['CEILING', exactly(1)],
  ['DEGREES', exactly(1)],
  ['EXP', exactly(1)],
  ['FLOOR', exactly(1)],
  ['LOG', exactly(1)],
  ['LOG10', exactly(1)],
  ['MOD', exactly(2)],
  ['PI', exactly(0)],
  ['POWER', exactly(2)],
  ['RADIANS', exactly(1)],
  ['SQRT', exactly(1)],
  ['RAND', between(0, 1)],
  ['ROUND', between(1, 2)],
  ['TRUNCATE', between(1, 2)],
  ['SIN', exactly(1)],
  ['COS', exactly(1)],
  ['TAN', exactly(1)],
  ['ASIN', exactly(1)],
  ['ACOS', exactly(1)],
  ['ATAN', exactly(1)],
  ['ATAN2', exactly(2)],
  ['COT', exactly(1)],
  // optional features of ADQL 2.1: string, conditional, unit, bitwise
  ['LOWER', exactly(1)],
  ['UPPER', exactly(1)],
  ['COALESCE', between(1, Number.POSITIVE_INFINITY)],
  ['NULLIF', exactly(2)],
  ['IN_UNIT', exactly(2)],
  ['BIT_AND', exactly(2)],
  ['BIT_OR', exactly(2)],
  ['BIT_XOR', exactly(2)],
  ['BIT_NOT', exactly(1)],
]);

export const aggregateFunctions: ReadonlySet<string> = new Set(['COUNT', 'SUM', 'AVG', 'MIN', 'MAX']);

/** Arity of each geometry function, counted without the optional leading coordinate-system literal. */
export const geometryFunctions: ReadonlyMap<GeometryFunctionName, Arity> = new Map<
  GeometryFunctionName,
  Arity
>([
  ['POINT', exactly(2)],
  // CIRCLE(center POINT, radius) or CIRCLE(ra, dec, radius)
  ['CIRCLE', between(2, 3)],
  // BOX(center POINT, width, height) or BOX(ra, dec, width, height)
  ['BOX', between(3, 4)],
  // POLYGON(p1, p2, p3, ...) or POLYGON(ra1, dec1, ra2, dec2, ra3, dec3, ...)
  ['POLYGON', between(3, Number.POSITIVE_INFINITY)],
  ['CENTROID', exactly(1)],
  ['AREA', exactly(1)],
  ['COORD1', exactly(1)],
  ['COORD2', exactly(1)],
  ['COORDSYS', exactly(1)],
  ['CONTAINS', exactly(2)],
  ['INTERSECTS', exactly(2)],
  // DISTANCE(p1, p2) or DISTANCE(ra1, dec1, ra2, dec2)
  ['DISTANCE', between(2, 4)],
]);

/** Geometry functions that accept a leading coordinate-system string (ADQL 2.1 §4.2: optional, deprecated). */
export const takesCoordSys: ReadonlySet<GeometryFunctionName> = new Set([
  'POINT',
  'CIRCLE',
  'BOX',
  'POLYGON',
]);

/** ADQL 2.1 names that Meridian recognises but does not support; calling them raises ADQL_UNSUPPORTED. */
export const unsupportedFunctions: ReadonlyMap<string, string> = new Map([
  ['REGION', 'REGION() (removed in ADQL 2.1 and not supported)'],
]);

export interface KnownUdf {
  /** The spelling used in documentation and error messages. */
  readonly name: string;
  readonly arity: Arity;
  readonly description: string;
}

/**
 * sciSQL functions that Qserv-era DP0 queries use (smonkewitz/scisql, see reference/qserv_tap.md §1.4). UDF names
 * are matched case-insensitively, as MySQL does. Unknown UDFs still parse (features-udf) but cannot be compiled.
 */
export const knownUdfs: ReadonlyMap<string, KnownUdf> = new Map(
  (
    [
      { name: 'scisql_nanojanskyToAbMag', arity: exactly(1), description: 'AB magnitude of a flux in nJy' },
      {
        name: 'scisql_nanojanskyToAbMagSigma',
        arity: exactly(2),
        description: 'AB magnitude error from flux and flux error in nJy',
      },
      { name: 'scisql_abMagToNanojansky', arity: exactly(1), description: 'flux in nJy of an AB magnitude' },
      {
        name: 'scisql_angSep',
        arity: exactly(4),
        description: 'angular separation in degrees of (ra1, dec1) and (ra2, dec2)',
      },
      {
        name: 'scisql_s2PtInCircle',
        arity: exactly(5),
        description: '1 if (ra, dec) is within radius of (ra0, dec0), else 0',
      },
      {
        name: 'scisql_s2PtInBox',
        arity: exactly(6),
        description: '1 if (ra, dec) is in the box lonMin, latMin, lonMax, latMax, else 0',
      },
      {
        name: 'scisql_s2PtInCPoly',
        arity: between(8, Number.POSITIVE_INFINITY),
        description: '1 if (ra, dec) is in the convex polygon ra1, dec1, ra2, dec2, ..., else 0',
      },
    ] satisfies KnownUdf[]
  ).map((udf) => [udf.name.toLowerCase(), udf]),
);

export function lookupUdf(name: string): KnownUdf | undefined {
  return knownUdfs.get(name.toLowerCase());
}

/**
 * Words that structure the grammar and therefore cannot be regular identifiers (quote them: `"order"`). ADQL reserves
 * the whole SQL-92 list as well; Meridian rejects only the words its grammar uses, so DP0.2 column names such as
 * `band` or `size` need no quoting (documented in docs/adql.md).
 */
export const reservedWords: ReadonlySet<string> = new Set([
  'ALL',
  'AND',
  'AS',
  'ASC',
  'BETWEEN',
  'BY',
  'CASE',
  'CAST',
  'CROSS',
  'DESC',
  'DISTINCT',
  'ELSE',
  'END',
  'EXCEPT',
  'EXISTS',
  'FROM',
  'FULL',
  'GROUP',
  'HAVING',
  'ILIKE',
  'IN',
  'INNER',
  'INTERSECT',
  'IS',
  'JOIN',
  'LEFT',
  'LIKE',
  'NATURAL',
  'NOT',
  'NULL',
  'OFFSET',
  'ON',
  'OR',
  'ORDER',
  'OUTER',
  'RIGHT',
  'SELECT',
  'THEN',
  'TOP',
  'UNION',
  'USING',
  'WHEN',
  'WHERE',
  'WITH',
]);
