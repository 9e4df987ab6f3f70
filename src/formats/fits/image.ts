/**
 * Image data: big-endian pixels of BITPIX 8/16/32/64/-32/-64 (FITS 4.0 section 5) and the BSCALE/BZERO scaling
 * (section 5.3), including the unsigned-integer conventions of table 11 (BITPIX 16 + BZERO 32768 is uint16, etc.).
 * Decoding works in place on a freshly read buffer: byte swap with Buffer.swapNN (native code) and a typed view.
 */

import { meridianError } from '../../errors.js';

export type Bitpix = 8 | 16 | 32 | 64 | -32 | -64;
export const BITPIX_VALUES: readonly Bitpix[] = [8, 16, 32, 64, -32, -64];

export type ImageArray =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** BZERO that turns a signed BITPIX into its unsigned (or, for 8, signed) twin, with BSCALE 1. */
export const SIGN_FLIP_ZERO: Readonly<Record<8 | 16 | 32 | 64, number>> = {
  8: -128,
  16: 32768,
  32: 2147483648,
  64: 2 ** 63,
};

export function bytesPerPixel(bitpix: Bitpix): number {
  return Math.abs(bitpix) / 8;
}

export function isBitpix(value: unknown): value is Bitpix {
  return BITPIX_VALUES.includes(value as Bitpix);
}

/** Big-endian <-> native order, in place, for elements of `size` bytes. */
export function swapToNative(bytes: Uint8Array, size: number): void {
  if (!LITTLE_ENDIAN_HOST || size === 1) return;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (size === 2) buf.swap16();
  else if (size === 4) buf.swap32();
  else buf.swap64();
}

/** Flip the sign bit of every big-endian element: adds or removes the unsigned-convention offset exactly. */
function flipSignBits(bytes: Uint8Array, size: number): void {
  for (let i = 0; i < bytes.length; i += size) bytes[i] ^= 0x80;
}

/** A typed view of native-order bytes of the given kind (the buffer must be aligned to the element size). */
function storedView(bytes: Uint8Array, bitpix: Bitpix, unsigned: boolean): ImageArray {
  const { buffer, byteOffset } = bytes;
  const n = bytes.length / bytesPerPixel(bitpix);
  switch (bitpix) {
    case 8:
      return unsigned ? new Uint8Array(buffer, byteOffset, n) : new Int8Array(buffer, byteOffset, n);
    case 16:
      return unsigned ? new Uint16Array(buffer, byteOffset, n) : new Int16Array(buffer, byteOffset, n);
    case 32:
      return unsigned ? new Uint32Array(buffer, byteOffset, n) : new Int32Array(buffer, byteOffset, n);
    case 64:
      return unsigned ? new BigUint64Array(buffer, byteOffset, n) : new BigInt64Array(buffer, byteOffset, n);
    case -32:
      return new Float32Array(buffer, byteOffset, n);
    case -64:
      return new Float64Array(buffer, byteOffset, n);
  }
}

export interface ImageScaling {
  readonly bscale: number;
  readonly bzero: number;
  /** BLANK: the stored integer that means "no value"; becomes NaN when scaled values are returned. */
  readonly blank?: number | bigint;
}

/**
 * Decode big-endian pixels into physical values. `bytes` is consumed (modified in place and viewed by the result).
 * BITPIX 8 without scaling is Uint8Array; the unsigned conventions give Int8Array/Uint16Array/Uint32Array/
 * BigUint64Array; any other scaling gives Float32Array for BITPIX 8, 16 and -32 and Float64Array otherwise, as
 * astropy does for images; `wide` asks for Float64Array always (astropy's choice for table columns). `raw` returns
 * the stored values and ignores the scaling.
 */
export function decodeImage(
  bytes: Uint8Array,
  bitpix: Bitpix,
  scaling: ImageScaling,
  raw = false,
  wide = false,
): ImageArray {
  const size = bytesPerPixel(bitpix);
  const { bscale, bzero } = scaling;
  const identity = bscale === 1 && bzero === 0;
  if (raw || identity || bitpix < 0 || bscale !== 1 || bzero !== SIGN_FLIP_ZERO[bitpix as 8 | 16 | 32 | 64]) {
    swapToNative(bytes, size);
    const stored = storedView(bytes, bitpix, bitpix === 8);
    return raw || identity ? stored : applyScaling(stored, bitpix, scaling, wide);
  }
  // Unsigned convention: adding BZERO is exactly a flip of the sign bit, done before the swap on the first byte.
  flipSignBits(bytes, size);
  swapToNative(bytes, size);
  return storedView(bytes, bitpix, bitpix !== 8);
}

function applyScaling(
  stored: ImageArray,
  bitpix: Bitpix,
  { bscale, bzero, blank }: ImageScaling,
  wide: boolean,
): ImageArray {
  const out =
    !wide && (bitpix === 8 || bitpix === 16 || bitpix === -32)
      ? new Float32Array(stored.length)
      : new Float64Array(stored.length);
  const blankNumber = blank === undefined || bitpix < 0 ? undefined : Number(blank);
  if (stored instanceof BigInt64Array) {
    for (let i = 0; i < stored.length; i++) {
      const v = Number(stored[i]);
      out[i] = v === blankNumber ? Number.NaN : v * bscale + bzero;
    }
    return out;
  }
  const numeric = stored as Exclude<ImageArray, BigInt64Array | BigUint64Array>;
  for (let i = 0; i < numeric.length; i++) {
    const v = numeric[i];
    out[i] = v === blankNumber ? Number.NaN : v * bscale + bzero;
  }
  return out;
}

