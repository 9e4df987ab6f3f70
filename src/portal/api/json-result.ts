/**
 * Reading a TAP JSON result (`{"metadata":[…],"data":[[…]],"queryStatus":…}`, docs/tap.md) into columns.
 *
 * The server writes 64-bit integers (DP0.2 `objectId`s have 19 digits) as exact JSON numbers, which `JSON.parse`
 * would round to the nearest double. `quoteLongIntegers` puts quotes around every integer literal too long to be
 * exact before parsing, so it arrives as a string and becomes a `bigint` in a `long` column. This pure module has
 * no DOM dependency: test/portal/json-result.test.ts runs it in Node.
 */

export interface ResultColumn {
  readonly name: string;
  readonly datatype: string;
  readonly unit: string | null;
  readonly ucd: string | null;
}

export type Cell = number | bigint | string | boolean | null;

/** Column-major rows: `values[c][r]`. Numeric columns are what the plots read, so they are kept apart from strings. */
export interface ResultTable {
  readonly columns: readonly ResultColumn[];
  readonly values: readonly (readonly Cell[])[];
  readonly rowCount: number;
  /** OVERFLOW means MAXREC cut the result. */
  readonly status: 'OK' | 'OVERFLOW';
}

/** Digits after which a JSON integer may not survive a round trip through a double (2^53 has 16 digits). */
const SAFE_DIGITS = 15;

/** Quotes integer literals longer than SAFE_DIGITS digits outside JSON strings; everything else is copied as is. */
export function quoteLongIntegers(text: string): string {
  let out = '';
  let copiedUpTo = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      i++;
      while (i < n && text.charCodeAt(i) !== 0x22) i += text.charCodeAt(i) === 0x5c /* \ */ ? 2 : 1;
      i++;
      continue;
    }
    const startsNumber = ch === 0x2d /* - */ || (ch >= 0x30 && ch <= 0x39);
    if (!startsNumber) {
      i++;
      continue;
    }
    const start = i;
    if (ch === 0x2d) i++;
    while (i < n && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
    const digits = i - start - (ch === 0x2d ? 1 : 0);
    const next = i < n ? text[i] : '';
    const isFraction = next === '.' || next === 'e' || next === 'E';
    if (digits > SAFE_DIGITS && !isFraction) {
      out += `${text.slice(copiedUpTo, start)}"${text.slice(start, i)}"`;
      copiedUpTo = i;
    }
    while (i < n && /[0-9.eE+-]/.test(text[i])) i++;
  }
  return out + text.slice(copiedUpTo);
}

const INTEGER_TYPES = new Set(['long', 'int', 'short', 'unsignedByte']);

function cellOf(value: unknown, datatype: string): Cell {
  if (value === null || value === undefined) return null;
  if (datatype === 'long' && (typeof value === 'string' || typeof value === 'number')) return BigInt(value);
  if (INTEGER_TYPES.has(datatype) && typeof value === 'string') return Number(value);
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}

interface RawJsonResult {
  metadata?: { name?: unknown; datatype?: unknown; unit?: unknown; ucd?: unknown }[];
  data?: unknown[][];
  queryStatus?: unknown;
  error?: unknown;
}

export class ResultFormatError extends Error {}

/** Parses a TAP JSON result; a result whose status is ERROR (an error after rows were sent) throws its message. */
export function parseJsonResult(text: string): ResultTable {
  let raw: RawJsonResult;
  try {
    raw = JSON.parse(quoteLongIntegers(text)) as RawJsonResult;
  } catch (err) {
    throw new ResultFormatError(
      `the result is not valid JSON (${(err as Error).message}); it may have been cut off`,
    );
  }
  if (!Array.isArray(raw.metadata) || !Array.isArray(raw.data)) {
    throw new ResultFormatError('the result has no metadata or data array: is it a TAP JSON result?');
  }
  if (raw.queryStatus === 'ERROR') {
    throw new ResultFormatError(`the query failed while sending rows: ${String(raw.error ?? 'no message')}`);
  }
  const columns: ResultColumn[] = raw.metadata.map((m, index) => ({
    name: typeof m.name === 'string' ? m.name : `col${index}`,
    datatype: typeof m.datatype === 'string' ? m.datatype : 'char',
    unit: typeof m.unit === 'string' ? m.unit : null,
    ucd: typeof m.ucd === 'string' ? m.ucd : null,
  }));
  const rowCount = raw.data.length;
  const values = columns.map((column, c) => {
    const out: Cell[] = new Array(rowCount);
    for (let r = 0; r < rowCount; r++) out[r] = cellOf(raw.data![r][c], column.datatype);
    return out;
  });
  return Object.freeze({
    columns: Object.freeze(columns),
    values,
    rowCount,
    status: raw.queryStatus === 'OVERFLOW' ? 'OVERFLOW' : 'OK',
  });
}

/** A numeric column as doubles for plotting (NaN where the cell is null or not a number), or null if it has none. */
export function numericColumn(table: ResultTable, index: number): Float64Array | null {
  const column = table.values[index];
  const out = new Float64Array(table.rowCount);
  let numbers = 0;
  for (let r = 0; r < table.rowCount; r++) {
    const v = column[r];
    if (typeof v === 'number') {
      out[r] = v;
      numbers++;
    } else if (typeof v === 'bigint') {
      out[r] = Number(v);
      numbers++;
    } else out[r] = Number.NaN;
  }
  return numbers > 0 ? out : null;
}
