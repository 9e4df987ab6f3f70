/**
 * A VOTable 1.4 writer (IVOA REC-VOTable-1.4, 2019) with TABLEDATA serialization (BINARY2 rows are encoded by
 * `votable-binary2.ts`), as TAP results need it:
 * one RESOURCE type="results", INFO name="QUERY_STATUS" (OK, OVERFLOW after the table when truncated, or ERROR
 * with no table), FIELDs with datatype/arraysize/unit/ucd and a DESCRIPTION. Text is XML-escaped, and characters
 * XML 1.0 cannot carry are dropped. 64-bit integers may be given as bigint and are written exactly.
 *
 * `writeVOTable` writes a whole document; a streaming writer (the TAP service) writes the same document in pieces:
 * `votableStart`, then `tabledataRow` per row (or BINARY2 text), then `votableEnd`.
 */

export type VOTableDatatype =
  | 'boolean'
  | 'short'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | 'char'
  | 'unicodeChar';

export interface VOTableField {
  readonly name: string;
  readonly datatype: VOTableDatatype;
  /** `*` for variable-length strings; omitted for scalars. */
  readonly arraysize?: string;
  readonly unit?: string | null;
  readonly ucd?: string | null;
  /** DALI extended type, e.g. `timestamp`. */
  readonly xtype?: string | null;
  readonly description?: string | null;
}

export type VOTableCell = null | undefined | boolean | number | bigint | string;

export interface VOTableResults {
  readonly fields: readonly VOTableField[];
  readonly rows: Iterable<readonly VOTableCell[]>;
  /** True when the rows were cut at a row limit (QUERY_STATUS = OVERFLOW after the table). */
  readonly overflow?: boolean;
  /** Extra INFO elements of the RESOURCE, e.g. the query text. */
  readonly infos?: readonly { readonly name: string; readonly value: string }[];
}

export const VOTABLE_VERSION = '1.4';
const NAMESPACE = 'http://www.ivoa.net/xml/VOTable/v1.3';

// XML 1.0 allows tab, LF, CR and U+0020 and up except surrogates and U+FFFE/U+FFFF.
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function escapeXml(text: string): string {
  return text
    .replace(NOT_XML, '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

function attribute(name: string, value: string | null | undefined): string {
  return value === null || value === undefined || value === '' ? '' : ` ${name}="${escapeXml(value)}"`;
}

function cellText(value: VOTableCell, datatype: VOTableDatatype): string {
  if (value === null || value === undefined) return '';
  if (datatype === 'boolean')
    return value === true || value === 1 || value === 1n
      ? 'T'
      : value === false || value === 0 || value === 0n
        ? 'F'
        : '?';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
    return String(value);
  }
  return escapeXml(String(value));
}

function header(): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<VOTABLE version="${VOTABLE_VERSION}" xmlns="${NAMESPACE}">\n`;
}

/** The serializations this writer produces (VOTable 1.4 §5): TABLEDATA text, or BINARY2 base64 in a STREAM. */
export type VOTableSerialization = 'TABLEDATA' | 'BINARY2';

function infoElement(info: { readonly name: string; readonly value: string }): string {
  return `<INFO${attribute('name', info.name)}${attribute('value', info.value)}/>\n`;
}

function fieldElement(f: VOTableField): string {
  const arraysize = f.arraysize ?? (f.datatype === 'char' || f.datatype === 'unicodeChar' ? '*' : undefined);
  const open = `<FIELD${attribute('name', f.name)}${attribute('datatype', f.datatype)}${attribute('arraysize', arraysize)}${attribute('unit', f.unit)}${attribute('ucd', f.ucd)}${attribute('xtype', f.xtype)}`;
  return `${open}${f.description ? `>\n<DESCRIPTION>${escapeXml(f.description)}</DESCRIPTION>\n</FIELD>\n` : '/>\n'}`;
}

/** Everything up to the first row: header, QUERY_STATUS OK, the INFOs, the FIELDs and the opening data elements. */
export function votableStart(
  fields: readonly VOTableField[],
  options: {
    readonly serialization?: VOTableSerialization;
    readonly infos?: readonly { readonly name: string; readonly value: string }[];
  } = {},
): string {
  const out = [header(), '<RESOURCE type="results">\n', '<INFO name="QUERY_STATUS" value="OK"/>\n'];
  for (const info of options.infos ?? []) out.push(infoElement(info));
  out.push('<TABLE>\n');
  for (const f of fields) out.push(fieldElement(f));
  out.push(
    options.serialization === 'BINARY2'
      ? '<DATA>\n<BINARY2>\n<STREAM encoding="base64">\n'
      : '<DATA>\n<TABLEDATA>\n',
  );
  return out.join('');
}

/** One TABLEDATA row. */
export function tabledataRow(row: readonly VOTableCell[], fields: readonly VOTableField[]): string {
  let out = '<TR>';
  for (let i = 0; i < fields.length; i++) out += `<TD>${cellText(row[i], fields[i].datatype)}</TD>`;
  return `${out}</TR>\n`;
}

/**
 * Everything after the last row. An OVERFLOW or ERROR status comes after the table (DALI 1.1 §5.4.1: an error
 * met while rows were being written is reported there, the rows before it stay).
 */
export function votableEnd(
  options: {
    readonly serialization?: VOTableSerialization;
    readonly overflow?: boolean;
    readonly error?: string;
  } = {},
): string {
  const out = [
    options.serialization === 'BINARY2'
      ? '</STREAM>\n</BINARY2>\n</DATA>\n</TABLE>\n'
      : '</TABLEDATA>\n</DATA>\n</TABLE>\n',
  ];
  if (options.error !== undefined)
    out.push(`<INFO name="QUERY_STATUS" value="ERROR">${escapeXml(options.error)}</INFO>\n`);
  else if (options.overflow) out.push('<INFO name="QUERY_STATUS" value="OVERFLOW"/>\n');
  out.push('</RESOURCE>\n</VOTABLE>\n');
  return out.join('');
}

export function writeVOTable(results: VOTableResults): string {
  const out: string[] = [votableStart(results.fields, { infos: results.infos })];
  for (const row of results.rows) out.push(tabledataRow(row, results.fields));
  out.push(votableEnd({ overflow: results.overflow }));
  return out.join('');
}

/**
 * An error document: QUERY_STATUS = ERROR with the message as the INFO content (TAP 1.1 §4.9) and no TABLE;
 * `infos` add further INFO elements (an error code, a hint).
 */
export function writeVOTableError(
  message: string,
  infos: readonly { readonly name: string; readonly value: string }[] = [],
): string {
  return `${header()}<RESOURCE type="results">\n<INFO name="QUERY_STATUS" value="ERROR">${escapeXml(message)}</INFO>\n${infos.map(infoElement).join('')}</RESOURCE>\n</VOTABLE>\n`;
}
