import { meridianError } from '../../../errors.js';
import { Box, Circle, ConvexPolygon, type Region } from '../../../sphere/index.js';

/**
 * Sky regions written in a `where` expression: POINT(ra, dec), CIRCLE(ra, dec, r), BOX(ra, dec, w, h),
 * POLYGON(ra1, dec1, ...) and REGION('IVOA SIAv2 POS string'), all in degrees.
 */
export type LiteralRegion = { readonly kind: 'point'; readonly ra: number; readonly dec: number } | Region;

export function regionFromFunction(name: string, args: readonly (number | string)[]): LiteralRegion {
  const nums = (n: number): number[] => {
    if (args.length !== n && !(name === 'POLYGON' && args.length >= 6 && args.length % 2 === 0)) {
      throw meridianError(
        'QUERY_INVALID',
        `${name} takes ${name === 'POLYGON' ? 'an even number ≥ 6 of' : n} numeric arguments, got ${args.length}`,
      );
    }
    return args.map((a) => {
      const v = typeof a === 'number' ? a : Number(a);
      if (!Number.isFinite(v))
        throw meridianError('QUERY_INVALID', `${name} arguments must be numbers, got '${a}'`);
      return v;
    });
  };
  switch (name) {
    case 'POINT': {
      const [ra, dec] = nums(2) as [number, number];
      checkDec(dec);
      return { kind: 'point', ra, dec };
    }
    case 'CIRCLE': {
      const [ra, dec, r] = nums(3) as [number, number, number];
      checkDec(dec);
      return Circle.fromDegrees(ra, dec, r);
    }
    case 'BOX': {
      const [ra, dec, w, h] = nums(4) as [number, number, number, number];
      checkDec(dec);
      return Box.fromDegrees(ra - w / 2, Math.max(-90, dec - h / 2), ra + w / 2, Math.min(90, dec + h / 2));
    }
    case 'POLYGON': {
      const v = nums(args.length);
      const verts: [number, number][] = [];
      for (let i = 0; i < v.length; i += 2) verts.push([v[i]!, v[i + 1]!]);
      return ConvexPolygon.fromLonLat(verts);
    }
    case 'REGION': {
      if (args.length !== 1 || typeof args[0] !== 'string') {
        throw meridianError(
          'QUERY_INVALID',
          "REGION takes one string argument, e.g. REGION('CIRCLE 53 -28 0.5')",
        );
      }
      return parsePosString(args[0]);
    }
    default:
      throw meridianError('QUERY_INVALID', `${name}() is not a region function`);
  }
}

function checkDec(dec: number): void {
  if (dec < -90 || dec > 90) throw meridianError('QUERY_INVALID', `declination ${dec} is outside [-90, 90]`);
}

/** IVOA SIAv2 POS syntax: `CIRCLE ra dec r`, `RANGE ra1 ra2 dec1 dec2`, `POLYGON ra1 dec1 ...`. */
export function parsePosString(text: string): LiteralRegion {
  const parts = text.trim().split(/\s+/);
  const shape = parts.shift()?.toUpperCase();
  const v = parts.map(Number);
  if (v.some((x) => !Number.isFinite(x)))
    throw meridianError('QUERY_INVALID', `bad numbers in region '${text}'`);
  if (shape === 'CIRCLE' && v.length === 3) return Circle.fromDegrees(v[0]!, v[1]!, v[2]!);
  if (shape === 'RANGE' && v.length === 4) return Box.fromDegrees(v[0]!, v[2]!, v[1]!, v[3]!);
  if (shape === 'POLYGON' && v.length >= 6 && v.length % 2 === 0) {
    const verts: [number, number][] = [];
    for (let i = 0; i < v.length; i += 2) verts.push([v[i]!, v[i + 1]!]);
    return ConvexPolygon.fromLonLat(verts);
  }
  throw meridianError(
    'QUERY_INVALID',
    `cannot parse region '${text}'; use CIRCLE ra dec r, RANGE ra1 ra2 dec1 dec2 or POLYGON ra1 dec1 ...`,
  );
}

/** Conservative test: false only when the stored region certainly does not overlap the literal one. */
export function regionOverlaps(stored: Region, literal: LiteralRegion): boolean {
  if (literal.kind === 'point') return stored.containsLonLat(literal.ra, literal.dec);
  return stored.intersects(literal);
}

/** A region usable for HTM envelopes (a point becomes a tiny circle). */
export function envelopeRegion(literal: LiteralRegion): Region {
  return literal.kind === 'point' ? Circle.fromDegrees(literal.ra, literal.dec, 1e-7) : literal;
}
