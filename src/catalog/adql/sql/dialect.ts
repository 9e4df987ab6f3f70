/**
 * What differs between SQL engines when compiling ADQL: quoting, parameters, a few function names and the spatial
 * predicates. One compiler (`compile.ts`) uses these hooks; `defineDialect` fills every hook a dialect does not
 * override with the shared default, so a dialect states only its differences (STYLE.md habit 2).
 */

import type { CastType, SourcePos } from '../ast.js';
import { unsupported } from '../cursor.js';
import {
  haversineDistance,
  haversineInCircle,
  pointInCenteredBox,
  pointInConvexPolygon,
  type SqlPoint,
  type SqlVertex,
} from './spherical-sql.js';

export type { SqlPoint, SqlVertex };

export interface SqlDialect {
  /** For messages only; code never branches on it. */
  readonly name: string;
  /** Quotes an identifier exactly as given (delimited ADQL identifiers). */
  quoteIdentifier(name: string): string;
  /** A regular (case-insensitive) ADQL identifier, spelled so that the engine matches it the way ADQL does. */
  regularIdentifier(name: string): string;
  /** The text of the n-th (1-based) bind parameter. */
  placeholder(index: number): string;
  /** True when the same placeholder may appear twice for one value (`$1`); false when each use binds anew (`?`). */
  readonly reusesPlaceholders: boolean;
  /** Appends row limiting to a compiled query (ADQL TOP and OFFSET). */
  limitOffset(sql: string, limit: number | null, offset: number | null): string;
  /** A built-in ADQL scalar function (upper-case name) applied to compiled arguments. */
  scalarFunction(name: string, args: readonly string[], pos: SourcePos): string;
  castType(type: CastType): string;
  /** A decimal ADQL literal (digits, a point, maybe an exponent), spelled so the engine reads it as a number. */
  numericLiteral(text: string): string;
  /** Angular separation in degrees. */
  angularDistance(a: SqlPoint, b: SqlPoint): string;
  /** Angular separation of `a` and `b` compared with a radius in degrees (`<` or `<=`); may use an index. */
  distanceWithin(a: SqlPoint, b: SqlPoint, radius: string, operator: '<' | '<='): string;
  pointInCircle(point: SqlPoint, center: SqlPoint, radius: string): string;
  /** A longitude/latitude box by centre, full width and full height, in degrees. */
  pointInBox(point: SqlPoint, center: SqlPoint, width: string, height: string): string;
  pointInPolygon(point: SqlPoint, vertices: readonly SqlVertex[], pos: SourcePos): string;
}

const plainFunctions: Readonly<Record<string, string>> = {
  ABS: 'abs',
  CEILING: 'ceil',
  DEGREES: 'degrees',
  EXP: 'exp',
  FLOOR: 'floor',
  LOG: 'ln',
  LOG10: 'log10',
  MOD: 'mod',
  PI: 'pi',
  POWER: 'power',
  RADIANS: 'radians',
  SQRT: 'sqrt',
  ROUND: 'round',
  TRUNCATE: 'trunc',
  SIN: 'sin',
  COS: 'cos',
  TAN: 'tan',
  ASIN: 'asin',
  ACOS: 'acos',
  ATAN: 'atan',
  ATAN2: 'atan2',
  COT: 'cot',
  LOWER: 'lower',
  UPPER: 'upper',
  COALESCE: 'coalesce',
  NULLIF: 'nullif',
};

/**
 * Arguments outside a function's domain give NULL instead of failing the whole query, as on Qserv (MariaDB), where
 * Rubin's tutorial queries ran: `-2.5*LOG10(g_cModelFlux)+31.4` over objects with a non-positive flux. DuckDB and
 * PostgreSQL raise an error there (and differ on POWER, COT and MOD), so each argument is guarded with CASE or
 * NULLIF and the engine never sees an out-of-domain value. Documented in docs/adql.md.
 */
function domainGuarded(name: string, args: readonly string[]): readonly string[] {
  const [x, y] = args;
  switch (name) {
    case 'LOG':
    case 'LOG10':
      return [`CASE WHEN ${x} > 0 THEN ${x} END`];
    case 'SQRT':
      return [`CASE WHEN ${x} >= 0 THEN ${x} END`];
    case 'ASIN':
    case 'ACOS':
      return [`CASE WHEN ${x} BETWEEN -1 AND 1 THEN ${x} END`];
    case 'COT':
      return [`NULLIF(${x}, 0)`];
    case 'MOD':
      return [x, `NULLIF(${y}, 0)`];
    case 'POWER':
      // A negative base needs a whole exponent, and zero a non-negative one; anything else has no real value.
      return [
        `CASE WHEN ${x} > 0 OR (${x} = 0 AND ${y} >= 0) OR (${x} < 0 AND ${y} = floor(${y})) THEN ${x} END`,
        y,
      ];
    default:
      return args;
  }
}

/** Division by zero gives NULL, as on Qserv (MariaDB); DuckDB would give Infinity and PostgreSQL an error. */
export function guardedDivision(dividend: string, divisor: string): string {
  return `(${dividend} / NULLIF(${divisor}, 0))`;
}

export const defaultDialect: SqlDialect = {
  name: 'default',
  quoteIdentifier: (name) => `"${name.replaceAll('"', '""')}"`,
  regularIdentifier(name) {
    return this.quoteIdentifier(name);
  },
  placeholder: () => '?',
  reusesPlaceholders: false,
  limitOffset(sql, limit, offset) {
    let out = sql;
    if (limit !== null) out += ` LIMIT ${limit}`;
    if (offset !== null) out += ` OFFSET ${offset}`;
    return out;
  },
  scalarFunction(name, args, pos) {
    switch (name) {
      case 'RAND':
        if (args.length > 0) throw unsupported('RAND with a seed', pos);
        return 'random()';
      case 'BIT_AND':
        return `(${args[0]} & ${args[1]})`;
      case 'BIT_OR':
        return `(${args[0]} | ${args[1]})`;
      case 'BIT_XOR':
        return `xor(${args[0]}, ${args[1]})`;
      case 'BIT_NOT':
        return `(~${args[0]})`;
      case 'IN_UNIT':
        throw unsupported('IN_UNIT (unit conversion needs column metadata)', pos);
      default: {
        const sqlName = plainFunctions[name];
        if (sqlName === undefined) throw unsupported(`function ${name}`, pos);
        return `${sqlName}(${domainGuarded(name, args).join(', ')})`;
      }
    }
  },
  castType: (type) => (type.length === null ? type.name : `${type.name}(${type.length})`),
  numericLiteral: (text) => text,
  angularDistance: haversineDistance,
  distanceWithin(a, b, radius, operator) {
    // The declination band is implied by the distance bound and gives the engine a cheap range filter.
    return `(${a.dec} BETWEEN ${b.dec} - ${radius} AND ${b.dec} + ${radius} AND ${this.angularDistance(a, b)} ${operator} ${radius})`;
  },
  pointInCircle: haversineInCircle,
  pointInBox: pointInCenteredBox,
  pointInPolygon: pointInConvexPolygon,
};

/** A dialect that overrides some hooks of the shared default; `this` in a hook is the complete dialect. */
export function defineDialect(
  overrides: Partial<SqlDialect> & { readonly name: string } & ThisType<SqlDialect>,
): SqlDialect {
  return Object.freeze({ ...defaultDialect, ...overrides });
}
