/**
 * JSON results: `{"metadata":[{name, datatype, arraysize, unit, ucd}], "data":[[...], ...], "queryStatus": "OK" |
 * "OVERFLOW" | "ERROR", "error"?: message}`. The status comes last because the rows stream first. 64-bit integers
 * are written as exact JSON numbers (a JavaScript client must read them with a big-number parser to keep all 19
 * digits); NaN and infinities, which JSON lacks, are null.
 */

import type { CellValue } from '../../../catalog/index.js';
import type { VOTableField } from '../../../formats/index.js';
import type { ResultWriter } from './result-writer.js';

function jsonCell(value: CellValue): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
  return JSON.stringify(value);
}

export function jsonWriter(fields: readonly VOTableField[]): ResultWriter {
  let first = true;
  const metadata = fields.map((f) => ({
    name: f.name,
    datatype: f.datatype,
    arraysize: f.arraysize ?? null,
    xtype: f.xtype ?? null,
    unit: f.unit ?? null,
    ucd: f.ucd ?? null,
  }));
  return {
    start: () => `{"metadata":${JSON.stringify(metadata)},"data":[`,
    rows(batch) {
      let out = '';
      for (const row of batch) {
        out += `${first ? '\n' : ',\n'}[${row.map(jsonCell).join(',')}]`;
        first = false;
      }
      return out;
    },
    end: (end) =>
      `\n],"queryStatus":${JSON.stringify(end.error !== undefined ? 'ERROR' : end.overflow ? 'OVERFLOW' : 'OK')}${
        end.error !== undefined ? `,"error":${JSON.stringify(end.error)}` : ''
      }}\n`,
  };
}
