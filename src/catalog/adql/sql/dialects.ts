/**
 * The two catalog engines' SQL dialects. Each states only where it differs from `defaultDialect`.
 */

import { unsupported } from '../cursor.js';
import { defaultDialect, defineDialect } from './dialect.js';

/**
 * DuckDB: `?` parameters, identifiers matched case-insensitively even when quoted (so every name is quoted, which also
 * protects names such as `dec` that DuckDB reserves), and the shared plain-SQL spherical predicates. A literal with a
 * fraction is given an exponent, which makes it a DOUBLE: DuckDB types `62.12345678901234` as DECIMAL(18,17) from its
 * digits and then fails to add a wider decimal to it (a cone centre copied from a table has 16 significant digits).
 */
export const duckdbDialect = defineDialect({
  name: 'duckdb',
  numericLiteral: (text) => (/[eE]/.test(text) || !text.includes('.') ? text : `${text}e0`),
});

/**
 * PostgreSQL with the q3c extension. Unquoted names fold to lower case there, so a regular ADQL identifier becomes a
 * quoted lower-case name (same matching, and safe for reserved words). Spatial predicates use q3c so that its index
 * applies; q3c functions take degrees (q3c README).
 */
export const postgresDialect = defineDialect({
  name: 'postgres',
  regularIdentifier(name) {
    return this.quoteIdentifier(name.toLowerCase());
  },
  placeholder: (index) => `$${index}`,
  reusesPlaceholders: true,
  scalarFunction(name, args, pos) {
    switch (name) {
      // PostgreSQL rounds to n places only for numeric, not double precision.
      case 'ROUND':
      case 'TRUNCATE':
        if (args.length === 2) {
          const fn = name === 'ROUND' ? 'round' : 'trunc';
          return `CAST(${fn}(CAST(${args[0]} AS numeric), ${args[1]}) AS double precision)`;
        }
        return defaultDialect.scalarFunction.call(this, name, args, pos);
      case 'BIT_XOR':
        return `(${args[0]} # ${args[1]})`;
      default:
        return defaultDialect.scalarFunction.call(this, name, args, pos);
    }
  },
  angularDistance: (a, b) => `q3c_dist(${a.ra}, ${a.dec}, ${b.ra}, ${b.dec})`,
  distanceWithin(a, b, radius, operator) {
    // q3c_join(ra1, dec1, ra2, dec2, r) is true within r and uses the index on (ra2, dec2); the exact comparison
    // keeps a strict `<` strict.
    return `(q3c_join(${b.ra}, ${b.dec}, ${a.ra}, ${a.dec}, ${radius}) AND ${this.angularDistance(a, b)} ${operator} ${radius})`;
  },
  pointInCircle: (point, center, radius) =>
    `q3c_radial_query(${point.ra}, ${point.dec}, ${center.ra}, ${center.dec}, ${radius})`,
  pointInPolygon(point, vertices, pos) {
    if (vertices.length < 3) throw unsupported('POLYGON with fewer than 3 vertices', pos);
    const coordinates = vertices.flatMap((v) => [v.ra, v.dec]).join(', ');
    return `q3c_poly_query(${point.ra}, ${point.dec}, ARRAY[${coordinates}]::double precision[])`;
  },
});
