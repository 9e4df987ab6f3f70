/** The reference-star loader of the calibrate task on hand-made refcat shards with known answers. */
import { describe, expect, it } from 'vitest';
import { box2i, makeTable, makeTanSipWcs, pixelToSky, type Table } from '../../../src/formats/index.js';
import { loadReferenceStars, refcatColumnsFor } from '../../../src/tasks/index.js';

// 0.2"/pixel, north up, east left, about (60, -30).
const SCALE = 0.2 / 3600;
const wcs = makeTanSipWcs({
  crpix: [512.5, 512.5],
  crval: [60, -30],
  cd: [
    [-SCALE, 0],
    [0, SCALE],
  ],
});
const bbox = box2i(0, 0, 1024, 1024);

/** A shard with stars at the given pixels (under `wcs`) and r/z fluxes in nJy. */
function shard(stars: { x: number; y: number; r: number; z?: number; errDeg?: number }[]): Table {
  const sky = stars.map((s) => pixelToSky(wcs, s.x, s.y));
  return makeTable({
    id: BigInt64Array.from(stars, (_, i) => BigInt(i + 1)),
    coord_ra: Float64Array.from(sky, (p) => p.ra),
    coord_dec: Float64Array.from(sky, (p) => p.dec),
    coord_raErr: Float64Array.from(stars, (s) => s.errDeg ?? 1e-6),
    coord_decErr: Float64Array.from(stars, (s) => s.errDeg ?? 1e-6),
    r_flux: Float64Array.from(stars, (s) => s.r),
    r_fluxErr: Float64Array.from(stars, (s) => s.r / 100),
    z_flux: Float64Array.from(stars, (s) => s.z ?? s.r),
    z_fluxErr: Float64Array.from(stars, (s) => (s.z ?? s.r) / 50),
  });
}

const nJyOfMag = (m: number) => 10 ** ((31.4 - m) / 2.5);

describe('loadReferenceStars', () => {
  it('keeps the stars of every shard on the detector plus the margin, with magnitudes and errors', () => {
    const a = shard([
      { x: 10, y: 10, r: nJyOfMag(18), errDeg: 5e-6 },
      { x: 1000, y: 500, r: nJyOfMag(20) },
      { x: -50, y: 300, r: nJyOfMag(19) }, // inside the 100-pixel margin
      { x: -500, y: 300, r: nJyOfMag(19) }, // far off the detector
    ]);
    const b = shard([
      { x: 512, y: 1100, r: nJyOfMag(17) }, // margin again
      { x: 512, y: 2000, r: nJyOfMag(17) }, // off
      { x: 300, y: 300, r: 0 }, // no flux: no magnitude
      { x: 301, y: 300, r: Number.NaN },
    ]);
    const loaded = loadReferenceStars([a, b], { bbox, wcs }, 'r');
    expect(loaded).toMatchObject({
      shards: 2,
      rowsRead: 8,
      outsideField: 2,
      rejectedFlux: 2,
      rejectedMagnitude: 0,
    });
    expect(loaded.fluxColumn).toBe('r_flux');
    expect(loaded.stars.map((s) => s.mag.toFixed(6))).toEqual([
      '18.000000',
      '20.000000',
      '19.000000',
      '17.000000',
    ]);
    // Flux error 1% → 1.0857% in magnitude; 5e-6 degrees = 18 mas.
    expect(loaded.stars[0]!.magErr).toBeCloseTo(2.5 / Math.LN10 / 100, 12);
    expect(loaded.stars[0]!.positionErrMas).toBeCloseTo(18, 9);
    expect(loaded.stars[1]!.positionErrMas).toBeCloseTo(3.6, 9);
    // Without a margin only the two stars on the detector remain.
    expect(loadReferenceStars([a, b], { bbox, wcs }, 'r', { marginPixels: 0 }).stars).toHaveLength(2);
  });

  it('reads the band through the configured column and applies magnitude limits', () => {
    const t = shard([
      { x: 100, y: 100, r: nJyOfMag(15), z: nJyOfMag(14) },
      { x: 200, y: 100, r: nJyOfMag(18), z: nJyOfMag(17) },
      { x: 300, y: 100, r: nJyOfMag(21), z: nJyOfMag(20) },
    ]);
    expect(refcatColumnsFor('y', { bandColumns: { y: 'z' } })).toEqual([
      'coord_ra',
      'coord_dec',
      'coord_raErr',
      'coord_decErr',
      'z_flux',
      'z_fluxErr',
    ]);
    const y = loadReferenceStars([t], { bbox, wcs }, 'y', {
      bandColumns: { y: 'z' },
      brightMagLimit: 15,
      faintMagLimit: 19,
    });
    expect(y.fluxColumn).toBe('z_flux');
    expect(y.rejectedMagnitude).toBe(2);
    expect(y.stars.map((s) => Math.round(s.mag))).toEqual([17]);
    expect(y.stars[0]!.magErr).toBeCloseTo((2.5 / Math.LN10) * 0.02, 12);
  });

  it('refuses a shard without the band column, and an invalid config, with coded errors', () => {
    const t = shard([{ x: 100, y: 100, r: 1000 }]);
    expect(() => loadReferenceStars([t], { bbox, wcs }, 'u')).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/no column u_flux/),
      }),
    );
    expect(() => loadReferenceStars([t], { bbox, wcs }, 'r', { marginPixels: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(loadReferenceStars([], { bbox, wcs }, 'r').stars).toEqual([]);
  });
});
