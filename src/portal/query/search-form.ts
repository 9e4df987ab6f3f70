/**
 * The search form's ADQL: a table; a region (a cone, a polygon, or the whole table); column constraints typed by
 * each column's TAP_SCHEMA datatype; and the columns to return. Pure (no DOM), so test/portal/form.test.ts checks it
 * in Node. The form shows the text it generates and the editor runs it, so everything here is visible to the user.
 *
 * Values are never pasted into the query as typed: numbers must parse as numbers (integers for integer columns,
 * digit for digit for 64-bit ids), booleans become ADQL's `1`/`0`, and strings are single-quoted with inner
 * quotes doubled (ADQL's only escape). Column names must be names of the chosen table.
 */

import { coneProblem } from './cone.js';

export type Operator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'BETWEEN' | 'IS NULL' | 'IS NOT NULL' | 'LIKE';

/** How a column's values are typed in the form and written in ADQL. */
export type ValueKind = 'integer' | 'real' | 'string' | 'boolean';

/** The part of a TAP_SCHEMA column the form needs (structurally a `SchemaColumn` of api/tap-schema.ts). */
export interface FormColumn {
  readonly name: string;
  readonly datatype: string | null;
}

export type Region =
  | { readonly kind: 'none' }
  | { readonly kind: 'cone'; readonly ra: number; readonly dec: number; readonly radiusDegrees: number }
  | { readonly kind: 'polygon'; readonly vertices: readonly (readonly [number, number])[] };

export interface Constraint {
  readonly column: string;
  readonly operator: Operator;
  /** As typed: one value, two for BETWEEN, none for IS [NOT] NULL. */
  readonly values: readonly string[];
}

export interface FormSearch {
  readonly table: string;
  /** The table's columns, in TAP_SCHEMA order: constraints and returned columns are checked against them. */
  readonly tableColumns: readonly FormColumn[];
  /** The position columns a region applies to; null when the table has none (then the region must be `none`). */
  readonly position: { readonly ra: string; readonly dec: string } | null;
  readonly region: Region;
  readonly constraints: readonly Constraint[];
  /** Columns to return, in the table's order; every column of the table gives `SELECT *`. */
  readonly columns: readonly string[];
}

const INTEGER_TYPES = new Set(['unsignedByte', 'byte', 'short', 'int', 'long']);
const REAL_TYPES = new Set(['float', 'double']);

export function valueKind(datatype: string | null): ValueKind {
  if (datatype === null) return 'string';
  if (INTEGER_TYPES.has(datatype)) return 'integer';
  if (REAL_TYPES.has(datatype)) return 'real';
  if (datatype === 'boolean') return 'boolean';
  return 'string';
}

const ORDERING: readonly Operator[] = ['=', '!=', '<', '<=', '>', '>=', 'BETWEEN'];
const NULLS: readonly Operator[] = ['IS NULL', 'IS NOT NULL'];

/** The operators that make sense for a column type: LIKE for strings only, no ordering for booleans. */
export function operatorsFor(kind: ValueKind): readonly Operator[] {
  switch (kind) {
    case 'integer':
    case 'real':
      return [...ORDERING, ...NULLS];
    case 'string':
      return [...ORDERING, 'LIKE', ...NULLS];
    case 'boolean':
      return ['=', '!=', ...NULLS];
  }
}

/** How many values an operator takes. */
export function arity(operator: Operator): 0 | 1 | 2 {
  return operator === 'BETWEEN' ? 2 : operator === 'IS NULL' || operator === 'IS NOT NULL' ? 0 : 1;
}

/** An ADQL string literal: single quotes, inner single quotes doubled. */
export function stringLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

const INTEGER = /^[+-]?\d+$/;
const REAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A typed value as an ADQL literal, or a problem in words. */
export function valueLiteral(kind: ValueKind, text: string): { literal: string } | { problem: string } {
  const trimmed = text.trim();
  switch (kind) {
    case 'integer':
      // Digits are copied, not parsed: a 19-digit objectId would not survive a trip through a double.
      if (!INTEGER.test(trimmed)) return { problem: `${JSON.stringify(text)} is not an integer` };
      return { literal: trimmed.replace(/^\+/, '') };
    case 'real':
      if (!REAL.test(trimmed) || !Number.isFinite(Number(trimmed)))
        return { problem: `${JSON.stringify(text)} is not a number` };
      return { literal: trimmed.replace(/^\+/, '') };
    case 'boolean': {
      // ADQL has no boolean literal; TAP services (and DP0's) compare booleans with 1 and 0.
      const word = trimmed.toLowerCase();
      if (['true', 't', '1'].includes(word)) return { literal: '1' };
      if (['false', 'f', '0'].includes(word)) return { literal: '0' };
      return { problem: `${JSON.stringify(text)} is not true or false` };
    }
    case 'string':
      return { literal: stringLiteral(text) };
  }
}

/**
 * Polygon vertices from text: `ra dec` pairs in degrees, separated by newlines, commas or semicolons
 * (`62 -37, 62.2 -37, 62.1 -36.8`). A problem in words when the text is not that.
 */
export function parseVertices(
  text: string,
): { vertices: readonly (readonly [number, number])[] } | { problem: string } {
  const pairs = text
    .split(/[\n,;]+/)
    .map((pair) => pair.trim())
    .filter((pair) => pair !== '');
  const vertices: [number, number][] = [];
  for (const [i, pair] of pairs.entries()) {
    const parts = pair.split(/\s+/);
    const [ra, dec] = parts.map(Number);
    if (parts.length !== 2 || !parts.every((p) => REAL.test(p)))
      return { problem: `vertex ${i + 1} (${JSON.stringify(pair)}) is not "ra dec" in degrees` };
    vertices.push([ra, dec]);
  }
  return { vertices };
}

