/**
 * Uploaded tables on a PostgreSQL worker connection: inside a transaction, one `CREATE TEMP TABLE … ON COMMIT DROP`
 * each, filled by `INSERT … SELECT * FROM unnest($1::type[], …)` with one array parameter per column (values are
 * bound, never SQL text). The fragment's query runs in the same transaction; its COMMIT drops the tables, and a
 * failure or cancellation destroys the connection, which drops them with the session.
 */

import type pg from 'pg';
import { postgresDialect } from '../../adql/index.js';
import type { ResultDatatype } from '../../engine.js';
import type { UploadedTable } from '../../upload.js';

const POSTGRES_TYPES: Readonly<Record<ResultDatatype, string>> = {
  boolean: 'boolean',
  short: 'smallint',
  int: 'integer',
  long: 'bigint',
  float: 'real',
  double: 'double precision',
  string: 'text',
  timestamp: 'timestamp',
};

/** Rows per INSERT: bounds one statement's parameter size. */
const ROWS_PER_INSERT = 10_000;

export async function loadPostgresUploads(
  client: pg.PoolClient,
  uploads: readonly UploadedTable[],
): Promise<void> {
  const id = (name: string) => postgresDialect.regularIdentifier(name);
  await client.query('BEGIN');
  for (const upload of uploads) {
    const types = upload.types.map((t) => POSTGRES_TYPES[t]);
    const columns = upload.table.columns.map((c, i) => `${id(c.name)} ${types[i]}`);
    const table = id(upload.physicalName);
    await client.query(`CREATE TEMP TABLE ${table} (${columns.join(', ')}) ON COMMIT DROP`);
    const unnest = types.map((t, i) => `$${i + 1}::${t}[]`).join(', ');
    for (let start = 0; start < upload.rows.length; start += ROWS_PER_INSERT) {
      const rows = upload.rows.slice(start, start + ROWS_PER_INSERT);
      // 64-bit integers as text: exact, whatever the driver does with bigint.
      const arrays = types.map((_, c) =>
        rows.map((row) => (typeof row[c] === 'bigint' ? String(row[c]) : row[c])),
      );
      await client.query(`INSERT INTO ${table} SELECT * FROM unnest(${unnest})`, arrays);
    }
  }
}