/** What the writer needs to know about the stored representation of an image. */
export interface EncodedImage {
  readonly bitpix: Bitpix;
  readonly bscale: number;
  readonly bzero: number;
  readonly blank?: number;
  /** Bytes of big-endian pixels, unpadded. */
  readonly byteLength: number;
  /**
   * The big-endian pixels in order, in chunks written into one reused buffer: consume each chunk before asking for
   * the next. Chunking keeps the copy-and-swap in cache and avoids a second full-size buffer when writing.
   */
  chunks(): Generator<Uint8Array>;
}

export interface ImageEncoding {
  /** Store physical floating-point values as integers of this BITPIX with the given scaling (quantisation). */
  readonly bitpix?: 8 | 16 | 32;
  readonly bscale?: number;
  readonly bzero?: number;
}

function naturalBitpix(data: ImageArray): { bitpix: Bitpix; bzero: number } {
  if (data instanceof Uint8Array) return { bitpix: 8, bzero: 0 };
  if (data instanceof Int8Array) return { bitpix: 8, bzero: -128 };
  if (data instanceof Int16Array) return { bitpix: 16, bzero: 0 };
  if (data instanceof Uint16Array) return { bitpix: 16, bzero: 32768 };
  if (data instanceof Int32Array) return { bitpix: 32, bzero: 0 };
  if (data instanceof Uint32Array) return { bitpix: 32, bzero: 2147483648 };
  if (data instanceof BigInt64Array) return { bitpix: 64, bzero: 0 };
  if (data instanceof BigUint64Array) return { bitpix: 64, bzero: 2 ** 63 };
  if (data instanceof Float32Array) return { bitpix: -32, bzero: 0 };
  return { bitpix: -64, bzero: 0 };
}

/** 4 MiB, a multiple of every pixel size: few write calls, yet small enough to stay in the CPU cache. */
const CHUNK_BYTES = 4 << 20;

function* bigEndianChunks(data: ImageArray, size: number, flipSign: boolean): Generator<Uint8Array> {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // Unzeroed memory: every byte handed out is first overwritten by the copy.
  const chunk = new Uint8Array(Buffer.allocUnsafeSlow(Math.min(CHUNK_BYTES, bytes.length)).buffer);
  for (let offset = 0; offset < bytes.length; offset += chunk.length) {
    const part = chunk.subarray(0, Math.min(chunk.length, bytes.length - offset));
    part.set(bytes.subarray(offset, offset + part.length));
    swapToNative(part, size);
    // The unsigned conventions store value - BZERO, which is the value with its sign bit flipped.
    if (flipSign) flipSignBits(part, size);
    yield part;
  }
}

/** All chunks of an encoded image in one fresh buffer. */
export function encodedBytes(encoded: EncodedImage): Uint8Array {
  const out = new Uint8Array(encoded.byteLength);
  let at = 0;
  for (const chunk of encoded.chunks()) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

export function encodeImage(data: ImageArray, encoding: ImageEncoding = {}): EncodedImage {
  if (encoding.bitpix === undefined) {
    const { bitpix, bzero } = naturalBitpix(data);
    const size = bytesPerPixel(bitpix);
    return {
      bitpix,
      bscale: 1,
      bzero,
      byteLength: data.byteLength,
      chunks: () => bigEndianChunks(data, size, bzero !== 0),
    };
  }
  return quantise(data, encoding.bitpix, encoding.bscale ?? 1, encoding.bzero ?? 0);
}

const INTEGER_RANGE = { 8: [0, 255], 16: [-32768, 32767], 32: [-2147483648, 2147483647] } as const;

/**
 * Store physical values v as round((v - BZERO) / BSCALE), clamped to the stored range. The lowest stored value is
 * reserved for BLANK, which NaN becomes; BLANK is written only when the image has NaNs.
 */
function quantise(data: ImageArray, bitpix: 8 | 16 | 32, bscale: number, bzero: number): EncodedImage {
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    throw meridianError(
      'INVALID_ARGUMENT',
      'quantised images take number arrays, not 64-bit integer arrays',
      {},
    );
  }
  if (!(bscale !== 0 && Number.isFinite(bscale) && Number.isFinite(bzero))) {
    throw meridianError('INVALID_ARGUMENT', `invalid image scaling BSCALE=${bscale} BZERO=${bzero}`, {});
  }
  const [lo, hi] = INTEGER_RANGE[bitpix];
  const blank = lo;
  const stored =
    bitpix === 8
      ? new Uint8Array(data.length)
      : bitpix === 16
        ? new Int16Array(data.length)
        : new Int32Array(data.length);
  let hasNaN = false;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (Number.isNaN(v)) {
      hasNaN = true;
      stored[i] = blank;
    } else {
      stored[i] = Math.min(hi, Math.max(lo + 1, Math.round((v - bzero) / bscale)));
    }
  }
  const encoded = {
    bitpix,
    bscale,
    bzero,
    byteLength: stored.byteLength,
    chunks: () => bigEndianChunks(stored, bytesPerPixel(bitpix), false),
  };
  return hasNaN ? { ...encoded, blank } : encoded;
}
