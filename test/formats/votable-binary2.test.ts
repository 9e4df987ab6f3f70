/** The BINARY2 encoder: row layout, null bitmap, and base64 that stays valid when written batch by batch. */

import { describe, expect, it } from 'vitest';
import { Binary2Encoder, type VOTableField } from '../../src/formats/index.js';

const fields: VOTableField[] = [
  { name: 'id', datatype: 'long' },
  { name: 'flag', datatype: 'boolean' },
  { name: 'n', datatype: 'short' },
  { name: 'i', datatype: 'int' },
  { name: 'f', datatype: 'float' },
  { name: 'd', datatype: 'double' },
  { name: 's', datatype: 'char', arraysize: '*' },
  { name: 'eighth', datatype: 'int' },
  { name: 'ninth', datatype: 'short' },
];

describe('Binary2Encoder', () => {
  it('writes the null bitmap MSB first (two bytes for nine fields), then big-endian values', () => {
    const encoder = new Binary2Encoder(fields);
    const text =
      encoder.encode([[1249537790362800001n, true, -2, 7, 1.5, -0.25, 'ab', null, 3]]) + encoder.finish();
    const bytes = Buffer.from(text.replace(/\s+/g, ''), 'base64');
    expect([bytes[0], bytes[1]]).toEqual([0b0000_0001, 0]);
    let at = 2;
    expect(bytes.readBigInt64BE(at)).toBe(1249537790362800001n);
    at += 8;
    expect(String.fromCharCode(bytes[at])).toBe('T');
    at += 1;
    expect(bytes.readInt16BE(at)).toBe(-2);
    at += 2;
    expect(bytes.readInt32BE(at)).toBe(7);
    at += 4;
    expect(bytes.readFloatBE(at)).toBe(1.5);
    at += 4;
    expect(bytes.readDoubleBE(at)).toBe(-0.25);
    at += 8;
    expect(bytes.readUInt32BE(at)).toBe(2);
    expect(bytes.subarray(at + 4, at + 6).toString()).toBe('ab');
    at += 6;
    expect(bytes.readInt32BE(at)).toBe(0);
    expect(bytes.readInt16BE(at + 4)).toBe(3);
    expect(bytes.length).toBe(at + 6);
  });

  it('writes nulls as placeholders: NaN for floats, 0 for integers, ? for booleans, empty strings', () => {
    const encoder = new Binary2Encoder(fields);
    const bytes = Buffer.from(
      (encoder.encode([[null, null, null, null, null, null, null, null, null]]) + encoder.finish()).replace(
        /\s+/g,
        '',
      ),
      'base64',
    );
    expect([bytes[0], bytes[1]]).toEqual([0xff, 0x80]);
    expect(String.fromCharCode(bytes[10])).toBe('?');
    expect(Number.isNaN(bytes.readFloatBE(17))).toBe(true);
    expect(Number.isNaN(bytes.readDoubleBE(21))).toBe(true);
    expect(bytes.readUInt32BE(29)).toBe(0);
  });

  it('gives the same bytes however the rows are split into batches', () => {
    const rows = Array.from({ length: 500 }, (_, i) => [
      BigInt(i),
      i % 3 === 0,
      i,
      i * 1000,
      i / 7,
      i / 3,
      'x'.repeat(i % 11),
      i % 5 === 0 ? null : i,
    ]);
    const whole = new Binary2Encoder(fields);
    const oneShot = Buffer.from((whole.encode(rows) + whole.finish()).replace(/\s+/g, ''), 'base64');
    const batched = new Binary2Encoder(fields);
    let text = '';
    for (let start = 0; start < rows.length; start += 7) text += batched.encode(rows.slice(start, start + 7));
    text += batched.finish();
    expect(
      text
        .split('\n')
        .slice(0, -2)
        .every((line) => line.length === 76),
    ).toBe(true);
    expect(Buffer.from(text.replace(/\s+/g, ''), 'base64').equals(oneShot)).toBe(true);
  });
});
