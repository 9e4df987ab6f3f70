/**
 * A VOTable reader (REC-VOTable 1.1–1.4) for uploaded tables: the first TABLE of a document, its FIELDs (name,
 * datatype, arraysize, unit, UCD, xtype) and its rows in TABLEDATA, BINARY or BINARY2 serialization (base64 STREAMs;
 * a STREAM by `href` or FITS data are refused, since a server must not fetch what a client names). The document is
 * bounded before anything is parsed (`maxBytes`) and the rows while they are read (`maxRows`): an upload too large
 * is VOTABLE_TOO_LARGE; a malformed one is VOTABLE_INVALID naming the line, row or field.
 */

import { meridianError } from '../../errors.js';
import {
  BinaryRowReader,
  cellFromText,
  readingCell,
  VOTABLE_DATATYPES,
  type VOTableReadCell,
  type VOTableReadDatatype,
  type VOTableReadField,
} from './read-cells.js';
import { lineAt, scanXml, votableInvalid } from './read-xml.js';

export interface ReadVOTableOptions {
  /** Largest document accepted, in bytes (default 16 MiB). */
  readonly maxBytes?: number;
  /** Most rows accepted (default: no limit). */
  readonly maxRows?: number;
}

export interface VOTableTable {
  readonly kind: 'votableTable';
  /** The TABLE's name attribute, or null. */
  readonly name: string | null;
  readonly fields: readonly VOTableReadField[];
  readonly rows: readonly (readonly VOTableReadCell[])[];
}

export const DEFAULT_VOTABLE_READ_BYTES = 16 * 1024 * 1024;

const ARRAYSIZE = /^(\d+x)*(\d+|\d*\*)$/;
const UNSUPPORTED: ReadonlySet<VOTableReadDatatype> = new Set(['floatComplex', 'doubleComplex']);

function tooLarge(message: string, details: Record<string, unknown>): Error {
  return meridianError('VOTABLE_TOO_LARGE', message, details);
}

