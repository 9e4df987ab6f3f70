/**
 * VOTable BINARY2 rows (REC-VOTable-1.4 §5.5), base64-encoded for a `<STREAM encoding="base64">`, written batch by
 * batch. Each row is a null bitmap (one bit per field, most significant bit first, padded to whole bytes) followed by
 * every field in big-endian binary: boolean as one byte `T`/`F`/`?`, short/int/long as 2/4/8-byte two's complement,
 * float/double as IEEE 754, and variable-length `char` as a 4-byte byte count and the UTF-8 bytes. A null cell sets
 * its bit and writes a placeholder value (0, NaN, or an empty string).
 *
 * Base64 output is cut at multiples of 3 bytes so batches concatenate into one valid stream; `finish` writes the
 * rest with its padding.
 */

import type { VOTableCell, VOTableField } from './votable.js';

const BYTES_PER_LINE = 57; // 76 base64 characters, the MIME line length

const fixedWidth: Readonly<Partial<Record<VOTableField['datatype'], number>>> = {
  boolean: 1,
  short: 2,
  int: 4,
  long: 8,
  float: 4,
  double: 8,
};

/** A growable byte buffer with big-endian writers. */
class ByteSink {
  private buffer = Buffer.allocUnsafe(64 * 1024);
  length = 0;

  reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }

  /** Removes and returns the first `bytes` bytes. */
  take(bytes: number): Buffer {
    const out = Buffer.from(this.buffer.subarray(0, bytes));
    this.buffer.copy(this.buffer, 0, bytes, this.length);
    this.length -= bytes;
    return out;
  }

  get view(): Buffer {
    return this.buffer;
  }
}

function asNumber(value: VOTableCell): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  return Number(value);
}

function asBigInt(value: VOTableCell): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? BigInt(Math.trunc(value)) : 0n;
  if (typeof value === 'boolean') return value ? 1n : 0n;
  return BigInt(String(value));
}

export class Binary2Encoder {
  private readonly sink = new ByteSink();
  private readonly maskBytes: number;

  constructor(private readonly fields: readonly VOTableField[]) {
    for (const f of fields) {
      if (fixedWidth[f.datatype] === undefined && f.datatype !== 'char') {
        throw new TypeError(`BINARY2: datatype ${f.datatype} is not written by this encoder`);
      }
    }
    this.maskBytes = Math.ceil(fields.length / 8);
  }

  /** Encodes rows and returns the base64 text of every complete 3-byte group so far (whole lines). */
  encode(rows: Iterable<readonly VOTableCell[]>): string {
    for (const row of rows) this.writeRow(row);
    const whole = this.sink.length - (this.sink.length % BYTES_PER_LINE);
    return whole === 0 ? '' : lines(this.sink.take(whole));
  }

  /** The base64 text of the remaining bytes, padded. */
  finish(): string {
    return this.sink.length === 0 ? '' : lines(this.sink.take(this.sink.length));
  }

  private writeRow(row: readonly VOTableCell[]): void {
    const sink = this.sink;
    const fields = this.fields;
    sink.reserve(this.maskBytes);
    const maskAt = sink.length;
    sink.view.fill(0, maskAt, maskAt + this.maskBytes);
    sink.length += this.maskBytes;
    for (let i = 0; i < fields.length; i++) {
      const value = row[i];
      const isNull = value === null || value === undefined;
      if (isNull) sink.view[maskAt + (i >> 3)] |= 0x80 >> (i & 7);
      const datatype = fields[i].datatype;
      if (datatype === 'char' || datatype === 'unicodeChar') {
        const bytes = isNull ? Buffer.alloc(0) : Buffer.from(String(value), 'utf8');
        sink.reserve(4 + bytes.length);
        sink.view.writeUInt32BE(bytes.length, sink.length);
        bytes.copy(sink.view, sink.length + 4);
        sink.length += 4 + bytes.length;
        continue;
      }
      const width = fixedWidth[datatype] ?? 0;
      sink.reserve(width);
      const at = sink.length;
      const view = sink.view;
      switch (datatype) {
        case 'boolean':
          view[at] = isNull
            ? 0x3f
            : value === true || value === 1 || value === 1n
              ? 0x54
              : value === false || value === 0 || value === 0n
                ? 0x46
                : 0x3f;
          break;
        case 'short':
          view.writeInt16BE(isNull ? 0 : asNumber(value), at);
          break;
        case 'int':
          view.writeInt32BE(isNull ? 0 : asNumber(value), at);
          break;
        case 'long':
          view.writeBigInt64BE(isNull ? 0n : asBigInt(value), at);
          break;
        case 'float':
          view.writeFloatBE(isNull ? Number.NaN : asNumber(value), at);
          break;
        case 'double':
          view.writeDoubleBE(isNull ? Number.NaN : asNumber(value), at);
          break;
      }
      sink.length += width;
    }
  }
}

function lines(bytes: Buffer): string {
  let out = '';
  for (let start = 0; start < bytes.length; start += BYTES_PER_LINE)
    out += `${bytes.subarray(start, start + BYTES_PER_LINE).toString('base64')}\n`;
  return out;
}
