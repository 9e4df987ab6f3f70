/**
 * Translation of ADQL geometry functions and the sciSQL UDFs into SQL through the dialect's spatial hooks.
 * Geometry values (POINT, CIRCLE, ...) exist only as arguments: they are taken apart here into SQL fragments for
 * their coordinates, so no engine needs a geometry type.
 */

import type { Expression, GeometryCall, UdfCall } from '../ast.js';
import { unsupported } from '../cursor.js';
import { lookupUdf } from '../functions.js';
import type { SqlDialect, SqlPoint, SqlVertex } from './dialect.js';
import { pointInCornerBox } from './spherical-sql.js';

export interface GeometryContext {
  readonly dialect: SqlDialect;
  /** Compiles a value expression. */
  value(expression: Expression): string;
}

type Region =
  | { readonly kind: 'point'; readonly point: SqlPoint }
  | { readonly kind: 'circle'; readonly center: SqlPoint; readonly radius: string }
  | { readonly kind: 'box'; readonly center: SqlPoint; readonly width: string; readonly height: string }
  | { readonly kind: 'polygon'; readonly vertices: readonly SqlVertex[] };

/** The value of a numeric expression made only of literals and + - * /, or null. */
export function constantValue(expression: Expression): number | null {
  switch (expression.kind) {
    case 'number':
      return expression.form === 'hex' ? Number(BigInt(expression.text)) : Number(expression.text);
    case 'unary': {
      const v = constantValue(expression.operand);
      return v === null ? null : expression.operator === '-' ? -v : v;
    }
    case 'binary': {
      const a = constantValue(expression.left);
      const b = constantValue(expression.right);
      if (a === null || b === null) return null;
      switch (expression.operator) {
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        case '/':
          return b === 0 ? null : a / b;
        default:
          return null;
      }
    }
    default:
      return null;
  }
}

function vertex(ra: Expression, dec: Expression, ctx: GeometryContext): SqlVertex {
  const a = constantValue(ra);
  const d = constantValue(dec);
  return { ra: ctx.value(ra), dec: ctx.value(dec), degrees: a !== null && d !== null ? [a, d] : null };
}

function regionOf(expression: Expression, ctx: GeometryContext): Region {
  if (expression.kind !== 'geometry') {
    const what =
      expression.kind === 'column' ? `geometry-valued column ${expression.name.name}` : expression.kind;
    throw unsupported(`${what} as a geometry argument (write POINT, CIRCLE, BOX or POLYGON)`, expression.pos);
  }
  const args = expression.args;
  switch (expression.name) {
    case 'POINT':
      return { kind: 'point', point: { ra: ctx.value(args[0]), dec: ctx.value(args[1]) } };
    case 'CIRCLE':
      return args.length === 2
        ? { kind: 'circle', center: pointOf(args[0], ctx), radius: ctx.value(args[1]) }
        : {
            kind: 'circle',
            center: { ra: ctx.value(args[0]), dec: ctx.value(args[1]) },
            radius: ctx.value(args[2]),
          };
    case 'BOX':
      return args.length === 3
        ? {
            kind: 'box',
            center: pointOf(args[0], ctx),
            width: ctx.value(args[1]),
            height: ctx.value(args[2]),
          }
        : {
            kind: 'box',
            center: { ra: ctx.value(args[0]), dec: ctx.value(args[1]) },
            width: ctx.value(args[2]),
            height: ctx.value(args[3]),
          };
    case 'POLYGON': {
      const vertices: SqlVertex[] = [];
      const pointForm = args.some((a) => a.kind === 'geometry');
      if (pointForm) {
        for (const p of args) {
          if (p.kind !== 'geometry' || p.name !== 'POINT')
            throw unsupported('POLYGON vertex that is not a POINT', p.pos);
          vertices.push(vertex(p.args[0], p.args[1], ctx));
        }
      } else {
        for (let i = 0; i < args.length; i += 2) vertices.push(vertex(args[i], args[i + 1], ctx));
      }
      return { kind: 'polygon', vertices };
    }
    case 'CENTROID': {
      const inner = regionOf(args[0], ctx);
      if (inner.kind === 'point') return inner;
      if (inner.kind === 'circle' || inner.kind === 'box') return { kind: 'point', point: inner.center };
      throw unsupported('CENTROID of a POLYGON', expression.pos);
    }
    default:
      throw unsupported(`${expression.name}() as a geometry argument`, expression.pos);
  }
}

