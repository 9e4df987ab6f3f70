import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type ByteSource,
  bufferSource,
  FitsFile,
  fitsBuffer,
  type ImageArray,
  parseFits,
  readFits,
  readImageSection,
  writeFits,
} from '../../src/formats/index.js';

const dir = mkdtempSync(join(tmpdir(), 'meridian-fits-image-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const W = 7;
const H = 5;

/** Pixel values that exercise sign, range ends and (for floats) fractions. */
const samples: Record<string, ImageArray> = {
  uint8: Uint8Array.from({ length: W * H }, (_, i) => (i * 37) % 256),
  int8: Int8Array.from({ length: W * H }, (_, i) => ((i * 37) % 256) - 128),
  int16: Int16Array.from({ length: W * H }, (_, i) => ((i * 1871) % 65536) - 32768),
  uint16: Uint16Array.from({ length: W * H }, (_, i) => (i * 1871) % 65536),
  int32: Int32Array.from({ length: W * H }, (_, i) => (i * 122949823) | 0),
  uint32: Uint32Array.from({ length: W * H }, (_, i) => (i * 122949823) >>> 0),
  int64: BigInt64Array.from(
    { length: W * H },
    (_, i) => BigInt(i) * 263130836933693530n - 4611686018427387904n,
  ),
  uint64: BigUint64Array.from({ length: W * H }, (_, i) => BigInt(i) * 527000000000000000n),
  float32: Float32Array.from({ length: W * H }, (_, i) => (i - 17) * 1.25e-3),
  float64: Float64Array.from({ length: W * H }, (_, i) => (i - 17) * Math.PI * 1e100),
};
const expectedBitpix: Record<string, number> = {
  uint8: 8,
  int8: 8,
  int16: 16,
  uint16: 16,
  int32: 32,
  uint32: 32,
  int64: 64,
  uint64: 64,
  float32: -32,
  float64: -64,
};

describe('image round trips', () => {
  for (const [name, data] of Object.entries(samples)) {
    it(`${name}: same typed array and values back, BITPIX ${expectedBitpix[name]}`, async () => {
      const fits = await parseFits(fitsBuffer([{ kind: 'image', data, shape: [W, H] }]));
      const image = await fits.readImage(0);
      expect(image.bitpix).toBe(expectedBitpix[name]);
      expect(image.shape).toEqual([W, H]);
      expect(image.data.constructor).toBe(data.constructor);
      expect(Array.from(image.data as ArrayLike<number>)).toEqual(Array.from(data as ArrayLike<number>));
    });
  }

  it('writes the unsigned conventions as BZERO with BSCALE 1 and returns stored values with raw', async () => {
    const fits = await parseFits(
      fitsBuffer([{ kind: 'image', data: Uint16Array.of(0, 1, 65535), shape: [3] }]),
    );
    const { header } = fits.hdus[0];
    expect(header.find((c) => c.keyword === 'BZERO')).toMatchObject({ value: 32768 });
    const raw = await fits.readImage(0, { raw: true });
    expect(Array.from(raw.data as Int16Array)).toEqual([-32768, -32767, 32767]);
  });

  it('quantises floats with BSCALE/BZERO and writes NaN as BLANK', async () => {
    const data = Float64Array.of(-1, 0, 0.5, 100.25, Number.NaN);
    const bytes = fitsBuffer([{ kind: 'image', data, encoding: { bitpix: 16, bscale: 0.25, bzero: 10 } }]);
    const fits = await parseFits(bytes);
    expect(fits.hdus[0].header.find((c) => c.keyword === 'BLANK')).toMatchObject({ value: -32768 });
    const image = await fits.readImage(0);
    expect(image.bitpix).toBe(16);
    expect(image.data).toBeInstanceOf(Float32Array);
    expect(Array.from(image.data as Float32Array)).toEqual([-1, 0, 0.5, 100.25, Number.NaN]);
  });

  it('writes header-only and multi-extension files, addressed by index or EXTNAME', async () => {
    const path = join(dir, 'mef.fits');
    await writeFits(path, [
      { kind: 'image' },
      { kind: 'image', name: 'IMAGE', data: samples.float32, shape: [W, H] },
      { kind: 'image', name: 'MASK', data: samples.int32, shape: [W, H] },
    ]);
    const fits = await readFits(path);
    expect(fits.hdus.map((h) => [h.kind, h.name])).toEqual([
      ['image', undefined],
      ['image', 'IMAGE'],
      ['image', 'MASK'],
    ]);
    expect(fits.hdus[0].dataSize).toBe(0);
    expect(Array.from((await fits.readImage('MASK')).data as Int32Array)).toEqual(
      Array.from(samples.int32 as Int32Array),
    );
  });

  it('reads a section with one read per row, in every BITPIX', async () => {
    for (const [name, data] of Object.entries(samples)) {
      const path = join(dir, `section-${name}.fits`);
      await writeFits(path, [{ kind: 'image', data, shape: [W, H] }]);
      const section = await readImageSection(path, 0, { x0: 2, y0: 1, width: 3, height: 2 });
      const expected = [1, 2].flatMap((y) => [2, 3, 4].map((x) => data[y * W + x]));
      expect(section.shape).toEqual([3, 2]);
      expect(Array.from(section.data as ArrayLike<number>)).toEqual(expected);
    }
    const fits = await readFits(join(dir, 'section-int16.fits'));
    const full = await fits.readImageSection(0, { x0: 0, y0: 2, width: W, height: 3 });
    expect(Array.from(full.data as Int16Array)).toEqual(
      Array.from((samples.int16 as Int16Array).subarray(2 * W)),
    );
    await expect(fits.readImageSection(0, { x0: 5, y0: 0, width: 3, height: 1 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('writes atomically: no temporary file is left and the old file survives a failed write', async () => {
    const path = join(dir, 'atomic.fits');
    await writeFits(path, [{ kind: 'image', data: samples.uint8, shape: [W, H] }]);
    const bad = { kind: 'image', data: samples.uint8, shape: [W, H + 1] } as const;
    await expect(writeFits(path, [bad])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(dir).filter((f) => f.startsWith('atomic'))).toEqual(['atomic.fits']);
    expect((await readFits(path)).hdus[0].dataSize).toBe(W * H);
  });

  it('reads only header blocks when opening, and only the needed rows for a section', async () => {
    const big = Float32Array.from({ length: 1000 * 1000 }, (_, i) => i);
    const bytes = fitsBuffer([
      { kind: 'image', data: big, shape: [1000, 1000] },
      { kind: 'image', name: 'SECOND', data: big, shape: [1000, 1000] },
    ]);
    let bytesRead = 0;
    const inner = bufferSource(bytes, 'counted.fits');
    const counted: ByteSource = {
      ...inner,
      async open() {
        const reader = await inner.open();
        return {
          read: async (target, position) => {
            const n = await reader.read(target, position);
            bytesRead += n;
            return n;
          },
          close: () => reader.close(),
        };
      },
    };
    const fits = await FitsFile.open(counted);
    expect(fits.hdus).toHaveLength(2);
    expect(bytesRead).toBeLessThan(2880 * 20);
    bytesRead = 0;
    const section = await fits.readImageSection('SECOND', { x0: 10, y0: 500, width: 5, height: 3 });
    expect(bytesRead).toBe(5 * 3 * 4);
    expect(Array.from(section.data as Float32Array).slice(0, 2)).toEqual([500010, 500011]);
  });
});
