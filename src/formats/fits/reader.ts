/**
 * Reading FITS files: `readFits` scans the headers of every HDU (reading only header blocks) and returns a
 * FitsFile whose methods read one HDU's data on demand; `readImageSection` reads only the rows of a cutout.
 */

import { meridianError } from '../../errors.js';
import { CHECKSUM_PLACEHOLDER, datasumString, onesComplementSum } from './checksum.js';
import {
  BLOCK_SIZE,
  type FitsHeader,
  type FitsLocation,
  fitsInvalid,
  headerNumber,
  headerString,
  headerValue,
  paddedSize,
  parseHeaderBlocks,
  requireInteger,
} from './header.js';
import { type Bitpix, bytesPerPixel, decodeImage, type ImageArray, isBitpix } from './image.js';
import { type ByteSource, bufferSource, fileSource, type PositionedReader, withReader } from './source.js';
import { columnLayouts, decodeTable, type FitsTable } from './table.js';

export type HduKind = 'image' | 'bintable' | 'ascii-table' | 'other';

export interface HduInfo {
  readonly index: number;
  readonly kind: HduKind;
  /** EXTNAME, when present. */
  readonly name?: string;
  readonly header: FitsHeader;
  readonly headerOffset: number;
  readonly dataOffset: number;
  /** Data bytes without the padding to 2880 (for tables: main table plus heap). */
  readonly dataSize: number;
}

export interface FitsImage {
  readonly kind: 'image';
  /** NAXIS1, NAXIS2, ... (FITS order: the first axis varies fastest). */
  readonly shape: readonly number[];
  readonly width: number;
  readonly height: number;
  readonly bitpix: Bitpix;
  /** Physical values (BSCALE/BZERO applied) unless `raw` was asked. */
  readonly data: ImageArray;
}

/** A rectangle in 0-based pixel indices; x along NAXIS1, y along NAXIS2. */
export interface PixelBox {
  readonly x0: number;
  readonly y0: number;
  readonly width: number;
  readonly height: number;
}

export interface ReadDataOptions {
  /** Check DATASUM and CHECKSUM (when present) before decoding; a mismatch is FITS_INVALID. */
  readonly verifyChecksum?: boolean;
}

export interface ReadImageOptions extends ReadDataOptions {
  /** Return the stored values, ignoring BSCALE/BZERO. */
  readonly raw?: boolean;
}

export interface ChecksumStatus {
  readonly hdu: number;
  /** `ok`, `bad`, or `absent` when the keyword is not in the header. */
  readonly datasum: 'ok' | 'bad' | 'absent';
  readonly checksum: 'ok' | 'bad' | 'absent';
}

/** Bytes of the data part of an HDU (FITS 4.0 eq. 2): |BITPIX|/8 * GCOUNT * (PCOUNT + NAXIS1 * ... * NAXISn). */
function dataByteCount(header: FitsHeader, where: FitsLocation, primary: boolean): number {
  const bitpix = requireInteger(header, 'BITPIX', where);
  if (!isBitpix(bitpix)) throw fitsInvalid(where, `BITPIX ${bitpix} is not one of 8, 16, 32, 64, -32, -64`);
  const naxis = requireInteger(header, 'NAXIS', where);
  if (naxis < 0 || naxis > 999) throw fitsInvalid(where, `NAXIS ${naxis} is out of range`);
  if (naxis === 0) return 0;
  const groups =
    primary && headerValue(header, 'GROUPS') === true && requireInteger(header, 'NAXIS1', where) === 0;
  let count = 1;
  for (let i = groups ? 2 : 1; i <= naxis; i++) {
    const n = requireInteger(header, `NAXIS${i}`, where);
    if (n < 0) throw fitsInvalid(where, `NAXIS${i} is negative`);
    count *= n;
  }
  const pcount = primary && !groups ? 0 : (headerNumber(header, 'PCOUNT') ?? 0);
  const gcount = primary && !groups ? 1 : (headerNumber(header, 'GCOUNT') ?? 1);
  return bytesPerPixel(bitpix) * gcount * (pcount + count);
}

function hduKind(header: FitsHeader, primary: boolean): HduKind {
  if (primary) return 'image';
  const xtension = headerString(header, 'XTENSION')?.trim();
  if (xtension === 'IMAGE') return 'image';
  if (xtension === 'BINTABLE') return 'bintable';
  if (xtension === 'TABLE') return 'ascii-table';
  return 'other';
}

const HEADER_CHUNK = 8 * BLOCK_SIZE;

