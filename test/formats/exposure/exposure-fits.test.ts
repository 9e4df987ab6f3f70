import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  box2i,
  Exposure,
  ImageF,
  Mask,
  readExposure,
  readHeaderComponent,
  visitInfo,
  writeExposure,
} from '../../../src/formats/exposure/index.js';
import { FitsFile, makeTanSipWcs, pixelToSky, readFits, valueCard } from '../../../src/formats/index.js';
import {
  astropyAvailable,
  fitsverify,
  fitsverifyAvailable,
  SYSTEM_PYTHON,
  skipWithout,
} from '../reference-tools.js';

const dir = mkdtempSync(join(tmpdir(), 'meridian-exposure-'));

/** A 40 x 30 exposure whose first pixel is parent pixel (10, 20), with every part filled in. */
function sampleExposure(): Exposure {
  const bbox = box2i(10, 20, 40, 30);
  const image = ImageF.zeros(bbox);
  const variance = ImageF.zeros(bbox);
  const mask = Mask.zeros(bbox);
  for (let i = 0; i < image.array.length; i++) {
    image.array[i] = Math.sin(i) * 100 + 1000;
    variance.array[i] = 10 + (i % 7);
    mask.array[i] = i % 11 === 0 ? mask.bitMask('SAT') | mask.bitMask('DETECTED_NEGATIVE') : 0;
  }
  const wcs = makeTanSipWcs({
    crpix: [30.5, 35.5],
    crval: [61.8, -35.7],
    cd: [
      [-5.5e-5, 1e-6],
      [1e-6, 5.5e-5],
    ],
  });
  return new Exposure({
    image,
    mask,
    variance,
    wcs,
    psf: { kind: 'doubleGaussian', sigma1: 1.7, sigma2: 4.1, ratio: 0.1 },
    photoCalib: { kind: 'photoCalib', calibrationMean: 0.25, calibrationErr: 0.001 },
    visitInfo: visitInfo({
      exposureId: 2026112200001,
      exposureTime: 30,
      darkTime: 30.5,
      date: '2026-11-23T03:01:14.318000000',
      boresightRaDec: [61.87, -35.8],
      boresightRotAngle: 297.36,
      airmass: 1.08,
      zenithAngle: 21.9,
      observatory: { longitudeDeg: -70.7494, latitudeDeg: -30.2444, elevationM: 2663 },
      instrument: 'MeridianCam',
    }),
    metadata: [valueCard('OBSID', 'MC_O_20261122_000001', 'observation id'), valueCard('SEEING', 0.87)],
  });
}

const path = join(dir, 'calexp.fits');
const exposure = sampleExposure();
await writeExposure(path, exposure);

