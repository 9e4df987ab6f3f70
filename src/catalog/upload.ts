/**
 * Uploaded tables (TAP_UPLOAD, TAP 1.1 §2.5.1): a small table a client sends with its query, referenced in ADQL as
 * `TAP_UPLOAD.<name>` (schema name case-insensitive). An upload is not partitioned: it is treated like a regular
 * (replicated) table that is shipped with the query to every fragment, where the engine loads it into a temporary
 * table on the connection that runs the fragment (bound values, never SQL text built from them) and drops it when
 * the fragment ends, however it ends. So it joins with partitioned tables fragment by fragment.
 *
 * This file validates an upload (names, scalar column types) and turns it into the frozen `UploadedTable` the
 * planner and the engines share; `planner/upload.ts` restricts the chunks of a positional join with it.
 */

import { meridianError } from '../errors.js';
import type { VOTableReadCell, VOTableReadDatatype } from '../formats/index.js';
import { deepFreeze } from './adql/index.js';
import type { CellValue, ResultDatatype } from './engine.js';
import type { CatalogColumn, CatalogTable, ColumnDatatype } from './schema.js';

/** The ADQL schema of uploaded tables. */
export const UPLOAD_SCHEMA = 'TAP_UPLOAD';

/** A table given with a query: fields as a VOTable reader returns them, rows in field order. */
export interface QueryUpload {
  readonly name: string;
  readonly fields: readonly {
    readonly name: string;
    readonly datatype: VOTableReadDatatype;
    readonly arraysize?: string | null;
    readonly unit?: string | null;
    readonly ucd?: string | null;
    /** DALI `timestamp` on a char field makes a timestamp column (ISO 8601 text in, timestamps out). */
    readonly xtype?: string | null;
  }[];
  readonly rows: readonly (readonly VOTableReadCell[])[];
}

/** An upload ready for the planner and the engines. */
export interface UploadedTable {
  readonly kind: 'uploadedTable';
  /** As the client named it; ADQL matches it ignoring case. */
  readonly name: string;
  /** The temporary table's name on an engine connection (a regular identifier). */
  readonly physicalName: string;
  /** The table as the planner sees it: a regular table with these columns. */
  readonly table: CatalogTable;
  /** Each column's type in the engine (the result datatypes the engines already map). */
  readonly types: readonly ResultDatatype[];
  readonly rows: readonly (readonly CellValue[])[];
}

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

function invalid(message: string, details: Record<string, unknown>): Error {
  return meridianError('UPLOAD_INVALID', message, details);
}

const TYPES: Readonly<Partial<Record<VOTableReadDatatype, readonly [ColumnDatatype, ResultDatatype]>>> = {
  boolean: ['boolean', 'boolean'],
  bit: ['short', 'short'],
  unsignedByte: ['short', 'short'],
  short: ['short', 'short'],
  int: ['int', 'int'],
  long: ['long', 'long'],
  float: ['float', 'float'],
  double: ['double', 'double'],
  char: ['string', 'string'],
  unicodeChar: ['string', 'string'],
};

function scalarArraysize(datatype: VOTableReadDatatype, arraysize: string | null | undefined): boolean {
  if (datatype === 'char' || datatype === 'unicodeChar') return true;
  return arraysize === null || arraysize === undefined || arraysize === '1';
}

function cell(value: VOTableReadCell, type: ResultDatatype, where: () => string): CellValue {
  if (value === null) return null;
  if (Array.isArray(value)) {
    // A one-element array (arraysize="1") is its element.
    if (value.length === 1) return cell(value[0] as VOTableReadCell, type, where);
    throw invalid(`${where()} holds an array; uploaded columns must be scalars`, {});
  }
  if (type === 'string') return String(value);
  // DALI timestamps are ISO 8601 in UTC; the engines' timestamp columns take them without the zone letter.
  if (type === 'timestamp') return String(value).replace(/Z$/i, '');
  if (type === 'boolean') return typeof value === 'boolean' ? value : Number(value) !== 0;
  if (type === 'long') return typeof value === 'bigint' ? value : BigInt(value as number);
  if (typeof value === 'number' && !Number.isFinite(value) && type !== 'float' && type !== 'double')
    return null;
  return typeof value === 'bigint' ? Number(value) : (value as number);
}