async function readHeaderAt(
  reader: PositionedReader,
  source: ByteSource,
  offset: number,
  where: FitsLocation,
): Promise<{ header: FitsHeader; byteLength: number }> {
  let bytes = new Uint8Array(0);
  for (;;) {
    const chunk = new Uint8Array(Math.min(HEADER_CHUNK, Math.max(0, source.size - offset - bytes.length)));
    const got = chunk.length === 0 ? 0 : await reader.read(chunk, offset + bytes.length);
    const wholeBlocks = Math.floor((bytes.length + got) / BLOCK_SIZE) * BLOCK_SIZE;
    const grown = new Uint8Array(bytes.length + got);
    grown.set(bytes);
    grown.set(chunk.subarray(0, got), bytes.length);
    bytes = grown;
    const parsed = parseHeaderBlocks(bytes.subarray(0, wholeBlocks), where);
    if (parsed) return { header: parsed.cards, byteLength: parsed.byteLength };
    if (got === 0 || got < chunk.length || bytes.length >= source.size - offset) {
      throw fitsInvalid(where, 'header is truncated: no END card before the end of the file', { offset });
    }
  }
}

async function scanHdus(source: ByteSource): Promise<HduInfo[]> {
  return withReader(source, async (reader) => {
    const hdus: HduInfo[] = [];
    let offset = 0;
    while (offset < source.size) {
      const index = hdus.length;
      const where = { file: source.name, hdu: index };
      if (index > 0) {
        const start = new Uint8Array(Math.min(BLOCK_SIZE, source.size - offset));
        await reader.read(start, offset);
        // Bytes after the last HDU that are not an extension: tolerate short or zero-filled trailing records.
        const text = Buffer.from(start.subarray(0, 10)).toString('latin1');
        if (!text.startsWith('XTENSION')) {
          if (start.length < BLOCK_SIZE || start.every((b) => b === 0)) break;
          throw fitsInvalid(where, 'expected an XTENSION header after the previous HDU', { offset });
        }
      }
      const { header, byteLength } = await readHeaderAt(reader, source, offset, where);
      const first = header[0];
      const expected = index === 0 ? 'SIMPLE' : 'XTENSION';
      if (first?.kind !== 'value' || first.keyword !== expected) {
        throw fitsInvalid(where, `the first keyword must be ${expected}`, { keyword: first?.keyword });
      }
      const dataOffset = offset + byteLength;
      const dataSize = dataByteCount(header, where, index === 0);
      if (dataOffset + dataSize > source.size) {
        throw fitsInvalid(
          where,
          `data is truncated: needs ${dataSize} bytes, file has ${source.size - dataOffset}`,
          {
            dataOffset,
            dataSize,
          },
        );
      }
      const name = headerString(header, 'EXTNAME');
      const kind = hduKind(header, index === 0);
      hdus.push(
        Object.freeze({
          index,
          kind,
          ...(name === undefined ? {} : { name }),
          header,
          headerOffset: offset,
          dataOffset,
          dataSize,
        }),
      );
      offset = dataOffset + paddedSize(dataSize);
    }
    if (hdus.length === 0) throw fitsInvalid({ file: source.name, hdu: 0 }, 'the file is empty');
    return hdus;
  });
}

export class FitsFile {
  private constructor(
    private readonly source: ByteSource,
    readonly hdus: readonly HduInfo[],
  ) {}

  static async open(source: ByteSource): Promise<FitsFile> {
    return new FitsFile(source, Object.freeze(await scanHdus(source)));
  }

  get path(): string {
    return this.source.name;
  }

  /** HDU by index or by EXTNAME. */
  hdu(which: number | string): HduInfo {
    const info = typeof which === 'number' ? this.hdus[which] : this.hdus.find((h) => h.name === which);
    if (!info) {
      throw meridianError('INVALID_ARGUMENT', `${this.path} has no HDU ${JSON.stringify(which)}`, {
        file: this.path,
        hdu: which,
        count: this.hdus.length,
      });
    }
    return info;
  }

  private location(info: HduInfo): FitsLocation {
    return { file: this.path, hdu: info.index };
  }

