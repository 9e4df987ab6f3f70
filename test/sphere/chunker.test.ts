import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  angularSeparationDeg,
  Chunker,
  Circle,
  DISJOINT,
  segments,
  UnitVector3,
} from '../../src/sphere/index.js';
import { lonLatArb, offset, samplePointsNear, seededRandom } from './arbitraries.js';

const invalid = expect.objectContaining({ code: 'GEOMETRY_INVALID' });
const OVERLAP = 0.01667;
const configs = [
  { name: '85/12', chunker: new Chunker(85, 12, OVERLAP), chunks: 8983 },
  { name: '340/3', chunker: new Chunker(340, 3, OVERLAP), chunks: 146332 },
];

describe('segments', () => {
  it('is 1 at the poles and for widths of 180° or more', () => {
    expect(segments(89.9999, 90, 1)).toBe(1);
    expect(segments(0, 10, 180)).toBe(1);
  });
  it('gives segments whose width keeps points at the most polar latitude at least `width` apart', () => {
    for (const [lat, w] of [
      [0, 1],
      [45, 0.5],
      [80, 2],
      [-60, 0.1],
    ]) {
      const n = segments(lat, lat, w);
      const d = angularSeparationDeg(0, lat, 360 / n, lat);
      expect(d).toBeGreaterThanOrEqual(w - 1e-9);
      // one more segment would be too narrow
      expect(angularSeparationDeg(0, lat, 360 / (n + 1), lat)).toBeLessThan(w);
    }
  });
});