describe('Exposure FITS round trip', () => {
  it('reads back pixels, mask planes, variance and every calibration object', async () => {
    const back = await readExposure(path);
    expect(back.bbox).toEqual(exposure.bbox);
    expect(back.image.array).toEqual(exposure.image.array);
    expect(back.variance?.array).toEqual(exposure.variance?.array);
    expect(back.mask.array).toEqual(exposure.mask.array);
    expect(back.mask.planes).toEqual(exposure.mask.planes);
    expect(back.psf).toEqual(exposure.psf);
    expect(back.photoCalib).toEqual(exposure.photoCalib);
    expect(back.visitInfo).toEqual(exposure.visitInfo);
    expect(back.metadata.map((c) => (c.kind === 'value' ? [c.keyword, c.value] : null))).toEqual([
      ['OBSID', 'MC_O_20261122_000001'],
      ['SEEING', 0.87],
    ]);
    // The WCS comes back in parent coordinates: the same parent pixel maps to the same sky position.
    for (const [x, y] of [
      [10, 20],
      [49, 49],
      [30.5, 35.5],
    ] as const) {
      const a = pixelToSky(exposure.wcs!, x, y);
      const b = pixelToSky(back.wcs!, x, y);
      expect(b.ra).toBeCloseTo(a.ra, 12);
      expect(b.dec).toBeCloseTo(a.dec, 12);
    }
  });

  it('an exposure without variance, PSF, calibration or visit info reads back with nulls', async () => {
    const bare = new Exposure({ image: ImageF.zeros(box2i(0, 0, 5, 4)) });
    const p = join(dir, 'bare.fits');
    await writeExposure(p, bare);
    const back = await readExposure(p);
    expect([back.variance, back.psf, back.photoCalib, back.visitInfo, back.wcs]).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
    expect(back.mask.array).toEqual(new Int32Array(20));
  });

  it('a bbox read equals the same slice of the full image, in parent and local coordinates', async () => {
    const box = box2i(17, 25, 9, 6);
    const cut = await readExposure(path, { bbox: box });
    const full = exposure.subset(box);
    expect(cut.bbox).toEqual(box);
    expect(cut.image.array).toEqual(full.image.array);
    expect(cut.mask.array).toEqual(full.mask.array);
    expect(cut.variance?.array).toEqual(full.variance?.array);
    expect(cut.image.get(20, 27)).toBe(exposure.image.get(20, 27));
    const local = await readExposure(path, { bbox: { x0: 7, y0: 5, width: 9, height: 6 }, origin: 'LOCAL' });
    expect(local.image.array).toEqual(full.image.array);
    // The sub-image's WCS still maps parent pixels like the full one.
    const a = pixelToSky(exposure.wcs!, 20, 27);
    const b = pixelToSky(cut.wcs!, 20, 27);
    expect(b.ra).toBeCloseTo(a.ra, 12);
    await expect(readExposure(path, { bbox: box2i(0, 0, 5, 5) })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('header components are read without touching any pixel data', async () => {
    const bytes = readFileSync(path);
    const reads: [number, number][] = [];
    const counted = {
      name: path,
      size: bytes.length,
      async open() {
        return {
          async read(target: Uint8Array, position: number) {
            const n = Math.max(0, Math.min(target.length, bytes.length - position));
            target.set(bytes.subarray(position, position + n));
            reads.push([position, position + n]);
            return n;
          },
          async close() {},
        };
      },
    };
    const fits = await FitsFile.open(counted);
    // The header scan (the FITS library's, with its read-ahead) is the only I/O: components need no reads at all.
    reads.length = 0;
    const components = ['wcs', 'visitInfo', 'bbox', 'psf', 'photoCalib', 'metadata', 'dimensions'] as const;
    for (const c of components) expect(readHeaderComponent(fits, c)).not.toBeUndefined();
    expect(readHeaderComponent(fits, 'bbox')).toEqual(exposure.bbox);
    expect(readHeaderComponent(fits, 'visitInfo')).toEqual(exposure.visitInfo);
    expect(reads).toEqual([]);
    // Reading a plane, by contrast, reads its data.
    await fits.readImage('IMAGE');
    expect(reads.length).toBeGreaterThan(0);
  });

  it('writes the LSST-like layout: empty primary, IMAGE -32, MASK 32 with MP_ keywords, VARIANCE -32', async () => {
    const fits = await readFits(path);
    expect(fits.hdus.map((h) => h.name ?? '')).toEqual([
      '',
      'IMAGE',
      'MASK',
      'VARIANCE',
      'VISITINFO',
      'PHOTOCALIB',
      'PSF',
    ]);
    expect(fits.hdus[0]!.dataSize).toBe(0);
    const bitpix = (i: number) =>
      fits.hdus[i]!.header.find((c) => c.kind === 'value' && c.keyword === 'BITPIX');
    expect([1, 2, 3].map((i) => (bitpix(i) as { value: number }).value)).toEqual([-32, 32, -32]);
    const mp = fits.hdus[2]!.header.filter((c) => c.kind === 'value' && c.keyword.startsWith('MP_'));
    expect(mp.length).toBe(Object.keys(exposure.mask.planes).length);
  });
});

describe.skipIf(skipWithout('fitsverify', fitsverifyAvailable))('fitsverify on a written Exposure', () => {
  it('reports no errors and no warnings', () => {
    const verdict = fitsverify(path);
    expect(verdict, verdict.text).toMatchObject({ errors: 0, warnings: 0 });
  });
});

describe.skipIf(skipWithout('astropy', astropyAvailable))('astropy reads a written Exposure', () => {
  it('sees IMAGE, MASK and VARIANCE with the same pixels and a WCS for the FITS array', () => {
    const script = `
import json, sys
from astropy.io import fits
from astropy.wcs import WCS
with fits.open(sys.argv[1]) as h:
    img, msk, var = h['IMAGE'], h['MASK'], h['VARIANCE']
    w = WCS(img.header)
    ra, dec = w.all_pix2world([[10.0, 7.0]], 0)[0]
    print(json.dumps({'shape': list(img.data.shape), 'img': float(img.data[7, 10]), 'msk': int(msk.data[0, 0]),
        'var': float(var.data[7, 10]), 'sat': msk.header['MP_SAT'], 'ra': ra, 'dec': dec}))
`;
    const out = JSON.parse(execFileSync(SYSTEM_PYTHON, ['-c', script, path], { encoding: 'utf8' }));
    // FITS array pixel (10, 7) is parent pixel (20, 27).
    const sky = pixelToSky(exposure.wcs!, 20, 27);
    expect(out.shape).toEqual([30, 40]);
    expect(out.img).toBeCloseTo(exposure.image.get(20, 27), 3);
    expect(out.var).toBe(exposure.variance!.get(20, 27));
    expect(out.msk).toBe(exposure.mask.get(10, 20));
    expect(out.sat).toBe(1);
    expect(out.ra).toBeCloseTo(sky.ra, 9);
    expect(out.dec).toBeCloseTo(sky.dec, 9);
  });
});
