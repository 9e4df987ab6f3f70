import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { valueCard } from '../../src/formats/fits/card.js';
import { headerBytes } from '../../src/formats/fits/header.js';
import { fitsBuffer, parseFits, readFits, writeFits } from '../../src/formats/index.js';

const dir = mkdtempSync(join(tmpdir(), 'meridian-fits-corrupt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const goodFile = fitsBuffer(
  [
    { kind: 'image', data: Int16Array.from({ length: 100 }, (_, i) => i), shape: [10, 10] },
    { kind: 'image', name: 'SECOND', data: new Float32Array(2000), shape: [50, 40] },
  ],
  { checksum: true },
);

function damaged(name: string, edit: (bytes: Buffer) => Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, edit(Buffer.from(goodFile)));
  return path;
}

/** The error must carry FITS_INVALID and name the file and the HDU, in the message and in the details. */
function expectInvalid(err: unknown, path: string, hdu: number): void {
  expect(err).toMatchObject({ code: 'FITS_INVALID', details: { file: path, hdu } });
  expect((err as Error).message).toContain(path);
  expect((err as Error).message).toContain(`HDU ${hdu}`);
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

describe('corrupt and unsupported files', () => {
  it('truncated data in the last HDU', async () => {
    const path = damaged('truncated-data.fits', (b) => b.subarray(0, b.length - 5000));
    expectInvalid(await failure(readFits(path)), path, 1);
  });

  it('file cut inside a header (no END card)', async () => {
    const path = damaged('truncated-header.fits', (b) => b.subarray(0, 2880 * 2 + 1000));
    expectInvalid(await failure(readFits(path)), path, 1);
  });

  it('non-ASCII byte in a header', async () => {
    const path = damaged('binary-header.fits', (b) => {
      b[200] = 0x07;
      return b;
    });
    const err = await failure(readFits(path));
    expectInvalid(err, path, 0);
    expect(err).toMatchObject({ details: { card: 3 } });
  });

  it('unparseable value, first keyword not SIMPLE, bad BITPIX, garbage instead of an extension', async () => {
    const replaceText = (at: number, text: string) => (b: Buffer) => {
      b.write(text, at, 'latin1');
      return b;
    };
    const cases: [string, (b: Buffer) => Buffer, number][] = [
      ['bad-value.fits', replaceText(80 * 3 + 10, '  abc!!'), 0],
      ['no-simple.fits', replaceText(0, 'SIMPLX'), 0],
      ['bad-bitpix.fits', replaceText(80 + 10, '                  17'), 0],
      ['garbage-extension.fits', replaceText(2880 * 2, 'GARBAGE GARBAGE'), 1],
    ];
    for (const [name, edit, hdu] of cases) {
      const path = damaged(name, edit);
      expectInvalid(await failure(readFits(path)), path, hdu);
    }
  });

  it('checksum mismatch is found when asked, and only then', async () => {
    const path = damaged('flipped.fits', (b) => {
      b[2880 * 3 + 10] ^= 0x40;
      return b;
    });
    const fits = await readFits(path);
    await expect(fits.readImage('SECOND')).resolves.toBeDefined();
    expectInvalid(await failure(fits.readImage('SECOND', { verifyChecksum: true })), path, 1);
    await expect(fits.readImage(0, { verifyChecksum: true })).resolves.toBeDefined();
    expect(await fits.verifyChecksums()).toEqual([
      { hdu: 0, datasum: 'ok', checksum: 'ok' },
      { hdu: 1, datasum: 'bad', checksum: 'bad' },
    ]);
  });

  it('a variable-length array pointing outside the heap', async () => {
    const bytes = fitsBuffer([
      { kind: 'bintable', columns: [{ name: 'v', tform: 'PJ', values: [Int32Array.of(1, 2)] }] },
    ]);
    // The descriptor of row 0 is the first 8 bytes of the table data (HDU 1 data starts after two header blocks
    // of the primary and table); make its offset point far beyond the 8-byte heap.
    const dataStart = 2880 * 2;
    bytes.writeInt32BE(1000, dataStart + 4);
    const err = await failure((await parseFits(bytes, 'heap.fits')).readTable(1));
    expectInvalid(err, 'heap.fits', 1);
  });

  it('ASCII tables are FITS_UNSUPPORTED; missing files FILE_NOT_FOUND', async () => {
    const primary = headerBytes([valueCard('SIMPLE', true), valueCard('BITPIX', 8), valueCard('NAXIS', 0)]);
    const ascii = headerBytes([
      valueCard('XTENSION', 'TABLE'),
      valueCard('BITPIX', 8),
      valueCard('NAXIS', 2),
      valueCard('NAXIS1', 4),
      valueCard('NAXIS2', 1),
      valueCard('PCOUNT', 0),
      valueCard('GCOUNT', 1),
      valueCard('TFIELDS', 1),
      valueCard('TFORM1', 'I4'),
      valueCard('TBCOL1', 1),
    ]);
    const data = Buffer.alloc(2880, 0x20);
    data.write('  42');
    const path = join(dir, 'ascii.fits');
    writeFileSync(path, Buffer.concat([primary, ascii, data]));
    const fits = await readFits(path);
    expect(fits.hdus[1].kind).toBe('ascii-table');
    await expect(fits.readTable(1)).rejects.toMatchObject({ code: 'FITS_UNSUPPORTED' });
    await expect(readFits(join(dir, 'missing.fits'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    const compressed = fitsBuffer([
      {
        kind: 'bintable',
        columns: [{ name: 'COMPRESSED_DATA', tform: 'PB', values: [Uint8Array.of(1)] }],
        cards: [valueCard('ZIMAGE', true), valueCard('ZBITPIX', 16)],
      },
    ]);
    await expect((await parseFits(compressed)).readImage(1)).rejects.toMatchObject({
      code: 'FITS_UNSUPPORTED',
    });
  });

  it('tolerates a zero-filled trailing record but not a non-FITS file', async () => {
    const path = join(dir, 'trailing.fits');
    await writeFits(path, [{ kind: 'image', data: Uint8Array.of(1, 2, 3) }]);
    writeFileSync(path, Buffer.concat([readFileSync(path), Buffer.alloc(2880)]));
    expect((await readFits(path)).hdus).toHaveLength(1);
    const text = join(dir, 'text.fits');
    writeFileSync(text, 'just some text\n'.repeat(300));
    expectInvalid(await failure(readFits(text)), text, 0);
  });
});
