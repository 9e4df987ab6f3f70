/** VOTable 1.4 results in TABLEDATA or BINARY2, with QUERY_STATUS OVERFLOW or ERROR after the table. */

import type { CellValue } from '../../../catalog/index.js';
import {
  Binary2Encoder,
  tabledataRow,
  type VOTableField,
  type VOTableSerialization,
  votableEnd,
  votableStart,
} from '../../../formats/index.js';
import type { ResultEnd, ResultWriter } from './result-writer.js';

export function votableWriter(
  fields: readonly VOTableField[],
  serialization: VOTableSerialization,
): ResultWriter {
  const encoder = serialization === 'BINARY2' ? new Binary2Encoder(fields) : null;
  return {
    start: () => votableStart(fields, { serialization }),
    rows(batch: readonly (readonly CellValue[])[]): string {
      if (encoder) return encoder.encode(batch);
      let out = '';
      for (const row of batch) out += tabledataRow(row, fields);
      return out;
    },
    end: (end: ResultEnd) =>
      (encoder?.finish() ?? '') + votableEnd({ serialization, overflow: end.overflow, error: end.error }),
  };
}