/** Validates an upload and converts its rows to engine cells. */
export function prepareUpload(upload: QueryUpload): UploadedTable {
  if (!NAME.test(upload.name)) {
    throw invalid(
      `upload name ${JSON.stringify(upload.name.slice(0, 70))} is not a table name: use letters, digits and _ (starting with a letter, at most 64)`,
      { upload: upload.name.slice(0, 70) },
    );
  }
  if (upload.fields.length === 0)
    throw invalid(`upload ${upload.name} has no columns`, { upload: upload.name });
  const seen = new Set<string>();
  const columns: CatalogColumn[] = [];
  const types: ResultDatatype[] = [];
  for (const field of upload.fields) {
    const lower = field.name.toLowerCase();
    if (!NAME.test(field.name)) {
      throw invalid(
        `column ${JSON.stringify(field.name.slice(0, 70))} of upload ${upload.name} is not an ADQL column name: use letters, digits and _ (starting with a letter)`,
        { upload: upload.name, column: field.name.slice(0, 70) },
      );
    }
    if (seen.has(lower)) {
      throw invalid(`upload ${upload.name} has two columns named ${field.name} (names ignore case)`, {
        upload: upload.name,
        column: field.name,
      });
    }
    seen.add(lower);
    const isTimestamp =
      field.xtype === 'timestamp' && (field.datatype === 'char' || field.datatype === 'unicodeChar');
    const mapped = isTimestamp ? (['timestamp', 'timestamp'] as const) : TYPES[field.datatype];
    if (!mapped || !scalarArraysize(field.datatype, field.arraysize)) {
      throw invalid(
        `column ${field.name} of upload ${upload.name} is ${field.datatype}${field.arraysize ? `[${field.arraysize}]` : ''}; uploaded columns must be scalars (boolean, integers, floating point) or strings`,
        { upload: upload.name, column: field.name },
      );
    }
    columns.push({
      kind: 'column',
      name: field.name,
      datatype: mapped[0],
      length: null,
      nullable: true,
      unit: field.unit ?? null,
      ucd: field.ucd ?? null,
      description: `column of the uploaded table ${upload.name}`,
    });
    types.push(mapped[1]);
  }
  const rows = upload.rows.map((row, r) => {
    if (row.length !== columns.length) {
      throw invalid(
        `row ${r + 1} of upload ${upload.name} has ${row.length} cells for ${columns.length} columns`,
        {
          upload: upload.name,
        },
      );
    }
    return row.map((value, c) => cell(value, types[c], () => `row ${r + 1}, column ${columns[c].name}`));
  });
  const table: CatalogTable = {
    kind: 'table',
    name: upload.name,
    description: `uploaded table ${upload.name}`,
    primaryKey: [],
    foreignKeys: [],
    partitioning: { role: 'regular' },
    columns,
  };
  return deepFreeze({
    kind: 'uploadedTable',
    name: upload.name,
    physicalName: `tap_upload_${upload.name.toLowerCase()}`,
    table,
    types,
    rows,
  }) as UploadedTable;
}

/** Several uploads of one query: names must differ (ignoring case). */
export function prepareUploads(uploads: readonly QueryUpload[]): UploadedTable[] {
  const prepared = uploads.map(prepareUpload);
  const names = new Set<string>();
  for (const u of prepared) {
    if (names.has(u.name.toLowerCase())) {
      throw invalid(`two uploads are named ${u.name} (names ignore case)`, { upload: u.name });
    }
    names.add(u.name.toLowerCase());
  }
  return prepared;
}
