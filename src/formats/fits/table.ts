/**
 * BINTABLE data (FITS 4.0 section 7.3): rows of fixed-width fields, big-endian, followed by the heap holding
 * variable-length arrays. Values are exchanged column by column (one flat array per column), which is how
 * catalogs are used and avoids an object per row.
 */

import { meridianError } from '../../errors.js';
import type { HeaderCard } from './card.js';
import { valueCard } from './card.js';
import {
  type FitsHeader,
  type FitsLocation,
  fitsInvalid,
  headerNumber,
  headerString,
  headerValue,
} from './header.js';
import {
  type Bitpix,
  decodeImage,
  encodedBytes,
  encodeImage,
  type ImageArray,
  SIGN_FLIP_ZERO,
} from './image.js';
import {
  type ColumnFormat,
  ELEMENT_BYTES,
  type FieldType,
  fieldWidth,
  formatTform,
  parseTform,
  requireTform,
} from './tform.js';

/** One row of a variable-length (P/Q) column: numbers as a typed array, characters as a string, logicals as an array. */
export type VariableRow = ImageArray | string | readonly (boolean | null)[];

/**
 * Column values, flat over rows. Numeric fields: a typed array of nrows * repeat elements (complex C/M fields are
 * interleaved real, imaginary: 2 * repeat per row). X: one 0/1 flag per bit. L: true/false/null (FITS undefined).
 * A: one string per row. P/Q: one entry per row.
 */
export type ColumnValues =
  | ImageArray
  | readonly (boolean | null)[]
  | readonly string[]
  | readonly VariableRow[];

export interface TableColumn {
  readonly name: string;
  readonly tform: string;
  readonly format: ColumnFormat;
  readonly unit?: string;
  readonly tnull?: number | bigint;
  readonly tscal: number;
  readonly tzero: number;
  readonly tdim?: string;
  readonly values: ColumnValues;
}

export interface FitsTable {
  readonly kind: 'bintable';
  readonly nrows: number;
  readonly columns: readonly TableColumn[];
}

/** Layout of one column inside a row, from the header. */
export interface ColumnLayout extends Omit<TableColumn, 'values'> {
  readonly offset: number;
  readonly width: number;
}

/** Integer field types and the BITPIX whose decoding they share; floats map to -32/-64. */
const NUMERIC_BITPIX: Partial<Record<FieldType, Bitpix>> = {
  B: 8,
  I: 16,
  J: 32,
  K: 64,
  E: -32,
  D: -64,
  C: -32,
  M: -64,
};

export function columnLayouts(header: FitsHeader, rowBytes: number, where: FitsLocation): ColumnLayout[] {
  const count = headerNumber(header, 'TFIELDS') ?? 0;
  const layouts: ColumnLayout[] = [];
  let offset = 0;
  for (let i = 1; i <= count; i++) {
    const tform = headerString(header, `TFORM${i}`);
    const format = tform === undefined ? undefined : parseTform(tform);
    if (tform === undefined || format === undefined) {
      throw fitsInvalid(where, `TFORM${i} is missing or invalid (${tform ?? 'absent'})`, { column: i });
    }
    const tnull = headerValue(header, `TNULL${i}`);
    const unit = headerString(header, `TUNIT${i}`);
    const tdim = headerString(header, `TDIM${i}`);
    const width = fieldWidth(format);
    layouts.push({
      name: headerString(header, `TTYPE${i}`) ?? `col${i}`,
      tform,
      format,
      ...(unit === undefined ? {} : { unit }),
      ...(typeof tnull === 'number' || typeof tnull === 'bigint' ? { tnull } : {}),
      tscal: headerNumber(header, `TSCAL${i}`) ?? 1,
      tzero: headerNumber(header, `TZERO${i}`) ?? 0,
      ...(tdim === undefined ? {} : { tdim }),
      offset,
      width,
    });
    offset += width;
  }
  if (offset > rowBytes) {
    throw fitsInvalid(where, `the columns need ${offset} bytes per row but NAXIS1 is ${rowBytes}`, {
      rowBytes,
    });
  }
  return layouts;
}

