/**
 * Binary-table column formats: the TFORMn value `rTa` of FITS 4.0 section 7.3.1 (table 18), and the
 * variable-length array descriptors `rPt(max)` / `rQt(max)` of section 7.3.5.
 */

import { meridianError } from '../../errors.js';

export type FieldType = 'L' | 'X' | 'B' | 'I' | 'J' | 'K' | 'A' | 'E' | 'D' | 'C' | 'M';
export type DescriptorType = 'P' | 'Q';

/** Bytes per element of each field type (X is in bits and handled separately). */
export const ELEMENT_BYTES: Readonly<Record<FieldType, number>> = {
  L: 1,
  X: 0,
  B: 1,
  I: 2,
  J: 4,
  K: 8,
  A: 1,
  E: 4,
  D: 8,
  C: 8,
  M: 16,
};

export interface FixedFormat {
  readonly kind: 'fixed';
  readonly type: FieldType;
  readonly repeat: number;
}

export interface VariableFormat {
  readonly kind: 'variable';
  /** P: 32-bit descriptors, Q: 64-bit descriptors. */
  readonly descriptor: DescriptorType;
  readonly type: FieldType;
  /** The `(max)` element count, when given. */
  readonly max?: number;
}

export type ColumnFormat = FixedFormat | VariableFormat;

const TFORM = /^\s*(\d*)([LXBIJKAEDCMPQ])(.*)$/;
const DESCRIPTOR_ELEMENT = /^([LXBIJKAEDCM])(?:\((\d+)\))?\s*$/;

/** Parse a TFORM value; `undefined` when it is not a binary-table format. */
export function parseTform(tform: string): ColumnFormat | undefined {
  const match = TFORM.exec(tform.toUpperCase());
  if (!match) return undefined;
  const repeat = match[1] === '' ? 1 : Number(match[1]);
  const letter = match[2];
  if (letter === 'P' || letter === 'Q') {
    const element = DESCRIPTOR_ELEMENT.exec(match[3]);
    if (!element || repeat > 1) return undefined;
    const max = element[2] === undefined ? undefined : Number(element[2]);
    return max === undefined
      ? { kind: 'variable', descriptor: letter, type: element[1] as FieldType }
      : { kind: 'variable', descriptor: letter, type: element[1] as FieldType, max };
  }
  // Characters after the type letter are reserved (for example `rAw` sub-strings); they do not change the width.
  return { kind: 'fixed', type: letter as FieldType, repeat };
}

/** Bytes a field occupies in a table row. */
export function fieldWidth(format: ColumnFormat): number {
  if (format.kind === 'variable') return format.descriptor === 'P' ? 8 : 16;
  if (format.type === 'X') return Math.ceil(format.repeat / 8);
  return format.repeat * ELEMENT_BYTES[format.type];
}

export function formatTform(format: ColumnFormat): string {
  if (format.kind === 'fixed') return `${format.repeat}${format.type}`;
  return `1${format.descriptor}${format.type}(${format.max ?? 0})`;
}

export function requireTform(tform: string, column: string): ColumnFormat {
  const format = parseTform(tform);
  if (!format) {
    throw meridianError('INVALID_ARGUMENT', `column ${column}: "${tform}" is not a binary-table TFORM`, {
      column,
      tform,
    });
  }
  return format;
}
