/**
 * Fields and cell values of a VOTable being read: the FIELD metadata kept, TABLEDATA cell text parsed by datatype,
 * and BINARY/BINARY2 streams decoded (REC-VOTable-1.4 §5.4–5.5: big-endian, variable-length arrays preceded by a
 * 4-byte count, BINARY2 rows preceded by a null bitmap). Null values: an empty TD, a cell equal to the FIELD's
 * `VALUES null`, a floating-point NaN, a boolean `?`, and in BINARY2 a set bitmap bit.
 */

import { meridianError } from '../../errors.js';

/** Every primitive VOTable datatype. */
export const VOTABLE_DATATYPES = [
  'boolean',
  'bit',
  'unsignedByte',
  'short',
  'int',
  'long',
  'char',
  'unicodeChar',
  'float',
  'double',
  'floatComplex',
  'doubleComplex',
] as const;
export type VOTableReadDatatype = (typeof VOTABLE_DATATYPES)[number];

export interface VOTableReadField {
  readonly name: string;
  readonly datatype: VOTableReadDatatype;
  /** As written (`*`, `10`, `3x2*`), or null for a scalar. */
  readonly arraysize: string | null;
  readonly unit: string | null;
  readonly ucd: string | null;
  readonly xtype: string | null;
  /** The `VALUES null` attribute: the text (TABLEDATA) or value (BINARY) that stands for null. */
  readonly nullValue: string | null;
}

/** A scalar cell; arrays other than strings are arrays of scalars. 64-bit integers are bigint. */
export type VOTableScalar = null | boolean | number | bigint | string;
export type VOTableReadCell = VOTableScalar | readonly VOTableScalar[];

const BYTES: Readonly<Record<VOTableReadDatatype, number>> = {
  boolean: 1,
  bit: 0,
  unsignedByte: 1,
  short: 2,
  int: 4,
  long: 8,
  char: 1,
  unicodeChar: 2,
  float: 4,
  double: 8,
  floatComplex: 8,
  doubleComplex: 16,
};

const INTEGER_RANGE: Readonly<Partial<Record<VOTableReadDatatype, readonly [bigint, bigint]>>> = {
  unsignedByte: [0n, 255n],
  short: [-32768n, 32767n],
  int: [-2147483648n, 2147483647n],
  long: [-(2n ** 63n), 2n ** 63n - 1n],
};

export function isString(field: VOTableReadField): boolean {
  return field.datatype === 'char' || field.datatype === 'unicodeChar';
}

/** Element count of a fixed arraysize (`3x2` → 6), or null when the last dimension is variable (`*`, `10*`). */
export function fixedCount(arraysize: string | null): number | null {
  if (arraysize === null) return 1;
  if (arraysize.endsWith('*')) return null;
  return arraysize.split('x').reduce((n, d) => n * Number(d), 1);
}

/** A cell refused: the reader turns it into VOTABLE_INVALID with the row and field. */
class CellError extends Error {}

function scalarFromText(text: string, field: VOTableReadField): VOTableScalar {
  const t = text.trim();
  if (t === '' || (field.nullValue !== null && t === field.nullValue.trim())) return null;
  switch (field.datatype) {
    case 'boolean': {
      const c = t.toLowerCase();
      if (c === 't' || c === 'true' || c === '1') return true;
      if (c === 'f' || c === 'false' || c === '0') return false;
      if (c === '?') return null;
      throw new CellError(`${JSON.stringify(t.slice(0, 30))} is not a boolean (T, F or ?)`);
    }
    case 'bit':
      if (t === '0' || t === '1') return Number(t);
      throw new CellError(`${JSON.stringify(t.slice(0, 30))} is not a bit`);
    case 'unsignedByte':
    case 'short':
    case 'int':
    case 'long': {
      if (!/^[+-]?(\d+|0[xX][0-9A-Fa-f]+)$/.test(t)) {
        throw new CellError(`${JSON.stringify(t.slice(0, 30))} is not an integer`);
      }
      const negative = t.startsWith('-');
      const digits = t.replace(/^[+-]/, '');
      const value = negative ? -BigInt(digits) : BigInt(digits);
      const [low, high] = INTEGER_RANGE[field.datatype] as readonly [bigint, bigint];
      if (value < low || value > high) throw new CellError(`${t} is out of range for ${field.datatype}`);
      return field.datatype === 'long' ? value : Number(value);
    }
    case 'float':
    case 'double': {
      const lower = t.toLowerCase();
      if (lower === 'nan') return null;
      if (lower === '+inf' || lower === 'inf' || lower === 'infinity' || lower === '+infinity')
        return Infinity;
      if (lower === '-inf' || lower === '-infinity') return -Infinity;
      const value = Number(t);
      if (Number.isNaN(value) || !/^[+-]?(\d|\.\d)/.test(t)) {
        throw new CellError(`${JSON.stringify(t.slice(0, 30))} is not a number`);
      }
      return value;
    }
    default:
      throw new CellError(`datatype ${field.datatype} is not supported`);
  }
}