function pointOf(expression: Expression, ctx: GeometryContext): SqlPoint {
  const region = regionOf(expression, ctx);
  if (region.kind !== 'point')
    throw unsupported(`${region.kind.toUpperCase()} where a POINT is needed`, expression.pos);
  return region.point;
}

function pointInRegion(point: SqlPoint, region: Region, call: GeometryCall, ctx: GeometryContext): string {
  switch (region.kind) {
    case 'circle':
      return ctx.dialect.pointInCircle(point, region.center, region.radius);
    case 'box':
      return ctx.dialect.pointInBox(point, region.center, region.width, region.height);
    case 'polygon':
      return ctx.dialect.pointInPolygon(point, region.vertices, call.pos);
    case 'point':
      throw unsupported(`${call.name} of two POINTs`, call.pos);
  }
}

/** CONTAINS / INTERSECTS as a boolean SQL condition. */
function regionPredicate(call: GeometryCall, ctx: GeometryContext): string {
  const a = regionOf(call.args[0], ctx);
  const b = regionOf(call.args[1], ctx);
  if (a.kind === 'point') return pointInRegion(a.point, b, call, ctx);
  if (call.name === 'INTERSECTS' && b.kind === 'point') return pointInRegion(b.point, a, call, ctx);
  if (a.kind === 'circle' && b.kind === 'circle') {
    const separation = ctx.dialect.angularDistance(a.center, b.center);
    // Circle in circle: d + r1 ≤ r2; circles intersect: d ≤ r1 + r2.
    return call.name === 'CONTAINS'
      ? `(${separation} + ${a.radius} <= ${b.radius})`
      : `(${separation} <= ${a.radius} + ${b.radius})`;
  }
  throw unsupported(`${call.name} of ${a.kind.toUpperCase()} and ${b.kind.toUpperCase()}`, call.pos);
}

/** sciSQL point-in-region UDFs as boolean conditions. */
function udfPredicate(call: UdfCall, ctx: GeometryContext): string | null {
  const known = lookupUdf(call.name)?.name;
  const args = call.args;
  const point = () => ({ ra: ctx.value(args[0]), dec: ctx.value(args[1]) });
  switch (known) {
    case 'scisql_s2PtInCircle':
      return ctx.dialect.pointInCircle(
        point(),
        { ra: ctx.value(args[2]), dec: ctx.value(args[3]) },
        ctx.value(args[4]),
      );
    case 'scisql_s2PtInBox': {
      const [lonMin, latMin, lonMax, latMax] = args.slice(2).map((a) => ctx.value(a));
      return pointInCornerBox(point(), lonMin, latMin, lonMax, latMax);
    }
    case 'scisql_s2PtInCPoly': {
      if (args.length % 2 !== 0)
        throw unsupported('scisql_s2PtInCPoly with an odd number of coordinates', call.pos);
      const vertices: SqlVertex[] = [];
      for (let i = 2; i < args.length; i += 2) vertices.push(vertex(args[i], args[i + 1], ctx));
      return ctx.dialect.pointInPolygon(point(), vertices, call.pos);
    }
    default:
      return null;
  }
}

/**
 * The boolean SQL of a call that ADQL writes as an integer test (`CONTAINS(...) = 1`), or null if the node is not such
 * a call. Lets the compiler emit the bare predicate, which an index can use, instead of `CASE ... END = 1`.
 */
export function spatialPredicate(expression: Expression, ctx: GeometryContext): string | null {
  if (
    expression.kind === 'geometry' &&
    (expression.name === 'CONTAINS' || expression.name === 'INTERSECTS')
  ) {
    return regionPredicate(expression, ctx);
  }
  if (expression.kind === 'udf') return udfPredicate(expression, ctx);
  return null;
}