describe.each(configs)('Chunker $name', ({ chunker, chunks }) => {
  it('has the documented number of chunks, one in each polar cap stripe', () => {
    expect(chunker.allChunks()).toHaveLength(chunks);
    expect(chunker.chunksInStripe(0)).toBe(1);
    expect(chunker.chunksInStripe(chunker.numStripes - 1)).toBe(1);
    expect(chunker.overlapDeg).toBe(OVERLAP);
  });
  it('numbers chunks 2·numStripes·stripe + chunk from the south pole', () => {
    const s = chunker.numStripes;
    expect(chunker.locate(123, -90).chunkId).toBe(0);
    expect(chunker.locate(123, 90).chunkId).toBe(2 * s * (s - 1));
    // The first chunk north of the equator starts at ra 0.
    const equatorStripe = Math.floor(90 / (180 / s));
    expect(chunker.locate(0, 1e-9).chunkId).toBe(2 * s * equatorStripe);
    const n = chunker.chunksInStripe(equatorStripe);
    expect(chunker.locate(359.999999, 1e-9).chunkId).toBe(2 * s * equatorStripe + n - 1);
  });
  it('locates every point in its chunk box and sub-chunk box (property)', () => {
    fc.assert(
      fc.property(lonLatArb, ([ra, dec]) => {
        const { chunkId, subChunkId } = chunker.locate(ra, dec);
        expect(chunker.chunkBox(chunkId).containsLonLat(ra, dec)).toBe(true);
        const sub = chunker.subChunkBox(chunkId, subChunkId);
        expect(sub.containsLonLat(ra, dec)).toBe(true);
        // The sub-chunk lies in its chunk. Checked on its corners: relate() is conservative by contract and may
        // answer INTERSECTS for boxes that share an edge exactly.
        const box = chunker.chunkBox(chunkId);
        for (const lon of [sub.lonMinDeg, sub.lonMaxDeg]) {
          for (const lat of [sub.latMinDeg, sub.latMaxDeg]) expect(box.containsLonLat(lon, lat)).toBe(true);
        }
        expect(subChunkId).toBeLessThan(chunker.maxSubChunksPerChunk * chunker.numSubStripesPerStripe);
      }),
      { numRuns: 1000 },
    );
  });
  it('round-trips chunk ids through the box centre', () => {
    const all = chunker.allChunks();
    for (let i = 0; i < all.length; i += Math.max(1, Math.floor(all.length / 997))) {
      const box = chunker.chunkBox(all[i]);
      expect(chunker.locate(box.lonCenterDeg, (box.latMinDeg + box.latMaxDeg) / 2).chunkId).toBe(all[i]);
    }
  });
  it('tiles each chunk with its sub-chunks', () => {
    for (const id of [0, chunker.locate(10, 10).chunkId, chunker.locate(200, -70).chunkId]) {
      const area = chunker.subChunks(id).reduce((a, sc) => a + chunker.subChunkBox(id, sc).area(), 0);
      expect(area / chunker.chunkBox(id).area()).toBeCloseTo(1, 12);
    }
  });
  it('rejects invalid chunk and sub-chunk ids', () => {
    expect(() => chunker.chunkBox(-1)).toThrow(invalid);
    expect(() => chunker.chunkBox(1)).toThrow(invalid); // stripe 0 has a single chunk
    expect(() => chunker.chunkBox(2 * chunker.numStripes * chunker.numStripes)).toThrow(invalid);
    expect(() =>
      chunker.subChunkBox(0, chunker.maxSubChunksPerChunk * chunker.numSubStripesPerStripe),
    ).toThrow(invalid);
    expect(() => chunker.locate(0, 91)).toThrow(invalid);
  });
  it('puts a point at a chunk corner in the overlap of the three other chunks', () => {
    const id = chunker.locate(10, 10).chunkId;
    const box = chunker.chunkBox(id);
    const eps = 1e-7;
    const [ra, dec] = [box.lonMinDeg + eps, box.latMinDeg + eps];
    expect(chunker.locate(ra, dec).chunkId).toBe(id);
    const over = chunker.overlapChunks(ra, dec);
    expect(over).not.toContain(id);
    // The west, south and south-west neighbours (the stripe below is cut differently, so two may coincide).
    const neighbours = new Set(
      [
        [-2 * eps, 0],
        [0, -2 * eps],
        [-2 * eps, -2 * eps],
      ].map(([dr, dd]) => chunker.locate(ra + dr, dec + dd).chunkId),
    );
    expect(neighbours.size).toBeGreaterThanOrEqual(2);
    for (const n of neighbours) expect(over).toContain(n);
    for (const o of over)
      expect(Circle.fromDegrees(ra, dec, OVERLAP).relate(chunker.chunkBox(o)) & DISJOINT).toBe(0);
    // Far from every edge: no overlap.
    expect(chunker.overlapChunks(box.lonCenterDeg, (box.latMinDeg + box.latMaxDeg) / 2)).toEqual([]);
  });
  it('uses the great-circle distance to the neighbouring box for overlap membership', () => {
    const id = chunker.locate(100, 30).chunkId;
    const box = chunker.chunkBox(id);
    const mid = (box.latMinDeg + box.latMaxDeg) / 2;
    const north = chunker.locate(box.lonCenterDeg, box.latMaxDeg + 1e-6).chunkId;
    expect(chunker.overlapChunks(box.lonCenterDeg, box.latMaxDeg - OVERLAP * 0.999)).toContain(north);
    expect(chunker.overlapChunks(box.lonCenterDeg, box.latMaxDeg - OVERLAP * 1.001)).not.toContain(north);
    // East edge: distance from (lon, φ) to a meridian Δλ away is asin(cos φ sin Δλ).
    const east = chunker.locate(box.lonMaxDeg + 1e-6, mid).chunkId;
    const dLon =
      (Math.asin(Math.sin((OVERLAP * Math.PI) / 180) / Math.cos((mid * Math.PI) / 180)) * 180) / Math.PI;
    expect(chunker.overlapChunks(box.lonMaxDeg - dLon * 0.999, mid)).toContain(east);
    expect(chunker.overlapChunks(box.lonMaxDeg - dLon * 1.001, mid)).not.toContain(east);
  });
  it('finds all and only the chunks within the overlap distance (property, incl. poles)', () => {
    const nearPole = fc.tuple(
      fc.double({ min: 0, max: 359.99, noNaN: true }),
      fc.double({ min: 89.9, max: 90, noNaN: true }),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          lonLatArb,
          nearPole,
          nearPole.map(([r, d]) => [r, -d] as [number, number]),
        ),
        ([ra, dec]) => {
          const home = chunker.locate(ra, dec);
          const over = chunker.overlapChunks(ra, dec);
          const overSub = chunker.overlapSubChunks(ra, dec);
          const circle = Circle.fromDegrees(ra, dec, OVERLAP);
          for (const id of over) expect(circle.relate(chunker.chunkBox(id)) & DISJOINT).toBe(0);
          for (const l of overSub)
            expect(circle.relate(chunker.subChunkBox(l.chunkId, l.subChunkId)) & DISJOINT).toBe(0);
          const center = UnitVector3.fromLonLat(ra, dec);
          for (let k = 0; k < 24; k++) {
            const q = offset(center, k * 15, OVERLAP * 0.999);
            const loc = chunker.locate(q.lonDeg(), q.latDeg());
            if (loc.chunkId !== home.chunkId) expect(over).toContain(loc.chunkId);
            if (loc.chunkId !== home.chunkId || loc.subChunkId !== home.subChunkId)
              expect(overSub).toContainEqual(loc);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
  it('lists the chunks a region touches (superset, property)', () => {
    fc.assert(
      fc.property(
        lonLatArb,
        fc.double({ min: 0.01, max: 3, noNaN: true }),
        fc.integer(),
        ([ra, dec], r, seed) => {
          const c = Circle.fromDegrees(ra, dec, r);
          const ids = new Set(chunker.chunksIntersecting(c));
          for (const p of samplePointsNear(c, 100, seededRandom(seed))) {
            if (c.contains(p)) expect(ids.has(chunker.locate(p.lonDeg(), p.latDeg()).chunkId)).toBe(true);
          }
          for (const id of ids) expect(chunker.chunkBox(id).relate(c) & DISJOINT).toBe(0);
          const withMargin = chunker.chunksIntersecting(c, OVERLAP);
          for (const id of ids) expect(withMargin).toContain(id);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('Chunker validation', () => {
  it('rejects bad parameters with GEOMETRY_INVALID', () => {
    expect(() => new Chunker(0, 3, 0.01)).toThrow(invalid);
    expect(() => new Chunker(10, 0, 0.01)).toThrow(invalid);
    expect(() => new Chunker(10, 3, -0.1)).toThrow(invalid);
    expect(() => new Chunker(10, 3, 10.5)).toThrow(invalid);
    expect(() => new Chunker(1.5, 3, 0.01)).toThrow(invalid);
    // Sub-stripe height for 340/3 is 180/1020 = 0.176°.
    expect(() => new Chunker(340, 3, 0.2)).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/sub-stripe height/) }),
    );
    expect(() => new Chunker(340, 3, 0.05)).not.toThrow();
    expect(() => new Chunker(18, 1, 10)).toThrow(invalid);
  });
  it('allows no overlap, and then reports none', () => {
    const c = new Chunker(18, 2, 0);
    expect(c.overlapChunks(0, 0)).toEqual([]);
    expect(c.overlapSubChunks(0, 0)).toEqual([]);
  });
});
