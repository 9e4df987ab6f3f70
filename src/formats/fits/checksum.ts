/**
 * The FITS checksum convention (Seaman, Pence & Rots 2002; FITS 4.0 appendix J): DATASUM is the 32-bit ones'
 * complement sum of the data blocks as an unsigned decimal string; CHECKSUM is a 16-character ASCII encoding of the
 * complement of the sum of the whole HDU, chosen so that the HDU (header + data) then sums to negative zero.
 */

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Words per inner batch: 256 * 255 < 65536, so the per-byte sums packed two per 32-bit lane never overlap. */
const BATCH_WORDS = 256;

/** Fold 16-bit half sums (each may exceed 16 bits) into a 32-bit ones' complement value. */
function fold(hi: number, lo: number): number {
  while (hi > 0xffff || lo > 0xffff) {
    const hiCarry = Math.floor(hi / 0x10000);
    const loCarry = Math.floor(lo / 0x10000);
    hi = (hi % 0x10000) + loCarry;
    lo = (lo % 0x10000) + hiCarry;
  }
  return (hi * 0x10000 + lo) >>> 0;
}

/**
 * Ones' complement sum of big-endian 32-bit words, continuing from `initial`. `bytes.length` must be a multiple of
 * 4 (HDU blocks always are). Per-byte-position sums are accumulated through a native-endian 32-bit view, which
 * avoids a DataView call per word.
 */
export function onesComplementSum(bytes: Uint8Array, initial = 0): number {
  if (bytes.length % 4 !== 0) throw new RangeError('checksum input must be a multiple of 4 bytes');
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : new Uint8Array(bytes);
  const words = new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.length / 4);
  // byteSums[k] = sum of the k-th byte (in file order) of every word.
  const byteSums = [0, 0, 0, 0];
  for (let start = 0; start < words.length; start += BATCH_WORDS) {
    const end = Math.min(start + BATCH_WORDS, words.length);
    let evenLanes = 0; // native bytes 0 and 2
    let oddLanes = 0; // native bytes 1 and 3
    for (let i = start; i < end; i++) {
      const w = words[i];
      evenLanes += w & 0x00ff00ff;
      oddLanes += (w >>> 8) & 0x00ff00ff;
    }
    const native = [evenLanes & 0xffff, oddLanes & 0xffff, evenLanes >>> 16, oddLanes >>> 16];
    for (let k = 0; k < 4; k++) byteSums[LITTLE_ENDIAN_HOST ? k : 3 - k] += native[k];
  }
  const hi = byteSums[0] * 256 + byteSums[1] + Math.floor(initial / 0x10000);
  const lo = byteSums[2] * 256 + byteSums[3] + (initial % 0x10000);
  return fold(hi, lo);
}

/** Ones' complement addition of two 32-bit sums. */
export function addSums(a: number, b: number): number {
  return fold(Math.floor(a / 0x10000) + Math.floor(b / 0x10000), (a % 0x10000) + (b % 0x10000));
}

// ASCII punctuation between the digits and the letters, which the encoding avoids.
const EXCLUDED = new Set([0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60]);

/**
 * 16-character encoding of a 32-bit value. Each byte is spread over four characters around offset 0x30 ('0');
 * pairs are nudged up/down together (keeping the sum) to avoid punctuation; the result is rotated right by one
 * character so that it lines up with 32-bit word boundaries in the card, which starts at an offset of 1 mod 4.
 */
export function encodeChecksum(value: number, complement = true): string {
  const v = complement ? ~value >>> 0 : value >>> 0;
  const ascii = new Array<number>(16);
  for (let i = 0; i < 4; i++) {
    const byte = (v >>> (24 - 8 * i)) & 0xff;
    const quotient = (byte >> 2) + 0x30;
    const ch = [quotient + (byte & 3), quotient, quotient, quotient];
    let adjusted = true;
    while (adjusted) {
      adjusted = false;
      for (let j = 0; j < 4; j += 2) {
        if (EXCLUDED.has(ch[j]) || EXCLUDED.has(ch[j + 1])) {
          ch[j]++;
          ch[j + 1]--;
          adjusted = true;
        }
      }
    }
    for (let j = 0; j < 4; j++) ascii[4 * j + i] = ch[j];
  }
  let out = '';
  for (let i = 0; i < 16; i++) out += String.fromCharCode(ascii[(i + 15) % 16]);
  return out;
}

/** The value of the DATASUM keyword for a data sum. */
export function datasumString(sum: number): string {
  return String(sum >>> 0);
}

/** A CHECKSUM placeholder: 16 '0' characters, the zero point of the encoding. */
export const CHECKSUM_PLACEHOLDER = '0000000000000000';
