/**
 * Parquet "as displayed" without a Parquet writer in the browser: the displayed view goes to the server as a
 * VOTable upload (TAP 1.1 `UPLOAD=t,param:t`) and the server answers `SELECT … FROM TAP_UPLOAD.t` with
 * RESPONSEFORMAT=parquet (its VOParquet writer). Pure, with no DOM dependency: test/portal/form-order.test.ts runs
 * it in Node.
 *
 * Two things make the round trip exact: uploaded columns get plain names (`c1`, `c2`, …; a displayed name such as
 * `-2.5*LOG10(g_cModelFlux)+31.4` is no ADQL identifier, and a name like `size` may be a reserved word) and are
 * renamed back with delimited aliases; and a row-number column, sorted on and not returned, keeps the table's order
 * (a database returns an unordered scan in whatever order it likes).
 */

import type { ResultColumn, ResultTable } from '../api/json-result.js';
import { type DisplayedView, toVotable } from './export.js';

/** The upload's table name: `TAP_UPLOAD.displayed` in the query. */
export const UPLOAD_TABLE = 'displayed';
const ROW_COLUMN = 'display_row';

export interface ParquetRequest {
  readonly votable: string;
  readonly adql: string;
  /** Rows the answer must carry: the request's MAXREC, so the service's default limit cannot cut it. */
  readonly rows: number;
}

/** A delimited ADQL identifier: double quotes, inner double quotes doubled. */
function delimited(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function parquetRequest(table: ResultTable, view: DisplayedView): ParquetRequest {
  const rowCount = view.rows.length;
  // The row number is indexed by the table's row (what the view's rows point at) and holds its display position.
  const position: (number | null)[] = new Array(table.rowCount).fill(null);
  for (let i = 0; i < rowCount; i++) position[view.rows[i]] = i;
  const columns: ResultColumn[] = view.columns.map((c, i) => ({ ...table.columns[c], name: `c${i + 1}` }));
  const upload: ResultTable = {
    columns: [...columns, { name: ROW_COLUMN, datatype: 'int', unit: null, ucd: null }],
    values: [...view.columns.map((c) => table.values[c]), position],
    rowCount: table.rowCount,
    status: 'OK',
  };
  const votable = toVotable(
    upload,
    { rows: view.rows, columns: upload.columns.map((_, i) => i) },
    UPLOAD_TABLE,
  );
  const select = view.columns.map((c, i) => `c${i + 1} AS ${delimited(table.columns[c].name)}`).join(', ');
  const adql = `SELECT ${select} FROM TAP_UPLOAD.${UPLOAD_TABLE} ORDER BY ${ROW_COLUMN}`;
  return Object.freeze({ votable, adql, rows: rowCount });
}

/** Bytes of the upload as UTF-8, to compare with the service's upload limit before sending. */
export function uploadBytes(request: ParquetRequest): number {
  return new TextEncoder().encode(request.votable).length;
}
