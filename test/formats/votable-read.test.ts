import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  Binary2Encoder,
  readVOTable,
  type VOTableField,
  votableEnd,
  votableStart,
  writeVOTable,
} from '../../src/formats/index.js';
import { astropyAvailable, SYSTEM_PYTHON, skipWithout } from './reference-tools.js';

const dir = mkdtempSync(join(tmpdir(), 'meridian-votable-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fields: VOTableField[] = [
  { name: 'id', datatype: 'long', ucd: 'meta.id' },
  { name: 'ra', datatype: 'double', unit: 'deg', ucd: 'pos.eq.ra' },
  { name: 'mag', datatype: 'float' },
  { name: 'n', datatype: 'int' },
  { name: 's', datatype: 'short' },
  { name: 'flag', datatype: 'boolean' },
  { name: 'label', datatype: 'char' },
];
const rows = [
  [9007199254740993n, 10.5, 21.5, 7, -3, true, 'a <b> & "c"'],
  [-1n, 359.99999999, null, null, 32767, false, null],
  [null, -0.25, Number.POSITIVE_INFINITY, -2147483648, null, null, 'ünïcødé'],
];

function binary2(document: readonly (readonly unknown[])[]): string {
  const encoder = new Binary2Encoder(fields);
  return (
    votableStart(fields, { serialization: 'BINARY2' }) +
    encoder.encode(document as never) +
    encoder.finish() +
    votableEnd({ serialization: 'BINARY2' })
  );
}

describe('readVOTable on our own writer', () => {
  it('reads TABLEDATA back: fields, exact 64-bit ids, nulls, infinities and escaped text', () => {
    const table = readVOTable(writeVOTable({ fields, rows }));
    expect(table.fields.map((f) => [f.name, f.datatype, f.unit, f.ucd])).toEqual(
      fields.map((f) => [f.name, f.datatype, f.unit ?? null, f.ucd ?? null]),
    );
    expect(table.fields.find((f) => f.name === 'label')?.arraysize).toBe('*');
    expect(table.rows).toEqual(rows);
  });

  it('reads BINARY2 back to the same rows as TABLEDATA', () => {
    const table = readVOTable(binary2(rows));
    expect(table.rows).toEqual(rows);
  });

  it('reads a UTF-8 byte buffer and 10,000 rows', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => [BigInt(i), i / 7, i, i, 1, i % 2 === 0, `r${i}`]);
    const table = readVOTable(Buffer.from(binary2(many)));
    expect(table.rows.length).toBe(10_000);
    expect(table.rows[9_999]).toEqual([9999n, 9999 / 7, 9999, 9999, 1, false, 'r9999']);
  });
});

describe('readVOTable limits and malformed input', () => {
  const good = writeVOTable({ fields, rows });

  it('refuses a document over the byte limit and a table over the row limit with VOTABLE_TOO_LARGE', () => {
    expect(() => readVOTable(good, { maxBytes: 100 })).toThrow(
      expect.objectContaining({ code: 'VOTABLE_TOO_LARGE' }),
    );
    expect(() => readVOTable(good, { maxRows: 2 })).toThrow(
      expect.objectContaining({ code: 'VOTABLE_TOO_LARGE', message: expect.stringContaining('2 rows') }),
    );
    expect(readVOTable(good, { maxRows: 3 }).rows.length).toBe(3);
  });

  const bad: [string, string, RegExp][] = [
    ['not XML', 'hello', /text outside the root element/],
    ['an unclosed element', good.replace('</VOTABLE>', ''), /ends inside <VOTABLE>/],
    [
      'mismatched tags',
      good.replace('</TABLEDATA>', '</DATA>'),
      /line \d+.*<\/DATA> found where <\/TABLEDATA>/,
    ],
    ['a DOCTYPE (entity expansion)', `<!DOCTYPE x [<!ENTITY a "b">]>${good}`, /DOCTYPE/],
    ['an unknown entity', good.replace('&amp;', '&nbsp;'), /unknown entity &nbsp;/],
    ['a wrong root', '<TABLE/>', /root element is <TABLE>/],
    ['no TABLE', '<VOTABLE><RESOURCE/></VOTABLE>', /no TABLE/],
    ['a bad integer', good.replace('<TD>7</TD>', '<TD>seven</TD>'), /row 1.*"seven" is not an integer/],
    ['an int out of range', good.replace('<TD>7</TD>', '<TD>99999999999</TD>'), /out of range for int/],
    ['a short row', good.replace('<TD>7</TD>', ''), /row 1 has 6 cells for 7 FIELDs/],
    ['an unknown datatype', good.replace('datatype="float"', 'datatype="real"'), /unknown datatype "real"/],
    [
      'a STREAM by href',
      '<VOTABLE><RESOURCE><TABLE><FIELD name="a" datatype="int"/><DATA><BINARY><STREAM href="http://x/y"/></BINARY></DATA></TABLE></RESOURCE></VOTABLE>',
      /href is not accepted/,
    ],
    [
      'bad base64',
      binary2(rows).replace(/<STREAM encoding="base64">\n/, '<STREAM encoding="base64">\n!!'),
      /not valid base64/,
    ],
    [
      'a truncated BINARY2 stream',
      binary2(rows).replace(/\n[A-Za-z0-9+/=]+\n<\/STREAM>/, '\nAAAA\n</STREAM>'),
      /BINARY2 row \d+: the stream ends inside a row/,
    ],
    ['deep nesting', `<VOTABLE>${'<RESOURCE>'.repeat(10_000)}`, /nest deeper than 64/],
  ];
  it.each(bad)('refuses %s with VOTABLE_INVALID', (_what, document, message) => {
    let caught: unknown;
    try {
      readVOTable(document);
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'VOTABLE_INVALID' });
    expect((caught as Error).message).toMatch(message);
  });
});

describe.skipIf(skipWithout('astropy', astropyAvailable))('readVOTable on documents astropy writes', () => {
  // astropy writes a boolean column as datatype bit.
  const expected = [
    [1n, 10.5, -30, 1.5, 1, 1, 1, 'alpha'],
    [2n, 20.25, 0.5, null, -2, 2, 0, 'b<&>'],
    [null, 0, 89.9, 3.5, 3, 3, 1, 'ünï'],
    [9007199254740993n, 359.9, -89.9, 4.5, 32767, null, 1, null],
    [-7n, 180, 1e-300, 5.5, -32768, 2147483647, 0, 'e e'],
  ];
  it.each(['tabledata', 'binary', 'binary2'])('reads astropy %s', (serialization) => {
    const path = join(dir, `astropy-${serialization}.xml`);
    execFileSync(SYSTEM_PYTHON, [
      fileURLToPath(new URL('./py/write_votable.py', import.meta.url)),
      serialization,
      path,
    ]);
    const table = readVOTable(readFileSync(path));
    expect(table.fields.map((f) => f.name)).toEqual([
      'id',
      'ra',
      'dec',
      'flux',
      'small',
      'mid',
      'ok',
      'name',
    ]);
    expect(table.fields.map((f) => f.datatype)).toEqual([
      'long',
      'double',
      'double',
      'float',
      'short',
      'int',
      'bit',
      'unicodeChar',
    ]);
    expect(table.fields[1]).toMatchObject({ unit: 'deg', ucd: 'pos.eq.ra' });
    // astropy writes an empty string as a masked-looking empty cell in TABLEDATA; BINARY keeps it empty.
    const got = table.rows.map((r) => r.map((c) => (c === '' ? null : c)));
    expect(got).toEqual(expected);
  });
});