/** A TABLEDATA cell's text as a value. */
export function cellFromText(text: string, field: VOTableReadField): VOTableReadCell {
  if (isString(field)) {
    if (text === '' || (field.nullValue !== null && text === field.nullValue)) return null;
    return text;
  }
  if (field.arraysize === null) return scalarFromText(text, field);
  const parts = text.trim() === '' ? [] : text.trim().split(/\s+/);
  if (parts.length === 0) return null;
  return parts.map((p) => scalarFromText(p, field));
}

/** Big-endian binary rows (BINARY, or BINARY2 with `nullBitmap`), read from a decoded base64 stream. */
export class BinaryRowReader {
  private at = 0;

  constructor(
    private readonly bytes: Buffer,
    private readonly fields: readonly VOTableReadField[],
    private readonly nullBitmap: boolean,
  ) {}

  get done(): boolean {
    return this.at >= this.bytes.length;
  }

  /** Byte offset of the row being read, for messages. */
  get offset(): number {
    return this.at;
  }

  private need(count: number): void {
    if (this.at + count > this.bytes.length) {
      throw new CellError(`the stream ends inside a row (${count} more bytes needed at byte ${this.at})`);
    }
  }

  row(): VOTableReadCell[] {
    const fields = this.fields;
    let nulls: Buffer | null = null;
    if (this.nullBitmap) {
      const size = Math.ceil(fields.length / 8);
      this.need(size);
      nulls = this.bytes.subarray(this.at, this.at + size);
      this.at += size;
    }
    const row: VOTableReadCell[] = [];
    for (let i = 0; i < fields.length; i++) {
      const value = this.cell(fields[i]);
      row.push(nulls !== null && (nulls[i >> 3] & (0x80 >> (i & 7))) !== 0 ? null : value);
    }
    return row;
  }

  private cell(field: VOTableReadField): VOTableReadCell {
    let count = fixedCount(field.arraysize);
    if (count === null) {
      this.need(4);
      count = this.bytes.readUInt32BE(this.at);
      this.at += 4;
    }
    if (field.datatype === 'bit') {
      const size = Math.ceil(count / 8);
      this.need(size);
      if (field.arraysize === null) {
        // One bit in one byte: the standard puts it in the top bit, astropy in 0x08; any set bit means 1.
        const one = this.bytes[this.at] !== 0 ? 1 : 0;
        this.at += size;
        return one;
      }
      const bits = Array.from(
        { length: count },
        (_, k) => (this.bytes[this.at + (k >> 3)] >> (7 - (k & 7))) & 1,
      );
      this.at += size;
      return bits;
    }
    const size = count * BYTES[field.datatype];
    this.need(size);
    const start = this.at;
    this.at += size;
    if (field.datatype === 'char') {
      // Fixed-width strings are padded with NULs (or spaces, by some writers): the padding is not content.
      const text = this.bytes.toString('utf8', start, start + size);
      const trimmed =
        field.arraysize !== null && !field.arraysize.endsWith('*') ? text.replace(/[\0 ]+$/, '') : text;
      return trimmed.replace(/\0.*$/s, '');
    }
    if (field.datatype === 'unicodeChar') {
      let text = '';
      for (let k = 0; k < count; k++) text += String.fromCharCode(this.bytes.readUInt16BE(start + 2 * k));
      return text.replace(/\0.*$/s, '');
    }
    const values: VOTableScalar[] = [];
    for (let k = 0; k < count; k++) values.push(this.scalar(field, start + k * BYTES[field.datatype]));
    return field.arraysize === null ? values[0] : values;
  }

  private scalar(field: VOTableReadField, at: number): VOTableScalar {
    const b = this.bytes;
    const nullText = field.nullValue?.trim();
    const integer = (value: bigint | number): VOTableScalar =>
      nullText !== undefined && String(value) === nullText ? null : value;
    switch (field.datatype) {
      case 'boolean': {
        const c = String.fromCharCode(b[at]).toLowerCase();
        if (c === 't' || c === '1') return true;
        if (c === 'f' || c === '0') return false;
        return null;
      }
      case 'unsignedByte':
        return integer(b.readUInt8(at));
      case 'short':
        return integer(b.readInt16BE(at));
      case 'int':
        return integer(b.readInt32BE(at));
      case 'long':
        return integer(b.readBigInt64BE(at));
      case 'float': {
        const v = b.readFloatBE(at);
        return Number.isNaN(v) ? null : v;
      }
      case 'double': {
        const v = b.readDoubleBE(at);
        return Number.isNaN(v) ? null : v;
      }
      default:
        throw new CellError(`datatype ${field.datatype} is not supported`);
    }
  }
}

/** Runs `read`, turning a refused cell into VOTABLE_INVALID that names the row and where it is. */
export function readingCell<T>(where: () => string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (!(err instanceof CellError)) throw err;
    throw meridianError('VOTABLE_INVALID', `malformed VOTable: ${where()}: ${err.message}`, {});
  }
}