// ---- decoding ----------------------------------------------------------------------------------------------------

/** Gather one field of every row into a fresh contiguous (and therefore aligned) array. */
function gatherField(
  main: Uint8Array,
  rowBytes: number,
  nrows: number,
  offset: number,
  width: number,
): Uint8Array {
  const out = new Uint8Array(nrows * width);
  for (let r = 0; r < nrows; r++) {
    const from = r * rowBytes + offset;
    const to = r * width;
    for (let b = 0; b < width; b++) out[to + b] = main[from + b];
  }
  return out;
}

/** The inverse of gatherField: spread a contiguous field array into the rows. */
function scatterField(
  field: Uint8Array,
  main: Uint8Array,
  rowBytes: number,
  nrows: number,
  offset: number,
  width: number,
): void {
  // A byte loop beats creating a subarray per cell for the narrow fields typical of catalogs.
  if (width > 32) {
    for (let r = 0; r < nrows; r++)
      main.set(field.subarray(r * width, (r + 1) * width), r * rowBytes + offset);
    return;
  }
  for (let r = 0; r < nrows; r++) {
    const from = r * width;
    const to = r * rowBytes + offset;
    for (let b = 0; b < width; b++) main[to + b] = field[from + b];
  }
}

function decodeLogical(bytes: Uint8Array): (boolean | null)[] {
  const out = new Array<boolean | null>(bytes.length);
  // 'T' and 'F' are the values; a zero byte (or anything else) is the undefined value.
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] === 0x54 ? true : bytes[i] === 0x46 ? false : null;
  return out;
}

function decodeBits(bytes: Uint8Array, count: number, bits: number): Uint8Array {
  const width = Math.ceil(bits / 8);
  const out = new Uint8Array(count * bits);
  for (let r = 0; r < count; r++) {
    for (let b = 0; b < bits; b++) out[r * bits + b] = (bytes[r * width + (b >> 3)] >> (7 - (b & 7))) & 1;
  }
  return out;
}

function decodeStrings(bytes: Uint8Array, count: number, width: number): string[] {
  // One latin1 decode of the whole column, then a slice per row, is far cheaper than a decode per row.
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  const out = new Array<string>(count);
  for (let r = 0; r < count; r++) {
    const start = r * width;
    // Characters after an ASCII NUL are not significant (section 7.3.3.1); trailing blanks are padding.
    const stop = start + width;
    let end = start;
    while (end < stop && text.charCodeAt(end) !== 0) end++;
    while (end > start && text.charCodeAt(end - 1) === 0x20) end--;
    out[r] = text.slice(start, end);
  }
  return out;
}

function decodeElements(
  bytes: Uint8Array,
  type: FieldType,
  count: number,
  repeat: number,
  layout: ColumnLayout,
): ColumnValues {
  if (type === 'L') return decodeLogical(bytes);
  if (type === 'X') return decodeBits(bytes, count, repeat);
  if (type === 'A') return decodeStrings(bytes, count, repeat);
  const bitpix = NUMERIC_BITPIX[type] as Bitpix;
  const scaling =
    layout.tnull === undefined
      ? { bscale: layout.tscal, bzero: layout.tzero }
      : { bscale: layout.tscal, bzero: layout.tzero, blank: layout.tnull };
  return decodeImage(bytes, bitpix, scaling, false, true);
}

export function decodeTable(
  main: Uint8Array,
  heap: Uint8Array,
  layouts: readonly ColumnLayout[],
  nrows: number,
  rowBytes: number,
  where: FitsLocation,
): FitsTable {
  const columns = layouts.map((layout): TableColumn => {
    const { offset, width, ...info } = layout;
    const field = gatherField(main, rowBytes, nrows, offset, width);
    const { format } = layout;
    const values =
      format.kind === 'fixed'
        ? decodeElements(field, format.type, nrows, format.repeat, layout)
        : decodeVariable(field, heap, format, nrows, layout, where);
    return Object.freeze({ ...info, values });
  });
  return Object.freeze({ kind: 'bintable', nrows, columns: Object.freeze(columns) });
}

