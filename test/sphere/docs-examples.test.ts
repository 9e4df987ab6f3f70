import { describe, expect, it } from 'vitest';
import {
  Box,
  Chunker,
  Circle,
  CONTAINS,
  ConvexPolygon,
  decodeRegion,
  encodeRegion,
  HtmPixelization,
  UnitVector3,
} from '../../src/sphere/index.js';

// The claims made by the examples in docs/sphere.md.
describe('docs/sphere.md examples', () => {
  const cone = Circle.fromDegrees(62, -37, 0.5);
  const strip = Box.fromDegrees(350, -5, 10, 5);
  const patch = ConvexPolygon.fromLonLat([
    [61, -38],
    [63, -38],
    [63, -36],
    [61, -36],
  ]);
  it('relates the example regions as documented', () => {
    expect(patch.relate(cone) & CONTAINS).toBe(CONTAINS);
    expect(strip.isDisjointFrom(cone)).toBe(true);
    expect(encodeRegion(decodeRegion(encodeRegion(patch)))).toBe(encodeRegion(patch));
  });
  it('gives level-7 HTM indices in [131072, 262144) and an envelope holding the point', () => {
    const htm7 = new HtmPixelization(7);
    const i = htm7.index(UnitVector3.fromLonLat(62, -37));
    expect(i).toBeGreaterThanOrEqual(131072);
    expect(i).toBeLessThan(262144);
    expect(HtmPixelization.rangesContain(htm7.envelope(patch), i)).toBe(true);
    expect(htm7.envelope(patch, 4).length).toBeLessThanOrEqual(4);
  });
  it('partitions with the DP0.2 production chunker', () => {
    const chunker = new Chunker(340, 3, 0.01667);
    const { chunkId } = chunker.locate(61.86, -35.71);
    expect(chunker.chunksIntersecting(Circle.fromDegrees(61.86, -35.71, 0.1))).toContain(chunkId);
  });
});
