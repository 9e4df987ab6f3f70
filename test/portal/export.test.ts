import { describe, expect, it } from 'vitest';
import type { ResultTable } from '../../src/portal/api/json-result.js';
import { compile, withDerivedColumn } from '../../src/portal/expression/evaluate.js';
import { parseDerivedColumn } from '../../src/portal/expression/parse.js';
import { displayedView, toCsv, toVotable, xmlEscape } from '../../src/portal/results/export.js';

const BIG = 1651589610221862935n; // a DP0.2 objectId: 19 digits, beyond a double's 2^53

const table: ResultTable = {
  columns: [
    { name: 'objectId', datatype: 'long', unit: null, ucd: 'meta.id;meta.main' },
    { name: 'coord_ra', datatype: 'double', unit: 'deg', ucd: 'pos.eq.ra;meta.main' },
    { name: 'note', datatype: 'char', unit: null, ucd: null },
    { name: 'flag', datatype: 'boolean', unit: null, ucd: null },
  ],
  values: [
    [BIG, 10n, 9007199254740993n],
    [62.1234567890123, null, 61.9],
    ['a, "quoted"\nline', '<b>&amp;</b>', null],
    [true, false, null],
  ],
  rowCount: 3,
  status: 'OK',
};

describe('CSV as displayed', () => {
  it('quotes per RFC 4180, keeps 64-bit ids and full precision, writes nulls as empty fields', () => {
    const csv = toCsv(table, displayedView(table, null, null));
    expect(csv).toBe(
      'objectId,coord_ra,note,flag\r\n' +
        '1651589610221862935,62.1234567890123,"a, ""quoted""\nline",true\r\n' +
        '10,,<b>&amp;</b>,false\r\n' +
        '9007199254740993,61.9,,\r\n',
    );
  });

  it('follows the sort and the filter, and only the visible columns in their order', () => {
    const view = displayedView(table, { column: 1, descending: false }, new Set([0, 2]), [1, 0]);
    expect(toCsv(table, view)).toBe(
      'coord_ra,objectId\r\n61.9,9007199254740993\r\n62.1234567890123,1651589610221862935\r\n',
    );
    const descending = displayedView(table, { column: 0, descending: true }, null, [0]);
    expect(toCsv(table, descending)).toBe('objectId\r\n1651589610221862935\r\n9007199254740993\r\n10\r\n');
  });

  it('includes a derived column as the table shows it', () => {
    const column = parseDerivedColumn('coord_ra * 2 AS ra2');
    const derived = withDerivedColumn(table, column.name, compile(column.expression, table));
    const csv = toCsv(derived, displayedView(derived, null, null, [0, 4]));
    expect(csv).toBe(
      'objectId,ra2\r\n1651589610221862935,124.2469135780246\r\n10,\r\n9007199254740993,123.8\r\n',
    );
  });
});

describe('VOTable as displayed', () => {
  it('is VOTable 1.4 TABLEDATA with name, datatype, unit and ucd on each FIELD', () => {
    const xml = toVotable(table, displayedView(table, null, null));
    expect(xml).toContain('<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">');
    expect(xml).toContain('<FIELD name="objectId" datatype="long" ucd="meta.id;meta.main"/>');
    expect(xml).toContain('<FIELD name="coord_ra" datatype="double" unit="deg" ucd="pos.eq.ra;meta.main"/>');
    expect(xml).toContain('<FIELD name="note" datatype="char" arraysize="*"/>');
    expect(xml).toContain('<TABLE name="result" nrows="3">');
    const rows = xml.match(/<TR>[\s\S]*?<\/TR>/g)!;
    expect(rows).toEqual([
      '<TR><TD>1651589610221862935</TD><TD>62.1234567890123</TD><TD>a, &quot;quoted&quot;\nline</TD><TD>T</TD></TR>',
      '<TR><TD>10</TD><TD></TD><TD>&lt;b&gt;&amp;amp;&lt;/b&gt;</TD><TD>F</TD></TR>',
      '<TR><TD>9007199254740993</TD><TD>61.9</TD><TD></TD><TD></TD></TR>',
    ]);
  });

  it('writes a derived column as double, and respects filter, sort and visible columns', () => {
    const column = parseDerivedColumn('coord_ra + 1 AS ra1');
    const derived = withDerivedColumn(table, column.name, compile(column.expression, table));
    const view = displayedView(derived, { column: 4, descending: true }, new Set([0, 2]), [4, 0]);
    const xml = toVotable(derived, view);
    expect(xml).toContain('<FIELD name="ra1" datatype="double"/>');
    expect(xml).not.toContain('name="note"');
    expect(xml.match(/<TR>[\s\S]*?<\/TR>/g)).toEqual([
      '<TR><TD>63.1234567890123</TD><TD>1651589610221862935</TD></TR>',
      '<TR><TD>62.9</TD><TD>9007199254740993</TD></TR>',
    ]);
    expect(xml).toContain('nrows="2"');
  });

  it('escapes markup in names, units and values, and replaces characters XML cannot carry', () => {
    expect(xmlEscape(`a<b>&"c'\u0001`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;\ufffd');
    const odd: ResultTable = {
      columns: [{ name: 'x"<y>', datatype: 'weird', unit: 'a&b', ucd: null }],
      values: [['\u0000ok']],
      rowCount: 1,
      status: 'OVERFLOW',
    };
    const xml = toVotable(odd, displayedView(odd, null, null));
    expect(xml).toContain('<FIELD name="x&quot;&lt;y&gt;" datatype="char" arraysize="*" unit="a&amp;b"/>');
    expect(xml).toContain('<TD>\ufffdok</TD>');
    expect(xml).toContain('<INFO name="QUERY_STATUS" value="OVERFLOW"/>');
  });
});
