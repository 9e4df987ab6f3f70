/**
 * Meridian's view of a FITS file in the JSON shape that py/fits_json.py gives for astropy's view, so the two can be
 * compared with toEqual: cards as [keyword, value, comment], one flat list per table cell, big integers and
 * non-finite floats as strings.
 */

import type { FitsFile, ImageArray, TableColumn } from '../../src/formats/index.js';

export interface HduJson {
  cards: [string, unknown, string][];
  kind: string;
  dtype?: string;
  shape?: number[];
  data?: unknown[];
  columns?: { name: string; format: string; values: unknown[][] }[];
}

export interface FileJson {
  hdus: HduJson[];
  checksums: { hdu: number; datasum: string; checksum: string }[];
}

export function scalar(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) + 1n && value >= -(BigInt(Number.MAX_SAFE_INTEGER) + 1n)
      ? Number(value)
      : value.toString();
  }
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  }
  return value;
}

const DTYPES: Record<string, string> = {
  Uint8Array: 'uint8',
  Int8Array: 'int8',
  Int16Array: 'int16',
  Uint16Array: 'uint16',
  Int32Array: 'int32',
  Uint32Array: 'uint32',
  BigInt64Array: 'int64',
  BigUint64Array: 'uint64',
  Float32Array: 'float32',
  Float64Array: 'float64',
};

export function plainList(values: ArrayLike<unknown>): unknown[] {
  return Array.from(values, scalar);
}

function columnRows(column: TableColumn, nrows: number): unknown[][] {
  const { format, values } = column;
  if (format.kind === 'variable') {
    return (values as readonly unknown[]).map((row) =>
      typeof row === 'string' ? [row] : plainList(row as ArrayLike<unknown>),
    );
  }
  if (format.type === 'A') return (values as readonly string[]).map((s) => [s]);
  const perRow = format.repeat * (format.type === 'C' || format.type === 'M' ? 2 : 1);
  const flat = Array.from(values as ArrayLike<unknown>, (v) => {
    // astropy shows logicals and bits as booleans, and the FITS undefined logical as False.
    if (format.type === 'L') return v === true;
    if (format.type === 'X') return v === 1;
    return scalar(v);
  });
  return Array.from({ length: nrows }, (_, r) => flat.slice(r * perRow, (r + 1) * perRow));
}

export async function describeOurs(fits: FitsFile): Promise<FileJson> {
  const hdus: HduJson[] = [];
  const status = await fits.verifyChecksums();
  for (const info of fits.hdus) {
    const cards = info.header.flatMap((c): [string, unknown, string][] =>
      c.kind === 'value'
        ? [[c.keyword, scalar(c.value), c.comment]]
        : c.kind === 'commentary'
          ? [[c.keyword, c.text, '']]
          : [],
    );
    const hdu: HduJson = { cards, kind: info.kind };
    if (info.kind === 'image' && info.dataSize > 0) {
      const image = await fits.readImage(info.index);
      hdu.dtype = DTYPES[image.data.constructor.name];
      hdu.shape = [...image.shape];
      hdu.data = plainList(image.data as ImageArray as ArrayLike<unknown>);
    }
    if (info.kind === 'bintable') {
      const table = await fits.readTable(info.index);
      hdu.columns = table.columns.map((c) => ({
        name: c.name,
        format: c.tform,
        values: columnRows(c, table.nrows),
      }));
    }
    hdus.push(hdu);
  }
  return { hdus, checksums: status.map((s) => ({ hdu: s.hdu, datasum: s.datasum, checksum: s.checksum })) };
}