function elementBytes(type: FieldType, count: number): number {
  return type === 'X' ? Math.ceil(count / 8) : count * ELEMENT_BYTES[type];
}

function decodeVariable(
  descriptors: Uint8Array,
  heap: Uint8Array,
  format: Extract<ColumnFormat, { kind: 'variable' }>,
  nrows: number,
  layout: ColumnLayout,
  where: FitsLocation,
): VariableRow[] {
  const view = new DataView(descriptors.buffer, descriptors.byteOffset, descriptors.byteLength);
  const rows: VariableRow[] = [];
  for (let r = 0; r < nrows; r++) {
    const [count, offset] =
      format.descriptor === 'P'
        ? [view.getInt32(r * 8), view.getInt32(r * 8 + 4)]
        : [Number(view.getBigInt64(r * 16)), Number(view.getBigInt64(r * 16 + 8))];
    const size = elementBytes(format.type, count);
    if (count < 0 || offset < 0 || offset + size > heap.length) {
      throw fitsInvalid(
        where,
        `column ${layout.name} row ${r}: variable-length array lies outside the heap`,
        {
          column: layout.name,
          row: r,
        },
      );
    }
    const bytes = heap.slice(offset, offset + size);
    const values = decodeElements(bytes, format.type, 1, count, layout);
    rows.push(format.type === 'A' ? (values as string[])[0] : (values as VariableRow));
  }
  return rows;
}

// ---- encoding ----------------------------------------------------------------------------------------------------

/** A column to write. Unsigned typed arrays (Uint16Array for I, ...) get the TZERO unsigned convention. */
export interface ColumnSpec {
  readonly name: string;
  /** `J`, `3E`, `20A`, `16X`, `PJ`, `QD`, ... For `A` without a repeat count the longest string sets the width. */
  readonly tform: string;
  readonly values: ColumnValues | readonly number[] | readonly bigint[];
  readonly unit?: string;
  readonly tnull?: number;
  /** Quantise floating-point values into an integer column (B, I, J) with these TSCAL/TZERO. */
  readonly tscal?: number;
  readonly tzero?: number;
  readonly tdim?: string;
}

export interface EncodedTable {
  readonly cards: HeaderCard[];
  readonly rowBytes: number;
  readonly nrows: number;
  readonly main: Uint8Array;
  readonly heap: Uint8Array;
}

function badColumn(column: string, message: string): never {
  throw meridianError('INVALID_ARGUMENT', `column ${column}: ${message}`, { column });
}

const NATURAL_ARRAY = {
  B: Uint8Array,
  I: Int16Array,
  J: Int32Array,
  K: BigInt64Array,
  E: Float32Array,
  D: Float64Array,
  C: Float32Array,
  M: Float64Array,
} as const;

/** Typed arrays accepted for each numeric type, natural first, then the unsigned/signed TZERO twin. */
const ACCEPTED_ARRAYS: Partial<Record<FieldType, readonly (abstract new (...args: any[]) => unknown)[]>> = {
  B: [Uint8Array, Int8Array],
  I: [Int16Array, Uint16Array],
  J: [Int32Array, Uint32Array],
  K: [BigInt64Array, BigUint64Array],
  E: [Float32Array],
  D: [Float64Array],
  C: [Float32Array],
  M: [Float64Array],
};

interface EncodedField {
  readonly bytes: Uint8Array;
  readonly tscal: number;
  readonly tzero: number;
}