  /** The data bytes of an HDU as stored (big-endian), in a fresh aligned buffer; verified when asked. */
  async readData(which: number | string, options: ReadDataOptions = {}): Promise<Uint8Array> {
    const info = this.hdu(which);
    return withReader(this.source, async (reader) => {
      // Unzeroed, unpooled memory (byte offset 0, so typed views are aligned); every byte is overwritten or the
      // read is reported as truncated, so no stale memory can leak into the result.
      const size = options.verifyChecksum
        ? Math.min(paddedSize(info.dataSize), this.source.size - info.dataOffset)
        : info.dataSize;
      const buffer = Buffer.allocUnsafeSlow(size);
      const got = await reader.read(buffer, info.dataOffset);
      if (got < info.dataSize) {
        throw fitsInvalid(this.location(info), `data is truncated: read ${got} of ${info.dataSize} bytes`, {
          dataOffset: info.dataOffset,
        });
      }
      buffer.fill(0, got);
      const data = new Uint8Array(buffer.buffer, 0, size);
      if (!options.verifyChecksum) return data;
      // A file whose last padding is missing is summed as if the padding were there (zeros add nothing).
      const padded = size % 4 === 0 ? data : new Uint8Array(paddedSize(info.dataSize));
      if (padded !== data) padded.set(data);
      const status = await this.checksumStatus(reader, info, padded);
      if (status.datasum === 'bad' || status.checksum === 'bad') {
        throw fitsInvalid(
          this.location(info),
          `checksum mismatch (DATASUM ${status.datasum}, CHECKSUM ${status.checksum})`,
          {
            ...status,
          },
        );
      }
      return padded.subarray(0, info.dataSize);
    });
  }

  private async checksumStatus(
    reader: PositionedReader,
    info: HduInfo,
    paddedData: Uint8Array,
  ): Promise<ChecksumStatus> {
    const dataSum = onesComplementSum(paddedData);
    const declaredDatasum = headerString(info.header, 'DATASUM');
    const declaredChecksum = headerString(info.header, 'CHECKSUM');
    let checksum: ChecksumStatus['checksum'] = 'absent';
    if (declaredChecksum !== undefined) {
      const headerBytes = new Uint8Array(info.dataOffset - info.headerOffset);
      await reader.read(headerBytes, info.headerOffset);
      // A correct HDU sums to negative zero; an all-zero placeholder means "not yet computed".
      const total = onesComplementSum(headerBytes, dataSum);
      checksum = declaredChecksum === CHECKSUM_PLACEHOLDER ? 'bad' : total === 0xffffffff ? 'ok' : 'bad';
    }
    return {
      hdu: info.index,
      datasum:
        declaredDatasum === undefined
          ? 'absent'
          : declaredDatasum.trim() === datasumString(dataSum)
            ? 'ok'
            : 'bad',
      checksum,
    };
  }

  /** DATASUM/CHECKSUM status of every HDU (reads all data). */
  async verifyChecksums(): Promise<ChecksumStatus[]> {
    return withReader(this.source, async (reader) => {
      const report: ChecksumStatus[] = [];
      for (const info of this.hdus) {
        const padded = new Uint8Array(
          Math.min(paddedSize(info.dataSize), this.source.size - info.dataOffset),
        );
        await reader.read(padded, info.dataOffset);
        const whole = padded.length % 4 === 0 ? padded : new Uint8Array(paddedSize(info.dataSize));
        if (whole !== padded) whole.set(padded);
        report.push(await this.checksumStatus(reader, info, whole));
      }
      return report;
    });
  }

  private imageGeometry(info: HduInfo): { bitpix: Bitpix; shape: number[] } {
    const unsupported =
      info.kind === 'bintable' && headerValue(info.header, 'ZIMAGE') === true
        ? 'tile-compressed images'
        : info.index === 0 && headerValue(info.header, 'GROUPS') === true
          ? 'random groups'
          : undefined;
    if (unsupported) {
      throw meridianError(
        'FITS_UNSUPPORTED',
        `${this.path}, HDU ${info.index}: ${unsupported} are not supported`,
        {
          file: this.path,
          hdu: info.index,
        },
      );
    }
    if (info.kind !== 'image') {
      throw meridianError(
        'INVALID_ARGUMENT',
        `${this.path}, HDU ${info.index} is a ${info.kind}, not an image`,
        {
          file: this.path,
          hdu: info.index,
        },
      );
    }
    const where = this.location(info);
    const naxis = requireInteger(info.header, 'NAXIS', where);
    const shape = Array.from({ length: naxis }, (_, i) =>
      requireInteger(info.header, `NAXIS${i + 1}`, where),
    );
    return { bitpix: requireInteger(info.header, 'BITPIX', where) as Bitpix, shape };
  }

  private scaling(info: HduInfo) {
    const blank = headerValue(info.header, 'BLANK');
    const scaling = {
      bscale: headerNumber(info.header, 'BSCALE') ?? 1,
      bzero: headerNumber(info.header, 'BZERO') ?? 0,
    };
    return typeof blank === 'number' || typeof blank === 'bigint' ? { ...scaling, blank } : scaling;
  }

