/**
 * Writing FITS: HDU specifications (typed data plus extra header cards) become headers with the mandatory
 * keywords computed here, big-endian data and zero padding, optionally with DATASUM/CHECKSUM.
 */

import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { meridianError } from '../../errors.js';
import { formatCard, type HeaderCard, valueCard } from './card.js';
import {
  addSums,
  CHECKSUM_PLACEHOLDER,
  datasumString,
  encodeChecksum,
  onesComplementSum,
} from './checksum.js';
import { headerBytes, paddedSize } from './header.js';
import {
  type EncodedImage,
  encodeImage,
  type ImageArray,
  type ImageEncoding,
  SIGN_FLIP_ZERO,
} from './image.js';
import { type ColumnSpec, encodeTable } from './table.js';

export interface ImageHduSpec {
  readonly kind: 'image';
  /** Pixels in FITS order (NAXIS1 varies fastest). Omit for a header-only HDU. */
  readonly data?: ImageArray;
  /** NAXIS1, NAXIS2, ...; defaults to [data.length]. */
  readonly shape?: readonly number[];
  readonly encoding?: ImageEncoding;
  /** EXTNAME. */
  readonly name?: string;
  /** Extra cards, written after the mandatory ones. Structural keywords in here are ignored (they are computed). */
  readonly cards?: readonly HeaderCard[];
}

export interface TableHduSpec {
  readonly kind: 'bintable';
  readonly columns: readonly ColumnSpec[];
  readonly name?: string;
  readonly cards?: readonly HeaderCard[];
}

export type HduSpec = ImageHduSpec | TableHduSpec;

export interface WriteOptions {
  /** Add DATASUM and CHECKSUM to every HDU. */
  readonly checksum?: boolean;
}

export interface WriteFileOptions extends WriteOptions {
  /** fsync the file before the rename (slower; survives a power cut). */
  readonly durable?: boolean;
}

/** Keywords the writer computes; copies of them in `cards` are dropped so a header read from a file can be reused. */
const STRUCTURAL =
  /^(SIMPLE|XTENSION|BITPIX|NAXIS\d*|EXTEND|PCOUNT|GCOUNT|GROUPS|TFIELDS|THEAP|BSCALE|BZERO|BLANK|CHECKSUM|DATASUM|END|T(TYPE|FORM|UNIT|NULL|SCAL|ZERO|DIM)\d+)$/;

function userCards(spec: HduSpec): HeaderCard[] {
  return (spec.cards ?? []).filter(
    (card) =>
      !STRUCTURAL.test(card.keyword.toUpperCase()) &&
      !(spec.name !== undefined && card.keyword === 'EXTNAME'),
  );
}

/** A value for BZERO: 2^63 is exact only as a bigint. */
function zeroValue(zero: number): number | bigint {
  return zero === SIGN_FLIP_ZERO[64] ? 9223372036854775808n : zero;
}

/** The data unit of an HDU as big-endian chunks (see EncodedImage.chunks: consume each before the next). */
interface DataUnit {
  readonly byteLength: number;
  chunks(): Iterable<Uint8Array>;
}

interface HduParts {
  readonly header: Buffer;
  readonly data: DataUnit;
}

const NO_DATA: DataUnit = { byteLength: 0, chunks: () => [] };

function imageParts(spec: ImageHduSpec, primary: boolean): { cards: HeaderCard[]; data: DataUnit } {
  const encoded: EncodedImage | undefined = spec.data && encodeImage(spec.data, spec.encoding);
  const shape = spec.shape ?? (spec.data ? [spec.data.length] : []);
  const count = shape.reduce((a, b) => a * b, 1);
  if (spec.data ? count !== spec.data.length : shape.length > 0) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `image shape ${JSON.stringify(shape)} does not match ${spec.data?.length ?? 0} pixels`,
      {
        shape,
      },
    );
  }
  const cards: HeaderCard[] = [
    primary
      ? valueCard('SIMPLE', true, 'conforms to FITS standard')
      : valueCard('XTENSION', 'IMAGE', 'image extension'),
    valueCard('BITPIX', encoded?.bitpix ?? 8, 'bits per data value'),
    valueCard('NAXIS', shape.length, 'number of data axes'),
    ...shape.map((n, i) => valueCard(`NAXIS${i + 1}`, n)),
  ];
  if (primary) cards.push(valueCard('EXTEND', true, 'may contain extensions'));
  else cards.push(valueCard('PCOUNT', 0), valueCard('GCOUNT', 1));
  if (spec.name !== undefined) cards.push(valueCard('EXTNAME', spec.name));
  if (encoded && (encoded.bscale !== 1 || encoded.bzero !== 0)) {
    cards.push(valueCard('BSCALE', encoded.bscale), valueCard('BZERO', zeroValue(encoded.bzero)));
  }
  if (encoded?.blank !== undefined) cards.push(valueCard('BLANK', encoded.blank));
  return { cards: [...cards, ...userCards(spec)], data: encoded ?? NO_DATA };
}