function encodeElements(spec: ColumnSpec, type: FieldType, count: number, repeat: number): EncodedField {
  const { values, name } = spec;
  const plain = { tscal: 1, tzero: 0 };
  if (type === 'L') {
    if (!Array.isArray(values)) badColumn(name, 'type L needs an array of true, false or null');
    const flags = values as readonly (boolean | null)[];
    const bytes = new Uint8Array(flags.length);
    for (let i = 0; i < flags.length; i++)
      bytes[i] = flags[i] === true ? 0x54 : flags[i] === false ? 0x46 : 0;
    return { bytes, ...plain };
  }
  if (type === 'X') {
    const flags = values as ArrayLike<number | boolean>;
    const width = Math.ceil(repeat / 8);
    const bytes = new Uint8Array(count * width);
    for (let r = 0; r < count; r++) {
      for (let b = 0; b < repeat; b++)
        if (flags[r * repeat + b]) bytes[r * width + (b >> 3)] |= 0x80 >> (b & 7);
    }
    return { bytes, ...plain };
  }
  if (type === 'A') {
    const strings = values as readonly string[];
    const padded = new Array<string>(strings.length);
    for (let r = 0; r < strings.length; r++) {
      const text = strings[r];
      if (typeof text !== 'string' || text.length > repeat) {
        badColumn(name, `row ${r} is not a string of at most ${repeat} characters`);
      }
      padded[r] = text.padEnd(repeat, ' ');
    }
    // One join and one latin1 encode for the column; much cheaper than a write per row.
    const joined = padded.join('');
    // Character fields hold printable ASCII (FITS 4.0 section 7.3.3.1); other text would be silently mangled.
    if (!/^[\x20-\x7e]*$/.test(joined)) badColumn(name, 'strings must be printable ASCII');
    return { bytes: Buffer.from(joined, 'latin1'), ...plain };
  }
  let data = values as ImageArray;
  if (Array.isArray(values)) {
    data = (NATURAL_ARRAY[type as keyof typeof NATURAL_ARRAY] as any).from(values);
  }
  if (spec.tscal !== undefined || spec.tzero !== undefined) {
    if (type !== 'B' && type !== 'I' && type !== 'J')
      badColumn(name, 'TSCAL/TZERO quantisation needs a B, I or J column');
    const bitpix = NUMERIC_BITPIX[type] as 8 | 16 | 32;
    const encoded = encodeImage(data, { bitpix, bscale: spec.tscal ?? 1, bzero: spec.tzero ?? 0 });
    return { bytes: encodedBytes(encoded), tscal: encoded.bscale, tzero: encoded.bzero };
  }
  if (!ACCEPTED_ARRAYS[type]?.some((ctor) => data instanceof ctor)) {
    badColumn(name, `type ${type} needs a ${ACCEPTED_ARRAYS[type]?.map((c) => c.name).join(' or ')}`);
  }
  const encoded = encodeImage(data);
  return { bytes: encodedBytes(encoded), tscal: 1, tzero: encoded.bzero };
}

function valueCount(type: FieldType, values: ColumnSpec['values'], repeat: number): number {
  const perRow = type === 'A' ? 1 : (type === 'C' || type === 'M' ? 2 : 1) * repeat;
  return perRow === 0 ? 0 : values.length / perRow;
}

/** The heap under construction: its parts in order and their total size (the next free offset). */
interface Heap {
  readonly parts: Uint8Array[];
  size: number;
}

/**
 * A variable-length column: each row's elements go to the heap and the field holds (count, heap offset), as 32-bit
 * (P) or 64-bit (Q) integers. TSCAL/TZERO are per column, so every non-empty row must encode the same way.
 */
