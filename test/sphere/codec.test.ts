import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Box,
  Circle,
  ConvexPolygon,
  decodeRegion,
  encodeRegion,
  regionFromJSON,
} from '../../src/sphere/index.js';
import { regionArb } from './arbitraries.js';

const encodingError = expect.objectContaining({ code: 'REGION_ENCODING' });

describe('region encoding', () => {
  it('round-trips every region bit for bit (property)', () => {
    fc.assert(
      fc.property(regionArb, (r) => {
        const s = encodeRegion(r);
        expect(s.startsWith('v1:')).toBe(true);
        const back = decodeRegion(s);
        expect(back.kind).toBe(r.kind);
        expect(encodeRegion(back)).toBe(s);
        expect(back.toJSON()).toEqual(r.toJSON());
      }),
      { numRuns: 300 },
    );
  });
  it('is compact: a quadrilateral takes 12 doubles', () => {
    const p = ConvexPolygon.fromLonLat([
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 1],
    ]);
    expect(encodeRegion(p).length).toBe(3 + Math.ceil((1 + 12 * 8) / 3) * 4);
  });
  it('rejects garbage with REGION_ENCODING', () => {
    const circle = encodeRegion(Circle.fromDegrees(1, 2, 3));
    for (const bad of [
      '',
      'abc',
      'v2:AAAA',
      'v1:!!!!',
      'v1:',
      circle.slice(0, -4),
      `v1:${Buffer.from([9, 0, 0, 0, 0, 0, 0, 0, 0]).toString('base64')}`,
    ]) {
      expect(() => decodeRegion(bad)).toThrow(encodingError);
    }
    // Well-formed bytes describing invalid geometry (a non-unit centre vector).
    const buf = Buffer.alloc(33);
    buf.writeUInt8(1, 0);
    buf.writeDoubleLE(2, 1);
    expect(() => decodeRegion(`v1:${buf.toString('base64')}`)).toThrow(encodingError);
  });
});

describe('region JSON', () => {
  it('is plain data with a kind and rebuilds the region', () => {
    const box = Box.fromDegrees(350, -10, 10, 10);
    expect(box.toJSON()).toEqual({ kind: 'box', lonMin: 350, latMin: -10, lonMax: 10, latMax: 10 });
    expect(regionFromJSON(JSON.parse(JSON.stringify(box)))).toEqual(box);
    const c = Circle.fromDegrees(20, 30, 1);
    const c2 = regionFromJSON(c.toJSON());
    expect(c2.kind).toBe('circle');
    expect(encodeRegion(c2)).not.toBe('');
    expect((c2 as Circle).radius.degrees).toBeCloseTo(1, 12);
    const p = ConvexPolygon.fromLonLat([
      [0, 0],
      [1, 0],
      [1, 1],
    ]);
    const p2 = regionFromJSON(p.toJSON()) as ConvexPolygon;
    expect(p2.vertices.map((v) => v.latDeg())).toEqual(p.vertices.map((v) => v.latDeg()));
  });
  it('rejects objects that are not regions', () => {
    for (const bad of [
      null,
      3,
      {},
      { kind: 'ellipse' },
      { kind: 'circle', lon: 'x', lat: 0, radius: 1 },
      { kind: 'convexPolygon', vertices: [[0]] },
    ]) {
      expect(() => regionFromJSON(bad)).toThrow(expect.objectContaining({ code: 'GEOMETRY_INVALID' }));
    }
  });
});
