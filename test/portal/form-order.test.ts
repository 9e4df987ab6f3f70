/**
 * Column order for the result table (order.ts `ColumnLayout`), the download "as displayed" following it, and the
 * Parquet route's upload (parquet-upload.ts): plain uploaded names renamed back, and a row number that keeps the
 * displayed order.
 */

import { describe, expect, it } from 'vitest';
import type { ResultTable } from '../../src/portal/api/json-result.js';
import { displayedView, toCsv } from '../../src/portal/results/export.js';
import {
  DEFAULT_LAYOUT,
  moveColumn,
  orderedColumns,
  showColumn,
  visibleColumns,
} from '../../src/portal/results/order.js';
import { parquetRequest, uploadBytes } from '../../src/portal/results/parquet-upload.js';

const table: ResultTable = {
  columns: [
    { name: 'objectId', datatype: 'long', unit: null, ucd: 'meta.id;meta.main' },
    { name: 'coord_ra', datatype: 'double', unit: 'deg', ucd: 'pos.eq.ra;meta.main' },
    { name: 'coord_dec', datatype: 'double', unit: 'deg', ucd: 'pos.eq.dec;meta.main' },
    { name: '-2.5*LOG10(g)+31.4', datatype: 'double', unit: null, ucd: null },
  ],
  values: [
    [1567428592185376787n, 2n, 3n],
    [62.5, 61.5, 62.0],
    [-37, -37.5, null],
    [20.5, null, 21.25],
  ],
  rowCount: 3,
  status: 'OK',
};

const names = (columns: readonly number[]) => columns.map((c) => table.columns[c].name);

describe('column layout', () => {
  it('starts in the table order with every column shown', () => {
    expect(orderedColumns(table, DEFAULT_LAYOUT)).toEqual([0, 1, 2, 3]);
    expect(visibleColumns(table, DEFAULT_LAYOUT)).toEqual([0, 1, 2, 3]);
  });

  it('moves a column to a position, clamped to the ends, and leaves the input layout alone', () => {
    const moved = moveColumn(table, DEFAULT_LAYOUT, 'coord_dec', 0);
    expect(names(orderedColumns(table, moved))).toEqual([
      'coord_dec',
      'objectId',
      'coord_ra',
      '-2.5*LOG10(g)+31.4',
    ]);
    expect(names(orderedColumns(table, moveColumn(table, moved, 'objectId', 99)))).toEqual([
      'coord_dec',
      'coord_ra',
      '-2.5*LOG10(g)+31.4',
      'objectId',
    ]);
    expect(names(orderedColumns(table, moveColumn(table, moved, 'coord_ra', -5)))[0]).toBe('coord_ra');
    expect(moveColumn(table, moved, 'no such column', 0)).toBe(moved);
    expect(DEFAULT_LAYOUT.order).toEqual([]);
    expect(Object.isFrozen(moved)).toBe(true);
  });

  it('keeps a hidden column in its place and puts a column the layout does not name (a new derived one) last', () => {
    let layout = moveColumn(table, DEFAULT_LAYOUT, 'coord_ra', 2);
    layout = showColumn(layout, 'coord_dec', false);
    expect(names(visibleColumns(table, layout))).toEqual(['objectId', 'coord_ra', '-2.5*LOG10(g)+31.4']);
    layout = showColumn(layout, 'coord_dec', true);
    expect(names(visibleColumns(table, layout))).toEqual([
      'objectId',
      'coord_dec',
      'coord_ra',
      '-2.5*LOG10(g)+31.4',
    ]);
    const wider: ResultTable = {
      ...table,
      columns: [...table.columns, { name: 'ra2', datatype: 'double', unit: null, ucd: null }],
      values: [...table.values, [1, 2, 3]],
    };
    expect(
      visibleColumns(wider, layout)
        .map((c) => wider.columns[c].name)
        .at(-1),
    ).toBe('ra2');
  });

  it('is the order a download "as displayed" writes', () => {
    const layout = showColumn(moveColumn(table, DEFAULT_LAYOUT, 'coord_dec', 0), 'coord_ra', false);
    const csv = toCsv(table, displayedView(table, null, null, visibleColumns(table, layout)));
    expect(csv.split('\r\n')[0]).toBe('coord_dec,objectId,-2.5*LOG10(g)+31.4');
    expect(csv.split('\r\n')[1]).toBe('-37,1567428592185376787,20.5');
  });
});

describe('Parquet through TAP_UPLOAD', () => {
  it('uploads plain column names with a display-row number and renames them back in the query', () => {
    const layout = moveColumn(table, DEFAULT_LAYOUT, '-2.5*LOG10(g)+31.4', 0);
    // Rows 0 and 2 only, by descending coord_ra: row 0 (62.5), then row 2 (62.0).
    const view = displayedView(
      table,
      { column: 1, descending: true },
      new Set([0, 2]),
      visibleColumns(table, layout),
    );
    expect(Array.from(view.rows)).toEqual([0, 2]);
    const request = parquetRequest(table, view);
    expect(request.rows).toBe(2);
    expect(request.adql).toBe(
      'SELECT c1 AS "-2.5*LOG10(g)+31.4", c2 AS "objectId", c3 AS "coord_ra", c4 AS "coord_dec" ' +
        'FROM TAP_UPLOAD.displayed ORDER BY display_row',
    );
    const fields = [...request.votable.matchAll(/<FIELD name="([^"]+)" datatype="([^"]+)"/g)].map((m) => [
      m[1],
      m[2],
    ]);
    expect(fields).toEqual([
      ['c1', 'double'],
      ['c2', 'long'],
      ['c3', 'double'],
      ['c4', 'double'],
      ['display_row', 'int'],
    ]);
    expect(request.votable).toContain('<TABLE name="displayed" nrows="2">');
    const rows = [...request.votable.matchAll(/<TR>(.*?)<\/TR>/g)].map((m) =>
      [...m[1].matchAll(/<TD>(.*?)<\/TD>/g)].map((td) => td[1]),
    );
    expect(rows).toEqual([
      ['20.5', '1567428592185376787', '62.5', '-37', '0'],
      ['21.25', '3', '62', '', '1'],
    ]);
    expect(uploadBytes(request)).toBe(new TextEncoder().encode(request.votable).length);
  });

  it('doubles quotes inside a column name it renames back', () => {
    const quoted: ResultTable = {
      ...table,
      columns: [{ ...table.columns[0], name: 'say "hi"' }, ...table.columns.slice(1)],
    };
    expect(parquetRequest(quoted, displayedView(quoted, null, null, [0])).adql).toContain(
      'c1 AS "say ""hi"""',
    );
  });
});
