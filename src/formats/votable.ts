/**
 * A VOTable 1.4 writer (IVOA REC-VOTable-1.4, 2019) with TABLEDATA serialization, as TAP results need it:
 * one RESOURCE type="results", INFO name="QUERY_STATUS" (OK, OVERFLOW after the table when truncated, or ERROR
 * with no table), FIELDs with datatype/arraysize/unit/ucd and a DESCRIPTION. Text is XML-escaped, and characters
 * XML 1.0 cannot carry are dropped. 64-bit integers may be given as bigint and are written exactly.
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

export function writeVOTable(results: VOTableResults): string {
  const out: string[] = [header(), '<RESOURCE type="results">\n', '<INFO name="QUERY_STATUS" value="OK"/>\n'];
  for (const info of results.infos ?? [])
    out.push(`<INFO${attribute('name', info.name)}${attribute('value', info.value)}/>\n`);
  out.push('<TABLE>\n');
  for (const f of results.fields) {
    const arraysize =
      f.arraysize ?? (f.datatype === 'char' || f.datatype === 'unicodeChar' ? '*' : undefined);
    out.push(
      `<FIELD${attribute('name', f.name)}${attribute('datatype', f.datatype)}${attribute('arraysize', arraysize)}${attribute('unit', f.unit)}${attribute('ucd', f.ucd)}`,
    );
    out.push(
      f.description ? `>\n<DESCRIPTION>${escapeXml(f.description)}</DESCRIPTION>\n</FIELD>\n` : '/>\n',
    );
  }
  out.push('<DATA>\n<TABLEDATA>\n');
  for (const row of results.rows) {
    out.push('<TR>');
    for (let i = 0; i < results.fields.length; i++)
      out.push(`<TD>${cellText(row[i], results.fields[i].datatype)}</TD>`);
    out.push('</TR>\n');
  }
  out.push('</TABLEDATA>\n</DATA>\n</TABLE>\n');
  if (results.overflow) out.push('<INFO name="QUERY_STATUS" value="OVERFLOW"/>\n');
  out.push('</RESOURCE>\n</VOTABLE>\n');
  return out.join('');
}

/** An error document: QUERY_STATUS = ERROR with the message as the INFO content (TAP 1.1 §4.9). */
export function writeVOTableError(message: string): string {
  return `${header()}<RESOURCE type="results">\n<INFO name="QUERY_STATUS" value="ERROR">${escapeXml(message)}</INFO>\n</RESOURCE>\n</VOTABLE>\n`;
}