  async readImage(which: number | string = 0, options: ReadImageOptions = {}): Promise<FitsImage> {
    const info = this.hdu(which);
    const { bitpix, shape } = this.imageGeometry(info);
    const bytes = await this.readData(info.index, options);
    const data = decodeImage(bytes, bitpix, this.scaling(info), options.raw);
    // A 1-D image is one row high; an HDU without data (NAXIS = 0) is 0 x 0.
    const height = shape.length === 0 ? 0 : (shape[1] ?? 1);
    return Object.freeze({ kind: 'image', shape, width: shape[0] ?? 0, height, bitpix, data });
  }

  /** Read a rectangle of a 2-D image (or of the first plane of a cube), one positioned read per row. */
  async readImageSection(
    which: number | string,
    box: PixelBox,
    options: { raw?: boolean } = {},
  ): Promise<FitsImage> {
    const info = this.hdu(which);
    const { bitpix, shape } = this.imageGeometry(info);
    const [naxis1 = 0, naxis2 = 1] = shape;
    const { x0, y0, width, height } = box;
    const inside =
      [x0, y0, width, height].every(Number.isInteger) &&
      x0 >= 0 &&
      y0 >= 0 &&
      width >= 0 &&
      height >= 0 &&
      x0 + width <= naxis1 &&
      y0 + height <= naxis2;
    if (!inside) {
      throw meridianError(
        'INVALID_ARGUMENT',
        `section ${JSON.stringify(box)} is outside the ${naxis1}x${naxis2} image`,
        {
          file: this.path,
          hdu: info.index,
          box,
        },
      );
    }
    const pixelBytes = bytesPerPixel(bitpix);
    const rowBytes = width * pixelBytes;
    const bytes = new Uint8Array(rowBytes * height);
    await withReader(this.source, async (reader) => {
      if (width === naxis1) {
        await reader.read(bytes, info.dataOffset + y0 * naxis1 * pixelBytes);
        return;
      }
      for (let row = 0; row < height; row++) {
        const position = info.dataOffset + ((y0 + row) * naxis1 + x0) * pixelBytes;
        await reader.read(bytes.subarray(row * rowBytes, (row + 1) * rowBytes), position);
      }
    });
    const data = decodeImage(bytes, bitpix, this.scaling(info), options.raw);
    return Object.freeze({ kind: 'image', shape: [width, height], width, height, bitpix, data });
  }

  async readTable(which: number | string = 1, options: ReadDataOptions = {}): Promise<FitsTable> {
    const info = this.hdu(which);
    const where = this.location(info);
    if (info.kind !== 'bintable') {
      const code = info.kind === 'ascii-table' ? 'FITS_UNSUPPORTED' : 'INVALID_ARGUMENT';
      throw meridianError(
        code,
        `${this.path}, HDU ${info.index} is a ${info.kind}; readTable reads BINTABLE HDUs`,
        {
          file: this.path,
          hdu: info.index,
        },
      );
    }
    const rowBytes = requireInteger(info.header, 'NAXIS1', where);
    const nrows = requireInteger(info.header, 'NAXIS2', where);
    const layouts = columnLayouts(info.header, rowBytes, where);
    const bytes = await this.readData(info.index, options);
    const mainSize = rowBytes * nrows;
    const heapOffset = headerNumber(info.header, 'THEAP') ?? mainSize;
    if (heapOffset < mainSize || heapOffset > bytes.length)
      throw fitsInvalid(where, `THEAP ${heapOffset} is invalid`);
    return decodeTable(
      bytes.subarray(0, mainSize),
      bytes.subarray(heapOffset),
      layouts,
      nrows,
      rowBytes,
      where,
    );
  }
}

/** Scan a FITS file's headers; data is read later, per HDU, by the FitsFile methods. */
export async function readFits(path: string): Promise<FitsFile> {
  return FitsFile.open(await fileSource(path));
}

/** The same over bytes already in memory (for example the output of `fitsBuffer`). */
export async function parseFits(bytes: Uint8Array, name?: string): Promise<FitsFile> {
  return FitsFile.open(bufferSource(bytes, name));
}

/** Read a cutout from a file without reading the rest of the image. */
export async function readImageSection(
  file: string | FitsFile,
  which: number | string,
  box: PixelBox,
): Promise<FitsImage> {
  const fits = typeof file === 'string' ? await readFits(file) : file;
  return fits.readImageSection(which, box);
}
