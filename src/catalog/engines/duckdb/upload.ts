/**
 * Uploaded tables on a DuckDB connection: one temporary table each (DuckDB keeps temporary tables per connection, in
 * its `temp` catalog, even when the database is open read-only), filled with an appender: values never become SQL
 * text. The caller closes the connection, which drops them.
 */

import type { DuckDBConnection } from '@duckdb/node-api';
import { duckdbDialect } from '../../adql/index.js';
import { appendCell, mergeTypes } from '../../execute.js';
import type { UploadedTable } from '../../upload.js';
import { engineAborted } from '../abort.js';

export async function loadDuckdbUploads(
  connection: DuckDBConnection,
  uploads: readonly UploadedTable[],
  signal: AbortSignal,
): Promise<void> {
  const id = (name: string) => duckdbDialect.regularIdentifier(name);
  for (const upload of uploads) {
    if (signal.aborted) throw engineAborted(signal);
    // Timestamps are real TIMESTAMP columns (appended as ISO text, which DuckDB casts), so results keep the type.
    const type = (i: number) => (upload.types[i] === 'timestamp' ? 'TIMESTAMP' : mergeTypes[upload.types[i]]);
    const columns = upload.table.columns.map((c, i) => `${id(c.name)} ${type(i)}`);
    await connection.run(`CREATE TEMP TABLE ${id(upload.physicalName)} (${columns.join(', ')})`);
    const appender = await connection.createAppender(upload.physicalName, 'main', 'temp');
    try {
      for (const row of upload.rows) {
        for (let i = 0; i < row.length; i++) appendCell(appender, row[i], upload.types[i]);
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }
}
