import { describe, expect, it } from 'vitest';
import { makeTanSipWcs, pixelToSky, skyToPixel } from '../../src/formats/index.js';
import { GnomonicProjection, TanWcs } from '../../src/sphere/index.js';

/** One TAN projection: the skymap's TanWcs and the image TAN-SIP WCS are pixel layers over sphere's GnomonicProjection. */
describe('one TAN projection', () => {
  const cases: [string, [number, number]][] = [
    ['mid-latitude', [61.2, -37.4]],
    ['RA wrap', [359.99, 12]],
    ['south pole', [0, -90]],
    ['north pole', [45, 90]],
  ];
  const scale = 0.2 / 3600;
  const pixels: [number, number][] = [
    [0, 0],
    [4095, 17.25],
    [-300.5, 2048],
    [14000, 14000],
  ];

  for (const [name, crval] of cases) {
    it(`TanWcs and a TAN WCS with LONPOLE 180 agree bit for bit (${name})`, () => {
      const cd: [[number, number], [number, number]] = [
        [-scale, 1e-7],
        [2e-7, scale],
      ];
      const tract = new TanWcs({ crvalDeg: crval, crpix: [2048.5, 1024.5], cdDeg: cd });
      const image = makeTanSipWcs({ crval, crpix: [2048.5, 1024.5], cd, lonpole: 180 });
      for (const [x, y] of pixels) {
        const [lon, lat] = tract.pixelToSky(x, y);
        const { ra, dec } = pixelToSky(image, x, y);
        expect([lon, lat]).toEqual([ra, dec]);
        const back = skyToPixel(image, ra, dec);
        expect(tract.skyToPixel(lon, lat)).toEqual([back.x, back.y]);
        expect(back.x).toBeCloseTo(x, 8);
        expect(back.y).toBeCloseTo(y, 8);
      }
    });
  }

  it('puts +x toward increasing longitude and +y north with LONPOLE 180, and maps the far side to NaN', () => {
    const p = new GnomonicProjection(10, 20, 180);
    const out = [0, 0];
    expect(p.skyToPlane(10, 20, out)).toBeCloseTo(1, 15);
    expect(out[0]).toBeCloseTo(0, 15);
    expect(out[1]).toBeCloseTo(0, 15);
    p.skyToPlane(10.001, 20, out);
    expect(out[0]).toBeGreaterThan(0);
    expect(Math.abs(out[1])).toBeLessThan(1e-6);
    p.skyToPlane(10, 20.001, out);
    expect(out[1]).toBeCloseTo(0.001, 9);
    expect(p.skyToPlane(190, -20, out)).toBeLessThanOrEqual(0);
    expect(out.every(Number.isNaN)).toBe(true);
    const sky = [0, 0];
    p.planeToSky(1, -2, sky);
    p.skyToPlane(sky[0]!, sky[1]!, out);
    expect(out[0]).toBeCloseTo(1, 12);
    expect(out[1]).toBeCloseTo(-2, 12);
  });

  it('LONPOLE 0 at the north pole (the FITS default there) turns the plane by 180°', () => {
    const fits = new GnomonicProjection(30, 90, 0);
    const tract = new GnomonicProjection(30, 90, 180);
    const a = [0, 0];
    const b = [0, 0];
    fits.skyToPlane(75, 89, a);
    tract.skyToPlane(75, 89, b);
    expect(a[0]).toBeCloseTo(-b[0]!, 12);
    expect(a[1]).toBeCloseTo(-b[1]!, 12);
  });
});
