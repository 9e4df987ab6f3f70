/**
 * Does a Parquet file fit a catalog table? Checked from the file footers before any transaction starts, so that a
 * load of pipeline outputs into a catalog made for other columns fails with CATALOG_COLUMNS_MISMATCH and writes
 * nothing. `contribute` itself only casts the columns the table has and fills missing nullable ones with NULL: right
 * for a file written for the table, silently lossy for a file written for another schema.
 */

import { meridianError } from '../errors.js';
import { readParquetSchema } from '../formats/index.js';
import type { CatalogTable, ColumnDatatype } from './schema.js';

/** Kinds of value a file column may hold, and which catalog datatypes take each kind without loss of meaning. */
type ValueKind = 'integer' | 'real' | 'boolean' | 'text' | 'time' | 'other';

const ACCEPTS: Readonly<Record<ColumnDatatype, readonly ValueKind[]>> = {
  boolean: ['boolean'],
  byte: ['integer', 'boolean'],
  short: ['integer', 'boolean'],
  int: ['integer', 'boolean'],
  long: ['integer'],
  // An integer file column into a real column is a widening; a real into an integer column would truncate.
  float: ['real', 'integer'],
  double: ['real', 'integer'],
  char: ['text'],
  string: ['text'],
  text: ['text'],
  timestamp: ['time'],
};

/** The kind of a DuckDB type name as `readParquetSchema` reports it (BIGINT, DOUBLE, DECIMAL(18,3), VARCHAR, …). */
function valueKind(duckdbType: string): ValueKind {
  const type = duckdbType.toUpperCase();
  if (/^(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|UHUGEINT)$/.test(type)) return 'integer';
  if (/^(FLOAT|REAL|DOUBLE|DECIMAL.*)$/.test(type)) return 'real';
  if (type === 'BOOLEAN') return 'boolean';
  if (type === 'VARCHAR') return 'text';
  if (type.startsWith('TIMESTAMP') || type === 'DATE') return 'time';
  return 'other';
}

export interface FileColumnProblems {
  readonly path: string;
  /** Non-nullable table columns the file lacks. */
  readonly missing: readonly string[];
  /** File columns whose values the table's column cannot take. */
  readonly incompatible: readonly { column: string; fileType: string; datatype: ColumnDatatype }[];
  /** File columns the table has no place for (their values would be dropped). */
  readonly extra: readonly string[];
}

export interface FileColumnCheckOptions {
  /** Load files with columns the table lacks, dropping those columns (default: refuse them). */
  readonly dropExtraColumns?: boolean;
}

/** What does not fit in one file (names compared case-insensitively, as the ingest matches them). */
export async function fileColumnProblems(table: CatalogTable, path: string): Promise<FileColumnProblems> {
  const fileColumns = await readParquetSchema(path);
  const inFile = new Map(fileColumns.map((c) => [c.name.toLowerCase(), c]));
  const inTable = new Set(table.columns.map((c) => c.name.toLowerCase()));
  const missing: string[] = [];
  const incompatible: { column: string; fileType: string; datatype: ColumnDatatype }[] = [];
  for (const column of table.columns) {
    const found = inFile.get(column.name.toLowerCase());
    if (found === undefined) {
      if (!column.nullable) missing.push(column.name);
    } else if (!ACCEPTS[column.datatype].includes(valueKind(found.type))) {
      incompatible.push({ column: column.name, fileType: found.type, datatype: column.datatype });
    }
  }
  const extra = fileColumns.filter((c) => !inTable.has(c.name.toLowerCase())).map((c) => c.name);
  return { path, missing, incompatible, extra };
}

const listed = (names: readonly string[], at = 8) =>
  names.length <= at ? names.join(', ') : `${names.slice(0, at).join(', ')} and ${names.length - at} more`;

/**
 * Refuses, with CATALOG_COLUMNS_MISMATCH naming the first file that does not fit and what is wrong with it, files
 * whose columns do not fit `table`: a required column missing, a type the column cannot take, or (unless
 * `dropExtraColumns`) a column the table lacks. Reads only the footers.
 */
export async function checkFileColumns(
  table: CatalogTable,
  paths: readonly string[],
  options: FileColumnCheckOptions = {},
): Promise<void> {
  for (const path of paths) {
    const problems = await fileColumnProblems(table, path);
    const extra = options.dropExtraColumns ? [] : problems.extra;
    const parts: string[] = [];
    if (problems.missing.length > 0) parts.push(`lacks required column(s) ${listed(problems.missing)}`);
    if (problems.incompatible.length > 0) {
      const types = problems.incompatible.map(
        (i) => `${i.column} is ${i.fileType}, the table's is ${i.datatype}`,
      );
      parts.push(`has column(s) of the wrong type (${listed(types, 4)})`);
    }
    if (extra.length > 0) parts.push(`has column(s) ${table.name} lacks: ${listed(extra)}`);
    if (parts.length === 0) continue;
    throw meridianError(
      'CATALOG_COLUMNS_MISMATCH',
      `${path} does not fit catalog table ${table.name}: it ${parts.join('; it ')}`,
      {
        path,
        table: table.name,
        missing: problems.missing,
        incompatible: problems.incompatible,
        extra,
      },
    );
  }
}