/** Parses a VOTable document (text or UTF-8 bytes). */
export function readVOTable(input: string | Uint8Array, options: ReadVOTableOptions = {}): VOTableTable {
  const maxBytes = options.maxBytes ?? DEFAULT_VOTABLE_READ_BYTES;
  const maxRows = options.maxRows ?? Number.POSITIVE_INFINITY;
  const bytes = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
  if (bytes > maxBytes) {
    throw tooLarge(`the VOTable is ${bytes} bytes, more than the limit of ${maxBytes}`, { bytes, maxBytes });
  }
  const source = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');

  const path: string[] = [];
  let sawVotable = false;
  let tableName: string | null = null;
  let tableDepth = -1;
  let tablesSeen = 0;
  const fields: VOTableReadField[] = [];
  let currentField: { attributes: ReadonlyMap<string, string>; nullValue: string | null } | null = null;
  const rows: VOTableReadCell[][] = [];
  let serialization: 'TABLEDATA' | 'BINARY' | 'BINARY2' | null = null;
  let row: string[] | null = null;
  let cell: string | null = null;
  let stream: string[] | null = null;
  let done = false;

  const addRow = (values: VOTableReadCell[]) => {
    if (rows.length >= maxRows) {
      throw tooLarge(`the VOTable has more than ${maxRows} rows, the limit`, { maxRows });
    }
    rows.push(values);
  };

  const finishField = (at: number) => {
    const { attributes, nullValue } = currentField as NonNullable<typeof currentField>;
    currentField = null;
    const name = attributes.get('name') ?? attributes.get('ID');
    if (name === undefined || name.trim() === '') throw votableInvalid(source, at, 'a FIELD has no name');
    const datatype = attributes.get('datatype');
    if (datatype === undefined) throw votableInvalid(source, at, `FIELD ${name} has no datatype`);
    if (!(VOTABLE_DATATYPES as readonly string[]).includes(datatype)) {
      throw votableInvalid(source, at, `FIELD ${name} has an unknown datatype ${JSON.stringify(datatype)}`);
    }
    if (UNSUPPORTED.has(datatype as VOTableReadDatatype)) {
      throw votableInvalid(source, at, `FIELD ${name}: datatype ${datatype} is not supported by this reader`);
    }
    const arraysize = attributes.get('arraysize')?.trim() ?? null;
    if (arraysize !== null && !ARRAYSIZE.test(arraysize)) {
      throw votableInvalid(
        source,
        at,
        `FIELD ${name} has a malformed arraysize ${JSON.stringify(arraysize)}`,
      );
    }
    fields.push(
      Object.freeze({
        name: name.trim(),
        datatype: datatype as VOTableReadDatatype,
        // A char FIELD without arraysize holds one character (VOTable 1.4 §2.2).
        arraysize,
        unit: attributes.get('unit') ?? null,
        ucd: attributes.get('ucd') ?? null,
        xtype: attributes.get('xtype') ?? null,
        nullValue,
      }),
    );
  };

  const decodeStream = (text: string, at: number) => {
    const compact = text.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) {
      throw votableInvalid(source, at, `the ${serialization} STREAM is not valid base64`);
    }
    const reader = new BinaryRowReader(Buffer.from(compact, 'base64'), fields, serialization === 'BINARY2');
    while (!reader.done) {
      const rowNumber = rows.length + 1;
      addRow(
        readingCell(
          () => `${serialization} row ${rowNumber}`,
          () => reader.row(),
        ),
      );
    }
  };

  scanXml(source, {
    open(name, attributes, at) {
      const parent = path[path.length - 1];
      path.push(name);
      if (done) return;
      if (path.length === 1) {
        if (name !== 'VOTABLE')
          throw votableInvalid(source, at, `the root element is <${name}>, not <VOTABLE>`);
        sawVotable = true;
        return;
      }
      if (name === 'TABLE') {
        tablesSeen++;
        if (tableDepth < 0) {
          tableDepth = path.length;
          tableName = attributes.get('name') ?? null;
        }
        return;
      }
      if (tableDepth < 0 || parent === undefined) return;
      const inTable = path.length - 1 === tableDepth;
      if (name === 'FIELD' && inTable) {
        if (serialization !== null) throw votableInvalid(source, at, 'a FIELD after the DATA');
        currentField = { attributes, nullValue: null };
      } else if (name === 'VALUES' && parent === 'FIELD' && currentField) {
        currentField.nullValue = attributes.get('null') ?? null;
      } else if ((name === 'TABLEDATA' || name === 'BINARY' || name === 'BINARY2') && parent === 'DATA') {
        if (fields.length === 0) throw votableInvalid(source, at, 'the TABLE has DATA but no FIELD');
        serialization = name;
      } else if (name === 'FITS' && parent === 'DATA') {
        throw votableInvalid(
          source,
          at,
          'FITS serialization is not supported; send TABLEDATA, BINARY or BINARY2',
        );
      } else if (name === 'TR' && parent === 'TABLEDATA') {
        row = [];
      } else if (name === 'TD' && parent === 'TR' && row) {
        cell = '';
      } else if (name === 'STREAM' && (parent === 'BINARY' || parent === 'BINARY2')) {
        if (attributes.has('href')) {
          throw votableInvalid(source, at, 'a STREAM by href is not accepted; put the data inline');
        }
        const encoding = attributes.get('encoding') ?? '';
        if (encoding !== 'base64') {
          throw votableInvalid(
            source,
            at,
            `STREAM encoding ${JSON.stringify(encoding)} is not supported (base64 is)`,
          );
        }
        stream = [];
      }
    },
    text(text) {
      if (cell !== null) cell += text;
      else if (stream !== null) stream.push(text);
    },
    close(name, at) {
      path.pop();
      if (done) return;
      if (name === 'FIELD' && currentField) finishField(at);
      else if (name === 'TD' && cell !== null && row) {
        row.push(cell);
        cell = null;
      } else if (name === 'TR' && row) {
        const texts = row;
        row = null;
        const rowNumber = rows.length + 1;
        if (texts.length !== fields.length) {
          throw votableInvalid(
            source,
            at,
            `row ${rowNumber} has ${texts.length} cells for ${fields.length} FIELDs`,
          );
        }
        addRow(
          readingCell(
            () => `TABLEDATA row ${rowNumber} (line ${lineAt(source, at)})`,
            () => texts.map((t, i) => cellFromText(t, fields[i])),
          ),
        );
      } else if (name === 'STREAM' && stream !== null) {
        const text = stream.join('');
        stream = null;
        decodeStream(text, at);
      } else if (name === 'TABLE' && path.length + 1 === tableDepth) {
        // Later tables (a TAP upload holds one) are not read.
        done = true;
      }
    },
  });
  if (!sawVotable) throw votableInvalid(source, 0, 'no VOTABLE element');
  if (tablesSeen === 0) throw votableInvalid(source, source.length, 'the document has no TABLE');
  if (fields.length === 0) throw votableInvalid(source, source.length, 'the TABLE has no FIELD');
  return Object.freeze({ kind: 'votableTable', name: tableName, fields: Object.freeze(fields), rows });
}