function encodeVariable(
  spec: ColumnSpec,
  format: Extract<ColumnFormat, { kind: 'variable' }>,
  heap: Heap,
): EncodedField & { max: number } {
  const rows = spec.values as readonly VariableRow[];
  const wide = format.descriptor === 'Q';
  const descriptors = new DataView(new ArrayBuffer(rows.length * (wide ? 16 : 8)));
  let max = 0;
  let scaling: { tscal: number; tzero: number } | undefined;
  rows.forEach((row, r) => {
    const complex = format.type === 'C' || format.type === 'M';
    const count = typeof row === 'string' ? row.length : complex ? row.length / 2 : row.length;
    const rowSpec = { ...spec, values: typeof row === 'string' ? [row] : (row as ColumnValues) };
    const encoded = encodeElements(rowSpec, format.type, 1, count);
    if (count > 0) {
      if (scaling && (scaling.tscal !== encoded.tscal || scaling.tzero !== encoded.tzero)) {
        badColumn(spec.name, `row ${r} has a different array type from the rows before it`);
      }
      scaling = encoded;
    }
    if (!wide && heap.size + encoded.bytes.length > 0x7fffffff) {
      badColumn(spec.name, 'the heap outgrows 32-bit P descriptors; use a Q format');
    }
    if (wide) {
      descriptors.setBigInt64(r * 16, BigInt(count));
      descriptors.setBigInt64(r * 16 + 8, BigInt(heap.size));
    } else {
      descriptors.setInt32(r * 8, count);
      descriptors.setInt32(r * 8 + 4, heap.size);
    }
    heap.parts.push(encoded.bytes);
    heap.size += encoded.bytes.length;
    max = Math.max(max, count);
  });
  return {
    bytes: new Uint8Array(descriptors.buffer),
    tscal: scaling?.tscal ?? 1,
    tzero: scaling?.tzero ?? 0,
    max,
  };
}

export function encodeTable(specs: readonly ColumnSpec[]): EncodedTable {
  const resolved = specs.map((spec) => {
    let format = requireTform(spec.tform, spec.name);
    if (format.kind === 'fixed' && format.type === 'A' && !/^\s*\d/.test(spec.tform)) {
      const longest = (spec.values as readonly string[]).reduce((m, s) => Math.max(m, s.length), 1);
      format = { kind: 'fixed', type: 'A', repeat: longest };
    }
    const nrows =
      format.kind === 'variable' ? spec.values.length : valueCount(format.type, spec.values, format.repeat);
    return { spec, format, nrows };
  });
  const nrows = resolved.find((c) => c.format.kind === 'variable' || c.format.repeat > 0)?.nrows ?? 0;
  const heap: Heap = { parts: [], size: 0 };
  let rowBytes = 0;
  const fields = resolved.map(({ spec, format, nrows: n }) => {
    if (n !== nrows && !(format.kind === 'fixed' && format.repeat === 0)) {
      badColumn(spec.name, `has ${n} rows where the first column has ${nrows}`);
    }
    const offset = rowBytes;
    rowBytes += fieldWidth(format);
    if (format.kind === 'fixed')
      return { spec, format, offset, ...encodeElements(spec, format.type, nrows, format.repeat) };
    const encoded = encodeVariable(spec, format, heap);
    return { spec, format: { ...format, max: encoded.max }, offset, ...encoded };
  });
  const main = new Uint8Array(nrows * rowBytes);
  const cards: HeaderCard[] = [];
  fields.forEach(({ spec, format, offset, bytes, tscal, tzero }, i) => {
    const width = fieldWidth(format);
    scatterField(bytes, main, rowBytes, nrows, offset, width);
    const n = i + 1;
    cards.push(valueCard(`TTYPE${n}`, spec.name), valueCard(`TFORM${n}`, formatTform(format)));
    if (spec.unit !== undefined) cards.push(valueCard(`TUNIT${n}`, spec.unit));
    if (spec.tnull !== undefined) cards.push(valueCard(`TNULL${n}`, spec.tnull));
    if (tscal !== 1) cards.push(valueCard(`TSCAL${n}`, tscal));
    if (tzero !== 0)
      cards.push(valueCard(`TZERO${n}`, tzero === SIGN_FLIP_ZERO[64] ? 9223372036854775808n : tzero));
    if (spec.tdim !== undefined) cards.push(valueCard(`TDIM${n}`, spec.tdim));
  });
  const heapBytes = new Uint8Array(heap.size);
  let at = 0;
  for (const part of heap.parts) {
    heapBytes.set(part, at);
    at += part.length;
  }
  return { cards, rowBytes, nrows, main, heap: heapBytes };
}