/** The two points of a DISTANCE call (2-point or 4-number form). */
export function distancePoints(call: GeometryCall, ctx: GeometryContext): [SqlPoint, SqlPoint] {
  const args = call.args;
  if (args.length === 4) {
    return [
      { ra: ctx.value(args[0]), dec: ctx.value(args[1]) },
      { ra: ctx.value(args[2]), dec: ctx.value(args[3]) },
    ];
  }
  return [pointOf(args[0], ctx), pointOf(args[1], ctx)];
}

// 1 sr = (180/π)² deg².
const squareDegreesPerSteradian = (180 / Math.PI) ** 2;

/** A geometry function used as a value (a number or, for COORDSYS, a string fragment). */
export function geometryValue(call: GeometryCall, ctx: GeometryContext): string {
  switch (call.name) {
    case 'CONTAINS':
    case 'INTERSECTS':
      return `CASE WHEN ${regionPredicate(call, ctx)} THEN 1 ELSE 0 END`;
    case 'DISTANCE': {
      const [a, b] = distancePoints(call, ctx);
      return ctx.dialect.angularDistance(a, b);
    }
    case 'COORD1':
    case 'COORD2': {
      const point = pointOf(call.args[0], ctx);
      return call.name === 'COORD1' ? point.ra : point.dec;
    }
    case 'AREA': {
      const region = regionOf(call.args[0], ctx);
      // Spherical cap: 2π(1 − cos r) sr. Longitude/latitude box: Δα·(sin δmax − sin δmin) sr.
      if (region.kind === 'circle') {
        return `(${squareDegreesPerSteradian} * 2 * pi() * (1 - cos(radians(${region.radius}))))`;
      }
      if (region.kind === 'box') {
        const { center, width, height } = region;
        return (
          `(${squareDegreesPerSteradian} * radians(${width}) * ` +
          `(sin(radians(${center.dec} + ${height} / 2.0)) - sin(radians(${center.dec} - ${height} / 2.0))))`
        );
      }
      if (region.kind === 'point') return '0';
      throw unsupported('AREA of a POLYGON', call.pos);
    }
    case 'COORDSYS':
      throw unsupported('COORDSYS (all positions are ICRS)', call.pos);
    default:
      throw unsupported(`geometry value ${call.name}() as a result`, call.pos);
  }
}

/** sciSQL UDFs used as values. The photometric zero point 31.4 is the AB magnitude of 1 nJy: 8.90 + 22.5. */
export function udfValue(call: UdfCall, ctx: GeometryContext): string {
  const known = lookupUdf(call.name);
  if (known === undefined) throw unsupported(`user-defined function ${call.name}`, call.pos);
  const args = call.args.map((a) => ctx.value(a));
  switch (known.name) {
    case 'scisql_nanojanskyToAbMag':
      // sciSQL returns NULL for non-positive flux rather than failing on the logarithm.
      return `CASE WHEN ${args[0]} > 0 THEN -2.5 * log10(${args[0]}) + 31.4 END`;
    case 'scisql_nanojanskyToAbMagSigma':
      // σm = 2.5/ln(10) · σf/f (first-order error propagation of m = −2.5 log10 f).
      return `CASE WHEN ${args[0]} > 0 THEN 2.5 / ln(10) * ${args[1]} / ${args[0]} END`;
    case 'scisql_abMagToNanojansky':
      return `power(10, (31.4 - ${args[0]}) / 2.5)`;
    case 'scisql_angSep':
      return ctx.dialect.angularDistance({ ra: args[0], dec: args[1] }, { ra: args[2], dec: args[3] });
    default: {
      const predicate = udfPredicate(call, ctx);
      if (predicate === null) throw unsupported(`user-defined function ${call.name}`, call.pos);
      // sciSQL returns 0, not NULL, when an argument is NULL; CASE gives the same.
      return `CASE WHEN ${predicate} THEN 1 ELSE 0 END`;
    }
  }
}