function tableParts(spec: TableHduSpec): { cards: HeaderCard[]; data: DataUnit } {
  const table = encodeTable(spec.columns);
  const cards: HeaderCard[] = [
    valueCard('XTENSION', 'BINTABLE', 'binary table extension'),
    valueCard('BITPIX', 8),
    valueCard('NAXIS', 2),
    valueCard('NAXIS1', table.rowBytes, 'bytes per row'),
    valueCard('NAXIS2', table.nrows, 'number of rows'),
    valueCard('PCOUNT', table.heap.length, 'heap size'),
    valueCard('GCOUNT', 1),
    valueCard('TFIELDS', spec.columns.length, 'number of columns'),
  ];
  if (spec.name !== undefined) cards.push(valueCard('EXTNAME', spec.name));
  const data = new Uint8Array(table.main.length + table.heap.length);
  data.set(table.main);
  data.set(table.heap, table.main.length);
  return {
    cards: [...cards, ...table.cards, ...userCards(spec)],
    data: { byteLength: data.length, chunks: () => [data] },
  };
}

/** Header with DATASUM and a CHECKSUM that makes the whole HDU sum to negative zero (appendix J). */
function checksummedHeader(cards: HeaderCard[], data: DataUnit): Buffer {
  let dataSum = 0;
  for (const chunk of data.chunks()) {
    // Only the last chunk can end off a 4-byte boundary; the zero padding that follows it adds nothing.
    const whole = chunk.length % 4 === 0 ? chunk : new Uint8Array(Math.ceil(chunk.length / 4) * 4);
    if (whole !== chunk) whole.set(chunk);
    dataSum = onesComplementSum(whole, dataSum);
  }
  const withSums = (checksum: string) => [
    ...cards,
    valueCard('CHECKSUM', checksum, 'HDU checksum'),
    valueCard('DATASUM', datasumString(dataSum), 'data unit checksum'),
  ];
  const draft = headerBytes(withSums(CHECKSUM_PLACEHOLDER));
  return headerBytes(withSums(encodeChecksum(addSums(onesComplementSum(draft), dataSum))));
}

/**
 * FITS 4.0 made CONTINUE long strings standard, but readers of the OGIP convention (fitsverify among them) look for
 * LONGSTRN to announce it, so it is added whenever a string needs CONTINUE cards.
 */
function announceLongStrings(cards: HeaderCard[]): HeaderCard[] {
  const long = cards.some(
    (c) => c.kind === 'value' && typeof c.value === 'string' && formatCard(c).length > 1,
  );
  if (!long || cards.some((c) => c.keyword === 'LONGSTRN')) return cards;
  return [...cards, valueCard('LONGSTRN', 'OGIP 1.0', 'long string convention (CONTINUE) may be used')];
}

function hduParts(specs: readonly HduSpec[], options: WriteOptions): HduParts[] {
  // The primary HDU must be an image; a file of tables gets an empty primary HDU.
  const all: readonly HduSpec[] = specs[0]?.kind === 'image' ? specs : [{ kind: 'image' }, ...specs];
  return all.map((spec, i) => {
    const parts = spec.kind === 'image' ? imageParts(spec, i === 0) : tableParts(spec);
    const { data } = parts;
    const cards = announceLongStrings(parts.cards);
    return { header: options.checksum ? checksummedHeader(cards, data) : headerBytes(cards), data };
  });
}

/** The whole file in memory: one allocation, zero-filled, so the data padding needs no writing. */
export function fitsBuffer(specs: readonly HduSpec[], options: WriteOptions = {}): Buffer {
  const parts = hduParts(specs, options);
  const out = Buffer.alloc(parts.reduce((n, p) => n + p.header.length + paddedSize(p.data.byteLength), 0));
  let at = 0;
  for (const { header, data } of parts) {
    out.set(header, at);
    let chunkAt = at + header.length;
    for (const chunk of data.chunks()) {
      out.set(chunk, chunkAt);
      chunkAt += chunk.length;
    }
    at += header.length + paddedSize(data.byteLength);
  }
  return out;
}

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done);
    done += bytesWritten;
  }
}

/** Write a FITS file atomically: into a temporary file in the same directory, then renamed over `path`. */
export async function writeFits(
  path: string,
  specs: readonly HduSpec[],
  options: WriteFileOptions = {},
): Promise<void> {
  const parts = hduParts(specs, options);
  const temporary = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const handle = await open(temporary, 'wx');
  try {
    for (const { header, data } of parts) {
      await writeAll(handle, header);
      for (const chunk of data.chunks()) await writeAll(handle, chunk);
      await writeAll(handle, new Uint8Array(paddedSize(data.byteLength) - data.byteLength));
    }
    if (options.durable) await handle.sync();
    await handle.close();
    await rename(temporary, path);
  } catch (err) {
    await handle.close().catch(() => {});
    await unlink(temporary).catch(() => {});
    throw err;
  }
}
