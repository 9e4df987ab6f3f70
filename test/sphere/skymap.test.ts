import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { angularSeparationDeg, Circle, CONTAINS, DISJOINT, RingsSkyMap } from '../../src/sphere/index.js';
import { lonLatArb } from './arbitraries.js';

const invalid = expect.objectContaining({ code: 'GEOMETRY_INVALID' });
// The DC2 / DP0.2 skymap parameters.
const dc2 = new RingsSkyMap('DC2', {
  numRings: 120,
  tractOverlapDeg: 1 / 60,
  pixelScaleArcsec: 0.2,
  patchInnerDimensions: [4000, 4000],
  patchBorder: 100,
  tractBuilder: 'legacy',
});
const coarse = new RingsSkyMap('coarse', {
  numRings: 8,
  tractOverlapDeg: 0.5,
  pixelScaleArcsec: 10,
  patchInnerDimensions: [500, 400],
  patchBorder: 20,
});
const nearPole = fc.tuple(
  fc.double({ min: 0, max: 360, maxExcluded: true, noNaN: true }),
  fc.double({ min: 89, max: 90, noNaN: true }),
);
const anyPoint = fc.oneof(
  lonLatArb,
  nearPole,
  nearPole.map(([l, b]) => [l, -b] as [number, number]),
);

describe('RingsSkyMap layout', () => {
  it('has polar caps as the first and last tracts and rings of tracts between them', () => {
    expect(dc2.tractCount).toBe(18938);
    expect(dc2.ringSizeDeg).toBeCloseTo(180 / 121, 14);
    expect(dc2.tract(0).center.latDeg()).toBe(-90);
    expect(dc2.tract(dc2.tractCount - 1).center.latDeg()).toBe(90);
    // Ring 0 is centred one ring height above the south pole; its first tract at longitude 0.
    expect(dc2.tract(1).center.latDeg()).toBeCloseTo(180 / 121 - 90, 10);
    expect(dc2.tract(1).center.lonDeg()).toBe(0);
    expect(dc2.tractsPerRing.reduce((a, b) => a + b, 0) + 2).toBe(dc2.tractCount);
    // floor(2π cos δ / h) + 1 with δ the ring edge nearest the equator: 0 for ring 59, which ends there.
    const h = Math.PI / 121;
    expect(dc2.tractsPerRing[59]).toBe(Math.floor((2 * Math.PI) / h) + 1);
    expect(dc2.tractsPerRing[0]).toBe(Math.floor((2 * Math.PI * Math.cos(Math.PI / 2 - 1.5 * h)) / h) + 1);
  });
  it('puts the DC2 field centre in a 7×7-patch tract of 28000² pixels', () => {
    const t = dc2.findTract(61.86, -35.71);
    expect(t.numPatches).toEqual([7, 7]);
    expect(t.bbox).toEqual({ x0: 0, y0: 0, width: 28000, height: 28000 });
    expect(t.wcs.cdDeg[0][0]).toBeCloseTo(-0.2 / 3600, 15);
    expect(t.wcs.crpix).toEqual([14000.5, 14000.5]);
    expect(angularSeparationDeg(t.wcs.crvalDeg[0], t.wcs.crvalDeg[1], 61.86, -35.71)).toBeLessThan(1.5);
  });
  it('has a stable sha1 hash of the configuration', () => {
    const again = new RingsSkyMap('other-name', { ...dc2.config, tractBuilder: 'legacy' });
    expect(dc2.hash()).toMatch(/^[0-9a-f]{40}$/);
    expect(again.hash()).toBe(dc2.hash());
    expect(coarse.hash()).not.toBe(dc2.hash());
  });
  it('rejects invalid configurations and tract ids', () => {
    const base = {
      numRings: 10,
      tractOverlapDeg: 0.1,
      pixelScaleArcsec: 1,
      patchInnerDimensions: [100, 100] as [number, number],
      patchBorder: 5,
    };
    expect(() => new RingsSkyMap('x', { ...base, numRings: 0 })).toThrow(invalid);
    expect(() => new RingsSkyMap('x', { ...base, pixelScaleArcsec: 0 })).toThrow(invalid);
    expect(() => new RingsSkyMap('x', { ...base, patchInnerDimensions: [100, 0] })).toThrow(invalid);
    expect(() => new RingsSkyMap('x', { ...base, patchBorder: -1 })).toThrow(invalid);
    expect(() => dc2.tract(dc2.tractCount)).toThrow(invalid);
    expect(() => dc2.tract(0).patch(49)).toThrow(invalid);
  });
});

