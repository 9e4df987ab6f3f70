/**
 * The output formats of the TAP service: what RESPONSEFORMAT (or FORMAT) values select them, and the writer of each.
 * The same table feeds /capabilities (TAPRegExt outputFormat with mime and aliases), so what is advertised is what
 * is served.
 */

import { meridianError } from '../../errors.js';
import { delimitedWriter } from './writers/delimited.js';
import { jsonWriter } from './writers/json.js';
import { parquetWriter } from './writers/parquet.js';
import type { ResultFormat } from './writers/result-writer.js';
import { votableWriter } from './writers/votable.js';

const VOTABLE_MIME = 'application/x-votable+xml';

export const resultFormats: readonly ResultFormat[] = [
  {
    id: 'votable',
    mime: VOTABLE_MIME,
    aliases: ['votable', 'votable/td', 'votabletd', 'text/xml', `${VOTABLE_MIME};serialization=tabledata`],
    ivoId: 'ivo://ivoa.net/std/TAPRegExt#output-votable-td',
    description: 'VOTable 1.4, TABLEDATA serialization (the default)',
    create: (fields) => votableWriter(fields, 'TABLEDATA'),
  },
  {
    id: 'votable-binary2',
    mime: `${VOTABLE_MIME};serialization=BINARY2`,
    aliases: ['votable/b2', 'votableb2', 'binary2', 'votable-binary2'],
    ivoId: 'ivo://ivoa.net/std/TAPRegExt#output-votable-binary2',
    description: 'VOTable 1.4, BINARY2 serialization (compact, faster to read)',
    create: (fields) => votableWriter(fields, 'BINARY2'),
  },
  {
    id: 'csv',
    mime: 'text/csv;header=present',
    aliases: ['csv', 'text/csv'],
    description: 'comma-separated values with a header line (RFC 4180)',
    create: (fields) => delimitedWriter(fields, 'csv'),
  },
  {
    id: 'tsv',
    mime: 'text/tab-separated-values',
    aliases: ['tsv', 'text/tsv'],
    description: 'tab-separated values with a header line',
    create: (fields) => delimitedWriter(fields, 'tsv'),
  },
  {
    id: 'json',
    mime: 'application/json',
    aliases: ['json', 'text/json'],
    description: 'JSON: {"metadata": [...], "data": [[...]], "queryStatus": ...}',
    create: (fields) => jsonWriter(fields),
  },
  {
    id: 'parquet',
    mime: 'application/vnd.apache.parquet',
    aliases: ['parquet', 'vnd.apache.parquet', 'application/x-parquet'],
    description:
      'VOParquet 1.0: Parquet with the VOTable FIELDs and QUERY_STATUS in its file metadata (IVOA Note, 2025)',
    create: (fields, options) => parquetWriter(fields, options),
  },
];

export const defaultResultFormat: ResultFormat = resultFormats[0];

/** MIME values compare without spaces and case; the parameter order of `;serialization=` is the only one we use. */
function normalized(value: string): string {
  return value.replace(/\s+/g, '').toLowerCase();
}

export function resultFormatFor(requested: string | undefined): ResultFormat {
  if (requested === undefined || requested.trim() === '') return defaultResultFormat;
  const wanted = normalized(requested);
  const found = resultFormats.find(
    (f) => normalized(f.mime) === wanted || f.aliases.some((a) => normalized(a) === wanted),
  );
  if (!found) {
    throw meridianError(
      'TAP_PARAMETER',
      `RESPONSEFORMAT ${JSON.stringify(requested.slice(0, 100))} is not offered; use one of ${resultFormats
        .map((f) => f.aliases[0])
        .join(', ')} (or their MIME types)`,
      { parameter: 'RESPONSEFORMAT' },
    );
  }
  return found;
}
