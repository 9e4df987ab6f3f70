import { describe, expect, it } from 'vitest';
import { addSums, encodeChecksum, onesComplementSum } from '../../src/formats/fits/checksum.js';
import { fitsBuffer, parseFits } from '../../src/formats/index.js';

/** The definition, word by word with a DataView: 32-bit big-endian words added with end-around carry. */
function referenceSum(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 4) {
    sum += view.getUint32(i);
    if (sum > 0xffffffff) sum -= 0xffffffff;
  }
  return sum;
}

function pseudoRandomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let state = seed;
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

describe('FITS checksum', () => {
  it('matches the word-by-word definition on random, all-ones and unaligned input', () => {
    for (const size of [4, 1024, 2880 * 3, 100_004]) {
      const bytes = pseudoRandomBytes(size, size);
      expect(onesComplementSum(bytes)).toBe(referenceSum(bytes));
    }
    const ones = new Uint8Array(2880).fill(0xff);
    expect(onesComplementSum(ones)).toBe(referenceSum(ones));
    const unaligned = pseudoRandomBytes(2881, 7).subarray(1);
    expect(onesComplementSum(unaligned)).toBe(referenceSum(unaligned));
  });

  it('continues a running sum and adds sums with end-around carry', () => {
    const bytes = pseudoRandomBytes(2880 * 2, 3);
    const first = onesComplementSum(bytes.subarray(0, 2880));
    expect(onesComplementSum(bytes.subarray(2880), first)).toBe(onesComplementSum(bytes));
    expect(addSums(first, onesComplementSum(bytes.subarray(2880)))).toBe(onesComplementSum(bytes));
    expect(addSums(0xffffffff, 1)).toBe(1);
  });

  it('encodes to 16 alphanumeric characters whose bytes add the encoded value to the zero-string sum', () => {
    for (const value of [0, 1, 0x7fffffff, 0xdeadbeef, 0xffffffff, 123456789]) {
      const text = encodeChecksum(value, false);
      expect(text).toMatch(/^[0-9A-Za-z]{16}$/);
      // Undo the one-character rotation, then sum the 16 characters as 4 big-endian words, minus the '0' offsets.
      const unrotated = text.slice(1) + text[0];
      const zeros = onesComplementSum(Buffer.from('0'.repeat(16), 'latin1'));
      const encoded = onesComplementSum(Buffer.from(unrotated, 'latin1'));
      expect(addSums(encoded, ~zeros >>> 0)).toBe(
        referenceSum(Uint8Array.of(value >>> 24, value >>> 16, value >>> 8, value)) || 0xffffffff,
      );
    }
  });

  it('makes every HDU of a written file sum to negative zero', async () => {
    const bytes = fitsBuffer(
      [
        { kind: 'image', data: Float32Array.from(pseudoRandomBytes(4000, 1)) },
        { kind: 'bintable', columns: [{ name: 'x', tform: 'J', values: Int32Array.of(1, 2, 3) }] },
      ],
      { checksum: true },
    );
    const fits = await parseFits(bytes);
    for (const hdu of fits.hdus) {
      const end = hdu.dataOffset + Math.ceil(hdu.dataSize / 2880) * 2880;
      expect(onesComplementSum(bytes.subarray(hdu.headerOffset, end))).toBe(0xffffffff);
    }
    expect((await fits.verifyChecksums()).every((s) => s.checksum === 'ok' && s.datasum === 'ok')).toBe(true);
  });
});