function polygonProblem(vertices: readonly (readonly [number, number])[]): string | null {
  if (vertices.length < 3) return `a polygon needs at least 3 vertices (it has ${vertices.length})`;
  for (const [i, [ra, dec]] of vertices.entries()) {
    if (!(ra >= 0 && ra < 360)) return `vertex ${i + 1}: RA must be in [0, 360) degrees`;
    if (!(dec >= -90 && dec <= 90)) return `vertex ${i + 1}: Dec must be in [-90, 90] degrees`;
  }
  for (let i = 0; i < vertices.length; i++) {
    const [a, b] = [vertices[i], vertices[(i + 1) % vertices.length]];
    if (a[0] === b[0] && a[1] === b[1])
      return `vertices ${i + 1} and ${((i + 1) % vertices.length) + 1} are the same`;
  }
  return null;
}

function constraintProblem(constraint: Constraint, columns: readonly FormColumn[]): string | null {
  const column = columns.find((c) => c.name === constraint.column);
  if (column === undefined) return `${JSON.stringify(constraint.column)} is not a column of this table`;
  const kind = valueKind(column.datatype);
  if (!operatorsFor(kind).includes(constraint.operator))
    return `${constraint.operator} does not apply to ${column.name} (${column.datatype ?? 'text'})`;
  const needed = arity(constraint.operator);
  if (constraint.values.length < needed)
    return `${column.name} ${constraint.operator} needs ${needed} values`;
  for (const value of constraint.values.slice(0, needed)) {
    if (kind !== 'string' && value.trim() === '') return `${column.name}: a value is missing`;
    const literal = valueLiteral(kind, value);
    if ('problem' in literal) return `${column.name}: ${literal.problem}`;
  }
  return null;
}

/** What is wrong with the form's values, in words for the form, or null when they make a valid search. */
export function searchProblem(search: FormSearch): string | null {
  const { region } = search;
  if (region.kind !== 'none' && search.position === null) return 'this table has no position columns';
  if (region.kind === 'cone') {
    const problem = coneProblem({
      table: search.table,
      raColumn: '',
      decColumn: '',
      ...region,
      columns: [],
    });
    if (problem !== null) return problem;
  }
  if (region.kind === 'polygon') {
    const problem = polygonProblem(region.vertices);
    if (problem !== null) return problem;
  }
  for (const constraint of search.constraints) {
    const problem = constraintProblem(constraint, search.tableColumns);
    if (problem !== null) return problem;
  }
  if (search.columns.length === 0) return 'tick at least one column to return';
  const names = new Set(search.tableColumns.map((c) => c.name));
  const unknown = search.columns.find((c) => !names.has(c));
  if (unknown !== undefined) return `${JSON.stringify(unknown)} is not a column of this table`;
  return null;
}

/** A column name as ADQL writes it: a regular identifier as is, anything else as a delimited ("…") identifier. */
export function identifier(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

/** Numbers as ADQL literals: plain decimals, no exponent, enough digits for a milliarcsecond. */
function coordinate(value: number): string {
  return String(Number(value.toFixed(8)));
}

function regionCondition(search: FormSearch): string | null {
  const { region, position } = search;
  if (region.kind === 'none' || position === null) return null;
  const point = `POINT('ICRS', ${identifier(position.ra)}, ${identifier(position.dec)})`;
  if (region.kind === 'cone') {
    const circle = `CIRCLE('ICRS', ${coordinate(region.ra)}, ${coordinate(region.dec)}, ${coordinate(region.radiusDegrees)})`;
    return `CONTAINS(${point},\n      ${circle}) = 1`;
  }
  const vertices = region.vertices.map(([ra, dec]) => `${coordinate(ra)}, ${coordinate(dec)}`).join(', ');
  return `CONTAINS(${point},\n      POLYGON('ICRS', ${vertices})) = 1`;
}

function constraintCondition(constraint: Constraint, columns: readonly FormColumn[]): string {
  const column = columns.find((c) => c.name === constraint.column);
  const kind = valueKind(column?.datatype ?? null);
  const literal = (i: number) => {
    const value = valueLiteral(kind, constraint.values[i] ?? '');
    if ('problem' in value) throw new Error(value.problem); // searchProblem reports this first
    return value.literal;
  };
  const name = identifier(constraint.column);
  switch (constraint.operator) {
    case 'IS NULL':
    case 'IS NOT NULL':
      return `${name} ${constraint.operator}`;
    case 'BETWEEN':
      return `${name} BETWEEN ${literal(0)} AND ${literal(1)}`;
    default:
      return `${name} ${constraint.operator} ${literal(0)}`;
  }
}

/** The ADQL of a valid search (check `searchProblem` first: an invalid value throws). */
export function searchQuery(search: FormSearch): string {
  const everyColumn =
    search.columns.length === search.tableColumns.length &&
    search.tableColumns.every((c) => search.columns.includes(c.name));
  const conditions = [
    regionCondition(search),
    ...search.constraints.map((c) => constraintCondition(c, search.tableColumns)),
  ].filter((c): c is string => c !== null);
  return [
    `SELECT ${everyColumn ? '*' : search.columns.map(identifier).join(', ')}`,
    `FROM ${search.table}`,
    ...conditions.map((condition, i) => `${i === 0 ? 'WHERE' : '  AND'} ${condition}`),
  ].join('\n');
}
