import { isMeridianError, meridianError } from '../errors.js';
import { Box } from './box.js';
import { Circle } from './circle.js';
import { ConvexPolygon } from './convex-polygon.js';
import { UnitVector3 } from './vector.js';

/** Any region on the sphere; switch on `kind`. */
export type Region = Circle | Box | ConvexPolygon;

/** Plain-data form of each region (degrees), as produced by `toJSON()`. */
export type RegionJSON = ReturnType<Region['toJSON']>;

const ENCODING_PREFIX = 'v1:';
const KIND_TAG = { circle: 1, box: 2, convexPolygon: 3 } as const;

/**
 * Compact, versioned text form: "v1:" + base64 of [kind tag byte, little-endian float64s]. Circle: centre x, y, z
 * and radius (radians); box: lonMin, latMin, lonMax, latMax (degrees); polygon: x, y, z per vertex. Round-trips
 * bit for bit.
 */
export function encodeRegion(r: Region): string {
  let values: number[];
  switch (r.kind) {
    case 'circle':
      values = [r.center.x, r.center.y, r.center.z, r.radius.radians];
      break;
    case 'box':
      values = [r.lonMinDeg, r.latMinDeg, r.lonMaxDeg, r.latMaxDeg];
      break;
    case 'convexPolygon':
      values = r.vertices.flatMap((v) => [v.x, v.y, v.z]);
      break;
  }
  const buf = Buffer.alloc(1 + 8 * values.length);
  buf.writeUInt8(KIND_TAG[r.kind], 0);
  values.forEach((v, i) => {
    buf.writeDoubleLE(v, 1 + 8 * i);
  });
  return ENCODING_PREFIX + buf.toString('base64');
}

export function decodeRegion(s: string): Region {
  if (typeof s !== 'string' || !s.startsWith(ENCODING_PREFIX)) {
    throw encodingError(`region encoding must start with "${ENCODING_PREFIX}"`, s);
  }
  const body = s.slice(ENCODING_PREFIX.length);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) throw encodingError('invalid base64', s);
  const buf = Buffer.from(body, 'base64');
  if (buf.length < 1 || (buf.length - 1) % 8 !== 0) throw encodingError('wrong payload length', s);
  const values: number[] = [];
  for (let off = 1; off < buf.length; off += 8) values.push(buf.readDoubleLE(off));
  const tag = buf.readUInt8(0);
  try {
    if (tag === KIND_TAG.circle && values.length === 4) {
      const [x, y, z, radius] = values;
      return Circle.fromRadians(UnitVector3.fromNormalizedXyz(x, y, z), radius);
    }
    if (tag === KIND_TAG.box && values.length === 4) {
      const [lonMin, latMin, lonMax, latMax] = values;
      return Box.fromDegrees(lonMin, latMin, lonMax, latMax);
    }
    if (tag === KIND_TAG.convexPolygon && values.length >= 9 && values.length % 3 === 0) {
      const vertices: UnitVector3[] = [];
      for (let i = 0; i < values.length; i += 3) {
        vertices.push(UnitVector3.fromNormalizedXyz(values[i], values[i + 1], values[i + 2]));
      }
      return ConvexPolygon.fromVectors(vertices);
    }
  } catch (err) {
    if (isMeridianError(err, 'GEOMETRY_INVALID'))
      throw encodingError(`invalid geometry: ${err.message}`, s, err);
    throw err;
  }
  throw encodingError(`unknown region tag ${tag} with ${values.length} values`, s);
}

/** Builds a region from its `toJSON()` form; GEOMETRY_INVALID when the object is not one. */
export function regionFromJSON(o: unknown): Region {
  const bad = (why: string) =>
    meridianError('GEOMETRY_INVALID', `not a region JSON object: ${why}`, { value: o });
  if (typeof o !== 'object' || o === null) throw bad('expected an object');
  const rec = o as Record<string, unknown>;
  const num = (key: string): number => {
    const v = rec[key];
    if (typeof v !== 'number') throw bad(`"${key}" must be a number`);
    return v;
  };
  switch (rec.kind) {
    case 'circle':
      return Circle.fromDegrees(num('lon'), num('lat'), num('radius'));
    case 'box':
      return Box.fromDegrees(num('lonMin'), num('latMin'), num('lonMax'), num('latMax'));
    case 'convexPolygon': {
      const vs = rec.vertices;
      if (
        !Array.isArray(vs) ||
        !vs.every((p) => Array.isArray(p) && p.length === 2 && p.every(Number.isFinite))
      ) {
        throw bad('"vertices" must be an array of [lon, lat] pairs');
      }
      return ConvexPolygon.fromLonLat(vs as [number, number][]);
    }
    default:
      throw bad(`unknown kind ${JSON.stringify(rec.kind)}`);
  }
}

function encodingError(message: string, s: unknown, cause?: unknown): Error {
  const shown = typeof s === 'string' ? s.slice(0, 80) : typeof s;
  return meridianError('REGION_ENCODING', message, { value: shown }, cause);
}
