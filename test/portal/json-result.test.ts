import { describe, expect, it } from 'vitest';
import { numericColumn, parseJsonResult, quoteLongIntegers } from '../../src/portal/api/json-result.js';

const metadata = [
  { name: 'objectId', datatype: 'long', unit: null, ucd: 'meta.id;meta.main' },
  { name: 'coord_ra', datatype: 'double', unit: 'deg', ucd: 'pos.eq.ra;meta.main' },
  { name: 'band', datatype: 'char', unit: null, ucd: null },
];

describe('quoteLongIntegers', () => {
  it('quotes integers too long for a double and nothing else', () => {
    expect(quoteLongIntegers('[1249537790362809267,-1249537790362809267,42,61.95,1.5e300]')).toBe(
      '["1249537790362809267","-1249537790362809267",42,61.95,1.5e300]',
    );
  });

  it('leaves digits inside strings alone, escaped quotes included', () => {
    const text = '["id 1249537790362809267","a\\"1234567890123456789",1234567890123456789]';
    expect(quoteLongIntegers(text)).toBe(
      '["id 1249537790362809267","a\\"1234567890123456789","1234567890123456789"]',
    );
  });

  it('keeps long decimals as numbers (they are doubles anyway)', () => {
    expect(quoteLongIntegers('[1234567890123456789.5]')).toBe('[1234567890123456789.5]');
  });
});

describe('parseJsonResult', () => {
  it('reads 19-digit ids exactly as bigint, doubles as numbers and nulls as null', () => {
    const text = JSON.stringify({ metadata, data: [[0, 61.9, 'g']], queryStatus: 'OK' }).replace(
      '[[0,',
      '[[1249537790362809267,',
    );
    const table = parseJsonResult(`${text.slice(0, -1)}}`);
    expect(table.rowCount).toBe(1);
    expect(table.values[0][0]).toBe(1249537790362809267n);
    expect(table.values[1][0]).toBe(61.9);
    expect(table.values[2][0]).toBe('g');
    expect(table.status).toBe('OK');
  });

  it('reports OVERFLOW and turns an ERROR status after the rows into an error with its message', () => {
    const overflow = parseJsonResult(JSON.stringify({ metadata, data: [], queryStatus: 'OVERFLOW' }));
    expect(overflow.status).toBe('OVERFLOW');
    const failed = JSON.stringify({
      metadata,
      data: [[1, 2, 'r']],
      queryStatus: 'ERROR',
      error: 'disk full',
    });
    expect(() => parseJsonResult(failed)).toThrow(/disk full/);
  });

  it('says a cut-off document is incomplete rather than throwing a bare SyntaxError', () => {
    expect(() => parseJsonResult('{"metadata":[],"data":[[1,')).toThrow(/cut off/);
    expect(() => parseJsonResult('{"rows":[]}')).toThrow(/TAP JSON/);
  });

  it('gives plots doubles, NaN for nulls and no column for text', () => {
    const table = parseJsonResult(
      JSON.stringify({
        metadata,
        data: [
          [1, 61.9, 'g'],
          [2, null, 'r'],
        ],
      }),
    );
    expect(Array.from(numericColumn(table, 1)!)).toEqual([61.9, Number.NaN]);
    expect(numericColumn(table, 0)![1]).toBe(2);
    expect(numericColumn(table, 2)).toBeNull();
  });
});
