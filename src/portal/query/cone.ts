/**
 * The cone search form's ADQL: a circle around a position on a table's position columns. Pure (no DOM), so
 * test/portal/cone.test.ts checks it in Node; the form shows the text it generates before running it.
 */

/** The part of a TAP_SCHEMA table the form needs (structurally a `SchemaTable` of api/tap-schema.ts). */
export interface PositionedTable {
  readonly name: string;
  readonly columns: readonly { readonly name: string; readonly ucd: string | null }[];
}

export interface ConeSearch {
  readonly table: string;
  readonly raColumn: string;
  readonly decColumn: string;
  /** Degrees, ICRS. */
  readonly ra: number;
  readonly dec: number;
  readonly radiusDegrees: number;
  /** Column names to return; empty means all. */
  readonly columns: readonly string[];
}

/** The position columns of a table (DP0.2 names first), or null if it has none. */
export function positionColumnsOf(table: PositionedTable): { ra: string; dec: string } | null {
  const names = table.columns.map((c) => c.name);
  const byUcd = (ucd: string) =>
    table.columns.find((c) => c.ucd?.split(';')[0] === ucd && c.ucd.includes('meta.main'));
  const ra = byUcd('pos.eq.ra')?.name ?? ['coord_ra', 'ra', 's_ra'].find((n) => names.includes(n));
  const dec =
    byUcd('pos.eq.dec')?.name ?? ['coord_dec', 'decl', 'dec', 's_dec'].find((n) => names.includes(n));
  return ra !== undefined && dec !== undefined ? { ra, dec } : null;
}

/** What is wrong with the form's values, in words for the form, or null when they make a valid search. */
export function coneProblem(search: ConeSearch): string | null {
  if (!Number.isFinite(search.ra) || search.ra < 0 || search.ra >= 360)
    return 'RA must be in [0, 360) degrees';
  if (!Number.isFinite(search.dec) || search.dec < -90 || search.dec > 90)
    return 'Dec must be in [-90, 90] degrees';
  if (!Number.isFinite(search.radiusDegrees) || search.radiusDegrees <= 0 || search.radiusDegrees > 10) {
    return 'the radius must be more than 0 and at most 10 degrees';
  }
  const bad = search.columns.find((c) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(c));
  if (bad !== undefined) return `${JSON.stringify(bad)} is not a column name`;
  return null;
}

/** Numbers as ADQL literals: plain decimals, no exponent, enough digits for a milliarcsecond. */
function literal(value: number): string {
  return String(Number(value.toFixed(8)));
}

export function coneQuery(search: ConeSearch): string {
  const columns = search.columns.length === 0 ? '*' : search.columns.join(', ');
  return [
    `SELECT ${columns}`,
    `FROM ${search.table}`,
    `WHERE CONTAINS(POINT('ICRS', ${search.raColumn}, ${search.decColumn}),`,
    `               CIRCLE('ICRS', ${literal(search.ra)}, ${literal(search.dec)}, ${literal(search.radiusDegrees)})) = 1`,
  ].join('\n');
}
