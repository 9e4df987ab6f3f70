import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { resolveInside } from '../../butler/index.js';
import { meridianError } from '../../errors.js';

/**
 * Ingest tables for `butler ingest-files`: CSV, or ECSV (astropy's Enhanced CSV: `# `-prefixed YAML header, then
 * a header row of column names and the data rows). The first column is the file, the others are dimension values.
 */

export interface IngestTableRow {
  /** 1-based line number in the table file, for error messages. */
  readonly line: number;
  /** Absolute path of the file to ingest. */
  readonly path: string;
  /** Dimension values from the other columns, as text (the registry converts them to key types). */
  readonly dataId: Readonly<Record<string, string>>;
}

export interface IngestTable {
  readonly dimensions: readonly string[];
  readonly rows: readonly IngestTableRow[];
}

function tableError(file: string, line: number, message: string): Error {
  return meridianError('TABLE_FORMAT', `${file}, line ${line}: ${message}`, { file, line });
}

/**
 * Split one line into fields. Double quotes protect delimiters (`""` is a literal quote). With a space delimiter
 * (ECSV's default) runs of spaces count as one separator, as astropy reads them.
 */
export function splitDelimited(text: string, delimiter: string): string[] | { error: string } {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field.trim() === '') {
      quoted = true;
      wasQuoted = true;
      field = '';
    } else if (c === delimiter) {
      if (delimiter === ' ' && field === '' && !wasQuoted) continue;
      fields.push(wasQuoted ? field : field.trim());
      field = '';
      wasQuoted = false;
    } else field += c;
  }
  if (quoted) return { error: 'unterminated quoted field' };
  if (!(delimiter === ' ' && field === '' && !wasQuoted)) fields.push(wasQuoted ? field : field.trim());
  return fields;
}

/**
 * The ECSV header's delimiter, validated. The ECSV standard's default is a space; when the header names none and
 * the column-name line has commas, the table is taken as comma-separated (column names hold neither character).
 */
function ecsvDelimiter(
  file: string,
  headerLines: readonly { text: string; line: number }[],
  columnLine: string,
): string {
  const yamlText = headerLines.map((h) => h.text.replace(/^# ?/, '')).join('\n');
  let header: unknown;
  try {
    header = parseYaml(yamlText.replace(/^%ECSV.*$/m, ''));
  } catch (err) {
    throw tableError(file, headerLines[0]?.line ?? 1, `invalid ECSV YAML header: ${(err as Error).message}`);
  }
  const delimiter =
    (header as { delimiter?: unknown } | null)?.delimiter ?? (columnLine.includes(',') ? ',' : ' ');
  if (delimiter !== ' ' && delimiter !== ',') {
    throw tableError(file, headerLines[0]!.line, `unsupported ECSV delimiter ${JSON.stringify(delimiter)}`);
  }
  return delimiter;
}

/**
 * Read an ingest table. Relative file paths are resolved against `prefix` when given, else the table's directory,
 * and must stay inside it (PATH_TRAVERSAL); absolute paths are taken as written.
 * Blank lines are skipped; every other malformation is a TABLE_FORMAT error naming the line.
 */
export function readIngestTable(file: string, options: { prefix?: string } = {}): IngestTable {
  if (!existsSync(file))
    throw meridianError('FILE_NOT_FOUND', `ingest table ${file} does not exist`, { file });
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  const isEcsv = lines[0]?.startsWith('# %ECSV') ?? false;
  const headerLines: { text: string; line: number }[] = [];
  let delimiter = ',';
  let columns: string[] | undefined;
  const rows: IngestTableRow[] = [];
  const base = resolve(options.prefix ?? dirname(resolve(file)));
  lines.forEach((text, index) => {
    const line = index + 1;
    if (text.trim() === '') return;
    if (text.startsWith('#')) {
      if (isEcsv && columns === undefined) headerLines.push({ text, line });
      return;
    }
    if (columns === undefined && isEcsv) delimiter = ecsvDelimiter(file, headerLines, text);
    const fields = splitDelimited(text, delimiter);
    if (!Array.isArray(fields)) throw tableError(file, line, fields.error);
    if (columns === undefined) {
      if (fields.length < 1 || fields.some((f) => f === '')) {
        throw tableError(file, line, 'the header row needs a file column and non-empty column names');
      }
      const dup = fields.find((f, i) => fields.indexOf(f) !== i);
      if (dup !== undefined) throw tableError(file, line, `column '${dup}' appears twice in the header`);
      columns = fields;
      return;
    }
    if (fields.length !== columns.length) {
      throw tableError(
        file,
        line,
        `expected ${columns.length} columns (${columns.join(', ')}), found ${fields.length}`,
      );
    }
    const [path, ...values] = fields as [string, ...string[]];
    if (path === '') throw tableError(file, line, 'the file column is empty');
    const dataId: Record<string, string> = {};
    columns.slice(1).forEach((c, i) => {
      if (values[i] === '') throw tableError(file, line, `column '${c}' is empty`);
      dataId[c] = values[i]!;
    });
    // An absolute path says where the file is on purpose; a relative one must stay under its base (no `../` out).
    const resolved = isAbsolute(path)
      ? path
      : resolveInside(base, path, {
          baseName: options.prefix === undefined ? 'directory of the table' : '--prefix directory',
          source: `${file}, line ${line}`,
          override: 'an absolute path in the table',
        });
    rows.push({ line, path: resolved, dataId });
  });
  if (columns === undefined) throw tableError(file, lines.length, 'the table has no header row');
  if (rows.length === 0) throw tableError(file, lines.length, 'the table has no data rows');
  return { dimensions: columns.slice(1), rows };
}