describe.each([
  { name: 'DC2', skymap: dc2 },
  { name: 'coarse', skymap: coarse },
])('RingsSkyMap $name geometry', ({ skymap }) => {
  it('findTract returns the tract whose inner region contains the point, everywhere (property)', () => {
    fc.assert(
      fc.property(anyPoint, ([lon, lat]) => {
        const t = skymap.findTract(lon, lat);
        expect(t.innerRegion.containsLonLat(lon, lat)).toBe(true);
        expect(t.outerRegion.containsLonLat(lon, lat)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
  it('findPatch returns the patch whose inner region contains the point (property)', () => {
    fc.assert(
      fc.property(anyPoint, ([lon, lat]) => {
        const t = skymap.findTract(lon, lat);
        const p = t.findPatch(lon, lat);
        expect(p.index).toBe(p.y * t.numPatches[0] + p.x);
        expect(t.patch(p.index)).toBe(p);
        const [x, y] = t.skyToPixel(lon, lat);
        const [lon2, lat2] = t.pixelToSky(x, y);
        expect(angularSeparationDeg(lon, lat, lon2, lat2)).toBeLessThan(1e-9);
        const ok =
          p.innerRegion.containsLonLat(lon, lat) ||
          p.innerRegion.relate(Circle.fromDegrees(lon, lat, 1e-10)) !== DISJOINT;
        expect(ok).toBe(true);
        // Edge patches share the tract edge with their (clipped) outer box, hence the tolerance.
        for (const v of p.innerRegion.vertices) expect(p.outerRegion.containsWithin(v, 1e-12)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
  it('places the tract centre at crpix (FITS 1-based) and patches on the pixel grid', () => {
    const t = skymap.tract(Math.floor(skymap.tractCount / 3));
    const [x, y] = t.skyToPixel(t.center.lonDeg(), t.center.latDeg());
    expect(x + 1).toBeCloseTo(t.wcs.crpix[0], 6);
    expect(y + 1).toBeCloseTo(t.wcs.crpix[1], 6);
    const [nx, ny] = t.numPatches;
    const last = t.patch(nx * ny - 1);
    expect(last.x).toBe(nx - 1);
    expect(last.y).toBe(ny - 1);
    expect(last.innerBBox.x0 + last.innerBBox.width).toBe(t.bbox.width);
    // Outer boxes grow by the border but stay inside the tract.
    const first = t.patch(0);
    expect(first.outerBBox).toEqual({
      x0: 0,
      y0: 0,
      width: first.innerBBox.width + skymap.config.patchBorder,
      height: first.innerBBox.height + skymap.config.patchBorder,
    });
  });
  it('has every tract outer region contain its inner region', () => {
    for (let id = 0; id < skymap.tractCount; id += Math.max(1, Math.floor(skymap.tractCount / 50))) {
      const t = skymap.tract(id);
      expect(t.outerRegion.relate(t.innerRegion) & CONTAINS).toBe(CONTAINS);
    }
  });
  it('findTractPatchList covers a region with the tracts and patches that may overlap it', () => {
    fc.assert(
      fc.property(lonLatArb, ([lon, lat]) => {
        const c = Circle.fromDegrees(lon, lat, 0.05);
        const list = skymap.findTractPatchList(c);
        const home = skymap.findTract(lon, lat);
        const entry = list.find((e) => e.tract.id === home.id);
        expect(entry).toBeDefined();
        expect(entry!.patches.map((p) => p.index)).toContain(home.findPatch(lon, lat).index);
        for (const e of list) for (const p of e.patches) expect(p.outerRegion.relate(c) & DISJOINT).toBe(0);
      }),
      { numRuns: 25 },
    );
  });
});
