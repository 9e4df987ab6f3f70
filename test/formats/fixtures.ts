/** Data shared by the FITS tests: one binary-table column of every TFORM type. */

import type { ColumnSpec } from '../../src/formats/index.js';

export const rows = 4;

/** One column of every TFORM type, with repeat counts, unsigned TZERO conventions and a variable-length array. */
export const allTypeColumns: ColumnSpec[] = [
  { name: 'flag', tform: 'L', values: [true, false, null, true] },
  {
    name: 'flags3',
    tform: '3L',
    values: [true, false, true, false, false, null, true, true, true, null, null, false],
  },
  {
    name: 'bits',
    tform: '11X',
    values: Uint8Array.from({ length: rows * 11 }, (_, i) => (i % 3 === 0 ? 1 : 0)),
  },
  { name: 'byte', tform: 'B', values: Uint8Array.of(0, 1, 254, 255) },
  { name: 'sbyte', tform: 'B', values: Int8Array.of(-128, -1, 0, 127) },
  { name: 'short', tform: 'I', values: Int16Array.of(-32768, -1, 0, 32767), unit: 'adu' },
  { name: 'ushort', tform: 'I', values: Uint16Array.of(0, 1, 32768, 65535) },
  { name: 'int', tform: 'J', values: Int32Array.of(-2147483648, -5, 7, 2147483647), tnull: -2147483648 },
  { name: 'uint', tform: 'J', values: Uint32Array.of(0, 1, 2147483648, 4294967295) },
  {
    name: 'long',
    tform: 'K',
    values: BigInt64Array.of(-9223372036854775808n, -1n, 1n, 9223372036854775807n),
  },
  {
    name: 'ulong',
    tform: 'K',
    values: BigUint64Array.of(0n, 1n, 9223372036854775808n, 18446744073709551615n),
  },
  { name: 'text', tform: '12A', values: ['', 'abc', "it's", 'twelve chars'] },
  { name: 'float', tform: 'E', values: Float32Array.of(-1.5, 0, 3.25e-20, Number.NaN), unit: 'nJy' },
  { name: 'vec', tform: '2E', values: Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8) },
  { name: 'double', tform: 'D', values: Float64Array.of(Math.PI, -1e300, 0, Number.POSITIVE_INFINITY) },
  { name: 'cplx', tform: 'C', values: Float32Array.of(1, -1, 2, -2, 3, -3, 4, -4) },
  { name: 'dcplx', tform: '2M', values: Float64Array.from({ length: rows * 4 }, (_, i) => i * 0.5) },
  {
    name: 'matrix',
    tform: '6D',
    values: Float64Array.from({ length: rows * 6 }, (_, i) => i),
    tdim: '(3,2)',
  },
  {
    name: 'varJ',
    tform: 'PJ',
    values: [Int32Array.of(1, 2, 3), Int32Array.of(), Int32Array.of(-7), Int32Array.of(9, 9)],
  },
  {
    name: 'varD',
    tform: 'QD',
    values: [Float64Array.of(0.5), Float64Array.of(1, 2), Float64Array.of(), Float64Array.of(3)],
  },
  { name: 'varA', tform: 'PA', values: ['first', '', 'third row', 'x'] },
];
